#!/usr/bin/env python3
"""Tests for src/cli/main.cpp: `matbp grad | check | verify | --help`, run as a user would.

Test plan
  grad_exact_is_json           exit 0; JSON with format, exact "p/q" strings, kinks, convention
  grad_then_check_passes       grad --values double fed to check: PASS, exit 0, 0 ULPs everywhere
  check_fails_perturbed        one entry changed by 1e-6 relative: FAIL, exit 1
  check_float32                the double gradients checked in float32 ULPs: PASS
  verify_exact_model           every proof step holds, exit 0
  interval_default_for_tanh    a tanh model defaults to interval:256 and is certified
  threads_same_result          a float64-valued ReLU model on the dyadic engine: --threads 1, 2, 7
                               and the default print the same bytes
  bad_input_*                  exit 2, one message on stderr naming where, nothing on stdout
  help_*                       every command has --help, exit 0
Closes with "N passed, M failed"."""
import json
import os
import random
import subprocess
import sys
import tempfile

matbp, src = sys.argv[1], sys.argv[2]
models = os.path.join(src, "tests", "data", "models")
exact_model = os.path.join(models, "exact_mixed.json")
tanh_model = os.path.join(models, "transcendental.json")
work = tempfile.mkdtemp(prefix="matbp_cli_test_")
passed, failed = 0, 0


