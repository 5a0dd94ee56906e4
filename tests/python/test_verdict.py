"""matbp.check's verdict by rounding bound (T3): the Report's fields, precisions, the old rule."""
from fractions import Fraction

import pytest
import torch

import matbp
from conftest import SMALL

# Issue 13's near kink: z = 1·1 + 1·2⁻⁶⁰ − 1 = 2⁻⁶⁰ exactly, which float64 (products, then the
# bias) rounds to 0.
NEAR = {
    "format": "matbp/1",
    "layers": [{"weights": [[1.0, 1.0]], "bias": [-1.0], "activation": "relu"},
               {"weights": [[2.0]], "bias": [0.0], "activation": "identity"}],
    "loss": "mse", "reduction": "sum", "inputs": [[1.0, 2.0 ** -60]], "targets": [[5.0]],
}


def test_T3_default_verdict_is_the_bound_with_its_fields():
    m = matbp.Model.from_json(SMALL)
    r = matbp.check(m, m.gradients())
    assert r.passed and r.verdict == "bound" and r.verdict_note is None
    assert r.precision == "float64" and r.ulp_format == "float64" and isinstance(r.near_kinks, list)
    for t in r.tensors:
        assert 0 <= t.bound_use <= 1 and t.beyond_bound == 0
        assert isinstance(t.bound, Fraction) and isinstance(t.bound_distance, Fraction)
        assert t.bound_distance <= t.bound and len(t.bound_use_entry) == 2


def test_T3_an_entry_beyond_its_bound_fails_and_is_named():
    m = matbp.Model.from_json(SMALL)
    g = m.gradients()
    g[2] = g[2].copy()
    g[2][0, 1] *= 1 + 1e-9
    r = matbp.check(m, g)
    bad = r.failed()
    assert not r.passed and [t.name for t in bad] == ["layers[1].weights"]
    assert bad[0].bound_use_entry == (0, 1) and bad[0].bound_use > 1 and bad[0].beyond_bound == 1


def test_T3_near_kink_passes_and_is_listed():
    m = matbp.Model.from_json(NEAR)
    W1 = torch.tensor([[1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor([-1.0], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[2.0]], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    z = torch.tensor([[1.0, 2.0 ** -60]], dtype=torch.float64) @ W1.T + b1
    assert z.item() == 0.0  # float64 took the other branch
    a = torch.relu(z) @ W2.T + b2
    torch.nn.MSELoss(reduction="sum")(a, torch.tensor([[5.0]], dtype=torch.float64)).backward()
    g = [W1.grad, b1.grad, W2.grad, b2.grad]
    r = matbp.check(m, g)
    assert r.passed and [(k.layer, k.sample, k.unit, k.site) for k in r.near_kinks] == [(0, 0, 0, "activation")]
    assert not matbp.check(m, g, verdict="normwise").passed  # the old rule's false alarm


@pytest.mark.parametrize("precision", ["float32", "bfloat16", "float16", "tf32"])
def test_T3_precision_names_from_the_d17_table(precision):
    m = matbp.Model.from_json(SMALL)
    r = matbp.check(m, m.gradients(), precision=precision)
    assert r.passed and r.precision == precision and r.ulp_format == "float32"


def test_T3_bad_options_are_input_errors():
    m = matbp.Model.from_json(SMALL)
    g = m.gradients()
    with pytest.raises(matbp.InputError, match="bfloat16"):
        matbp.check(m, g, precision="float8")
    with pytest.raises(matbp.InputError, match="normwise"):
        matbp.check(m, g, max_rel=1e-8)
    with pytest.raises(matbp.InputError, match="verdict"):
        matbp.check(m, g, verdict="strict")
    r = matbp.check(m, g, verdict="normwise", max_rel=1e-12)
    assert r.verdict == "normwise" and r.max_rel == 1e-12 and r.passed


def test_T3_fallback_says_why():
    d = dict(SMALL, loss="softmax_cross_entropy", targets=[[1.0], [1.0]])
    d["layers"] = [SMALL["layers"][0], {"weights": [[1.0, -0.5], [0.5, 1.0]], "bias": [0.0, 0.0],
                                        "activation": "identity"}]
    d["targets"] = [[0.25, 0.75], [1.0, 0.0]]
    m = matbp.Model.from_json(d)
    r = matbp.check(m, m.gradients())
    assert r.verdict == "normwise" and "softmax_cross_entropy" in r.verdict_note
