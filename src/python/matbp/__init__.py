"""matbp — exact (or certified) reference gradients of multilayer perceptrons, and checks of
another implementation's gradients against them, from Python.

    import matbp
    model = matbp.Model.from_torch(net, X, Y, torch.nn.MSELoss())     # or Model.from_json(path)
    grads = model.gradients()              # numpy float64, correctly rounded, parameters() order
    report = matbp.check(model, [p.grad for p in net.parameters()])
    print(report)                          # the table `matbp check` prints; report.passed

matbp.torch.check(module, X, Y, loss_fn) runs PyTorch's own backward on a copy and checks it;
matbp.testing.assert_gradients_exact(...) is the same for pytest.

Numbers go in as buffers (numpy float64; float32 data widened exactly), each double taken as the
exact rational it is; nothing goes through text except Model.from_json's file or dict (the dict
is written with json.dumps, whose floats are the shortest text of the same double, and read by
the one matbp/1 reader).

Errors: InputError (a ValueError) for bad input, UnsupportedError (an InputError) for what matbp
does not evaluate (e.g. tanh in exact arithmetic), UnsupportedModule (an UnsupportedError) for a
PyTorch module or loss matbp cannot represent exactly, ResourceError (a RuntimeError) when a
limit stops a run, InternalError (a RuntimeError) for a broken contract inside matbp.
"""

import json as _json
import os as _os

import numpy as _np

from . import _core
from ._core import InputError, UnsupportedError, ResourceError, InternalError

__version__ = _core.__version__

__all__ = ["Model", "Gradients", "Kink", "Report", "check", "catalog", "InputError", "UnsupportedError",
           "UnsupportedModule", "ResourceError", "InternalError", "kink_convention"]


class UnsupportedModule(UnsupportedError):
    """A PyTorch module, loss or setting that matbp does not represent exactly; the message names
    the module's path in the model ("2: Conv1d is not supported"). Raised before any computation."""


def catalog():
    """The activation and loss registries (`matbp catalog`) as a dict: every name, parameter,
    exact default, and PyTorch counterpart."""
    return _json.loads(_core.catalog())


def kink_convention():
    """The derivative matbp (like PyTorch) takes at a kink (D11)."""
    return _core.kink_convention()


class Kink(tuple):
    """A unit whose potential is exactly at a kink of its activation (site "activation"), or an
    output at a kink of the loss (site "loss"): layer (0-based, into the model's layers), sample,
    unit, site, and module (the PyTorch module's path, for Model.from_torch; else None)."""

    __slots__ = ()

    def __new__(cls, layer, sample, unit, site, module=None):
        return tuple.__new__(cls, (layer, sample, unit, site, module))

    layer = property(lambda self: self[0])
    sample = property(lambda self: self[1])
    unit = property(lambda self: self[2])
    site = property(lambda self: self[3])
    module = property(lambda self: self[4])

    def __repr__(self):
        return "Kink(layer=%d, sample=%d, unit=%d, site=%r, module=%r)" % tuple(self)


class Gradients(list):
    """The reference gradients, one array per parameter in the module's parameters() order
    (weight, then bias, of each layer; no bias for a Linear without one). Attributes: names
    (state_dict keys, or "layers[l].weights"/"layers[l].bias"), cost, arith, engine, certified,
    correctly_rounded (every float64 value is the true gradient correctly rounded: a certified
    arithmetic whose enclosures' ends round to the same double; always so for exact),
    kinks (a list of Kink), kink_dependent (per tensor, a bool array: entries whose value is the
    kink convention's), and reference (for matbp.check).

    With exact=False each array is float64, the exact value correctly rounded (an enclosure, for
    interval arithmetic: the double nearest its midpoint); with exact=True an object array of
    fractions.Fraction (an enclosure: a (lo, hi) pair of Fractions)."""

    def as_dict(self):
        return dict(zip(self.names, self))


