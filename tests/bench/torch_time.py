#!/usr/bin/python3
"""torch_time.py — PyTorch float64 timings for matbp's benchmark (tests/bench/bench.cpp).

Two kinds of request, each one JSON object:

  forward+backward of a ReLU MLP (the shape matbp times; values need not match: dense products
  cost the same whatever the values):
    {"widths": [16, 16, 16, 4], "batch": 8, "seed": 1, "min_time": 0.2, "reps": 5, "threads": 1}
  -> {"kind": "fwd_bwd", "seconds": median CPU s, "wall_seconds": median wall s, "reps": R, "iters": I, ...}
  The net is nn.Sequential(Linear, ReLU, …, Linear) in float64 (nn.Linear's default init
  U(±1/√fan_in)), the loss matbp's squared_error with mean reduction, 0.5·Σ(a − y)²/n. One timed
  call is: gradients reset (p.grad = None), forward, loss, backward. Each repetition runs the call
  often enough to take ≥ min_time CPU seconds; the result is the median per call, after 3 warm-up
  calls, in CPU time of the process (time.process_time, as bench.cpp measures matbp: the machine
  may be shared) and in wall-clock time.

  torch.autograd.gradcheck on a given network (the benchmark sends matbp's own parameters,
  inputs and targets, so both check the same network):
    {"gradcheck": true, "widths": [...], "batch": 8, "weights": [W1, …] (rows of m_l values),
     "biases": [b1, …], "inputs": n rows, "targets": n rows, "eps": 1e-6, "atol": 1e-5,
     "min_time": 0.2, "reps": 3, "threads": 1}
  -> {"kind": "gradcheck", "seconds": median, "passed": true, ...}
  gradcheck's function is the loss as a function of the parameters (every Wˡ, bˡ a float64 leaf
  with requires_grad), so it checks exactly the gradients matbp computes.

  PyTorch's gradients of a given network in float64 or float32 (the tightness measurement of the
  rounding bound T2):
    {"gradients": true, "model": "m.safetensors", "out": "g.safetensors", "dtype": "float32"}
  -> {"kind": "gradients", "dtype": ...}
  The model file holds F64 tensors layers.<l>.weights (m_l × m_{l−1}), layers.<l>.bias, inputs
  (n × m_0), targets (n × m_k); the net is Linear, ReLU, …, Linear (identity last), the loss
  squared_error with mean reduction as above. With float32, every tensor is rounded once to
  float32 (torch's .float(), to nearest) and the whole computation runs in float32. The
  gradients are written as F64 tensors layers.<l>.weights / layers.<l>.bias (a float32 value is
  a double exactly). "rounding": "upward" (or "downward", "towardzero"; default "nearest") runs
  the forward and backward pass with the FPU in that rounding mode (C's fesetround, one thread:
  every operation of OpenBLAS and of torch's CPU kernels then rounds that way); the rounding of
  the data to float32 stays to nearest.

  {"info": true} -> {"kind": "info", "torch": version, "blas": OpenBLAS's config or "not OpenBLAS"}

Threads: torch.set_num_threads(threads), default 1, and OpenBLAS's own thread count to the same
number (Debian's PyTorch is built with BLAS_INFO=generic: it calls libblas.so.3, which is OpenBLAS
once libopenblas0-pthread is installed, and does not set OpenBLAS's threads itself; they are set
here through libblas.so.3's openblas_set_num_threads). torch.set_num_interop_threads(1) as well.

Modes:
  torch_time.py '{"widths": …}'     one request on the command line, one JSON line out
  torch_time.py < request.json      one request on stdin
  torch_time.py --serve             one request per stdin line, one JSON line out per request,
                                    until EOF (the benchmark keeps one process: torch imports once)
Without torch: prints {"error": "no torch: …"} and exits 3 (the benchmark then skips PyTorch).
"""

import ctypes
import json
import os
import statistics
import sys
import time

# The safetensors reader and writer the peer tests use (numpy only, independent of matbp's).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peer"))
import safetensors_io  # noqa: E402

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - environment check
    print(json.dumps({"error": "no torch: %s (apt-get install -y python3-torch; run /usr/bin/python3)" % e}))
    sys.stdout.flush()
    sys.exit(3)

_threads_set = None


