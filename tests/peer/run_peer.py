#!/usr/bin/python3
"""run_peer.py — PyTorch as a real peer of `matbp check` (C1, C2).

For each case of PLAN, torch_export.py writes a random float64 PyTorch MLP as a matbp/1 model and
PyTorch's own gradients; `matbp check MODEL --gradients GRADS` must pass (exit 0) with its
default arithmetic: exact over ℚ for the models without a transcendental activation or
softmax_cross_entropy, certified intervals (interval:256) for the others. For the seeds in
PERTURBED the same model is exported again with one gradient entry multiplied by 1 + 1e-6, and
`matbp check` must fail (exit 1): the check is not vacuous.

Kinks (D11, C3). With an exact reference `matbp check` fails a kink-dependent entry outside its
Clarke enclosure (C3) and names the convention the kink entries match; with an interval
reference (no enclosure) it keeps them out of its verdict. For the seeds with --kink (a ReLU /
leaky ReLU potential exactly 0) this harness reads `check --format json` and requires those
entries within KINK_MAX_ULPS of matbp's reference too (PyTorch's ReLU′(0) = 0 and leaky′(0) = s
are matbp's conventions) and, with an exact reference, "kink_match" "zero"; as a control, the
same entry recomputed under f′(0) = 1 is inside the enclosure (exact: exit 0, not named "zero")
or reported further off than KINK_MAX_ULPS (interval).

Small-integer nets full of exact kinks (INT_KINK_SEEDS, built here, not by torch_export.py):
weights in {−2, …, 2}, biases in {−1, 0, 1}, inputs in {−1, 0, 1}, hidden layers ReLU, leaky
ReLU (slope 1/4) or hardtanh on [−1, 1], loss mse or l1, so many potentials are exactly at a
breakpoint. Cases: "int_zero" PyTorch's own modules must pass, named "zero"; "int_one" PyTorch
with the other one-sided slope at every breakpoint (relu′(0) = 1, leaky′(0) = 1, hardtanh′(±1)
= 1; a custom torch.autograd.Function) must pass, named "one", and fail with --strict-kinks; "int_outside" PyTorch's gradients with one kink entry moved just
outside its enclosure (matbp grad's "kink_enclosures": upper + 1e-6·max(1, |upper|)) must fail
with kink_outside ≥ 1 — the false pass of issue 13.

The verdict (T3, `check`'s default --verdict bound): an entry passes iff it lies within its
rounding bound of its admissible set. PRECISION_PLAN (seeds 61-64, 64 with a 1024-wide layer):
PyTorch's own float64 and float32 gradients pass at --precision float64 / float32; the bfloat16
and float16 emulations (torch casts after every operation, emulated_gradients) pass at their
precision and fail at float32; "bound_edge" moves one float32 entry 1.5 B off its value (fails)
and 0.5 B (passes), B read from the report; "near_kink" is issue 13's false alarm (a potential
2⁻⁶⁰ that PyTorch's float64 rounds to 0): it passes with the unit reported near a kink, and the
old rule, --verdict normwise, fails it. "bug_float32_slope": a real bug (a float32 leaky-ReLU slope
in a float64 backward, LeakyFloat32Slope) fails with bound use > 1000.

Test plan (statement ↦ cases):
  C1 exact, piecewise linear (ReLU, leaky ReLU, identity)   seeds 1, 2, 3
  C1 exact, rational (softsign)                             seeds 3, 4
  D11 kink conventions, ReLU′(0) = 0, leaky′(0) = s         seeds 3 (exact), 11 (interval)
  C1 intervals, tanh / logistic / softplus                  seeds 5, 6, 7, 9, 10, 11
  C1 intervals, piecewise linear mixed with transcendental  seeds 10, 11
  C2 softmax with cross-entropy (probability targets)       seeds 8, 9, 12
  D10 hardtanh (PyTorch's Hardtanh)                         seeds 13, 14, 15, 16
  D9, D14 losses squared_error, mse, huber, l1; reductions  every seed, both reductions each
  the exporter's PyTorch mapping == `matbp catalog`         case "catalog"
  a wrong gradient is rejected                              PERTURBED (2, 5, 9, 12)
  the kink check tells the conventions apart                KINKED (3, 11), kink_other
  C3 Clarke enclosure: zero / one pass, outside fails       INT_KINK_SEEDS (7 seeds): int_zero,
                                                            int_one, int_outside
  T3 verdict by bound: float64, float32 pass (1024-wide)     precision_float64/32, seeds 61-64
  T3 emulated bfloat16/float16 pass, fail at float32        precision_bfloat16/16, seeds 61, 62
  T3 an entry 1.5 B off fails, 0.5 B off passes              bound_edge (seed 61)
  T3 near kink (2⁻⁶⁰ rounded to 0): pass; normwise fails     near_kink
  T3 a float32 constant in a float64 backward fails          bug_float32_slope

Usage:  /usr/bin/python3 tests/peer/run_peer.py build/matbp WORKDIR
Prints each check's text output and ends with exactly the line "N passed, M failed"; exit 1 if
any case failed. CTest: `ctest -L peer`.
"""

