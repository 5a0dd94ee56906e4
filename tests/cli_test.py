#!/usr/bin/env python3
"""Tests for src/cli/main.cpp: `matbp grad | check | verify | combine | --help`, run as a user would.

Test plan
  grad_exact_is_json           exit 0; JSON with format, exact "p/q" strings, kinks, convention
  grad_then_check_passes       grad --values double fed to check: PASS, exit 0, 0 ULPs everywhere
  check_fails_perturbed        one entry changed by 1e-6 relative: FAIL, exit 1
  check_float32                the double gradients checked in float32 ULPs: PASS
  kink_enclosure_*             C3 on a 1-2-1 ReLU net with two exact kinks (sample x = 0): grad's
                               JSON "kink_enclosures" lists exactly the two kink entries of ∇b¹
                               with value, lower, upper, one ("1" in ["-3", "1"], one "-3";
                               "0" in ["-6", "0"], one "-6", by hand), under --values double as
                               numbers; the text output lists them; check: PyTorch's values pass
                               named zero, relu'(0) = 1 passes named one and fails with
                               --strict-kinks (exit 1), one unit each way is mixed, an entry
                               1e-6 relative outside its enclosure fails (exit 1, kink_outside 1,
                               the issue's false pass); check --help documents the rule
  verify_exact_model           every proof step holds, exit 0
  verify_kinks                 verify's JSON lists the same kinks as grad's (exact_mixed.json) and
                               its convention; on a ReLU unit at exactly 0 (layer 0 of a 1-1-1
                               net) exactly the steps at layer 0 and C1 are "conventional", the
                               steps at layer 1 and every T1.jac "true"; the text says so
  verify_help_names_checks     verify --help names the AD comparison, the conventional marking
                               and C1's two checks
  interval_default_for_tanh    a tanh model defaults to interval:256 and is certified
  threads_same_result          a float64-valued ReLU model on the dyadic engine: --threads 1, 2, 7
                               and the default print the same bytes
  bad_input_*                  exit 2, one message on stderr naming where, nothing on stdout
  resource_*                   exit 3 (a limit stopped the run: --max-bits, --time-limit,
                               --max-parameters, --max-file-bytes, double range), one message
                               naming where and the flag to raise, nothing on stdout
                               (exit 4, an internal error, needs a bug: tests/cli_errors_test.cpp
                               checks the mapping main() uses)
  json_strict_*                every JSON output (grad exact/double/interval, check, verify) reads
                               with a strict parser (NaN/Infinity refused) and carries
                               "matbp_version" = `matbp --version`; on overflow models (weights
                               near 1e300, cost and gradients beyond the double range) too
  overflow_*                   grad --values double writes out-of-range values as exact strings,
                               counted in out_of_double_range; check --format json likewise
  conventions_*                --version; --opt=value == --opt value; -- ends options; - reads
                               the model or the gradients from stdin; not both; -x refused
  indices_0_based              verify's JSON layer is the 0-based index of "layers"; grad's kinks too
  output_wide_*                a document of more than four of the writer's 64 KiB pieces (grad,
                               grad --partial, combine of two such parts) is strict JSON of the
                               model's shapes, and combine's bytes are grad's
  output_full_exit_3_*         standard output on /dev/full (grad JSON and text, verify, demo,
                               catalog, --help, check passing and failing, and the streamed
                               grad, grad --partial and combine of wide.json): exit 3, one line
                               "cannot write standard output" (a failed write never ends in
                               exit 0 or 1)
  output_closed_pipe_exit_3    the reader closes the pipe, SIGPIPE ignored: exit 3
  (every case name is used once: a second case of a name fails)
  help_*                       every command has --help, exit 0, and documents exit codes 0-4
  shards_*                     C4: the README's GNU parallel lines run verbatim (with xargs -P 2 when
                               parallel is not installed) on a 256-sample ReLU model with kinks, and
                               its last-range expression for N = 250:
                               combine's output == grad's, byte for byte; every split of
                               exact_mixed.json; random splits of 40-sample models for each loss
                               (squared_error, mse, l1) and reduction, JSON and text/double output;
                               a part read from stdin; the partial document's fields; overlap, gap
                               and a bad --samples refused (exit 2)
Closes with "N passed, M failed"."""
import fractions
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


