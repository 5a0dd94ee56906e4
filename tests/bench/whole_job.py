#!/usr/bin/python3
"""whole_job.py — the whole-process comparison of issue #15 for matbp's benchmark (bench.cpp):
`matbp check` on workload W against PyTorch doing the same job in one Python process.

W: ReLU MLP 1024-1024-1024-10 (ReLU on the hidden layers, identity last), float64, batch 256,
loss mse, reduction mean; parameters U(±1/√fan_in) (nn.Linear's init), inputs and targets
U(−1, 1), torch.manual_seed(SEED).

  whole_job.py --prepare DIR [--seed S] [--widths 1024,1024,1024,10] [--batch 256]
      writes DIR/W.json (matbp/1), DIR/W_torch.json (PyTorch's float64 gradients,
      matbp-gradients/1), and the same as safetensors: DIR/W.safetensors (one file, the
      architecture in __metadata__ "matbp", F64 tensors) and DIR/W_torch.safetensors.
      Numbers in JSON are repr(float): the shortest text that reads back as the same double.
  whole_job.py --job json MODEL OUT
      PyTorch's whole job from JSON: json.load the model, build float64 tensors, forward,
      backward, write its gradients as matbp-gradients/1 JSON (json.dump).
  whole_job.py --job safetensors MODEL OUT
      the same from safetensors: read the header and the F64 tensors with numpy
      (numpy.frombuffer, no copy), write the gradients as safetensors.

The benchmark runs each job as its own process and takes its wall-clock time and peak RSS from
wait4 (the interpreter's start and `import torch` included: they are part of a user's job).
Threads: torch.set_num_threads(THREADS) and OpenBLAS's own count (libblas.so.3 is OpenBLAS once
libopenblas0-pthread is installed; Debian's PyTorch calls it as a generic BLAS and does not set
its threads itself), THREADS from the environment variable WHOLE_JOB_THREADS (default 1).
"""

import ctypes
import json
import os
import sys

# The safetensors reader and writer the peer tests use (numpy only, independent of matbp's).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peer"))
import safetensors_io  # noqa: E402


def set_threads(torch, n):
    torch.set_num_threads(n)
    try:
        blas = ctypes.CDLL("libblas.so.3")
        blas.openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass  # not OpenBLAS: nothing to set


def relu_net(torch, widths):
    from torch import nn
    mods = []
    for l in range(1, len(widths)):
        mods.append(nn.Linear(widths[l - 1], widths[l]).double())
        if l + 1 < len(widths):
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def grads_of(torch, net, X, Y):
    loss = torch.nn.functional.mse_loss(net(X), Y, reduction="mean")
    loss.backward()
    return [(m.weight.grad, m.bias.grad) for m in net if isinstance(m, torch.nn.Linear)]


def prepare(directory, seed, widths, batch):
    import torch
    set_threads(torch, 1)
    torch.manual_seed(seed)
    net = relu_net(torch, widths)
    X = torch.rand(batch, widths[0], dtype=torch.float64) * 2 - 1
    Y = torch.rand(batch, widths[-1], dtype=torch.float64) * 2 - 1
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    acts = ["relu"] * (len(lin) - 1) + ["identity"]
    doc = {"format": "matbp/1",
           "comment": "whole_job.py --prepare: ReLU MLP %s, float64, batch %d, mse mean, seed %d" % (
               "-".join(map(str, widths)), batch, seed),
           "layers": [{"weights": m.weight.detach().tolist(), "bias": m.bias.detach().tolist(), "activation": a}
                      for m, a in zip(lin, acts)],
           "loss": "mse", "reduction": "mean",
           "inputs": X.tolist(), "targets": Y.tolist()}
    with open(os.path.join(directory, "W.json"), "w") as f:
        json.dump(doc, f)
    grads = grads_of(torch, net, X, Y)
    with open(os.path.join(directory, "W_torch.json"), "w") as f:
        json.dump({"format": "matbp-gradients/1", "source": "pytorch " + torch.__version__,
                   "layers": [{"weights": gW.tolist(), "bias": gb.tolist()} for gW, gb in grads]}, f)
    # The same as safetensors: one model file with the architecture in its metadata.
    tensors, layers = [], []
    for l, (m, a) in enumerate(zip(lin, acts)):
        tensors += [("layers.%d.weights" % l, m.weight.detach().numpy()), ("layers.%d.bias" % l, m.bias.detach().numpy())]
        layers.append({"weights": {"tensor": "layers.%d.weights" % l}, "bias": {"tensor": "layers.%d.bias" % l},
                       "activation": a})
    tensors += [("inputs", X.numpy()), ("targets", Y.numpy())]
    arch = {"format": "matbp/1", "comment": doc["comment"], "layers": layers, "loss": "mse", "reduction": "mean",
            "inputs": {"tensor": "inputs"}, "targets": {"tensor": "targets"}}
    with open(os.path.join(directory, "W.safetensors"), "wb") as f:
        f.write(safetensors_io.dumps([(n, a, "F64") for n, a in tensors], {"matbp": json.dumps(arch)}))
    gt = []
    for l, (gW, gb) in enumerate(grads):
        gt += [("layers.%d.weights" % l, gW.numpy()), ("layers.%d.bias" % l, gb.numpy())]
    with open(os.path.join(directory, "W_torch.safetensors"), "wb") as f:
        f.write(safetensors_io.dumps([(n, a, "F64") for n, a in gt]))