import json
import math
import os
import subprocess
import sys

try:
    import torch  # noqa: F401
except ImportError as e:
    print("run_peer.py: cannot import torch (%s).\n"
          "The PyTorch peer needs the Debian package python3-torch: apt-get install -y python3-torch\n"
          "(and must run under /usr/bin/python3, the interpreter that package installs into)." % e)
    sys.exit(1)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_export  # noqa: E402

ALL = ",".join(torch_export.ACTIVATIONS)

# seed: (loss, reduction, exporter flags). --layers fixes each layer's activation (widths, n,
# weights, data and leaky slopes stay random); --activations draws each layer from a pool.
# `matbp check`'s default arithmetic follows: exact for seeds 1-4, interval:256 for 5-12.
PLAN = {
    1: ("squared_error", "mean", ["--activations", "relu"]),
    2: ("mse", "sum", ["--layers", "leaky_relu,relu,identity"]),
    3: ("squared_error", "sum", ["--layers", "relu,leaky_relu,softsign", "--kink"]),
    4: ("mse", "mean", ["--activations", "softsign,identity,leaky_relu"]),
    5: ("squared_error", "mean", ["--activations", "tanh"]),
    6: ("mse", "mean", ["--layers", "logistic,identity"]),
    7: ("squared_error", "sum", ["--activations", "softplus"]),
    8: ("softmax_cross_entropy", "mean", ["--layers", "relu,leaky_relu,identity"]),
    9: ("softmax_cross_entropy", "sum", ["--layers", "tanh,logistic,softplus,identity"]),
    10: ("mse", "sum", ["--layers", "softplus,relu,tanh"]),
    11: ("squared_error", "mean", ["--layers", "leaky_relu,tanh,softsign,relu", "--kink"]),
    12: ("softmax_cross_entropy", "mean", ["--activations", ALL]),
    13: ("huber", "mean", ["--layers", "hardtanh,relu,identity"]),
    14: ("l1", "sum", ["--layers", "leaky_relu,hardtanh"]),
    15: ("huber", "sum", ["--layers", "tanh,hardtanh,identity"]),
    16: ("l1", "mean", ["--activations", "hardtanh,identity"]),
}
PERTURBED = (2, 5, 9, 12, 13, 14)  # exact, interval, softmax_cross_entropy, huber and l1 models
KINKED = tuple(s for s in sorted(PLAN) if "--kink" in PLAN[s][2])
CHECK_TIMEOUT = 120  # seconds per `matbp check`
# `matbp check` keeps entries whose reference depends on a kink convention (D11) out of its
# verdict and reports their worst ULP distance apart. PyTorch uses matbp's conventions, so at a
# kink its value is as accurate as anywhere else: 0 ULPs at the kinks of seeds 3 and 11. The
# bound leaves room for rounding in a sum over ≤ 8 samples; the other convention, f′(0) = 1, is
# ~10^18 ULPs away at seed 3 (the entry changes sign).
KINK_MAX_ULPS = 64


def export(seed, workdir, perturb):
    loss, red, extra = PLAN[seed]
    stem = os.path.join(workdir, "seed_%02d" % seed)
    model = stem + (".perturbed" if perturb else "") + ".model.json"
    grads = stem + (".perturbed" if perturb else "") + ".gradients.json"
    argv = ["--seed", str(seed), "--model", model, "--gradients", grads,
            "--loss", loss, "--reduction", red] + extra
    if perturb:
        argv.append("--perturb")
    sys.stdout.flush()
    try:
        rc = torch_export.main(argv)
    except SystemExit as e:  # argparse rejected the plan's flags
        rc = e.code
    sys.stdout.flush()
    if rc != 0:
        raise RuntimeError("torch_export.py %s: exit %d" % (" ".join(argv), rc))
    if perturb:
        # The perturbed case must be the same model as the passing one, byte for byte.
        with open(model, "rb") as a, open(stem + ".model.json", "rb") as b:
            if a.read() != b.read():
                raise RuntimeError("%s differs from %s.model.json: the exporter is not deterministic"
                                   % (model, stem))
    return model, grads


