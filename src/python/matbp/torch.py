"""matbp.torch — PyTorch modules as matbp models, and checks of their gradients.

Supported (anything else raises matbp.UnsupportedModule naming the module's path, before any
computation; only these exact types, not subclasses, which may compute something else):

  containers   nn.Sequential, nested too (paths as in state_dict: "1.0")
  layers       nn.Linear, with or without bias (no bias: its gradient is not reported)
  activations  the activation registry's PyTorch counterparts (matbp.catalog(): nn.ReLU,
               nn.LeakyReLU, nn.Hardtanh, nn.Softsign, nn.Tanh, nn.Sigmoid, nn.Identity), and
               nn.Softplus with beta = 1 whose every input is at most its threshold (PyTorch
               returns x above it, not log(1 + e^x): such a batch is refused)
  nn.Flatten   first in the module (before any layer or activation), start_dim 1, end_dim -1
  losses       nn.MSELoss, nn.HuberLoss(delta), nn.L1Loss, nn.CrossEntropyLoss, reduction mean
               or sum, and the functional forms F.mse_loss, F.huber_loss, F.l1_loss,
               F.cross_entropy (their defaults). CrossEntropyLoss: targets are probability rows
               (float, the output's shape) or class indices (integers, shape (n,), turned into
               one-hot rows: the same function); weight, ignore_index ≠ -100 and
               label_smoothing ≠ 0 are refused.

The theorem's layer is Linear-then-activation: a Linear followed by another Linear (or by
nothing) gets the identity activation, and an activation not preceded by a Linear (first, or
after another activation) gets an inserted identity Linear (weights I, bias 0) whose gradient is
not reported.

float64 and float32 modules (every parameter, the inputs and float targets of one dtype); a
float32 module's numbers are widened exactly, its activation and loss parameters are taken as
PyTorch's float32 kernels use them (rounded to float32), and it is checked at float32 precision.
"""

import copy as _copy

import numpy as _np
import torch as _torch
from torch import nn as _nn
import torch.nn.functional as _F

import matbp as _matbp

__all__ = ["check", "model_from_torch", "torch_gradients"]

_ACT_BY_TORCH = None
_LOSS_BY_TORCH = None


def _registry():
    """{torch class name: catalog entry} for the activations and losses, from matbp.catalog()."""
    global _ACT_BY_TORCH, _LOSS_BY_TORCH
    if _ACT_BY_TORCH is None:
        cat = _matbp.catalog()
        _ACT_BY_TORCH = {e["torch"]: e for e in cat["activations"] if e["torch"]}
        _LOSS_BY_TORCH = {e["torch"]: e for e in cat["losses"] if e["torch"]}
    return _ACT_BY_TORCH, _LOSS_BY_TORCH


def _refuse(path, what):
    raise _matbp.UnsupportedModule("%s: %s" % (path, what))


def _leaves(module, path):
    """(path, module) of every module a Sequential applies, in order, nested Sequentials flattened."""
    if type(module) is _nn.Sequential:
        for name, child in module._modules.items():  # named_children() would skip a repeated module
            yield from _leaves(child, name if not path else path + "." + name)
    else:
        yield (path, module)


def _dtype_of(module, inputs):
    dtypes = {p.dtype for p in module.parameters()}
    if len(dtypes) > 1:
        _refuse("module", "parameters of several dtypes %s are not supported" % sorted(map(str, dtypes)))
    dtype = dtypes.pop() if dtypes else inputs.dtype
    if dtype not in (_torch.float64, _torch.float32):
        _refuse("module", "dtype %s is not supported (float64 or float32)" % dtype)
    return dtype


def _float_param(value, dtype):
    """A module's scalar parameter as the kernel of that dtype uses it: the double, or for
    float32 the double rounded to float32 (exact in float64)."""
    v = float(value)
    return float(_np.float32(v)) if dtype == _torch.float32 else v


def _buffer(t, dtype, what):
    if not isinstance(t, _torch.Tensor):
        raise _matbp.InputError("%s: expected a torch.Tensor, got %s" % (what, type(t).__name__))
    if t.dtype != dtype:
        raise _matbp.InputError("%s: dtype %s, the module's is %s" % (what, t.dtype, dtype))
    return t.detach().cpu().to(_torch.float64).contiguous().numpy()


