"""matbp.Model.from_torch, matbp.torch.check and matbp.testing: random supported Sequentials
pass in float64 and float32; a wrong custom backward fails at the right entry; every refusal;
the caller's module untouched; class-index cross-entropy equals one-hot probabilities."""
import copy
import threading
import time
import _thread

import numpy as np
import pytest
import torch
from torch import nn
import torch.nn.functional as F

import matbp
import matbp.torch
from matbp.testing import assert_gradients_exact
from conftest import random_case


# ---- random supported modules pass ---------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_random_float64_sequential_passes(seed):
    net, X, Y, loss = random_case(seed, torch.float64)
    report = matbp.torch.check(net, X, Y, loss)
    assert report.passed, "seed %d\n%s" % (seed, report)
    assert report.precision == "float64"
    assert [t.name for t in report.tensors] == [n for n, _ in net.named_parameters()]


@pytest.mark.parametrize("seed", range(100, 125))
def test_random_float32_sequential_passes_at_float32(seed):
    net, X, Y, loss = random_case(seed, torch.float32)
    report = matbp.torch.check(net, X, Y, loss)
    assert report.precision == "float32"
    assert report.passed, "seed %d\n%s" % (seed, report)


def test_float32_gradients_fail_at_float64_precision():
    # The same float32 gradients judged as float64 numbers: the float32 rounding errors show.
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).float()
    X, Y = torch.randn(5, 4), torch.randn(5, 3)
    assert matbp.torch.check(net, X, Y, nn.MSELoss()).passed
    assert not matbp.torch.check(net, X, Y, nn.MSELoss(), precision="float64").passed


def test_gradients_are_in_parameters_order_and_agree_with_torch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))).double()
    X, Y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    m = matbp.Model.from_torch(net, X, Y, nn.MSELoss())
    g = m.gradients()
    assert g.names == ["0.weight", "2.0.weight", "2.0.bias", "2.1.weight", "2.1.bias"]
    assert [a.shape for a in g] == [tuple(p.shape) for p in net.parameters()]
    assert m.widths == [3, 4, 4, 2]  # Linear 2.0 got the identity activation
    assert m.activations == ["relu", "identity", "identity"]


def test_activation_first_and_two_activations_in_a_row_get_identity_layers():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Tanh(), nn.Linear(3, 3), nn.ReLU(), nn.Softsign(), nn.Linear(3, 2)).double()
    X, Y = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    m = matbp.Model.from_torch(net, X, Y, nn.MSELoss())
    assert m.activations == ["tanh", "relu", "softsign", "identity"]
    assert m.names == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert_gradients_exact(net, X, Y, nn.MSELoss())


def test_flatten_first():
    torch.manual_seed(2)
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 2), nn.Sigmoid()).double()
    X, Y = torch.randn(3, 2, 3, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    assert_gradients_exact(net, X, Y, nn.HuberLoss(delta=0.5))


def test_float32_parameters_are_taken_as_float32_kernels_use_them():
    # PyTorch's float32 kernels use negative_slope, min_val/max_val and delta rounded to float32.
    import json
    from fractions import Fraction
    net = nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(0.1), nn.Linear(2, 2), nn.Hardtanh(-0.3, 0.7)).float()
    X, Y = torch.randn(3, 2), torch.randn(3, 2)
    doc = json.loads(matbp.Model.from_torch(net, X, Y, nn.HuberLoss(delta=0.2)).to_json())
    f32 = lambda v: Fraction(float(np.float32(v)))
    assert Fraction(doc["layers"][0]["activation"]["negative_slope"]) == f32(0.1) != Fraction(0.1)
    assert Fraction(doc["layers"][1]["activation"]["min_val"]) == f32(-0.3)
    assert Fraction(doc["loss"]["delta"]) == f32(0.2)
    doc64 = json.loads(matbp.Model.from_torch(net.double(), X.double(), Y.double(), nn.HuberLoss(delta=0.2)).to_json())
    assert Fraction(doc64["layers"][0]["activation"]["negative_slope"]) == Fraction(0.1)