def other_convention(grads, out):
    """PyTorch's gradients with the forced kink's entry ∂C/∂b¹₀ recomputed under f′(0) = 1."""
    with open(grads) as f:
        g = json.load(f)
    k = g["kink"]
    g["layers"][k["layer"] - 1]["bias"][k["unit"]] += (1.0 - k["derivative_at_0"]) * k["dC_da"]
    g["source"] += ", kink entry at f'(0) = 1"
    with open(out, "w") as f:
        json.dump(g, f)
    return out


def run(cmd):
    print("$ " + " ".join(cmd))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=CHECK_TIMEOUT)
    return r.returncode, r.stdout


def check(binary, model, grads):
    rc, out = run([binary, "check", model, "--gradients", grads])
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    return rc


def kink_ulps(binary, model, grads):
    """(number of kinks, [(tensor, kink entries, worst kink ULPs)]) from `check --format json`."""
    rc, out = run([binary, "check", model, "--gradients", grads, "--format", "json", "--quiet"])
    if rc not in (0, 1):
        raise RuntimeError("matbp check --format json: exit %d: %s" % (rc, out.strip()))
    j = json.loads(out)
    rows = [(t["name"], t["kink_entries"], t["worst_kink_ulps"]) for t in j["tensors"] if t["kink_entries"]]
    for name, n, ulps in rows:
        print("   kink entries of %s: %d, worst %d ULPs (bound %d)" % (name, n, ulps, KINK_MAX_ULPS))
    return j["kinks"], rows


INT_KINK_SEEDS = (21, 22, 23, 24, 36, 38, 50)


class OtherSlope(torch.autograd.Function):
    """A piecewise-linear activation whose derivative at a breakpoint is the one-sided slope that
    is not PyTorch's: relu′(0) = 1, leaky_relu′(0) = 1, hardtanh′(±1) = 1 (the "one" convention,
    as legitimate as PyTorch's, C3)."""

    @staticmethod
    def forward(ctx, z, kind):
        ctx.save_for_backward(z)
        ctx.kind = kind
        if kind == "relu":
            return z.clamp(min=0)
        if kind == "leaky_relu":
            return torch.where(z > 0, z, 0.25 * z)
        return z.clamp(-1, 1)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        if ctx.kind == "relu":
            d = (z >= 0).to(g.dtype)
        elif ctx.kind == "leaky_relu":
            d = torch.where(z >= 0, torch.ones_like(z), torch.full_like(z, 0.25))
        else:
            d = ((z >= -1) & (z <= 1)).to(g.dtype)
        return g * d, None


def torch_activation(kind, z, other):
    if other:
        return OtherSlope.apply(z, kind)
    if kind == "relu":
        return torch.relu(z)
    if kind == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, 0.25)
    return torch.nn.functional.hardtanh(z, -1.0, 1.0)


def int_kink_net(seed, other):
    """(model dict, gradients dict, number of potentials at a breakpoint) of a small-integer net:
    hidden layers ReLU, leaky ReLU (slope 1/4) or hardtanh on [−1, 1], identity output, loss mse
    or l1 (whose zero residuals are loss kinks; PyTorch's sign(0) = 0 is kept under "one")."""
    import random
    rng = random.Random(seed)
    widths = [rng.randint(2, 4) for _ in range(rng.randint(3, 4))]
    n = rng.randint(3, 6)
    kinds = [rng.choice(("relu", "leaky_relu", "hardtanh")) for _ in range(len(widths) - 2)]
    loss = rng.choice(("mse", "l1"))
    Ws = [[[float(rng.randint(-2, 2)) for _ in range(widths[l])] for _ in range(widths[l + 1])]
          for l in range(len(widths) - 1)]
    bs = [[float(rng.randint(-1, 1)) for _ in range(widths[l + 1])] for l in range(len(widths) - 1)]
    X = [[float(rng.randint(-1, 1)) for _ in range(widths[0])] for _ in range(n)]
    Y = [[float(rng.randint(-1, 1)) for _ in range(widths[-1])] for _ in range(n)]
    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=True),
               torch.tensor(b, dtype=torch.float64, requires_grad=True)) for W, b in zip(Ws, bs)]
    a, at_kink = torch.tensor(X, dtype=torch.float64), 0
    for l, (W, b) in enumerate(params):
        z = a @ W.T + b
        if l < len(kinds):
            breaks = (0.0,) if kinds[l] != "hardtanh" else (-1.0, 1.0)
            at_kink += sum(int((z == p).sum()) for p in breaks)
            a = torch_activation(kinds[l], z, other)
        else:
            a = z
    fn = torch.nn.MSELoss(reduction="sum") if loss == "mse" else torch.nn.L1Loss(reduction="sum")
    fn(a, torch.tensor(Y, dtype=torch.float64)).backward()
    spec = {"relu": "relu", "leaky_relu": {"name": "leaky_relu", "negative_slope": "1/4"},
            "hardtanh": {"name": "hardtanh", "min_val": "-1", "max_val": "1"}}
    layers = [{"weights": W, "bias": b, "activation": spec[kinds[l]] if l < len(kinds) else "identity"}
              for l, (W, b) in enumerate(zip(Ws, bs))]
    model = {"format": "matbp/1", "layers": layers, "loss": loss, "reduction": "sum", "inputs": X,
             "targets": Y}
    grads = {"layers": [{"weights": W.grad.tolist(), "bias": b.grad.tolist()} for W, b in params]}
    return model, grads, at_kink


