#!/usr/bin/python3
"""torch_export.py — a random float64 PyTorch MLP, its batch, loss and PyTorch's gradients, as
matbp/1 model JSON and matbp-gradients/1 JSON: the independent peer for `matbp check` (C1, C2).

Model (D12, D14): torch.nn.Sequential of depth k ∈ 1…4, widths m_l ∈ 1…8, each nn.Linear
followed by one activation (D10): identity (no module), ReLU, LeakyReLU (slope 0.01 or random),
Hardtanh (−1, 1 or random ends), Softsign, Tanh, Sigmoid (matbp's "logistic"), Softplus (beta 1,
threshold 20). Batch n ∈ 1…8. Loss, reduction mean or sum:
  squared_error          0.5*((a-y)**2).sum(dim=1), then mean or sum over samples   (D9, D14)
  mse                    nn.MSELoss(reduction=...): Σ(a-y)² / (n·m_k) or Σ(a-y)²
  huber                  nn.HuberLoss(reduction=..., delta=1 or random)
  l1                     nn.L1Loss(reduction=...)
  softmax_cross_entropy  nn.CrossEntropyLoss(reduction=...) on the logits, targets rows of a
                         softmax (probability vectors), last layer identity, m_k ≥ 2      (C2)

Numbers are written with repr(float) (Python's json does so), the shortest text that reads back
as the same double, so each JSON number denotes exactly the float64 PyTorch used (model.hpp).

Besides "layers", the gradients file carries keys `matbp check` ignores: "cost" (PyTorch's C),
"perturbed" (with --perturb: the entry changed) and "kink" (with --kink: where the forced kink
is, PyTorch's f′(0) there and ∂C/∂a¹ of that entry, enough to rebuild ∂C/∂b¹ under another
convention).

After writing, the files are read back, the torch model is rebuilt from the model JSON and its
gradients recomputed; they must equal the written ones bit for bit (with --perturb: everywhere
but the one perturbed entry). A mismatch is exit 4.

Usage:
  /usr/bin/python3 torch_export.py --seed 7 --model m.json --gradients g.json \
      [--activations relu,tanh,... | --layers relu,tanh,identity] [--loss mse] [--reduction sum]
      [--kink] [--perturb]
Exit: 0 written; 2 usage; 3 the seed cannot honour the request (a softplus input above the
threshold 20, nothing to perturb); 4 round-trip mismatch; 5 --check-catalog found a difference.
"""

import argparse
import json
from fractions import Fraction
import math
import random
import sys

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - environment check
    sys.stderr.write(
        "torch_export.py: cannot import torch (%s).\n"
        "PyTorch is the Debian package python3-torch: apt-get install -y python3-torch, and run "
        "with /usr/bin/python3.\n" % e)
    sys.exit(1)