class Report:
    """The result of matbp.check: passed, tensors (each with name, worst_entry (row, col)
    0-based, worst_ulps, worst_abs_error, max_abs_error, normwise_error, relative, kink_entries,
    worst_kink_ulps, worst_kink_entry, kink_outside, kink_match, bound_use, bound_use_entry,
    bound_use_ulps, bound_distance, bound, beyond_bound, passed, verdict), kinks (a list of Kink),
    near_kinks (Kink: units near a kink, both sides admitted, T3), verdict ("bound" or
    "normwise"), verdict_note (why the bound was not used, or None), precision, ulp_format, arith,
    engine, kink_rule ("enclosure": kink entries must lie in their Clarke
    enclosure, C3; "convention": strict_kinks; "not judged": no exact reference) and kink_match
    ("zero" — PyTorch's relu'(0) = 0 —, "one", "mixed", "other", or None).
    str(report) is the table `matbp check` prints; report.to_json() its matbp-check/1 JSON."""

    def __init__(self, core_report, kinks):
        self._core = core_report
        self.passed = core_report.passed
        self.tensors = list(core_report.tensors)
        self.kinks = kinks
        self.precision = core_report.precision
        self.arith = core_report.arith
        self.engine = core_report.engine
        self.max_rel = core_report.max_rel
        self.max_ulps = core_report.max_ulps
        self.kink_rule = core_report.kink_rule
        self.kink_match = core_report.kink_match
        self.verdict = core_report.verdict
        self.verdict_note = core_report.verdict_note
        self.ulp_format = core_report.ulp_format
        self.near_kinks = [Kink(*k) for k in core_report.near_kinks]

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self._core.text()

    def __repr__(self):
        return "<matbp.Report %s: %s>" % ("PASS" if self.passed else "FAIL",
                                          ", ".join("%s %s" % (t.name, t.verdict) for t in self.tensors))

    def failed(self):
        """The tensors that failed."""
        return [t for t in self.tensors if not t.passed]

    def to_json(self):
        return self._core.to_json()


class Model:
    """A network, its batch, targets, loss and reduction, every number exact (the matbp/1 model).

    Model.from_json(path_or_dict), Model.from_torch(module, inputs, targets, loss_fn);
    model.to_json() (canonical matbp/1 text, exact strings); model.gradients(...)."""

    def __init__(self, spec, tensors, precision="float64", kink_modules=None, source=None):
        # tensors: per matbp layer, (weight name or None, bias name or None); None = not a
        # parameter of the source (an identity layer inserted for PyTorch, a Linear's absent bias).
        self._spec = spec
        self._tensors = tensors
        self.precision = precision
        self._kink_modules = kink_modules  # per matbp layer, the activation module's path
        self._loss_module = None
        self.source = source

    # ---- construction ---------------------------------------------------------------------
    @classmethod
    def from_json(cls, path_or_dict):
        """A matbp/1 model from a file (a path) or from a dict as json.load gives it (written
        with json.dumps, then read by the same reader as the file: every float means the double
        it is)."""
        if isinstance(path_or_dict, dict):
            spec = _core.read_model_text(_json.dumps(path_or_dict, allow_nan=False))
        elif isinstance(path_or_dict, (str, bytes, _os.PathLike)):
            spec = _core.read_model_file(_os.fsdecode(path_or_dict))
        else:
            raise TypeError("Model.from_json takes a path or a dict, not %s" % type(path_or_dict).__name__)
        names = [("layers[%d].weights" % l, "layers[%d].bias" % l) for l in range(len(spec.activations))]
        return cls(spec, names, source="json")

    @classmethod
    def from_torch(cls, module, inputs, targets, loss_fn):
        """The model of a PyTorch nn.Sequential (nested too) of nn.Linear and the supported
        activations, with its batch, targets and loss; raises UnsupportedModule naming the module
        path for anything else, before any computation. See matbp.torch."""
        from . import torch as _torch
        return _torch.model_from_torch(cls, module, inputs, targets, loss_fn)

    # ---- accessors -------------------------------------------------------------------------
    def to_json(self):
        """Canonical matbp/1 text (every number an exact string "p/q"); `matbp grad` reads it."""
        return self._spec.to_json()

    @property
    def names(self):
        """The reported tensors' names, in parameters() order."""
        return [n for pair in self._tensors for n in pair if n is not None]

    @property
    def widths(self):
        return list(self._spec.widths)

    @property
    def activations(self):
        return list(self._spec.activations)

    @property
    def loss(self):
        return self._spec.loss

    @property
    def reduction(self):
        return self._spec.reduction

    @property
    def exact(self):
        """True iff every activation and the loss evaluate over the rationals."""
        return self._spec.exact

    def __repr__(self):
        return "<matbp.Model widths %s, %s, loss %s (%s)>" % (
            "-".join(map(str, self.widths)), ",".join(self.activations), self.loss, self.reduction)

    # ---- computation -----------------------------------------------------------------------
    def reference(self, arith=None, max_bits=1_000_000, time_limit=3600, threads=0):
        """The reference (C1) as the C++ core holds it. arith: "exact", "interval:BITS",
        "real:BITS", "double", or None: exact where the model allows it, else interval:256."""
        return _core.compute(self._spec, arith, max_bits, float(time_limit), threads)

    def gradients(self, arith=None, exact=False, max_bits=1_000_000, time_limit=3600, threads=0):
        """The reference gradients as a Gradients list (see there). arith None: exact where the
        model allows (every activation and the loss rational), else interval:256; "exact" for a
        model that does not allow it raises UnsupportedError. The GIL is released while it
        computes; Ctrl-C stops it (KeyboardInterrupt) after the current layer's stage."""
        ref = self.reference(arith, max_bits, time_limit, threads)
        out = Gradients()
        out.names, masks = [], []
        for l, pair in enumerate(self._tensors):
            for bias, name in ((False, pair[0]), (True, pair[1])):
                if name is None:
                    continue
                out.append(ref.tensor(l, bias, exact))
                out.names.append(name)
                masks.append(ref.kink_mask(l, bias))
        out.kink_dependent = masks
        out.cost = ref.cost(exact)
        out.arith, out.engine, out.certified = ref.arith, ref.engine, ref.certified
        out.correctly_rounded = ref.correctly_rounded
        out.kinks = self._kinks(ref)
        out.reference = ref
        return out

    def _kinks(self, ref):
        out = []
        for layer, sample, unit, site in ref.kinks:
            module = None
            if self._kink_modules is not None:
                module = self._loss_module if site == "loss" else self._kink_modules[layer]
            out.append(Kink(layer, sample, unit, site, module))
        return out


