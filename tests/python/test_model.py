"""matbp.Model from JSON, its gradients (float64 rounded, exact Fractions, kinks), matbp.check
and the Report, and the CLI agreeing with the module on an exported model."""
import json
import os
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

import matbp
from conftest import SMALL

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXACT_MIXED = os.path.join(REPO, "tests", "data", "models", "exact_mixed.json")


def test_from_dict_and_from_path_are_the_same_model(tmp_path):
    p = tmp_path / "m.json"
    p.write_text(json.dumps(SMALL))
    a, b = matbp.Model.from_json(SMALL), matbp.Model.from_json(str(p))
    assert a.to_json() == b.to_json()
    assert a.widths == [2, 2, 1] and a.activations == ["relu", "identity"] and a.loss == "mse"


def test_from_json_bad_input_names_the_path():
    bad = json.loads(json.dumps(SMALL))
    bad["layers"][0]["bias"] = [0.1]
    with pytest.raises(matbp.InputError, match=r"layers\[0\]\.bias"):
        matbp.Model.from_json(bad)
    with pytest.raises(ValueError):  # InputError is a ValueError
        matbp.Model.from_json(bad)


def test_gradients_exact_fractions_round_to_the_float64_arrays():
    m = matbp.Model.from_json(SMALL)
    g, e = m.gradients(), m.gradients(exact=True)
    assert g.names == ["layers[0].weights", "layers[0].bias", "layers[1].weights", "layers[1].bias"]
    assert [a.shape for a in g] == [(2, 2), (2,), (1, 2), (1,)]
    assert all(a.dtype == np.float64 for a in g)
    for a, x in zip(g, e):
        assert x.dtype == object and all(isinstance(v, Fraction) for v in x.flat)
        assert [float(v) for v in x.flat] == list(a.flat)  # float(Fraction) rounds correctly
    assert g.engine == "dyadic" and g.arith == "exact" and g.certified


def test_gradients_agree_with_torch_float64():
    m = matbp.Model.from_json(SMALL)
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        for lin, L in zip((net[0], net[2]), SMALL["layers"]):
            lin.weight.copy_(torch.tensor(L["weights"], dtype=torch.float64))
            lin.bias.copy_(torch.tensor(L["bias"], dtype=torch.float64))
    X = torch.tensor(SMALL["inputs"], dtype=torch.float64)
    Y = torch.tensor(SMALL["targets"], dtype=torch.float64)
    nn.MSELoss()(net(X), Y).backward()
    report = matbp.check(m, [p.grad for p in net.parameters()])
    assert report.passed, str(report)


def test_kinks_are_reported_with_their_module():
    # Sample 1 is the zero input and layer 0's unit 1 has bias 0: its potential is exactly 0.
    m = matbp.Model.from_json(SMALL)
    assert m.gradients().kinks == [matbp.Kink(0, 1, 1, "activation")]
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].bias.zero_()
    tm = matbp.Model.from_torch(net, torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64), nn.MSELoss())
    kinks = tm.gradients().kinks
    assert {(k.layer, k.sample, k.unit, k.module) for k in kinks} == {(0, 0, 0, "1"), (0, 0, 1, "1")}
    report = matbp.check(tm, tm.gradients())
    assert report.passed and report.kinks == kinks and "2 kink(s)" in str(report)