def test_functional_losses():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(0.2), nn.Linear(3, 3)).double()
    X = torch.randn(4, 3, dtype=torch.float64)
    Y = torch.randn(4, 3, dtype=torch.float64)
    for f in (F.mse_loss, F.l1_loss, F.huber_loss):
        assert_gradients_exact(net, X, Y, f)
    assert_gradients_exact(net, X, torch.tensor([0, 2, 1, 1]), F.cross_entropy)


# ---- a wrong backward is caught, at the right entry -----------------------------------------

class MyLinear(torch.autograd.Function):
    """x Wᵀ + b with a hand-written backward; bug=True makes ∂C/∂W[1, 2] 0.1% too large."""

    @staticmethod
    def forward(ctx, x, W, b, bug):
        ctx.save_for_backward(x, W)
        ctx.bug = bug
        return x @ W.T + b

    @staticmethod
    def backward(ctx, g):
        x, W = ctx.saved_tensors
        gW = g.T @ x
        if ctx.bug:
            gW[1, 2] = gW[1, 2] * 1.001
        return g @ W, gW, g.sum(0), None


def my_gradients(net, X, Y, bug):
    """The user's implementation: the same network through MyLinear, its gradients by name."""
    params = {n: p.detach().clone().requires_grad_(True) for n, p in net.named_parameters()}
    h = torch.relu(MyLinear.apply(X, params["0.weight"], params["0.bias"], bug))
    out = MyLinear.apply(h, params["2.weight"], params["2.bias"], False)
    nn.MSELoss()(out, Y).backward()
    return {n: p.grad for n, p in params.items()}


def test_custom_backward_with_a_bug_fails_naming_the_entry():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    X, Y = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    good = matbp.torch.check(net, X, Y, nn.MSELoss(), gradients=my_gradients(net, X, Y, bug=False))
    assert good.passed, str(good)
    bad = matbp.torch.check(net, X, Y, nn.MSELoss(), gradients=my_gradients(net, X, Y, bug=True))
    assert not bad.passed
    assert [t.name for t in bad.failed()] == ["0.weight"]
    assert bad.failed()[0].worst_entry == (1, 2)
    with pytest.raises(AssertionError, match=r"0\.weight\s+\(1,2\)") as e:
        assert_gradients_exact(net, X, Y, nn.MSELoss(), gradients=my_gradients(net, X, Y, bug=True))
    assert "FAIL" in str(e.value) and str(bad) in str(e.value)


def test_gradients_as_a_sequence_in_parameters_order():
    torch.manual_seed(5)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    X, Y = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    g = my_gradients(net, X, Y, bug=False)
    assert matbp.torch.check(net, X, Y, nn.MSELoss(), gradients=list(g.values())).passed
    swapped = list(g.values())
    swapped[0] = swapped[0] * (1 + 1e-9)
    assert not matbp.torch.check(net, X, Y, nn.MSELoss(), gradients=swapped).passed


def test_nan_gradient_is_an_assertion_in_testing():
    torch.manual_seed(6)
    net = nn.Sequential(nn.Linear(2, 2)).double()
    X, Y = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    g = [torch.full((2, 2), float("nan"), dtype=torch.float64), torch.zeros(2, dtype=torch.float64)]
    with pytest.raises(AssertionError, match=r"0\.weight.*not a finite number"):
        assert_gradients_exact(net, X, Y, nn.MSELoss(), gradients=g)


# ---- the caller's module is left as it was --------------------------------------------------

def test_parameters_and_grad_untouched():
    torch.manual_seed(7)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, bias=False)).double()
    X, Y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    params = list(net.parameters())
    params[0].grad = torch.full_like(params[0], 7.0)   # a stale .grad: must stay
    grad_obj = params[0].grad
    before = [p.detach().clone() for p in params]
    X0, Y0 = X.clone(), Y.clone()
    assert matbp.torch.check(net, X, Y, nn.MSELoss()).passed
    assert all(torch.equal(p, b) for p, b in zip(params, before))
    assert params[0].grad is grad_obj and torch.equal(grad_obj, torch.full_like(grad_obj, 7.0))
    assert all(p.grad is None for p in params[1:])
    assert torch.equal(X, X0) and torch.equal(Y, Y0)