# matbp activation ↦ (torch.nn module, {matbp parameter: torch argument}); loss likewise. These
# must agree with the registries' PyTorch counterparts: `--check-catalog FILE` compares them with
# `matbp catalog` (run_peer.py does, so a registry change that the exporter misses fails CTest).
TORCH_ACTIVATIONS = {
    "identity": ("Identity", {}),
    "relu": ("ReLU", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": "negative_slope"}),
    "hardtanh": ("Hardtanh", {"min_val": "min_val", "max_val": "max_val"}),
    "softsign": ("Softsign", {}),
    "tanh": ("Tanh", {}),
    "logistic": ("Sigmoid", {}),
}
# softplus has no registry counterpart: nn.Softplus returns x above its threshold 20, so it equals
# matbp's softplus only below it; activation_module builds it apart and export() refuses a seed
# whose softplus inputs reach the threshold (exit 3).
TORCH_LOSSES = {
    "mse": ("MSELoss", {}),
    "huber": ("HuberLoss", {"delta": "delta"}),
    "l1": ("L1Loss", {}),
    "softmax_cross_entropy": ("CrossEntropyLoss", {}),
}
DEFAULTS = {"leaky_relu": {"negative_slope": 0.01}, "hardtanh": {"min_val": -1.0, "max_val": 1.0},
            "huber": {"delta": 1.0}}
ACTIVATIONS = ("identity", "relu", "leaky_relu", "hardtanh", "softsign", "tanh", "logistic", "softplus")
ALIASES = {"sigmoid": "logistic", "leaky": "leaky_relu"}
LOSSES = ("squared_error", "mse", "huber", "l1", "softmax_cross_entropy")
REDUCTIONS = ("mean", "sum")

SOFTPLUS_THRESHOLD = 20.0  # nn.Softplus default: returns x when beta·x > threshold
PERTURB_FACTOR = 1.0 + 1e-6


class Unsatisfiable(Exception):
    """The seed's model cannot honour the request (exit 3)."""


# ---------------------------------------------------------------------------------------------
# Activations: matbp/1 spec <-> torch module

def member_json(name, params):
    """A matbp/1 activation or loss: its name, or {"name": …, parameters} (every one written)."""
    return dict(name=name, **params) if params else name


def member_from_json(spec):
    """(name, parameters with defaults filled in) of a matbp/1 activation or loss."""
    if isinstance(spec, str):
        name, given = ALIASES.get(spec, spec), {}
    else:
        name, given = ALIASES.get(spec["name"], spec["name"]), {k: v for k, v in spec.items() if k != "name"}
    return name, dict(DEFAULTS.get(name, {}), **{k: float(v) for k, v in given.items()})


def activation_module(name, params):
    """The torch module for a D10 activation, or None for identity."""
    if name == "identity":
        return None
    if name == "softplus":
        return nn.Softplus(beta=1, threshold=SOFTPLUS_THRESHOLD)
    module, names = TORCH_ACTIVATIONS[name]
    return getattr(nn, module)(**{names[k]: v for k, v in params.items()})


def check_catalog(path):
    """Differences between the tables above and `matbp catalog` (a list of sentences)."""
    with open(path) as f:
        cat = json.load(f)
    problems = []
    for kind, table in (("activations", TORCH_ACTIVATIONS), ("losses", TORCH_LOSSES)):
        for e in cat[kind]:
            if e["torch"] is None:
                if e["name"] in table:
                    problems.append("%s: the exporter maps it, the catalog has no PyTorch counterpart" % e["name"])
                continue
            if e["name"] not in table:
                problems.append("%s: %s in the catalog, not in the exporter" % (e["name"], e["torch"]))
                continue
            module, names = table[e["name"]]
            if e["torch"] != "torch.nn." + module:
                problems.append("%s: catalog %s, exporter torch.nn.%s" % (e["name"], e["torch"], module))
            want = {p["name"]: p["torch_name"] for p in e["parameters"]}
            if want != names:
                problems.append("%s: catalog parameters %s, exporter %s" % (e["name"], want, names))
            defaults = {p["name"]: float(Fraction(p["default"])) for p in e["parameters"] if p["default"] is not None}
            if defaults != DEFAULTS.get(e["name"], {}):
                problems.append("%s: catalog defaults %s, exporter %s" % (e["name"], defaults, DEFAULTS.get(e["name"], {})))
    return problems



# ---------------------------------------------------------------------------------------------
# The network and its loss

def build_sequential(layers):
    """layers: list of (W, b, name, params) with W, b float64 tensors -> (Sequential, linears)."""
    modules, linears = [], []
    for W, b, name, params in layers:
        lin = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        modules.append(lin)
        linears.append(lin)
        act = activation_module(name, params)
        if act is not None:
            modules.append(act)
    return nn.Sequential(*modules), linears


def loss_value(loss, reduction, a, y):
    loss, params = loss if isinstance(loss, tuple) else (loss, {})
    if loss == "squared_error":
        per_sample = 0.5 * ((a - y) ** 2).sum(dim=1)
        return per_sample.mean() if reduction == "mean" else per_sample.sum()
    if loss in ("mse", "huber", "l1"):
        module, names = TORCH_LOSSES[loss]
        return getattr(nn, module)(reduction=reduction, **{names[k]: v for k, v in params.items()})(a, y)
    if loss == "softmax_cross_entropy":
        # Probability targets (same shape as the logits): −Σ_j y_j log softmax(a)_j per sample.
        return nn.CrossEntropyLoss(reduction=reduction)(a, y)
    raise ValueError("unknown loss %r" % loss)


def gradients(layers, loss, reduction, X, Y):
    """PyTorch's (∂C/∂W, ∂C/∂b) per layer, the cost, the softplus potentials seen on the way,
    and ∂C/∂A¹ (n × m₁, the gradient arriving at layer 1's activation output; None when layer 1
    is identity)."""
    net, linears = build_sequential(layers)
    softplus_inputs, dC_dA1 = [], []
    for m in net:
        if isinstance(m, nn.Softplus):
            m.register_forward_hook(lambda mod, inp, out: softplus_inputs.append(inp[0].detach()))
    def keep_dC_dA1(mod, inp, out):
        out.register_hook(lambda g: dC_dA1.append(g.detach().clone()))  # a hook's result replaces out

    if len(net) > 1 and not isinstance(net[1], nn.Linear):
        net[1].register_forward_hook(keep_dC_dA1)
    net.zero_grad()
    C = loss_value(loss, reduction, net(X), Y)
    C.backward()
    grads = [(lin.weight.grad.detach().clone(), lin.bias.grad.detach().clone()) for lin in linears]
    return grads, float(C), softplus_inputs, (dC_dA1[0] if dC_dA1 else None)


# ---------------------------------------------------------------------------------------------
# Random model

def random_model(seed, pool, loss, reduction, kink, layers=None):
    """Deterministic for its arguments: structure from random.Random(seed), tensors from
    torch.manual_seed(seed) (nn.Linear's default init, inputs and targets N(0, 1)). `layers`,
    if given, fixes the activation of every layer (and so the depth) instead of drawing from
    `pool`."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    if loss is None:
        loss = rng.choice(LOSSES)
    if reduction is None:
        reduction = rng.choice(REDUCTIONS)
    depth = len(layers) if layers else rng.randint(1, 4)
    widths = [rng.randint(1, 8) for _ in range(depth + 1)]
    if loss == "softmax_cross_entropy":
        widths[-1] = max(widths[-1], 2)  # one class: softmax ≡ 1, every gradient exactly 0
    n = rng.randint(1, 8)

    names = list(layers) if layers else [rng.choice(pool) for _ in range(depth)]
    if loss == "softmax_cross_entropy":
        names[-1] = "identity"  # the logits are the last layer's potentials (C2)
    if kink and not layers:
        # A potential exactly 0 at a kink (D11): layer 1 ReLU or leaky ReLU, sample 0 the zero
        # input, unit 0 bias 0, so z¹₀ = W¹·0 + 0 = 0 in floating point, exactly.
        kinked = [a for a in pool if a in ("relu", "leaky_relu")] or ["relu"]
        names[0] = rng.choice(kinked)
    slopes = []  # each layer's activation parameters
    for name in names:
        params = {}
        if name == "leaky_relu":
            params = {"negative_slope": 0.01 if rng.random() < 0.5 else rng.uniform(0.001, 0.5)}
        elif name == "hardtanh":
            lo = -1.0 if rng.random() < 0.5 else rng.uniform(-2, 0.5)
            params = {"min_val": lo, "max_val": 1.0 if lo < 1 and rng.random() < 0.5 else lo + rng.uniform(0.25, 2)}
        slopes.append(params)

    layers = []
    for l in range(depth):
        lin = nn.Linear(widths[l], widths[l + 1])  # default init U(±1/√m_{l−1}), float64
        W = lin.weight.detach().clone()
        b = lin.bias.detach().clone()
        layers.append([W, b, names[l], slopes[l]])
    X = torch.randn(n, widths[0])
    if loss == "softmax_cross_entropy":
        Y = torch.softmax(2.0 * torch.randn(n, widths[-1]), dim=1)
    else:
        Y = torch.randn(n, widths[-1])
    if kink:
        X[0].zero_()
        layers[0][1][0] = 0.0
    loss_params = {}
    if loss == "huber":
        loss_params = {"delta": 1.0 if rng.random() < 0.5 else rng.uniform(0.05, 2)}
    return dict(layers=[tuple(L) for L in layers], loss=(loss, loss_params), reduction=reduction, X=X, Y=Y)


# ---------------------------------------------------------------------------------------------
# JSON

def num(x):
    x = float(x)
    if not math.isfinite(x):
        raise Unsatisfiable("non-finite value %r" % x)
    return json.dumps(x)  # float.__repr__: the shortest round-trip text


def vec(v):
    return "[" + ", ".join(num(x) for x in v) + "]"


def mat(M, indent):
    rows = [vec(r) for r in M]
    return "[" + (",\n" + indent + " ").join(rows) + "]"


def model_text(m):
    out = ['{\n  "format": "matbp/1",\n  "comment": %s,\n  "layers": [' % json.dumps(m["comment"])]
    for l, (W, b, name, params) in enumerate(m["layers"]):
        out.append('    {"weights": %s,\n     "bias": %s,\n     "activation": %s}%s' % (
            mat(W.tolist(), "                 "), vec(b.tolist()),
            json.dumps(member_json(name, params)), "," if l + 1 < len(m["layers"]) else ""))
    out.append('  ],\n  "loss": %s,\n  "reduction": %s,' % (json.dumps(member_json(*m["loss"])), json.dumps(m["reduction"])))
    out.append('  "inputs": %s,' % mat(m["X"].tolist(), "             "))
    out.append('  "targets": %s\n}\n' % mat(m["Y"].tolist(), "              "))
    return "\n".join(out)


def gradients_text(grads, extra):
    out = ['{\n  "format": "matbp-gradients/1",\n  "source": %s,' % json.dumps("pytorch " + torch.__version__)]
    for k, v in extra.items():
        out.append('  %s: %s,' % (json.dumps(k), json.dumps(v)))
    out.append('  "layers": [')
    for l, (gW, gb) in enumerate(grads):
        out.append('    {"weights": %s,\n     "bias": %s}%s' % (
            mat(gW, "                 "), vec(gb), "," if l + 1 < len(grads) else ""))
    out.append('  ]\n}\n')
    return "\n".join(out)


def read_model(path):
    with open(path) as f:
        j = json.load(f)  # Python's float() rounds correctly: the same doubles back
    assert j["format"] == "matbp/1"
    layers = []
    for L in j["layers"]:
        name, params = member_from_json(L["activation"])
        layers.append((torch.tensor(L["weights"], dtype=torch.float64),
                       torch.tensor(L["bias"], dtype=torch.float64), name, params))
    return dict(layers=layers, loss=member_from_json(j.get("loss", "squared_error")),
                reduction=j.get("reduction", "mean"),
                X=torch.tensor(j["inputs"], dtype=torch.float64),
                Y=torch.tensor(j["targets"], dtype=torch.float64))


# ---------------------------------------------------------------------------------------------

def perturb(grads, seed):
    """Multiply one entry with |g| > 1e-3 by (1 + 1e-6). The entry must also carry ≥ 1/100 of
    its tensor's 2-norm, so the normwise relative error it causes is ≥ 1e-8, far above
    `matbp check`'s default 1e-10 (the largest entry of a tensor of ≤ 72 entries carries ≥ 1/9)."""
    candidates = []
    for l, (gW, gb) in enumerate(grads):
        for which, T in (("weights", gW), ("bias", gb)):
            norm = math.sqrt(sum(x * x for x in flat(T)))
            for idx, x in indexed(T):
                if abs(x) > 1e-3 and abs(x) >= 1e-2 * norm:
                    candidates.append((l, which, idx))
    if not candidates:
        raise Unsatisfiable("no gradient entry with |g| > 1e-3 to perturb")
    l, which, idx = random.Random("perturb-%d" % seed).choice(candidates)
    T = grads[l][0 if which == "weights" else 1]
    if which == "weights":
        T[idx[0]][idx[1]] *= PERTURB_FACTOR
    else:
        T[idx[0]] *= PERTURB_FACTOR
    return {"layer": l + 1, "tensor": which, "index": list(idx)}


def flat(T):
    return [x for r in T for x in r] if T and isinstance(T[0], list) else list(T)


def indexed(T):
    if T and isinstance(T[0], list):
        return [((i, j), x) for i, r in enumerate(T) for j, x in enumerate(r)]
    return [((i,), x) for i, x in enumerate(T)]


def round_trip(model_path, grads_path, perturbed):
    """Rebuild the model from its JSON, recompute, and compare with the written gradients bit
    for bit. Returns a list of mismatch descriptions (expected: none, or exactly the perturbed
    entry)."""
    m = read_model(model_path)
    grads, _, _, _ = gradients(m["layers"], m["loss"], m["reduction"], m["X"], m["Y"])
    with open(grads_path) as f:
        written = json.load(f)["layers"]
    diffs = []
    if len(written) != len(grads):
        return ["layer count %d != %d" % (len(written), len(grads))]
    for l, ((gW, gb), w) in enumerate(zip(grads, written)):
        for which, T, WT in (("weights", gW.tolist(), w["weights"]), ("bias", gb.tolist(), w["bias"])):
            a, b = indexed(T), indexed(WT)
            if [i for i, _ in a] != [i for i, _ in b]:
                diffs.append("layer %d %s: shape" % (l + 1, which))
                continue
            for (idx, x), (_, y) in zip(a, b):
                if x != y or math.copysign(1, x) != math.copysign(1, y):
                    diffs.append({"layer": l + 1, "tensor": which, "index": list(idx)})
    if perturbed is not None:
        return [] if diffs == [perturbed] else ["expected exactly the perturbed entry %r to differ, got %r" % (perturbed, diffs)]
    return diffs


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--model", required=True, help="output: the matbp/1 model")
    p.add_argument("--gradients", required=True, help="output: PyTorch's gradients")
    p.add_argument("--check-catalog", metavar="FILE",
                   help="first compare this exporter's PyTorch mapping with `matbp catalog` output; exit 5 on a difference")
    p.add_argument("--activations", help="comma-separated pool (default: all): " + ",".join(ACTIVATIONS))
    p.add_argument("--layers", help="comma-separated activation of each layer, first to last "
                   "(fixes the depth; overrides --activations)")
    p.add_argument("--loss", choices=LOSSES, help="default: drawn from the seed")
    p.add_argument("--reduction", choices=REDUCTIONS, help="default: drawn from the seed")
    p.add_argument("--kink", action="store_true",
                   help="force a ReLU/leaky ReLU potential exactly 0 (layer 1, sample 0, unit 0)")
    p.add_argument("--safetensors", action="store_true",
                   help="also write MODEL.safetensors and GRADIENTS.safetensors (F64 tensors, "
                        "the architecture in __metadata__.matbp)")
    p.add_argument("--perturb", action="store_true",
                   help="multiply one gradient entry (|g| > 1e-3) by 1 + 1e-6: a wrong gradient")
    a = p.parse_args(argv)
    if a.activations:
        pool = [ALIASES.get(s.strip(), s.strip()) for s in a.activations.split(",") if s.strip()]
        bad = [s for s in pool if s not in ACTIVATIONS]
        if bad or not pool:
            p.error("unknown activation(s) %s; known: %s" % (bad, ", ".join(ACTIVATIONS)))
        a.pool = pool
    else:
        a.pool = list(ACTIVATIONS)
    a.layer_list = None
    if a.layers:
        a.layer_list = [ALIASES.get(s.strip(), s.strip()) for s in a.layers.split(",")]
        bad = [s for s in a.layer_list if s not in ACTIVATIONS]
        if bad or not 1 <= len(a.layer_list) <= 4:
            p.error("--layers: 1 to 4 of %s; got %s" % (", ".join(ACTIVATIONS), a.layers))
        if a.kink and a.layer_list[0] not in ("relu", "leaky_relu"):
            p.error("--kink needs layer 1 to be relu or leaky_relu")
        if a.loss == "softmax_cross_entropy" and a.layer_list[-1] != "identity":
            p.error("softmax_cross_entropy needs the last layer identity (the logits)")
    return a


def reproduce(a):
    """The exporter options that determine this model."""
    opts = ["--seed %d" % a.seed]
    if a.layer_list:
        opts.append("--layers " + ",".join(a.layer_list))
    elif a.activations:
        opts.append("--activations " + ",".join(a.pool))
    opts += ["--loss " + a.loss] if a.loss else []
    opts += ["--reduction " + a.reduction] if a.reduction else []
    opts += ["--kink"] if a.kink else []
    return " ".join(opts)


def export(a):
    """Write the two files; returns a one-line description of the model."""
    torch.set_default_dtype(torch.float64)
    m = random_model(a.seed, a.pool, a.loss, a.reduction, a.kink, a.layer_list)
    grads_t, cost, sp_inputs, dC_dA1 = gradients(m["layers"], m["loss"], m["reduction"], m["X"], m["Y"])
    # nn.Softplus returns x itself where x > 20 (derivative 1, not the logistic): keep clear of it.
    for z in sp_inputs:
        if z.numel() and float(z.max()) > SOFTPLUS_THRESHOLD:
            raise Unsatisfiable("a softplus input %.17g exceeds PyTorch's threshold %g"
                                % (float(z.max()), SOFTPLUS_THRESHOLD))
    widths = [m["layers"][0][0].shape[1]] + [W.shape[0] for W, _, _, _ in m["layers"]]
    def show(name, params):
        return name + ("(%s)" % ", ".join("%r" % v for v in params.values()) if params else "")
    acts = [show(name, params) for _, _, name, params in m["layers"]]
    desc = "widths %s, n %d, %s, %s %s" % ("-".join(map(str, widths)), m["X"].shape[0],
                                            ",".join(acts), show(*m["loss"]), m["reduction"])
    m["comment"] = "torch_export.py %s: PyTorch %s float64 model; %s; C = %r" % (
        reproduce(a), torch.__version__, desc, cost)

    grads = [(gW.tolist(), gb.tolist()) for gW, gb in grads_t]
    extra = {"cost": cost}
    if a.kink:
        # The forced kink z¹₀ (sample 0, unit 0) = 0. PyTorch, like matbp (D11), takes f′(0) = 0
        # for ReLU and the slope s for leaky ReLU; with f′(0) = 1 instead, ∂C/∂b¹₀ would gain
        # (1 − f′(0))·∂C/∂a¹₀ (sample 0). Recorded so a harness can build that other-convention
        # gradient (matbp check ignores this key).
        _, _, name, params = m["layers"][0]
        fprime0 = 0.0 if name == "relu" else params["negative_slope"]
        extra["kink"] = {"layer": 1, "sample": 0, "unit": 0, "activation": name,
                         "derivative_at_0": fprime0, "dC_da": float(dC_dA1[0, 0])}
    perturbed = None
    if a.perturb:
        perturbed = perturb(grads, a.seed)
        extra["perturbed"] = perturbed

    with open(a.model, "w") as f:
        f.write(model_text(m))
    with open(a.gradients, "w") as f:
        f.write(gradients_text(grads, extra))

    if a.safetensors:
        # The same model and gradients as safetensors (F64: the same doubles), next to the JSON.
        import safetensors_io
        layers = [(W.numpy(), b.numpy(), member_json(name, params)) for W, b, name, params in m["layers"]]
        tensors, doc = safetensors_io.model_tensors(layers, m["X"].numpy(), m["Y"].numpy())
        doc.update({"loss": member_json(*m["loss"]), "reduction": m["reduction"], "comment": m["comment"]})
        safetensors_io.write(a.model + ".safetensors", tensors, {"matbp": json.dumps(doc)})
        safetensors_io.write(a.gradients + ".safetensors", safetensors_io.gradient_tensors(grads))

    diffs = round_trip(a.model, a.gradients, perturbed)
    if diffs:
        raise AssertionError("round trip: %s" % diffs)
    return desc + (" (perturbed %s)" % json.dumps(perturbed) if perturbed else "")


def main(argv=None):
    a = parse_args(argv)
    if a.check_catalog:
        problems = check_catalog(a.check_catalog)
        for p in problems:
            sys.stderr.write("torch_export.py: catalog: %s\n" % p)
        if problems:
            return 5
    try:
        desc = export(a)
    except Unsatisfiable as e:
        sys.stderr.write("torch_export.py: seed %d: %s\n" % (a.seed, e))
        return 3
    except AssertionError as e:
        sys.stderr.write("torch_export.py: seed %d: %s\n" % (a.seed, e))
        return 4
    print("seed %d: %s" % (a.seed, desc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