def test_report_string_is_the_cli_table(cli, tmp_path):
    m = matbp.Model.from_json(SMALL)
    g = m.gradients()
    g[2] = g[2].copy()
    g[2][0, 1] *= 1 + 1e-6
    report = matbp.check(m, g)
    assert not report.passed
    assert [t.name for t in report.failed()] == ["layers[1].weights"]
    bad = report.failed()[0]
    assert bad.worst_entry == (0, 1) and bad.verdict == "FAIL" and bad.worst_ulps > 0
    (tmp_path / "m.json").write_text(m.to_json())
    (tmp_path / "g.json").write_text(json.dumps({"layers": [{"weights": g[0].tolist(), "bias": g[1].tolist()},
                                                           {"weights": g[2].tolist(), "bias": g[3].tolist()}]}))
    out = subprocess.run([cli, "check", str(tmp_path / "m.json"), "--gradients", str(tmp_path / "g.json")],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stdout == str(report)
    assert json.loads(report.to_json())["pass"] is False


def test_check_takes_a_dict_and_skips_what_is_missing():
    m = matbp.Model.from_json(SMALL)
    g = m.gradients().as_dict()
    del g["layers[0].bias"]
    report = matbp.check(m, g)
    assert report.passed and [t.name for t in report.tensors] == ["layers[0].weights", "layers[1].weights", "layers[1].bias"]
    with pytest.raises(matbp.InputError, match="unknown name"):
        matbp.check(m, {"nope": np.zeros(1)})
    with pytest.raises(matbp.InputError, match="4 parameters"):
        matbp.check(m, [np.zeros((2, 2))])
    with pytest.raises(matbp.InputError, match="shape"):
        matbp.check(m, [np.zeros((2, 3)), np.zeros(2), np.zeros((1, 2)), np.zeros(1)])
    with pytest.raises(matbp.InputError, match="not a finite number"):
        matbp.check(m, [np.full((2, 2), np.nan), np.zeros(2), np.zeros((1, 2)), np.zeros(1)])


def test_exact_arith_refused_for_tanh_is_unsupported_error():
    d = json.loads(json.dumps(SMALL))
    d["layers"][0]["activation"] = "tanh"
    m = matbp.Model.from_json(d)
    with pytest.raises(matbp.UnsupportedError):
        m.gradients(arith="exact")
    g = m.gradients()  # interval:256 by default
    assert g.arith == "interval:256" and g.certified and g.correctly_rounded
    coarse = m.gradients(arith="interval:8")  # enclosures wider than a float64 ULP
    assert coarse.certified and not coarse.correctly_rounded
    assert not m.gradients(arith="double").correctly_rounded
    assert matbp.Model.from_json(SMALL).gradients().correctly_rounded  # exact


def test_resource_error():
    m = matbp.Model.from_json(EXACT_MIXED)
    with pytest.raises(matbp.ResourceError):
        m.gradients(arith="exact", max_bits=1)


def test_cli_reads_the_exported_model_to_the_same_gradients(cli, tmp_path):
    from conftest import random_case
    for seed in range(6):
        net, X, Y, loss = random_case(seed, torch.float64)
        m = matbp.Model.from_torch(net, X, Y, loss)
        path = tmp_path / ("m%d.json" % seed)
        path.write_text(m.to_json())
        out = subprocess.run([cli, "grad", str(path), "--quiet"], capture_output=True, text=True, check=True)
        doc = json.loads(out.stdout)
        # The module's values of every matbp layer (inserted identity layers too), exact.
        ref = m.reference()

        def pair(v):  # a value as (lo, hi): the CLI writes an enclosure as {"lower", "upper"}
            if isinstance(v, dict):
                return (Fraction(v["lower"]), Fraction(v["upper"]))
            if isinstance(v, tuple):
                return v
            v = Fraction(v)
            return (v, v)

        for l, layer in enumerate(doc["layers"]):
            for key, bias in (("weights", False), ("bias", True)):
                mine = [pair(v) for v in ref.tensor(l, bias, True).flat]
                theirs = [pair(v) for v in (np.array(layer[key], dtype=object).flat)]
                assert mine == theirs, (seed, l, key)


KINK2 = {
    "format": "matbp/1",
    "layers": [{"weights": [[1], [-1]], "bias": [0, 0], "activation": "relu"},
               {"weights": [[2, 3]], "bias": [1], "activation": "identity"}],
    "loss": "squared_error", "reduction": "mean", "inputs": [[0], [1]], "targets": [[5], [2]],
}


def test_kink_enclosure_and_convention_in_the_report():
    # C3, by hand: at x = 0 both ReLU potentials are 0; ∇b¹ = (1, 0) under relu'(0) = 0, (-3, -6)
    # under relu'(0) = 1, enclosures [-3, 1] and [-6, 0].
    m = matbp.Model.from_json(KINK2)
    g = m.gradients()
    assert g.reference.kink_enclosures == [
        ("layers[0].bias", (0, 0), Fraction(1), Fraction(-3), Fraction(1), Fraction(-3)),
        ("layers[0].bias", (1, 0), Fraction(0), Fraction(-6), Fraction(0), Fraction(-6))]
    zero = matbp.check(m, g)
    assert zero.passed and zero.kink_match == "zero" and zero.kink_rule == "enclosure"
    one = [g[0], np.array([-3.0, -6.0]), g[2], g[3]]
    r = matbp.check(m, one)
    assert r.passed and r.kink_match == "one" and r.tensors[1].kink_match == "one", str(r)
    r = matbp.check(m, one, strict_kinks=True)
    assert not r.passed and r.kink_rule == "convention" and r.tensors[1].kink_outside == 2
    outside = [g[0], np.array([1.0 + 1e-6, 0.0]), g[2], g[3]]
    r = matbp.check(m, outside)
    assert not r.passed and r.tensors[1].kink_outside == 1 and r.tensors[1].worst_kink_entry == (0, 0)
    assert json.loads(r.to_json())["tensors"][1]["kink_outside"] == 1
    # Only the bias judged: the report's convention is recomputed over the judged tensors.
    r = matbp.check(m, {m.names[1]: np.array([-3.0, 0.0])})
    assert r.passed and r.kink_match == "mixed" and len(r.tensors) == 1