def test_frozen_parameter_is_not_judged():
    torch.manual_seed(8)
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    net[0].weight.requires_grad_(False)
    X, Y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    report = matbp.torch.check(net, X, Y, nn.MSELoss())
    assert report.passed and [t.name for t in report.tensors] == ["0.bias", "2.weight", "2.bias"]


# ---- cross-entropy: class indices are one-hot probabilities ---------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_class_index_cross_entropy_equals_one_hot(reduction):
    torch.manual_seed(9)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)).double()
    X = torch.randn(5, 3, dtype=torch.float64)
    idx = torch.tensor([0, 2, 1, 2, 0])
    onehot = F.one_hot(idx, 3).double()
    loss = nn.CrossEntropyLoss(reduction=reduction)
    a = matbp.Model.from_torch(net, X, idx, loss).gradients()
    b = matbp.Model.from_torch(net, X, onehot, loss).gradients()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert a.cost == b.cost
    assert matbp.torch.check(net, X, idx, loss).passed
    assert matbp.torch.check(net, X, onehot, loss).passed


# ---- refusals: UnsupportedModule naming the path, before any computation --------------------

class Counting(nn.Module):
    calls = 0

    def forward(self, x):
        Counting.calls += 1
        return x


class MyReLU(nn.ReLU):
    def forward(self, x):
        return super().forward(x) * 2


def lin():
    return nn.Linear(3, 3)


REFUSED_MODULES = [
    (lambda: nn.Sequential(lin(), nn.ReLU(), nn.Conv1d(1, 1, 1)), r"^2: Conv1d is not supported"),
    (lambda: nn.Sequential(lin(), nn.Sequential(nn.ReLU(), nn.Dropout())), r"^1\.1: Dropout is not supported"),
    (lambda: nn.Sequential(lin(), MyReLU()), r"^1: MyReLU is not supported"),
    (lambda: nn.Sequential(lin(), nn.ReLU6()), r"^1: ReLU6 is not supported"),
    (lambda: nn.Sequential(lin(), nn.Softplus(beta=2)), r"^1: Softplus\(beta=2\)"),
    (lambda: nn.Sequential(lin(), nn.Flatten()), r"^1: Flatten is supported only first"),
    (lambda: nn.Sequential(nn.Flatten(start_dim=0), lin()), r"^0: Flatten\(start_dim=0"),
    (lambda: nn.Sequential(lin(), nn.ELU()), r"^1: ELU is not supported"),
    (lambda: nn.Sequential(lin(), nn.Softmax(dim=1)), r"^1: Softmax is not supported"),
    (lambda: nn.Sequential(lin(), Counting()), r"^1: Counting is not supported"),
    (lambda: Counting(), r"^Counting: only nn.Sequential"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Identity()), r"no nn.Linear"),
]


@pytest.mark.parametrize("make,message", REFUSED_MODULES)
def test_unsupported_module(make, message):
    net = make().double()
    X, Y = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    Counting.calls = 0
    with pytest.raises(matbp.UnsupportedModule, match=message):
        matbp.torch.check(net, X, Y, nn.MSELoss())
    assert Counting.calls == 0  # refused before PyTorch ran anything


def test_shared_linear_refused():
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared, nn.ReLU(), shared).double()
    with pytest.raises(matbp.UnsupportedModule, match=r"^2: Linear shares a parameter with 0"):
        matbp.Model.from_torch(net, torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64), nn.MSELoss())


def test_forward_hook_refused():
    net = nn.Sequential(lin(), nn.ReLU()).double()
    net[1].register_forward_hook(lambda m, i, o: o * 2)
    with pytest.raises(matbp.UnsupportedModule, match=r"^1: ReLU has forward hooks"):
        matbp.Model.from_torch(net, torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64), nn.MSELoss())


def test_softplus_above_threshold_refused():
    net = nn.Sequential(nn.Linear(1, 1), nn.Softplus(threshold=5)).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.zero_()
    Y = torch.zeros(2, 1, dtype=torch.float64)
    assert_gradients_exact(net, torch.tensor([[1.0], [5.0]], dtype=torch.float64), Y, nn.MSELoss())
    with pytest.raises(matbp.UnsupportedModule, match=r"^1: Softplus input 6\.0 at \[1, 0\] exceeds its threshold 5"):
        matbp.Model.from_torch(net, torch.tensor([[1.0], [6.0]], dtype=torch.float64), Y, nn.MSELoss())