def job(kind, model, out):
    import torch
    set_threads(torch, int(os.environ.get("WHOLE_JOB_THREADS", "1")))
    if kind == "json":
        with open(model) as f:
            doc = json.load(f)
        layers = [(torch.tensor(L["weights"], dtype=torch.float64), torch.tensor(L["bias"], dtype=torch.float64),
                   L["activation"]) for L in doc["layers"]]
        X = torch.tensor(doc["inputs"], dtype=torch.float64)
        Y = torch.tensor(doc["targets"], dtype=torch.float64)
    else:
        t, meta = safetensors_io.load(model)
        doc = json.loads(meta["matbp"])
        layers = [(torch.from_numpy(t[L["weights"]["tensor"]]), torch.from_numpy(t[L["bias"]["tensor"]]),
                   L["activation"]) for L in doc["layers"]]
        X = torch.from_numpy(t[doc["inputs"]["tensor"]])
        Y = torch.from_numpy(t[doc["targets"]["tensor"]])
    params = []
    for W, b, _ in layers:
        W.requires_grad_(True)
        b.requires_grad_(True)
        params.append((W, b))
    a = X
    for W, b, act in layers:
        a = torch.nn.functional.linear(a, W, b)
        if act == "relu":
            a = torch.relu(a)
        elif act != "identity":
            raise ValueError("activation %r: this job knows relu and identity" % act)
    if doc.get("loss") != "mse" or doc.get("reduction") != "mean":
        raise ValueError("this job knows mse with reduction mean")
    torch.nn.functional.mse_loss(a, Y, reduction="mean").backward()
    if kind == "json":
        with open(out, "w") as f:
            json.dump({"format": "matbp-gradients/1", "source": "pytorch " + torch.__version__,
                       "layers": [{"weights": W.grad.tolist(), "bias": b.grad.tolist()} for W, b in params]}, f)
    else:
        gt = []
        for l, (W, b) in enumerate(params):
            gt += [("layers.%d.weights" % l, W.grad.numpy()), ("layers.%d.bias" % l, b.grad.numpy())]
        with open(out, "wb") as f:
            f.write(safetensors_io.dumps([(n, a, "F64") for n, a in gt]))


def main(argv):
    if len(argv) >= 2 and argv[0] == "--prepare":
        directory = argv[1]
        seed, widths, batch = 15, [1024, 1024, 1024, 10], 256
        rest = argv[2:]
        while rest:
            if rest[0] == "--seed":
                seed = int(rest[1])
            elif rest[0] == "--widths":
                widths = [int(x) for x in rest[1].split(",")]
            elif rest[0] == "--batch":
                batch = int(rest[1])
            else:
                raise SystemExit("whole_job.py: unknown option %s" % rest[0])
            rest = rest[2:]
        prepare(directory, seed, widths, batch)
        return 0
    if len(argv) == 4 and argv[0] == "--job" and argv[1] in ("json", "safetensors"):
        job(argv[1], argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