def check_json(binary, model, grads, *extra):
    rc, out = run([binary, "check", model, "--gradients", grads, "--format", "json", "--quiet", *extra])
    if rc not in (0, 1):
        raise RuntimeError("matbp check --format json: exit %d: %s" % (rc, out.strip()))
    return rc, json.loads(out)


def run_int_case(binary, workdir, seed, mode):
    from fractions import Fraction
    model, grads, zeros = int_kink_net(seed, mode == "int_one")
    if mode == "int_one" and grads == int_kink_net(seed, False)[1]:
        return False, "relu'(0) = 1 changes no gradient here: the case is vacuous"
    stem = os.path.join(workdir, "int_%02d_%s" % (seed, mode))
    with open(stem + ".model.json", "w") as f:
        json.dump(model, f)
    if mode == "int_outside":
        rc, out = run([binary, "grad", stem + ".model.json", "--quiet"])
        encl = json.loads(out)["kink_enclosures"] if rc == 0 else []
        if not encl:
            return False, "no kink enclosure to leave (grad exit %d)" % rc
        e = encl[0]
        upper = Fraction(e["upper"])
        layer, kind = int(e["tensor"][7:e["tensor"].index("]")]), e["tensor"].split(".")[1]
        i, j = e["entry"]
        moved = float(upper) + 1e-6 * max(1.0, abs(float(upper)))
        T = grads["layers"][layer][kind]
        if kind == "bias":
            T[i] = moved
        else:
            T[i][j] = moved
        print("   %s (%d,%d) moved to %r, outside [%s, %s]" % (e["tensor"], i, j, moved, e["lower"], e["upper"]))
    with open(stem + ".gradients.json", "w") as f:
        json.dump(grads, f)
    rc, rep = check_json(binary, stem + ".model.json", stem + ".gradients.json")
    check(binary, stem + ".model.json", stem + ".gradients.json")
    verdict = "%s, %d potential(s) at a breakpoint, %d kink(s), exit %d, kink_match %s" % (
        ",".join(L["activation"] if isinstance(L["activation"], str) else L["activation"]["name"]
                 for L in model["layers"]) + " " + model["loss"], zeros, rep["kinks"], rc, rep["kink_match"])
    if rep["kinks"] == 0:
        return False, verdict + ": no kinks, the case is vacuous"
    if mode == "int_zero":
        return rc == 0 and rep["kink_match"] == "zero", verdict
    if mode == "int_one":
        src, srep = check_json(binary, stem + ".model.json", stem + ".gradients.json", "--strict-kinks")
        ok = rc == 0 and rep["kink_match"] in ("one",) and src == 1
        return ok, verdict + ", --strict-kinks exit %d" % src
    outside = sum(t["kink_outside"] for t in rep["tensors"])
    return rc == 1 and outside >= 1, verdict + ", %d kink entr(ies) outside" % outside


# ---- T3: the verdict by rounding bound, at every precision (issue 13) -------------------------

# seed: (widths, samples, hidden activations, loss). Random float64 models (weights N(0, 1/fan_in),
# inputs and targets N(0, 1)), identity output, reduction sum. PRECISION_SEEDS run PyTorch in
# float64 and float32; EMULATED_SEEDS run the bfloat16 / float16 emulation.
PRECISION_PLAN = {
    61: ([4, 8, 8, 3], 5, ["relu", "leaky_relu"], "mse"),
    62: ([6, 7, 5, 2], 8, ["leaky_relu", "relu"], "l1"),
    63: ([3, 5, 4], 6, ["hardtanh"], "huber"),
    64: ([16, 1024, 4], 8, ["relu"], "mse"),  # a 1024-wide layer
}
EMULATED_SEEDS = (61, 62)