REFUSED_LOSSES = [
    (nn.BCELoss(), r"^loss: BCELoss is not supported"),
    (nn.MSELoss(reduction="none"), r"reduction='none'"),
    (nn.CrossEntropyLoss(weight=torch.ones(3, dtype=torch.float64)), r"weight"),
    (nn.CrossEntropyLoss(ignore_index=1), r"ignore_index=1"),
    (nn.CrossEntropyLoss(label_smoothing=0.1), r"label_smoothing"),
    (lambda a, y: ((a - y) ** 2).sum(), r"^loss: function is not supported"),
    (F.smooth_l1_loss, r"^loss: function is not supported"),
]


@pytest.mark.parametrize("loss,message", REFUSED_LOSSES)
def test_unsupported_loss(loss, message):
    net = nn.Sequential(lin()).double()
    with pytest.raises(matbp.UnsupportedModule, match=message):
        matbp.torch.check(net, torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64), loss)


def test_unsupported_dtype_and_bad_targets():
    with pytest.raises(matbp.UnsupportedModule, match="float16"):
        matbp.Model.from_torch(nn.Sequential(lin()).half(), torch.randn(2, 3).half(), torch.randn(2, 3).half(), nn.MSELoss())
    net = nn.Sequential(lin()).double()
    X = torch.randn(2, 3, dtype=torch.float64)
    with pytest.raises(matbp.InputError, match="targets: shape"):
        matbp.Model.from_torch(net, X, torch.randn(2, 1, dtype=torch.float64), nn.MSELoss())
    with pytest.raises(matbp.InputError, match=r"targets\[1\]: 3 is not a class"):
        matbp.Model.from_torch(net, X, torch.tensor([0, 3]), nn.CrossEntropyLoss())
    with pytest.raises(matbp.InputError, match="dtype"):
        matbp.Model.from_torch(net, X.float(), torch.randn(2, 3, dtype=torch.float64), nn.MSELoss())
    with pytest.raises(matbp.InputError, match=r"layers\[0\].weights\[0\]\[0\]: not a finite number"):
        bad = nn.Sequential(lin()).double()
        with torch.no_grad():
            bad[0].weight[0, 0] = float("inf")
        matbp.Model.from_torch(bad, X, torch.randn(2, 3, dtype=torch.float64), nn.MSELoss())


# ---- the GIL and Ctrl-C ---------------------------------------------------------------------

def slow_model():
    """Exact rationals (not dyadic: the rational engine) whose size doubles with each layer's
    polynomial: uninterrupted it runs more than 4 s (measured: a time budget of 4 s runs out in
    layer 9 of 12)."""
    w = 60
    layer = {"weights": [["%d/%d" % (i + j + 1, 3 + (i * 7 + j) % 11) for j in range(w)] for i in range(w)],
             "bias": ["1/7"] * w, "activation": {"name": "polynomial", "coefficients": ["1/3", "1/5", "1/7"]}}
    return matbp.Model.from_json({"format": "matbp/1", "layers": [layer] * 12, "loss": "squared_error",
                                  "inputs": [["1/3"] * w] * 4, "targets": [["1/9"] * w] * 4})


def test_keyboard_interrupt_stops_a_long_run_and_the_gil_is_released():
    m = slow_model()
    ticks = []
    stop = threading.Event()

    def ticker():  # runs only if the computation released the GIL
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=ticker)
    t.start()
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            m.gradients(arith="exact", max_bits=10**9, time_limit=20)  # without Ctrl-C: ResourceError
    finally:
        stop.set()
        t.join()
        timer.cancel()
    elapsed = time.monotonic() - start
    assert elapsed < 3, elapsed  # stopped soon after the 0.5 s interrupt, not at the end of the run
    # The ticker kept running while the computation ran (the GIL was released): about 50 ticks.
    assert len([x for x in ticks if x > start + 0.05]) > 20, len(ticks)


def test_time_limit_is_a_resource_error():
    with pytest.raises(matbp.ResourceError, match="time budget"):
        slow_model().gradients(arith="exact", max_bits=10**9, time_limit=0.5)