def run(*args, stdin=None):
    p = subprocess.run([matbp, *args], capture_output=True, text=True, timeout=300,
                       input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def strict(text):
    """json.loads that refuses NaN, Infinity and -Infinity (RFC 8259 has none of them)."""
    def refuse(name):
        raise ValueError("not JSON: " + name)
    return json.loads(text, parse_constant=refuse)


case_names = set()


def case(name, ok, detail=""):
    global passed, failed
    if name in case_names:  # a mutant's killer must name one case (tests/mutants/mutants.py)
        ok, detail = False, "a second case of this name"
    case_names.add(name)
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

# C3: the Clarke enclosure at exact kinks. Widths 1-2-1, samples x = 0 and x = 1, squared
# error, mean: at x = 0 both ReLU potentials are exactly 0.
kink2 = write("kink2.json", json.dumps({
    "format": "matbp/1",
    "layers": [{"weights": [["1"], ["-1"]], "bias": ["0", "0"], "activation": "relu"},
               {"weights": [["2", "3"]], "bias": ["1"], "activation": "identity"}],
    "loss": "squared_error", "reduction": "mean", "inputs": [["0"], ["1"]], "targets": [["5"], ["2"]]}))
rc, out, err = run("grad", kink2)
gdoc = strict(out) if rc == 0 else {}
case("kink_enclosure_grad_json", rc == 0 and gdoc.get("kink_enclosures") == [
    {"tensor": "layers[0].bias", "entry": [0, 0], "value": "1", "lower": "-3", "upper": "1", "one": "-3"},
    {"tensor": "layers[0].bias", "entry": [1, 0], "value": "0", "lower": "-6", "upper": "0", "one": "-6"}],
    out + err)
rc, out, err = run("grad", kink2, "--values", "double")
gdoc = strict(out) if rc == 0 else {}
case("kink_enclosure_grad_double", rc == 0 and [(e["value"], e["lower"], e["upper"], e["one"])
                                                 for e in gdoc.get("kink_enclosures", [])]
     == [(1, -3, 1, -3), (0, -6, 0, -6)] and gdoc.get("out_of_double_range") == 0, out + err)
kink2_grads = write("kink2_grads.json", out)
rc, out, err = run("grad", kink2, "--format", "text")
case("kink_enclosure_grad_text", rc == 0 and 'layers[0].bias (0,0) "1" in ["-3", "1"], one "-3"\n' in out
     and 'layers[0].bias (1,0) "0" in ["-6", "0"], one "-6"\n' in out, out + err)
rc, out, err = run("grad", exact_model)
case("kink_enclosure_grad_exact_mixed", rc == 0 and len(strict(out).get("kink_enclosures", [])) > 0, err)


def kink2_check(b0, b1, *extra):
    g = json.loads(open(kink2_grads).read())
    g["layers"][0]["bias"] = [b0, b1]
    path = write("kink2_check.json", json.dumps(g))
    rc, out, err = run("check", kink2, "--gradients", path, "--format", "json", *extra)
    return rc, (strict(out) if rc in (0, 1) else {}), err


rc, rep, err = kink2_check(1.0, 0.0)
case("kink_enclosure_check_zero", rc == 0 and rep.get("kink_match") == "zero" and rep.get("kink_rule") == "enclosure"
     and rep["tensors"][1]["kink_entries"] == 2 and rep["tensors"][1]["kink_match"] == "zero", str(rep) + err)
rc, rep, err = kink2_check(-3.0, -6.0)
case("kink_enclosure_check_one", rc == 0 and rep.get("kink_match") == "one", str(rep) + err)
rc, rep, err = kink2_check(-3.0, -6.0, "--strict-kinks")
case("kink_enclosure_check_one_strict_fails", rc == 1 and rep.get("kink_rule") == "convention"
     and rep["tensors"][1]["kink_outside"] == 2, str(rep) + err)
rc, rep, err = kink2_check(-3.0, 0.0)
case("kink_enclosure_check_mixed", rc == 0 and rep.get("kink_match") == "mixed", str(rep) + err)
rc, rep, err = kink2_check(1.0 * (1 + 1e-6), 0.0)
case("kink_enclosure_check_outside_fails", rc == 1 and rep.get("pass") is False
     and rep["tensors"][1]["kink_outside"] == 1 and rep["tensors"][1]["worst_kink_entry"] == [0, 0]
     and rep["tensors"][1]["worst_kink_ulps"] > 0, str(rep) + err)
rc, out, err = run("check", kink2, "--gradients", write("kink2_out.json", json.dumps(
    {"layers": [{"weights": [[1.0], [0.0]], "bias": [1.000001, 0.0]}, {"weights": [[0.5, 0.0]], "bias": [-1.5]}]})))
case("kink_enclosure_check_outside_text", rc == 1 and "1 out" in out and "Clarke enclosure" in out
     and out.strip().endswith("FAIL"), out + err)
rc, out, err = run("check", "--help")
case("kink_enclosure_check_help", rc == 0 and "Clarke enclosure" in out and "--strict-kinks" in out
     and "zero (relu'(0) = 0" in out and "one (relu'(0) = 1)" in out, out)

rc, out, err = run("verify", exact_model)
case("verify_exact_model", rc == 0 and "all hold exactly" in out and "T1.step" in out and "C1" in out, out + err)

kink_net = {"format": "matbp/1",
            "layers": [{"weights": [["1"]], "bias": ["0"], "activation": "relu"},
                       {"weights": [["2"]], "bias": ["1"], "activation": "identity"}],
            "loss": "squared_error", "reduction": "mean", "inputs": [["0"]], "targets": [["5"]]}
kink_path = write("kink.json", json.dumps(kink_net))
rc, out, err = run("verify", kink_path, "--format", "json")
vdoc = strict(out) if rc == 0 else {}
marks = {(s["id"], s["layer"]): s["derivative"] for s in vdoc.get("steps", [])}
expected = {("T1.base", 1): "true", ("T1.step", 0): "conventional", ("T1.W", 1): "true", ("T1.b", 1): "true",
            ("T1.jac", 1): "true", ("T1.W", 0): "conventional", ("T1.b", 0): "conventional",
            ("T1.jac", 0): "true", ("C1", None): "conventional"}
case("verify_kinks", rc == 0 and vdoc.get("pass") is True and marks == expected
     and vdoc.get("kinks") == [{"layer": 0, "sample": 0, "unit": 0, "site": "activation"}]
     and "relu'(0) = 0" in vdoc.get("kink_convention", ""), out + err)
rc, out, err = run("verify", kink_path)
case("verify_kinks_text", rc == 0 and "1 kink(s) (layer 1, sample 0, unit 0)" in out
     and "4 of them depend on a kink and hold for the conventional derivative only" in out, out + err)
vdoc = strict(run("verify", exact_model, "--format", "json")[1])
gdoc = strict(run("grad", exact_model)[1])
case("verify_kinks_as_grad", vdoc.get("kinks") == gdoc.get("kinks") and len(gdoc.get("kinks", [])) > 0,
     str(vdoc.get("kinks")) + " vs " + str(gdoc.get("kinks")))
rc, out, err = run("verify", "--help")
case("verify_help_names_checks", rc == 0 and "automatic differentiation" in out and "conventional" in out
     and "rho times the sum" in out and "D14" in out, out)

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
exact_sce = json.loads(open(exact_model).read())
exact_sce["loss"] = "softmax_cross_entropy"
bad_input("verify_loss_without_exact_evaluation", ["verify", write("m6.json", json.dumps(exact_sce))], "loss")
# T1 holds for every loss of the registry (only ∇ℓ enters T1.base): verify runs it with huber and l1.
for loss in ({"name": "huber", "delta": "1/3"}, "l1"):
    m = json.loads(open(exact_model).read())
    m["loss"] = loss
    rc, out, err = run("verify", write("m7.json", json.dumps(m)), "--format", "json", "--quiet")
    doc = json.loads(out) if rc == 0 else {}
    case("verify_loss_%s" % (loss if isinstance(loss, str) else loss["name"]),
         rc == 0 and doc.get("pass") is True and len(doc.get("steps", [])) > 0, err)
bad_input("bad_max_rel", ["check", exact_model, "--gradients", grads, "--verdict", "normwise", "--max-rel", "nan"], "--max-rel")
blowup = {"format": "matbp/1", "inputs": [["1/2", "2/3"]], "targets": [["1", "2"]], "layers": [
    {"weights": [["3/7", "-5/11"], ["2/3", "1/13"]], "bias": ["1/17", "-1/19"],
     "activation": {"name": "polynomial", "coefficients": ["1/3", "1", "1/5", "1/7"]}}] * 12}


def resource(name, args, must_contain):
    rc, out, err = run(*args)
    case("resource_" + name, rc == 3 and out == "" and all(m in err for m in must_contain) and err.count("\n") == 1,
         f"rc={rc} stdout={out[:200]!r} stderr={err[:300]!r}")


blowup_path = write("blowup.json", json.dumps(blowup))
resource("max_bits", ["grad", blowup_path], ["--max-bits", "layers["])
resource("small_max_bits", ["grad", blowup_path, "--max-bits", "5000"], ["layers[", "--max-bits"])
resource("max_parameters", ["grad", exact_model, "--max-parameters", "10"], ["max_parameters", "--max-parameters"])
resource("max_file_bytes", ["grad", exact_model, "--max-file-bytes", "100"], ["larger than the limit of 100 bytes", "--max-file-bytes"])
resource("max_file_bytes_gradients", ["check", exact_model, "--gradients", grads, "--max-file-bytes", str(os.path.getsize(exact_model))],
         [grads, "--max-file-bytes"])
# 14 cubic layers grow without bound; with no bit limit the time budget of 1 s stops them (about
# 1.5 s and 10 MB here).
blowup14 = dict(blowup, layers=blowup["layers"][:1] * 14)
resource("time_limit", ["grad", write("blowup14.json", json.dumps(blowup14)), "--max-bits", "4000000000", "--time-limit", "1"],
         ["time budget", "--time-limit"])
overflow = {"format": "matbp/1", "loss": "squared_error", "inputs": [[1e10, 1]], "targets": [[0]], "layers": [
    {"weights": [[1e300, -1e300]], "bias": [0], "activation": "relu"},
    {"weights": [[1e300]], "bias": [1], "activation": "identity"}]}
overflow_path = write("overflow.json", json.dumps(overflow))
resource("double_range", ["grad", overflow_path, "--arith", "double"], ["overflowed", "--arith exact"])
bad_input("bad_time_limit", ["grad", exact_model, "--time-limit", "-1"], "--time-limit")
bad_input("threads_0", ["grad", exact_model, "--threads", "0"], "--threads")
bad_input("no_command", [], "no command")
bad_input("two_models", ["grad", exact_model, exact_model], "one MODEL")

for cmd in (["--help"], ["grad", "--help"], ["check", "--help"], ["verify", "--help"], ["demo", "--help"]):
    rc, out, err = run(*cmd)
    case("help_" + "_".join(c.strip("-") for c in cmd), rc == 0 and "usage" in out and "Exit codes: 0" in out
         and "3 a resource limit" in out and "4 internal error" in out, err)

# ---- output that cannot be written: exit 3, never a success ----
def to_full(*args):
    with open("/dev/full", "w") as full:
        p = subprocess.run([matbp, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


# Small documents fail at main()'s final flush; wide.json's gradients (6561 exact values, more
# than four of the writer's 64 KiB pieces) fail while the writer streams.
out_rng = random.Random(3)
wide = write("wide.json", json.dumps({"format": "matbp/1", "inputs": [[out_rng.uniform(-1, 1) for _ in range(80)]] * 2,
                                      "targets": [[0.5], [0.25]], "layers": [
    {"weights": [[out_rng.uniform(-1, 1) for _ in range(80)] for _ in range(80)], "bias": [0.0] * 80, "activation": "relu"},
    {"weights": [[out_rng.uniform(-1, 1) for _ in range(80)]], "bias": [0.0], "activation": "identity"}]}))
# A streamed document of many pieces is whole and right: strict JSON of the model's shapes, and the
# same bytes as combine (itself streamed) of two streamed parts, each also many pieces long.
rc, out, err = run("grad", wide)
try:
    wide_doc = strict(out)
    shapes = [(len(t["weights"]), len(t["weights"][0]), len(t["bias"])) for t in wide_doc["layers"]]
except (ValueError, KeyError, IndexError, TypeError) as e:
    shapes = repr(e)
case("output_wide_streamed_whole", rc == 0 and len(out) > 4 * 65536 and shapes == [(80, 80, 80), (1, 80, 1)],
     f"rc={rc} {len(out)} bytes {shapes} {err}")
wide_parts = []
for samples in ("0:1", "1:2"):
    rc_p, part, err_p = run("grad", wide, "--partial", "--samples", samples)
    wide_parts.append(write(f"wide_part_{samples[0]}.json", part))
    case(f"output_wide_partial_{samples[0]}_streamed_whole", rc_p == 0 and len(part) > 4 * 65536
         and strict(part).get("format") == "matbp-partial/1", f"rc={rc_p} {len(part)} bytes {err_p}")
rc_c, combined, err_c = run("combine", *wide_parts)
case("output_wide_combine_eq_grad", rc_c == 0 and combined == out, err_c)
bad_grads = bad  # check_fails_perturbed's gradients: exit 1 when its report can be written
named_args = {"grad": ["grad", exact_model], "grad_text": ["grad", exact_model, "--values", "double", "--format", "text"],
              "verify": ["verify", exact_model], "demo": ["demo"], "catalog": ["catalog"], "help": ["--help"],
              "check_pass": ["check", exact_model, "--gradients", grads],
              "check_fail": ["check", exact_model, "--gradients", bad_grads],
              "grad_wide": ["grad", wide], "grad_partial_wide": ["grad", wide, "--partial", "--samples", "0:1"],
              "combine_wide": ["combine", *wide_parts]}
for name, args in named_args.items():
    rc, err = to_full(*args)
    case("output_full_exit_3_" + name, rc == 3 and "cannot write standard output" in err and err.count("\n") == 1,
         f"rc={rc} {err!r}")
# A reader that closes the pipe: with SIGPIPE ignored (restore_signals=False keeps this Python's
# SIG_IGN) the write fails with EPIPE, and that too is exit 3; with SIGPIPE's default the process
# ends by the signal, as any Unix filter does.
p = subprocess.Popen([matbp, "grad", wide], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                     restore_signals=False)
p.stdout.close()
err = p.stderr.read().decode()
p.wait(timeout=300)
case("output_closed_pipe_exit_3", p.returncode == 3 and "cannot write standard output" in err, f"rc={p.returncode} {err!r}")

# ---- conventions ----
rc, out, err = run("--version")
version = out.strip().split(" ")[-1] if rc == 0 else ""
case("conventions_version", rc == 0 and out.startswith("matbp ") and version.count(".") == 2, out + err)
a = run("grad", exact_model, "--values", "double", "--arith", "exact")
b = run("grad", exact_model, "--values=double", "--arith=exact")
case("conventions_equals", a == b and a[0] == 0, str(a[0]) + str(b[0]) + b[2])
c = run("grad", "--values=double", "--arith=exact", "--", exact_model)
case("conventions_double_dash", c == a, c[2])
rc, out, err = run("grad", "--", "--values")
case("conventions_double_dash_positional", rc == 2 and "--values" in err and "cannot open" in err, err)
d = run("grad", "-", "--values=double", "--arith=exact", stdin=open(exact_model).read())
case("conventions_stdin_model", d == a, d[2])
rc, out, err = run("check", exact_model, "--gradients", "-", stdin=open(grads).read())
case("conventions_stdin_gradients", rc == 0 and out.strip().endswith("PASS"), out + err)
rc, out, err = run("check", "-", "--gradients=-", stdin=open(grads).read())
case("conventions_stdin_not_both", rc == 2 and out == "" and "standard input" in err, err)
rc, out, err = run("grad", "-", stdin="")
case("conventions_stdin_empty", rc == 2 and out == "" and "<stdin>: the file is empty" in err, err)
rc, out, err = run("grad", "-", stdin='{"format": "matbp/1", "layers": [,]}')
case("conventions_stdin_error_named", rc == 2 and "<stdin>:1:" in err, err)
rc, out, err = run("grad", exact_model, "-q")
case("conventions_single_dash_refused", rc == 2 and 'unknown option "-q"' in err and "--" in err, err)
rc, out, err = run("grad", exact_model, "--quiet=yes")
case("conventions_flag_without_value", rc == 2 and "--quiet takes no value" in err, err)

# ---- every JSON output strict, with matbp_version ----
def json_ok(name, args, check=lambda doc: True):
    rc, out, err = run(*args)
    try:
        doc = strict(out)
        ok = doc.get("matbp_version") == version and check(doc)
    except ValueError as e:
        ok, err = False, f"{e}: {out[:300]}"
    case("json_strict_" + name, rc in (0, 1) and ok, f"rc={rc} {err[:300]}")
    return doc if ok else {}


json_ok("grad_exact", ["grad", exact_model])
json_ok("grad_double", ["grad", exact_model, "--values", "double"])
json_ok("grad_interval_double", ["grad", tanh_model, "--values", "double", "--quiet"])
json_ok("check", ["check", exact_model, "--gradients", grads, "--format", "json"])
verify_doc = json_ok("verify", ["verify", exact_model, "--format", "json"])
n_layers = len(strict(open(exact_model).read())["layers"])
layers_seen = {s["layer"] for s in verify_doc.get("steps", []) if s["layer"] is not None}
c1 = [s for s in verify_doc.get("steps", []) if s["id"] == "C1"]
case("indices_0_based", layers_seen == set(range(n_layers)) and len(c1) == 1 and c1[0]["layer"] is None
     and c1[0]["sample"] is None, str(layers_seen))
grad_doc = strict(run("grad", exact_model)[1])
case("indices_0_based_kinks", all(0 <= k["layer"] < n_layers for k in grad_doc["kinks"]), str(grad_doc["kinks"]))

# ---- overflow: weights near 1e300, cost and gradients beyond the double range ----
doc = json_ok("overflow_grad_double", ["grad", overflow_path, "--values", "double"])
strings = [doc.get("cost")] + [v for l in doc.get("layers", []) for row in l["weights"] for v in row] + \
          [v for l in doc.get("layers", []) for v in l["bias"]]
case("overflow_grad_double_exact_strings", doc.get("out_of_double_range") == 6 and all(isinstance(v, str) for v in strings)
     and all(abs(fractions.Fraction(v)) > sys.float_info.max for v in strings), str(doc)[:300])
doc = json_ok("overflow_grad_interval", ["grad", overflow_path, "--values", "double", "--arith", "interval:64"])
case("overflow_grad_interval_bounds", isinstance(doc.get("cost", {}).get("lower"), str) and doc.get("out_of_double_range") == 12,
     str(doc)[:300])
zero_grads = write("zero_grads.json", json.dumps({"layers": [{"weights": [[0, 0]], "bias": [0]}, {"weights": [[1e-300]], "bias": [0]}]}))
doc = json_ok("overflow_check", ["check", overflow_path, "--gradients", zero_grads, "--format", "json", "--verdict", "normwise"])
t0 = doc.get("tensors", [{}])[0]
case("overflow_check_exact_strings", doc.get("pass") is False and doc.get("out_of_double_range") == 8
     and isinstance(t0.get("worst_abs_error"), str) and abs(fractions.Fraction(t0["worst_abs_error"])) > sys.float_info.max
     and t0.get("normwise_error") == 1, str(doc)[:300])
rc, out, err = run("check", overflow_path, "--gradients", zero_grads, "--format", "json")
case("overflow_check_exit_1", rc == 1, err)
# The reference ∇W = ∇b = 1 (c = ½(1·1 − 0)²), the report 2^1100: every error beyond the double range.
unit = write("unit.json", json.dumps({"format": "matbp/1", "inputs": [[1]], "targets": [[0]],
                                      "layers": [{"weights": [[1]], "bias": [0], "activation": "identity"}]}))
big_err = write("big_err_grads.json", json.dumps({"layers": [{"weights": [["0x1p1100"]], "bias": [1]}]}))
doc = json_ok("overflow_check_normwise", ["check", unit, "--gradients", big_err, "--format", "json", "--verdict", "normwise"])
t0 = doc.get("tensors", [{}])[0]
case("overflow_check_normwise_sqrt", str(t0.get("normwise_error", "")).startswith("sqrt(")
     and doc.get("out_of_double_range") == 3 and doc["tensors"][1]["normwise_error"] == 0, str(doc)[:400])

# ---- C4: sample shards (grad --partial --samples A:B, combine) ----
import re
import shutil

shard_rng = random.Random(15)


def shard_model(n, loss, reduction, seed_rng):
    """A 3-4-2 ReLU/identity net whose inputs are small multiples of 1/4 (many exact ReLU kinks)."""
    q = lambda: seed_rng.randint(-4, 4) / 4
    return {"format": "matbp/1", "loss": loss, "reduction": reduction,
            "layers": [{"weights": [[q() for _ in range(3)] for _ in range(4)], "bias": [0, 0.25, -0.25, 0],
                        "activation": "relu"},
                       {"weights": [[q() for _ in range(4)] for _ in range(2)], "bias": [0, 0], "activation": "identity"}],
                       "inputs": [[q() for _ in range(3)] for _ in range(n)],
                       "targets": [[q() for _ in range(2)] for _ in range(n)]}


def combined_eq_grad(name, model, cuts, *opts):
    """grad --partial per range [cuts[i], cuts[i+1]), combine (parts in reverse) == grad, byte for byte."""
    parts = []
    for i in range(len(cuts) - 1):
        rc, out, err = run("grad", model, "--partial", "--samples", f"{cuts[i]}:{cuts[i + 1]}")
        if rc != 0:
            case(name, False, f"part {cuts[i]}:{cuts[i + 1]}: rc={rc} {err}")
            return
        parts.append(write(f"{name}.{i}.json", out))
    rc, combined, err = run("combine", *reversed(parts), *opts)
    rc2, full, err2 = run("grad", model, *opts)
    case(name, rc == 0 and rc2 == 0 and combined == full and full != "", f"cuts={cuts} rc={rc} {err}{err2}")


# The README's two lines, verbatim, in a directory holding a 256-sample model.json: with GNU
# parallel when it is installed, else with parallel '…' read as xargs -P 2 -I{} sh -c '…' (GNU
# parallel runs its command through a shell, as sh -c does).
readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
section = readme[readme.index("### Spreading one computation over machines"):]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
pipe_dir = tempfile.mkdtemp(prefix="matbp_shards_", dir=work)
bin_dir = os.path.join(pipe_dir, "bin")
os.mkdir(bin_dir)
os.symlink(os.path.abspath(matbp), os.path.join(bin_dir, "matbp"))
model_256 = shard_model(256, "mse", "mean", shard_rng)
with open(os.path.join(pipe_dir, "model.json"), "w") as f:
    json.dump(model_256, f)
script = block if shutil.which("parallel") else block.replace("parallel '", "xargs -P 2 -I{} sh -c '")
p = subprocess.run(["sh", "-c", script], cwd=pipe_dir, capture_output=True, text=True, timeout=600,
                   env=dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", "")))
rc, full, err = run("grad", os.path.join(pipe_dir, "model.json"))
piped = open(os.path.join(pipe_dir, "gradients.json")).read() if os.path.exists(os.path.join(pipe_dir, "gradients.json")) else ""
n_parts = len([f for f in os.listdir(pipe_dir) if f.startswith("part.")])
case("shards_readme_pipeline", p.returncode == 0 and rc == 0 and piped == full and n_parts == 4
     and len(strict(full)["kinks"]) > 0 and len(strict(full)["kink_enclosures"]) > 0,
     f"parallel={bool(shutil.which('parallel'))} rc={p.returncode} parts={n_parts} {p.stderr[:300]} {err}")

# The README's last-range expression for a sample count that is not a multiple of the range.
expr = re.search(r"`--samples (\{\}:\$\(\(.*?\)\))`", section).group(1)
p = subprocess.run(["sh", "-c", "seq 0 64 249 | xargs -I{} sh -c 'echo " + expr + "'"], capture_output=True,
                   text=True, timeout=60, env=dict(os.environ, N="250"))
case("shards_readme_last_range", p.stdout.split() == ["0:64", "64:128", "128:192", "192:250"], p.stdout + p.stderr)

# Every split of exact_mixed.json (3 samples, rational engine, kinks); random splits of 40-sample
# models with each loss and reduction; text and double output; a part from standard input.
n_mixed = len(strict(open(exact_model).read())["inputs"])
for mask in range(1 << (n_mixed - 1)):
    cuts = [0] + [c for c in range(1, n_mixed) if mask & (1 << (c - 1))] + [n_mixed]
    combined_eq_grad(f"shards_every_split_exact_mixed_{mask}", exact_model, cuts)
for loss in ("squared_error", "mse", "l1"):
    for red in ("mean", "sum"):
        m40 = write(f"shard40_{loss}_{red}.json", json.dumps(shard_model(40, loss, red, shard_rng)))
        cuts = sorted({0, 40, *shard_rng.sample(range(1, 40), shard_rng.randint(1, 6))})
        combined_eq_grad(f"shards_random_split_{loss}_{red}", m40, cuts)
        combined_eq_grad(f"shards_random_split_{loss}_{red}_text_double", m40, cuts, "--format", "text", "--values",
                         "double")
m40 = os.path.join(work, "shard40_mse_mean.json")
rc, a, err = run("grad", m40, "--partial", "--samples", "0:17")
rc2, b, err2 = run("grad", m40, "--partial", "--samples", "17:40")
rc3, combined, err3 = run("combine", "-", write("stdin_part_b.json", b), stdin=a)
case("shards_part_from_stdin", rc == rc2 == rc3 == 0 and combined == run("grad", m40)[1], err + err2 + err3)
doc = strict(a)
case("shards_partial_document", doc.get("format") == "matbp-partial/1" and doc.get("samples") == {"begin": 0, "end": 17, "count": 40}
     and doc.get("arith") == "exact" and doc.get("model_fingerprint", "").startswith("sha256:")
     and doc.get("matbp_version") == run("--version")[1].split()[1], str(doc)[:300])
rc, out, err = run("combine", "--help")
case("help_combine", rc == 0 and "usage: matbp combine" in out and "Exit codes: 0" in out and "cover" in out, out + err)
rc, out, err = run("grad", "--help")
case("help_grad_partial", rc == 0 and "--partial" in out and "--samples A:B" in out and "half-open" in out, out)
bad_input("shards_overlap", ["combine", write("ov_a.json", a), write("ov_b.json", a)], "ov_b.json: samples: its range [0, 17) overlaps")
bad_input("shards_gap", ["combine", write("gap_b.json", b)], "samples 0 to 16 are in no part")
bad_input("shards_samples_past_end", ["grad", m40, "--partial", "--samples", "30:41"], "--samples")
# ---- the verdict by rounding bound (T3) ----
# Under the bound verdict the errors beyond the double range are counted with the bound's own
# fields (bound_distance, bound), written as exact strings too.
doc = json_ok("overflow_check_bound", ["check", unit, "--gradients", big_err, "--format", "json"])
t0 = doc.get("tensors", [{}])[0]
case("overflow_check_bound_strings", doc.get("verdict") == "bound" and doc.get("pass") is False
     and isinstance(t0.get("bound_distance"), str) and doc.get("out_of_double_range") == 4
     and (t0.get("bound_use") is None or isinstance(t0.get("bound_use"), (int, float))), str(doc)[:400])
doc = json_ok("check_bound_fields", ["check", exact_model, "--gradients", grads, "--format", "json"])
case("check_bound_fields_present", doc.get("verdict") == "bound" and doc.get("precision") == "float64"
     and doc.get("ulp_format") == "float64" and doc.get("max_rel") is None and doc.get("verdict_note") is None
     and isinstance(doc.get("near_kinks"), list)
     and all(k in t for t in doc["tensors"] for k in ("bound_use", "bound_use_entry", "bound_use_ulps",
                                                      "bound_distance", "bound", "beyond_bound"))
     and all(t["bound_use"] <= 1 for t in doc["tensors"]), str(doc)[:400])
for p in ("float32", "bfloat16", "float16", "tf32"):
    doc = json_ok("check_precision_" + p, ["check", exact_model, "--gradients", grads, "--format", "json",
                                          "--precision", p])
    case("check_precision_%s_named" % p, doc.get("precision") == p and doc.get("ulp_format") == "float32"
         and doc.get("pass") is True, str(doc)[:200])
doc = json_ok("check_normwise", ["check", exact_model, "--gradients", grads, "--format", "json",
                                 "--verdict", "normwise", "--max-rel", "1e-12"])
case("check_normwise_keeps_old_rule", doc.get("verdict") == "normwise" and doc.get("max_rel") == 1e-12
     and all(t["bound_use"] is None for t in doc["tensors"]), str(doc)[:300])
doc = json_ok("check_normwise_bfloat16", ["check", exact_model, "--gradients", grads, "--format", "json",
                                          "--verdict", "normwise", "--precision", "bfloat16"])
case("check_normwise_names_precision", doc.get("precision") == "bfloat16" and doc.get("ulp_format") == "float32",
     str(doc)[:200])
bad_input("max_rel_needs_normwise", ["check", exact_model, "--gradients", grads, "--max-rel", "1e-8"],
          "--verdict normwise")
bad_input("bad_precision_name", ["check", exact_model, "--gradients", grads, "--precision", "float8"],
          "bfloat16")
bad_input("bad_verdict", ["check", exact_model, "--gradients", grads, "--verdict", "strict"], "--verdict")
# A model T2 does not cover (softmax_cross_entropy): the normwise rule decides and the report says why.
sce = write("sce.json", json.dumps({"format": "matbp/1", "inputs": [[1], [0]], "targets": [[1, 0], [0, 1]],
                                    "loss": "softmax_cross_entropy",
                                    "layers": [{"weights": [[1], [-1]], "bias": [0, 0], "activation": "identity"}]}))
rc, out, err = run("grad", sce, "--values", "double")
lower = lambda v: v["lower"] if isinstance(v, dict) else v  # noqa: E731 (an interval reference's lower ends)
sce_grads = write("sce_grads.json", json.dumps({"layers": [{"weights": [[lower(v) for v in row] for row in l["weights"]],
                                                            "bias": [lower(v) for v in l["bias"]]}
                                                           for l in json.loads(out)["layers"]]}) if rc == 0 else "{}")
doc = json_ok("check_fallback", ["check", sce, "--gradients", sce_grads, "--format", "json"])
case("check_fallback_says_why", doc.get("verdict") == "normwise" and "softmax_cross_entropy" in (doc.get("verdict_note") or ""),
     str(doc)[:300])
rc, out, err = run("check", sce, "--gradients", sce_grads)
case("check_fallback_text", rc == 0 and "verdict: T2 does not cover softmax_cross_entropy" in out, out)
rc, out, err = run("check", "--help")
case("check_help_names_verdict", rc == 0 and all(w in out for w in ("--verdict", "bfloat16", "tf32", "near-kink",
                                                                     "bound use")), out[:200])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