def random_net(seed):
    import random
    widths, n, kinds, loss = PRECISION_PLAN[seed]
    rng = random.Random(seed)
    Ws = [[[rng.gauss(0, 1) / math.sqrt(widths[l]) for _ in range(widths[l])] for _ in range(widths[l + 1])]
          for l in range(len(widths) - 1)]
    bs = [[rng.gauss(0, 0.5) for _ in range(widths[l + 1])] for l in range(len(widths) - 1)]
    X = [[rng.gauss(0, 1) for _ in range(widths[0])] for _ in range(n)]
    Y = [[rng.gauss(0, 1) for _ in range(widths[-1])] for _ in range(n)]
    return Ws, bs, X, Y, kinds, loss


SPEC = {"relu": "relu", "leaky_relu": {"name": "leaky_relu", "negative_slope": "1/4"},
        "hardtanh": {"name": "hardtanh", "min_val": "-1", "max_val": "1"}}


def model_dict(Ws, bs, X, Y, kinds, loss):
    layers = [{"weights": W, "bias": b, "activation": SPEC[kinds[l]] if l < len(kinds) else "identity"}
              for l, (W, b) in enumerate(zip(Ws, bs))]
    return {"format": "matbp/1", "layers": layers, "loss": loss, "reduction": "sum", "inputs": X, "targets": Y}


def torch_loss(loss, a, y):
    if loss == "mse":
        return torch.nn.MSELoss(reduction="sum")(a, y)
    if loss == "l1":
        return torch.nn.L1Loss(reduction="sum")(a, y)
    return torch.nn.HuberLoss(reduction="sum", delta=1.0)(a, y)


def torch_gradients(Ws, bs, X, Y, kinds, loss, dtype):
    """PyTorch's own autograd gradients with every tensor in dtype (parameters and data given in
    float64 are rounded once to it, D17 (1))."""
    params = [(torch.tensor(W, dtype=torch.float64).to(dtype).requires_grad_(),
               torch.tensor(b, dtype=torch.float64).to(dtype).requires_grad_()) for W, b in zip(Ws, bs)]
    a = torch.tensor(X, dtype=torch.float64).to(dtype)
    for l, (W, b) in enumerate(params):
        z = a @ W.T + b
        a = torch_activation(kinds[l], z, False) if l < len(kinds) else z
    torch_loss(loss, a, torch.tensor(Y, dtype=torch.float64).to(dtype)).backward()
    return {"layers": [{"weights": W.grad.double().tolist(), "bias": b.grad.double().tolist()} for W, b in params]}