def openblas():
    """libblas.so.3 (the library torch calls) when it is OpenBLAS, else None."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_config()
        return lib
    except (OSError, AttributeError):
        return None


def set_threads(n):
    global _threads_set
    if _threads_set == n:
        return
    torch.set_num_threads(n)
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(n)
    if _threads_set is None:
        try:
            torch.set_num_interop_threads(1)  # only allowed once, before any parallel work
        except RuntimeError:
            pass
    _threads_set = n


def timed(call, min_time, reps, warmup=3):
    """Median CPU seconds (process time, as the benchmark measures matbp) and median wall seconds
    per call over `reps` repetitions, each of ≥ min_time CPU seconds; and the calls per repetition."""
    c0 = time.process_time()
    call()
    first = time.process_time() - c0
    for _ in range(warmup - 1):
        call()
    iters = max(1, int(min_time / max(first, 1e-9)) + 1) if first < min_time else 1
    cpu, wall = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            call()
        cpu.append((time.process_time() - c0) / iters)
        wall.append((time.perf_counter() - t0) / iters)
    return statistics.median(cpu), statistics.median(wall), iters


def squared_error_mean(a, y):
    return 0.5 * ((a - y) ** 2).sum() / a.shape[0]


def fwd_bwd(req):
    widths, n = req["widths"], int(req["batch"])
    torch.manual_seed(int(req.get("seed", 0)))
    mods = []
    for l in range(1, len(widths)):
        mods.append(nn.Linear(widths[l - 1], widths[l], dtype=torch.float64))
        if l < len(widths) - 1:
            mods.append(nn.ReLU())
    net = nn.Sequential(*mods)
    params = list(net.parameters())
    X = torch.rand(n, widths[0], dtype=torch.float64) * 2 - 1
    Y = torch.rand(n, widths[-1], dtype=torch.float64) * 2 - 1

    def call():
        for p in params:
            p.grad = None
        loss = squared_error_mean(net(X), Y)
        loss.backward()

    sec, wall, iters = timed(call, float(req.get("min_time", 0.2)), int(req.get("reps", 5)))
    return {"kind": "fwd_bwd", "seconds": sec, "wall_seconds": wall, "reps": int(req.get("reps", 5)), "iters": iters,
            "widths": widths, "batch": n}


def gradcheck(req):
    n = int(req["batch"])
    Ws = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in req["weights"]]
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in req["biases"]]
    X = torch.tensor(req["inputs"], dtype=torch.float64)
    Y = torch.tensor(req["targets"], dtype=torch.float64)
    k = len(Ws)
    assert X.shape[0] == n and Y.shape[0] == n
    params = []
    for W, b in zip(Ws, bs):
        params += [W, b]

    def loss_of_parameters(*p):
        a = X
        for l in range(k):
            a = torch.nn.functional.linear(a, p[2 * l], p[2 * l + 1])
            if l < k - 1:
                a = torch.relu(a)
        return squared_error_mean(a, Y)

    eps, atol = float(req.get("eps", 1e-6)), float(req.get("atol", 1e-5))
    passed = []

    def call():
        passed.append(bool(torch.autograd.gradcheck(loss_of_parameters, tuple(params), eps=eps, atol=atol,
                                                    raise_exception=False)))

    sec, wall, iters = timed(call, float(req.get("min_time", 0.2)), int(req.get("reps", 3)), warmup=1)
    return {"kind": "gradcheck", "seconds": sec, "wall_seconds": wall, "passed": all(passed), "reps": int(req.get("reps", 3)),
            "iters": iters, "eps": eps, "atol": atol,
            "parameters": sum(p.numel() for p in params)}


def gradients(req):
    dtype = {"float64": torch.float64, "float32": torch.float32}[req.get("dtype", "float64")]
    t = safetensors_io.load(req["model"])[0]
    k = sum(1 for name in t if name.endswith(".weights"))
    Ws = [torch.from_numpy(t["layers.%d.weights" % l].copy()).to(dtype).requires_grad_(True) for l in range(k)]
    bs = [torch.from_numpy(t["layers.%d.bias" % l].copy()).to(dtype).requires_grad_(True) for l in range(k)]
    X = torch.from_numpy(t["inputs"].copy()).to(dtype)
    Y = torch.from_numpy(t["targets"].copy()).to(dtype)
    libm = ctypes.CDLL("libm.so.6")
    mode = {"nearest": 0, "downward": 0x400, "upward": 0x800, "towardzero": 0xc00}[req.get("rounding", "nearest")]
    if mode and int(req.get("threads", 1)) != 1:
        raise ValueError("a rounding mode needs threads 1 (other threads keep round to nearest)")
    if libm.fesetround(mode) != 0:
        raise OSError("fesetround failed")
    try:
        a = X
        for l in range(k):
            a = torch.nn.functional.linear(a, Ws[l], bs[l])
            if l < k - 1:
                a = torch.relu(a)
        squared_error_mean(a, Y).backward()
    finally:
        libm.fesetround(0)
    out = []
    for l in range(k):
        out += [("layers.%d.weights" % l, Ws[l].grad.double().numpy()), ("layers.%d.bias" % l, bs[l].grad.double().numpy())]
    safetensors_io.write(req["out"], [(n, a, "F64") for n, a in out])
    return {"kind": "gradients", "dtype": req.get("dtype", "float64")}


def info():
    blas = openblas()
    return {"kind": "info", "blas": blas.openblas_get_config().decode() if blas is not None else "not OpenBLAS",
            "blas_threads": blas.openblas_get_num_threads() if blas is not None else None}


def handle(req):
    set_threads(int(req.get("threads", 1)))
    if req.get("info"):
        out = info()
    elif req.get("gradients"):
        out = gradients(req)
    else:
        out = gradcheck(req) if req.get("gradcheck") else fwd_bwd(req)
    out["threads"] = torch.get_num_threads()
    out["torch"] = torch.__version__
    return out


def main(argv):
    if len(argv) > 1 and argv[1] == "--serve":
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                out = handle(json.loads(line))
            except Exception as e:  # report and go on: one bad request must not stop the run
                out = {"error": "%s: %s" % (type(e).__name__, e)}
            print(json.dumps(out))
            sys.stdout.flush()
        return 0
    text = argv[1] if len(argv) > 1 else sys.stdin.read()
    print(json.dumps(handle(json.loads(text))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