def _loss_of(loss_fn, path="loss"):
    """(matbp loss name, {param: value}, reduction, is_cross_entropy)."""
    _, losses = _registry()
    functional = {_F.mse_loss: "torch.nn.MSELoss", _F.huber_loss: "torch.nn.HuberLoss",
                  _F.l1_loss: "torch.nn.L1Loss", _F.cross_entropy: "torch.nn.CrossEntropyLoss"}
    if loss_fn in functional:
        entry = losses[functional[loss_fn]]
        return entry["name"], {}, "mean", None
    key = "torch.nn." + type(loss_fn).__name__
    if not isinstance(loss_fn, _nn.Module) or key not in losses or type(loss_fn) is not getattr(_nn, type(loss_fn).__name__, None):
        _refuse(path, "%s is not supported (losses: %s, or their functional forms)"
                % (type(loss_fn).__name__, ", ".join(k.split(".")[-1] for k in losses)))
    if loss_fn._forward_hooks or loss_fn._forward_pre_hooks:
        _refuse(path, "%s has forward hooks, which may change what it computes" % type(loss_fn).__name__)
    entry = losses[key]
    if loss_fn.reduction not in ("mean", "sum"):
        _refuse(path, "%s(reduction=%r) is not supported (mean or sum)" % (type(loss_fn).__name__, loss_fn.reduction))
    if isinstance(loss_fn, _nn.CrossEntropyLoss):
        if loss_fn.weight is not None:
            _refuse(path, "CrossEntropyLoss with weight is not supported")
        if loss_fn.ignore_index != -100:
            _refuse(path, "CrossEntropyLoss with ignore_index=%d is not supported" % loss_fn.ignore_index)
        if loss_fn.label_smoothing != 0.0:
            _refuse(path, "CrossEntropyLoss with label_smoothing=%r is not supported" % loss_fn.label_smoothing)
    params = {p["name"]: getattr(loss_fn, p["torch_name"]) for p in entry["parameters"]}
    return entry["name"], params, loss_fn.reduction, None


def _layers_of(module, width0, dtype):
    """The matbp layers of a module: [(W, b, activation, {param}, (wname, bname), act path)] and
    whether a Flatten comes first. Raises UnsupportedModule before anything is computed."""
    acts, _ = _registry()
    if isinstance(module, _nn.Module) and type(module) is not _nn.Sequential and not isinstance(module, _nn.Linear):
        _refuse(type(module).__name__, "only nn.Sequential (or a single nn.Linear) is supported")
    leaves = list(_leaves(module, ""))
    if module._forward_hooks or module._forward_pre_hooks:
        _refuse("module", "forward hooks may change what it computes: not supported")
    layers, open_layer, flatten, seen = [], None, False, {}
    width = width0
    for i, (path, m) in enumerate(leaves):
        name = path or type(m).__name__
        kind = type(m).__name__
        if m._forward_hooks or m._forward_pre_hooks:
            _refuse(name, "%s has forward hooks, which may change what it computes" % kind)
        if type(m) is _nn.Identity:
            continue
        if type(m) is _nn.Flatten:
            if layers or open_layer is not None or any(type(x) is not _nn.Flatten and type(x) is not _nn.Identity for _, x in leaves[:i]):
                _refuse(name, "Flatten is supported only first in the module")
            if m.start_dim != 1 or m.end_dim != -1:
                _refuse(name, "Flatten(start_dim=%d, end_dim=%d) is not supported (1, -1)" % (m.start_dim, m.end_dim))
            flatten = True
            continue
        if type(m) is _nn.Linear:
            for p in m.parameters():
                if id(p) in seen:
                    _refuse(name, "Linear shares a parameter with %s (a module used twice): not supported" % seen[id(p)])
                seen[id(p)] = name
            if m.in_features != width:
                raise _matbp.InputError("%s: Linear(in_features=%d) gets %d values" % (name, m.in_features, width))
            if open_layer is not None:
                layers.append(open_layer + ("identity", {}, None))
            prefix = path + "." if path else ""
            W = m.weight.detach().cpu().to(_torch.float64).numpy()
            if m.bias is not None:
                b, bname = m.bias.detach().cpu().to(_torch.float64).numpy(), prefix + "bias"
            else:
                b, bname = _np.zeros(m.out_features), None
            open_layer = (W, b, (prefix + "weight", bname))
            width = m.out_features
            continue
        if type(m) is _nn.Softplus:
            if m.beta != 1:
                _refuse(name, "Softplus(beta=%r) is not supported (beta 1 only)" % m.beta)
            act, params = "softplus", {}
        else:
            entry = acts.get("torch.nn." + kind)
            if entry is None or type(m) is not getattr(_nn, kind, None):
                _refuse(name, "%s is not supported" % kind)
            act = entry["name"]
            params = {p["name"]: _float_param(getattr(m, p["torch_name"]), dtype) for p in entry["parameters"]}
        if open_layer is None:
            # An activation not after a Linear: an identity Linear before it (not a parameter).
            open_layer = (_np.eye(width), _np.zeros(width), (None, None))
        layers.append(open_layer + (act, params, name))
        open_layer = None
    if open_layer is not None:
        layers.append(open_layer + ("identity", {}, None))
    if not any(names != (None, None) for _, _, names, _, _, _ in layers):
        _refuse("module", "no nn.Linear: nothing to check")
    return leaves, layers, flatten