def emulated_gradients(Ws, bs, X, Y, kinds, loss, dtype):
    """The forward and backward pass written out with torch casts: every operation computed in
    float32 and its result rounded to dtype (bfloat16 or float16), parameters and data rounded
    once. A D17 evaluation at dtype's u: a product of two dtype numbers is exact in float32, a
    sum accumulated in float32 and rounded once has per-term factors within (1 + u)^N."""
    f32 = torch.float32

    def rnd(t):
        return t.to(dtype).to(f32)

    def t(v):
        return rnd(torch.tensor(v, dtype=torch.float64).to(f32))

    W = [t(w) for w in Ws]
    b = [t(v) for v in bs]
    A, Z = [t(X).T], []  # columns are samples
    for l in range(len(W)):
        z = rnd(rnd(W[l] @ A[-1]) + b[l][:, None])
        Z.append(z)
        kind = kinds[l] if l < len(kinds) else "identity"
        A.append(rnd(torch.where(z > 0, z, rnd(0.25 * z))) if kind == "leaky_relu" else
                 z.clamp(min=0) if kind == "relu" else z.clamp(-1, 1) if kind == "hardtanh" else z)

    def deriv(kind, z):
        if kind == "relu":
            return (z > 0).to(f32)
        if kind == "leaky_relu":
            return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.25))
        if kind == "hardtanh":
            return ((z > -1) & (z < 1)).to(f32)
        return torch.ones_like(z)

    r = rnd(A[-1] - t(Y).T)
    G = rnd(2 * r) if loss == "mse" else torch.sign(r) if loss == "l1" else r.clamp(-1, 1)
    D = G  # identity output
    dW, db = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        dW[l] = rnd(D @ A[l].T)
        db[l] = rnd(D.sum(dim=1))
        if l == 0:
            break
        D = rnd(deriv(kinds[l - 1], Z[l - 1]) * rnd(W[l].T @ D))
    return {"layers": [{"weights": dW[l].double().tolist(), "bias": db[l].double().tolist()}
                       for l in range(len(W))]}


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def run_precision_case(binary, workdir, seed, mode):
    """precision_float64 / precision_float32: PyTorch's gradients in that dtype pass at that
    precision (T3); precision_bfloat16 / precision_float16: the emulation passes at its precision
    and fails at float32; bound_edge: a float32 entry moved to 1.5 B off fails, 0.5 B passes."""
    Ws, bs, X, Y, kinds, loss = random_net(seed)
    stem = os.path.join(workdir, "prec_%02d_%s" % (seed, mode))
    model = write(stem + ".model.json", model_dict(Ws, bs, X, Y, kinds, loss))
    if mode in ("precision_float64", "precision_float32", "bound_edge"):
        dtype = torch.float64 if mode == "precision_float64" else torch.float32
        prec = "float64" if dtype == torch.float64 else "float32"
        grads = torch_gradients(Ws, bs, X, Y, kinds, loss, dtype)
        path = write(stem + ".gradients.json", grads)
        rc, rep = check_json(binary, model, path, "--precision", prec)
        check(binary, model, path)
        use = max(t["bound_use"] for t in rep["tensors"])
        verdict = "%s at %s: exit %d, verdict %s, worst bound use %.3g, %d near-kink unit(s)" % (
            "x".join(map(str, PRECISION_PLAN[seed][0])), prec, rc, rep["verdict"], use, len(rep["near_kinks"]))
        if mode != "bound_edge":
            return rc == 0 and rep["verdict"] == "bound" and use <= 1, verdict
        # Move layers[-1].bias[0]: far off (1e-3 relative) it fails and is the worst entry; the
        # report gives its distance d and bound B, so ref = g' - d; then ref + 1.5 B fails and
        # ref + 0.5 B passes (B ≫ a float64 ULP of the entry at float32, so the JSON double keeps it).
        g = grads["layers"][-1]["bias"][0]
        grads["layers"][-1]["bias"][0] = g + 1e-3 * max(1.0, abs(g))
        rc1, rep1 = check_json(binary, model, write(stem + ".far.json", grads), "--precision", "float32")
        tl = rep1["tensors"][-1]
        ref = grads["layers"][-1]["bias"][0] - tl["bound_distance"]
        B = tl["bound"]
        grads["layers"][-1]["bias"][0] = ref + 1.5 * B
        rc2, rep2 = check_json(binary, model, write(stem + ".out.json", grads), "--precision", "float32")
        grads["layers"][-1]["bias"][0] = ref + 0.5 * B
        rc3, rep3 = check_json(binary, model, write(stem + ".in.json", grads), "--precision", "float32")
        ok = (rc == 0 and rc1 == 1 and tl["bound_use_entry"] == [0, 0] and rc2 == 1
              and rep2["tensors"][-1]["beyond_bound"] == 1 and rc3 == 0)
        return ok, verdict + "; moved 1e-3: exit %d (bound %.3g); 1.5 B off: exit %d; 0.5 B off: exit %d" % (
            rc1, B, rc2, rc3)
    dtype = torch.bfloat16 if mode == "precision_bfloat16" else torch.float16
    prec = "bfloat16" if dtype == torch.bfloat16 else "float16"
    path = write(stem + ".gradients.json", emulated_gradients(Ws, bs, X, Y, kinds, loss, dtype))
    rc, rep = check_json(binary, model, path, "--precision", prec)
    check(binary, model, path)
    rc_fine, rep_fine = check_json(binary, model, path, "--precision", "float32")
    use = max(t["bound_use"] for t in rep["tensors"])
    fine = max((t["bound_use"] if t["bound_use"] is not None else float("inf")) for t in rep_fine["tensors"])
    return (rc == 0 and rc_fine == 1, "emulated %s: exit %d at %s (worst bound use %.3g), exit %d at float32 "
            "(worst bound use %.3g)" % (prec, rc, prec, use, rc_fine, fine))


def run_near_kink_case(binary, workdir):
    """Issue 13's false alarm: z = 1·1 + 1·2⁻⁶⁰ − 1 = 2⁻⁶⁰ exactly, which PyTorch's float64
    (x @ W.T, then + b) rounds to 0 and so takes relu′ = 0. Its gradients pass (T3, the unit
    reported near a kink); the normwise rule (--verdict normwise) still fails them."""
    x = [[1.0, 2.0 ** -60]]
    W1, b1, W2, b2, Y = [[1.0, 1.0]], [-1.0], [[2.0]], [0.0], [[5.0]]
    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=True),
               torch.tensor(b, dtype=torch.float64, requires_grad=True)) for W, b in ((W1, b1), (W2, b2))]
    z = torch.tensor(x, dtype=torch.float64) @ params[0][0].T + params[0][1]
    a = params[1][0] @ torch.relu(z).T + params[1][1][:, None]
    torch.nn.MSELoss(reduction="sum")(a.T, torch.tensor(Y, dtype=torch.float64)).backward()
    if z.item() != 0.0:
        return False, "PyTorch computed z = %r, not 0: the case is vacuous" % z.item()
    stem = os.path.join(workdir, "near_kink")
    model = write(stem + ".model.json", model_dict([W1, W2], [b1, b2], x, Y, ["relu"], "mse"))
    grads = write(stem + ".gradients.json", {"layers": [{"weights": W.grad.tolist(), "bias": b.grad.tolist()}
                                                        for W, b in params]})
    rc, rep = check_json(binary, model, grads)
    check(binary, model, grads)
    rc_old, _ = check_json(binary, model, grads, "--verdict", "normwise")
    near = [(k["layer"], k["sample"], k["unit"]) for k in rep["near_kinks"]]
    return (rc == 0 and near == [(0, 0, 0)] and rc_old == 1,
            "PyTorch z = 0 (exact 2^-60): exit %d, near-kink units %s; --verdict normwise exit %d" % (rc, near, rc_old))