def _as_array(g, name):
    """A reported gradient as a float64 numpy array (torch tensors detached; float32 exact)."""
    if hasattr(g, "detach"):
        g = g.detach().cpu()
        if g.dtype.is_floating_point and g.dtype not in (_float_dtypes()):
            raise InputError("%s: gradient dtype %s is not float32 or float64" % (name, g.dtype))
        g = g.double().numpy()
    a = _np.asarray(g)
    if a.dtype.kind not in "fiu":
        raise InputError("%s: expected numbers, got dtype %s" % (name, a.dtype))
    a = _np.ascontiguousarray(a, dtype=_np.float64)
    bad = _np.argwhere(~_np.isfinite(a))
    if bad.size:
        raise InputError("%s%s: %r is not a finite number" % (name, list(bad[0]), a[tuple(bad[0])]))
    return a


def _float_dtypes():
    import torch
    return (torch.float32, torch.float64)


def check(model, gradients, precision=None, arith=None, max_rel=None, max_ulps=None, strict_kinks=False,
          reference=None, max_bits=1_000_000, time_limit=3600, threads=0, verdict="bound"):
    """Compare another implementation's gradients with the model's reference; a Report.

    gradients: a sequence in parameters() order (model.names), or a dict keyed like
    state_dict() (model.names); each a numpy array, torch tensor or nested list of numbers, of
    the parameter's shape. A None entry (sequence) or a missing key (dict) is not judged.
    precision: the checked precision, a D17 name: "float64", "float32", "bfloat16", "float16" or
    "tf32" (ULPs are counted in float64 for float64, else in float32); None: the model's (float32
    for a float32 module). verdict "bound" (default, T3): an entry passes iff it lies within its
    rounding bound at that precision of its admissible set (both sides admitted at units near a
    kink, listed in report.near_kinks); each tensor reports bound_use (the largest fraction of its
    bound an entry uses, <= 1 passes), bound_use_entry, bound_use_ulps, bound_distance and bound
    (Fractions), beyond_bound. Where the bound is not available (softmax_cross_entropy, a reference
    that is not certified, a near kink without an exact reference) the normwise rule decides and
    report.verdict_note says why. verdict "normwise": the old rule, normwise relative error <=
    max_rel (default 1e-10 for float64, 1e-4 otherwise); max_rel needs verdict="normwise".
    max_ulps: also require every entry within that many ULPs of its admissible set. An entry that
    depends on a kink fails when it lies outside its Clarke enclosure (C3: every derivative
    between the one-sided ones, relu'(0) in [0, 1]); report.kink_match names the convention the
    kink entries match ("zero", "one", "mixed", "other"). strict_kinks: require matbp's (PyTorch's)
    convention instead. reference: a Gradients (or model.reference()) already computed."""
    names = model.names
    if isinstance(gradients, dict):
        unknown = [k for k in gradients if k not in names]
        if unknown:
            raise InputError("gradients: unknown name(s) %s; the model's parameters are %s" % (unknown, names))
        given = {k: gradients.get(k) for k in names}
    else:
        gradients = list(gradients)
        if len(gradients) != len(names):
            raise InputError("gradients: %d tensors given; the model has %d parameters (%s)"
                             % (len(gradients), len(names), ", ".join(names)))
        given = dict(zip(names, gradients))
    reported, tensor_names = [], []
    for w, b in model._tensors:
        pair = []
        for n in (w, b):
            pair.append(None if n is None or given[n] is None else _as_array(given[n], n))
        reported.append(tuple(pair))
        tensor_names.append((w, b))
    if not any(x is not None for pair in reported for x in pair):
        raise InputError("gradients: no tensor to check")
    if reference is None:
        ref = model.reference(arith, max_bits, time_limit, threads)
    else:
        ref = getattr(reference, "reference", reference)
    core = _core.check(ref, model._spec, reported, tensor_names, precision or model.precision, verdict, max_rel,
                       max_ulps, strict_kinks)
    return Report(core, model._kinks(ref))