def _softplus_inputs_ok(leaves, x):
    """Runs the module's leaves on x (a copy, no grad) and refuses a Softplus whose input
    exceeds its threshold anywhere (PyTorch returns x there, not log(1 + e^x))."""
    with _torch.no_grad():
        x = x.detach().clone()
        for path, m in leaves:
            if type(m) is _nn.Softplus:
                over = (x * m.beta) > m.threshold
                if bool(over.any()):
                    idx = tuple(int(i) for i in over.nonzero()[0])
                    _refuse(path, "Softplus input %r at %s exceeds its threshold %r, where PyTorch returns x, not "
                            "log(1 + e^x): not supported (raise the threshold)" % (float(x[idx]), list(idx), m.threshold))
            x = m(x)


def model_from_torch(cls, module, inputs, targets, loss_fn):
    """matbp.Model.from_torch (see the module docstring)."""
    if not isinstance(module, _nn.Module):
        raise TypeError("expected a torch.nn.Module, got %s" % type(module).__name__)
    if not isinstance(inputs, _torch.Tensor):
        raise _matbp.InputError("inputs: expected a torch.Tensor, got %s" % type(inputs).__name__)
    dtype = _dtype_of(module, inputs)
    loss, loss_params, reduction, _ = _loss_of(loss_fn)
    if inputs.dim() < 2:
        raise _matbp.InputError("inputs: shape %s; expected a batch (n, features)" % tuple(inputs.shape))
    leaves = list(_leaves(module, ""))
    has_flatten = any(type(m) is _nn.Flatten for _, m in leaves)
    width0 = int(_np.prod(inputs.shape[1:])) if has_flatten else inputs.shape[-1]
    if inputs.dim() > 2 and not has_flatten:
        raise _matbp.InputError("inputs: shape %s; expected (n, features), or an nn.Flatten first" % (tuple(inputs.shape),))
    leaves, layers, flatten = _layers_of(module, width0, dtype)
    loss_params = {k: _float_param(v, dtype) for k, v in loss_params.items()}
    X = _buffer(inputs, dtype, "inputs").reshape(inputs.shape[0], -1)
    n, width = X.shape[0], layers[-1][0].shape[0]
    if not isinstance(targets, _torch.Tensor):
        raise _matbp.InputError("targets: expected a torch.Tensor, got %s" % type(targets).__name__)
    if loss == "softmax_cross_entropy" and not targets.dtype.is_floating_point:
        if tuple(targets.shape) != (n,):
            raise _matbp.InputError("targets: class indices of shape %s; expected (%d,)" % (tuple(targets.shape), n))
        t = targets.detach().cpu().long()
        bad = ((t < 0) | (t >= width)).nonzero()
        if len(bad):
            i = int(bad[0][0])
            raise _matbp.InputError("targets[%d]: %d is not a class in 0..%d" % (i, int(t[i]), width - 1))
        Y = _np.zeros((n, width))
        Y[_np.arange(n), t.numpy()] = 1.0
    else:
        Y = _buffer(targets, dtype, "targets")
        if Y.shape != (n, width):
            raise _matbp.InputError("targets: shape %s; the module's output is (%d, %d)" % (Y.shape, n, width))
    if any(type(m) is _nn.Softplus for _, m in leaves):
        _softplus_inputs_ok(leaves, inputs)
    spec = _matbp._core.build_model([(W, b, act, params) for W, b, _, act, params, _ in layers],
                                    loss, loss_params, reduction, X, Y)
    model = cls(spec, [names for _, _, names, _, _, _ in layers],
                precision="float32" if dtype == _torch.float32 else "float64",
                kink_modules=[p for *_, p in layers], source="torch")
    model._loss_module = "loss"
    # The reported tensors must be the module's parameters(), in order.
    want = [n for n, _ in module.named_parameters()]
    if model.names != want:
        raise _matbp.InternalError("parameter order %s differs from named_parameters() %s" % (model.names, want))
    return model


def torch_gradients(module, inputs, targets, loss_fn):
    """PyTorch's own gradients of loss_fn(module(inputs), targets), computed on a deep copy: the
    caller's parameters and .grad fields are left as they were. {state_dict name: grad or None}."""
    twin = _copy.deepcopy(module)
    for p in twin.parameters():
        p.grad = None
    x = inputs.detach().clone()
    loss = loss_fn(twin(x), targets.detach().clone())
    loss.backward()
    return {n: (None if p.grad is None else p.grad.detach().clone()) for n, p in twin.named_parameters()}


def check(module, inputs, targets, loss_fn, gradients=None, precision=None, **options):
    """Check gradients of loss_fn(module(inputs), targets) against matbp's reference; a
    matbp.Report. gradients None: PyTorch's own backward on a copy (torch_gradients; a parameter
    without requires_grad is not judged); else a sequence in module.parameters() order or a dict
    keyed like module.state_dict(). precision: a D17 name ("float64", "float32", "bfloat16",
    "float16", "tf32"), default the module's dtype. options: arith, verdict, max_rel, max_ulps,
    strict_kinks, max_bits, time_limit, threads (matbp.check)."""
    model = _matbp.Model.from_torch(module, inputs, targets, loss_fn)
    if gradients is None:
        gradients = torch_gradients(module, inputs, targets, loss_fn)
    return _matbp.check(model, gradients, precision=precision, **options)