class LeakyFloat32Slope(torch.autograd.Function):
    """A leaky ReLU (slope 0.01) whose backward multiplies by the slope as a float32 constant
    (0.009999999776…) in a float64 kernel: a real bug, wrong by 2.2e-8 relative at every
    negative unit."""

    SLOPE32 = torch.tensor(0.01, dtype=torch.float32)

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.nn.functional.leaky_relu(z, 0.01)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * torch.where(z > 0, torch.ones_like(z), LeakyFloat32Slope.SLOPE32.double())


def run_bug_case(binary, workdir):
    """The float32-constant bug (LeakyFloat32Slope) in a float64 4-8-3 net: the bound verdict
    fails layer 0 by a bound use far above 1; the normwise rule fails it by a factor ≈ 2.6 only."""
    torch.manual_seed(1)
    W1, b1 = torch.randn(8, 4, dtype=torch.float64) / 2, torch.randn(8, dtype=torch.float64) / 2
    W2, b2 = torch.randn(3, 8, dtype=torch.float64) / 3, torch.randn(3, dtype=torch.float64) / 2
    X, Y = torch.randn(16, 4, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64)
    ps = [t.clone().requires_grad_() for t in (W1, b1, W2, b2)]
    a = LeakyFloat32Slope.apply(X @ ps[0].T + ps[1]) @ ps[2].T + ps[3]
    torch.nn.MSELoss(reduction="sum")(a, Y).backward()
    stem = os.path.join(workdir, "bug_float32_slope")
    model = {"format": "matbp/1", "loss": "mse", "reduction": "sum", "inputs": X.tolist(), "targets": Y.tolist(),
             "layers": [{"weights": W1.tolist(), "bias": b1.tolist(),
                         "activation": {"name": "leaky_relu", "negative_slope": 0.01}},
                        {"weights": W2.tolist(), "bias": b2.tolist(), "activation": "identity"}]}
    mpath = write(stem + ".model.json", model)
    gpath = write(stem + ".gradients.json", {"layers": [{"weights": ps[0].grad.tolist(), "bias": ps[1].grad.tolist()},
                                                        {"weights": ps[2].grad.tolist(), "bias": ps[3].grad.tolist()}]})
    rc, rep = check_json(binary, mpath, gpath)
    check(binary, mpath, gpath)
    use = [t["bound_use"] for t in rep["tensors"]]
    return (rc == 1 and min(use[:2]) > 1000 and max(use[2:]) <= 1,
            "exit %d, bound use per tensor %s" % (rc, ", ".join("%.3g" % u for u in use)))