def run(*args):
    p = subprocess.run([matbp, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def case(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def write(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


rc, out, err = run("grad", exact_model)
doc = json.loads(out) if rc == 0 else {}
case("grad_exact_is_json", rc == 0 and doc.get("format") == "matbp-gradients/1" and doc.get("arith") == "exact"
     and doc.get("certified") is True and isinstance(doc["layers"][0]["weights"][0][0], str)
     and "relu'(0) = 0" in doc.get("kink_convention", "") and isinstance(doc.get("kinks"), list), err)

rc, out, err = run("grad", exact_model, "--values", "double")
grads = write("grads.json", out)
rc, out, err = run("check", exact_model, "--gradients", grads)
case("grad_then_check_passes", rc == 0 and out.strip().endswith("PASS"), out + err)
rc, out, err = run("check", exact_model, "--gradients", grads, "--format", "json")
rep = json.loads(out) if out else {}
case("grad_then_check_zero_ulps", rc == 0 and rep.get("pass") is True and all(t["worst_ulps"] == 0 for t in rep["tensors"]), out + err)

g = json.loads(open(grads).read())
w = g["layers"][0]["weights"]
i, j = max(((i, j) for i in range(len(w)) for j in range(len(w[0]))), key=lambda ij: abs(w[ij[0]][ij[1]]))
w[i][j] *= 1 + 1e-6
bad = write("bad.json", json.dumps(g))
rc, out, err = run("check", exact_model, "--gradients", bad)
case("check_fails_perturbed", rc == 1 and "FAIL" in out and "layers[0].weights" in out, out + err)

rc, out, err = run("check", exact_model, "--gradients", grads, "--precision", "float32")
case("check_float32", rc == 0, out + err)

rc, out, err = run("verify", exact_model)
case("verify_exact_model", rc == 0 and "all hold exactly" in out and "T1.step" in out and "C1" in out, out + err)

rc, out, err = run("grad", tanh_model, "--quiet")
doc = json.loads(out) if rc == 0 else {}
case("interval_default_for_tanh", rc == 0 and doc.get("arith") == "interval:256" and doc.get("certified") is True
     and "lower" in doc["layers"][0]["bias"][0], err)

rnd = random.Random(20261126)


def doubles(r, c):
    return [[rnd.uniform(-1, 1) for _ in range(c)] for _ in range(r)]


# 48-64-4 at batch 24: the first layer's products are far above the threading threshold.
relu_model = write("relu_float64.json", json.dumps({
    "format": "matbp/1", "inputs": doubles(24, 48), "targets": doubles(24, 4), "layers": [
        {"weights": doubles(64, 48), "bias": doubles(1, 64)[0], "activation": "relu"},
        {"weights": doubles(4, 64), "bias": doubles(1, 4)[0], "activation": "identity"}]}))
outs = [run("grad", relu_model, *t) for t in ([], ["--threads", "1"], ["--threads", "2"], ["--threads", "7"])]
case("threads_same_result", all(o == outs[0] for o in outs) and outs[0][0] == 0
     and json.loads(outs[0][1]).get("engine") == "dyadic", str([o[0] for o in outs]) + outs[0][2])


def bad_input(name, args, must_contain):
    rc, out, err = run(*args)
    case("bad_input_" + name, rc == 2 and out == "" and must_contain in err and err.count("\n") >= 1,
         f"rc={rc} stdout={out[:200]!r} stderr={err[:300]!r}")


bad_input("missing_file", ["grad", os.path.join(work, "nope.json")], "nope.json")
bad_input("directory", ["grad", work], "directory")
bad_input("malformed_json", ["grad", write("m1.json", '{"format": "matbp/1", "layers": [,]}')], "1:")
bad_input("wrong_shape", ["grad", write("m2.json", json.dumps({
    "format": "matbp/1", "layers": [{"weights": [[1, 2]], "bias": [0, 1], "activation": "relu"}],
    "inputs": [[1, 2]], "targets": [[1]]}))], "layers[0].bias")
bad_input("unknown_activation", ["grad", write("m3.json", json.dumps({
    "format": "matbp/1", "layers": [{"weights": [[1]], "bias": [0], "activation": "ReLU"}],
    "inputs": [[1]], "targets": [[1]]}))], "layers[0].activation")
bad_input("zero_denominator", ["grad", write("m4.json", json.dumps({
    "format": "matbp/1", "layers": [{"weights": [["1/0"]], "bias": [0], "activation": "relu"}],
    "inputs": [[1]], "targets": [[1]]}))], "layers[0].weights[0][0]")
bad_input("transcendental_exact", ["grad", tanh_model, "--arith", "exact"], "--arith interval")
bad_input("bad_arith", ["grad", exact_model, "--arith", "interval:0"], "--arith")
bad_input("unknown_option", ["grad", exact_model, "--frobnicate"], "unknown option")
bad_input("missing_gradients", ["check", exact_model], "--gradients")
bad_input("gradients_wrong_shape", ["check", exact_model, "--gradients", write("g2.json", '{"layers": [{"weights": [[1]], "bias": [1]}]}')], "layers")
tanh_sq = json.loads(open(tanh_model).read())
tanh_sq["loss"] = "squared_error"
bad_input("verify_tanh", ["verify", write("m5.json", json.dumps(tanh_sq))], "layers[0].activation")
bad_input("verify_other_loss", ["verify", tanh_model], "loss")
bad_input("bad_max_rel", ["check", exact_model, "--gradients", grads, "--max-rel", "nan"], "--max-rel")
blowup = {"format": "matbp/1", "inputs": [["1/2", "2/3"]], "targets": [["1", "2"]], "layers": [
    {"weights": [["3/7", "-5/11"], ["2/3", "1/13"]], "bias": ["1/17", "-1/19"],
     "activation": {"name": "polynomial", "coefficients": ["1/3", "1", "1/5", "1/7"]}}] * 12}
bad_input("resource_max_bits", ["grad", write("blowup.json", json.dumps(blowup))], "--max-bits")
bad_input("resource_small_max_bits", ["grad", os.path.join(work, "blowup.json"), "--max-bits", "5000"], "layers[")
bad_input("max_parameters", ["grad", exact_model, "--max-parameters", "10"], "max_parameters")
bad_input("bad_time_limit", ["grad", exact_model, "--time-limit", "-1"], "--time-limit")
bad_input("threads_0", ["grad", exact_model, "--threads", "0"], "--threads")
bad_input("no_command", [], "no command")
bad_input("two_models", ["grad", exact_model, exact_model], "one MODEL")

for cmd in (["--help"], ["grad", "--help"], ["check", "--help"], ["verify", "--help"], ["demo", "--help"]):
    rc, out, err = run(*cmd)
    case("help_" + "_".join(c.strip("-") for c in cmd), rc == 0 and "usage" in out, err)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