def run_case(binary, workdir, seed, mode):
    """mode: "pass" (PyTorch's gradients), "perturb" (one entry × (1 + 1e-6)), "kink_other"
    (the kink entry under the other convention), "catalog" (the exporter's table against the
    registries), "int_zero", "int_one", "int_outside" (small-integer nets, run_int_case).
    Returns (ok, verdict text)."""
    if mode.startswith("int_"):
        return run_int_case(binary, workdir, seed, mode)
    if mode.startswith("precision_") or mode == "bound_edge":
        return run_precision_case(binary, workdir, seed, mode)
    if mode == "near_kink":
        return run_near_kink_case(binary, workdir)
    if mode == "bug_float32_slope":
        return run_bug_case(binary, workdir)
    if mode == "catalog":
        out = os.path.join(workdir, "catalog.json")
        rc, text = run([binary, "catalog"])
        with open(out, "w") as f:
            f.write(text)
        problems = torch_export.check_catalog(out) if rc == 0 else ["matbp catalog: exit %d" % rc]
        for p in problems:
            print("   " + p)
        return not problems, "%d difference(s)" % len(problems)
    if mode == "kink_other":
        stem = os.path.join(workdir, "seed_%02d" % seed)
        model, grads = stem + ".model.json", stem + ".gradients.json"
        if not os.path.exists(grads):
            model, grads = export(seed, workdir, False)
        wrong = other_convention(grads, stem + ".kink_other.gradients.json")
        rc = check(binary, model, wrong)
        _, rep = check_json(binary, model, wrong)
        if rep["kink_rule"] == "enclosure":
            # Exact reference: f′(0) = 1 at the kink is admissible (C3), so it passes, and the
            # entries no longer all match the zero convention.
            ok = rc == 0 and rep["kink_match"] not in ("zero", None)
            return ok, "exit %d, kink_match %s (enclosure)" % (rc, rep["kink_match"])
        kinks, rows = kink_ulps(binary, model, wrong)
        caught = any(ulps > KINK_MAX_ULPS for _, _, ulps in rows)
        return caught, "exit %d, kink entry %s" % (rc, "off by > %d ULPs" % KINK_MAX_ULPS if caught
                                                   else "NOT told apart from PyTorch's convention")
    model, grads = export(seed, workdir, mode == "perturb")
    want = 1 if mode == "perturb" else 0
    rc = check(binary, model, grads)
    ok, verdict = rc == want, "exit %d" % rc
    if mode == "pass" and seed in KINKED:
        kinks, rows = kink_ulps(binary, model, grads)
        within = bool(rows) and all(ulps <= KINK_MAX_ULPS for _, _, ulps in rows)
        ok = ok and kinks >= 1 and within
        _, rep = check_json(binary, model, grads)
        if rep["kink_rule"] == "enclosure":
            ok = ok and rep["kink_match"] == "zero"
            verdict += ", kink_match %s" % rep["kink_match"]
        verdict += ", %d kink(s)%s" % (kinks, ", PyTorch's kink entries within %d ULPs" % KINK_MAX_ULPS
                                      if within else ", kink entries NOT within %d ULPs" % KINK_MAX_ULPS)
    return ok, verdict


HEADINGS = {
    "pass": "expect exit 0 (pass)",
    "perturb": "--perturb: expect exit 1 (fail)",
    "kink_other": "kink entry under f'(0) = 1: expect matbp to put it > %d ULPs off" % KINK_MAX_ULPS,
    "catalog": "the exporter's PyTorch mapping against `matbp catalog`",
    "int_zero": "small-integer kink net, PyTorch's own slopes: expect pass, named zero",
    "int_one": "small-integer kink net, relu'(0) = 1 etc.: expect pass, named one; --strict-kinks fails",
    "int_outside": "small-integer kink net, a kink entry outside its enclosure: expect fail",
    "precision_float64": "PyTorch float64: expect pass at --precision float64 (T3)",
    "precision_float32": "PyTorch float32: expect pass at --precision float32 (T3)",
    "precision_bfloat16": "emulated bfloat16: expect pass at bfloat16, fail at float32",
    "precision_float16": "emulated float16: expect pass at float16, fail at float32",
    "bound_edge": "PyTorch float32, one entry 1.5 B off its value: expect fail; 0.5 B: pass",
    "near_kink": "potential 2^-60 that float64 rounds to 0: expect pass, unit near a kink",
    "bug_float32_slope": "a float32 leaky-ReLU slope in a float64 backward: expect fail, bound use > 1000",
}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: run_peer.py MATBP_BINARY WORKDIR\n")
        return 2
    binary, workdir = os.path.abspath(argv[1]), argv[2]
    os.makedirs(workdir, exist_ok=True)
    print("PyTorch %s peer against %s" % (torch_export.torch.__version__, binary))

    cases = ([(0, "catalog")] + [(s, "pass") for s in sorted(PLAN)] + [(s, "perturb") for s in PERTURBED]
             + [(s, "kink_other") for s in KINKED]
             + [(s, m) for s in INT_KINK_SEEDS for m in ("int_zero", "int_one", "int_outside")]
             + [(s, m) for s in sorted(PRECISION_PLAN) for m in ("precision_float64", "precision_float32")]
             + [(s, m) for s in EMULATED_SEEDS for m in ("precision_bfloat16", "precision_float16")]
             + [(61, "bound_edge"), (0, "near_kink"), (0, "bug_float32_slope")])
    passed = failed = 0
    for seed, mode in cases:
        print("\n== seed %d %s" % (seed, HEADINGS[mode]))
        try:
            ok, verdict = run_case(binary, workdir, seed, mode)
        except Exception as e:  # an exporter error, a missing binary, a timeout: this case fails
            ok, verdict = False, "%s: %s" % (type(e).__name__, e)
        print("-> %s: %s" % ("ok" if ok else "FAILED", verdict))
        passed += ok
        failed += not ok

    print("\n%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
