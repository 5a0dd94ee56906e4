#!/usr/bin/python3
"""run_safetensors.py — `matbp check` reads PyTorch's model and gradients as safetensors exactly as
it reads them as JSON (#15 item 2; model.hpp read_model_bytes, safetensors.hpp).

For each seed below, torch_export.py writes a random float64 PyTorch MLP and PyTorch's gradients
as matbp/1 JSON and, with --safetensors, the same tensors as F64 safetensors (written by
tests/peer/safetensors_io.py, not by matbp). Then `matbp check --format json` runs on the four
pairings (model JSON or safetensors × gradients JSON or safetensors). Each must exit as the
JSON/JSON pairing does (0 for PyTorch's gradients, 1 for the perturbed ones), with the same
report: both formats carry the same doubles, so any difference is a reader bug.
One more case: PyTorch's gradients stored as F32 must pass `--precision float32`, and as F16
must fail it (F16 keeps 11 bits, far coarser than float32's rule of 1e-4 normwise).

Usage: run_safetensors.py MATBP_BINARY WORKDIR      Exit: 0 all as expected, 1 otherwise."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy  # noqa: E402
import safetensors_io  # noqa: E402
import torch_export  # noqa: E402

# seed: (loss, reduction, perturb?)
SEEDS = {1: ("squared_error", "mean", False), 2: ("mse", "sum", True), 3: ("huber", "mean", False),
         4: ("softmax_cross_entropy", "mean", True), 5: ("l1", "sum", False)}


def check(binary, model, grads, *extra):
    r = subprocess.run([binary, "check", model, "--gradients", grads, "--format", "json", "--quiet", *extra],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def main(binary, workdir):
    os.makedirs(workdir, exist_ok=True)
    failures = []
    for seed, (loss, red, perturb) in sorted(SEEDS.items()):
        stem = os.path.join(workdir, "st_%02d" % seed)
        argv = ["--seed", str(seed), "--model", stem + ".model.json", "--gradients", stem + ".grads.json",
                "--loss", loss, "--reduction", red, "--safetensors"] + (["--perturb"] if perturb else [])
        if torch_export.main(argv) != 0:
            failures.append("seed %d: torch_export.py %s failed" % (seed, " ".join(argv)))
            continue
        want = 1 if perturb else 0
        base = check(binary, stem + ".model.json", stem + ".grads.json")
        for m in (".model.json", ".model.json.safetensors"):
            for g in (".grads.json", ".grads.json.safetensors"):
                rc, out, err = check(binary, stem + m, stem + g)
                print("seed %d %-25s %-25s exit %d" % (seed, m, g, rc))
                if rc != want or (rc, out) != base[:2]:
                    failures.append("seed %d %s %s: exit %d (want %d), report %s the JSON/JSON one; %s"
                                    % (seed, m, g, rc, want, "equal to" if out == base[1] else "differs from",
                                       err.strip()))
        if seed == 1:
            with open(stem + ".grads.json") as f:
                grads = [(numpy.array(L["weights"]), numpy.array(L["bias"])) for L in json.load(f)["layers"]]
            for dtype, expect in (("F32", 0), ("F16", 1)):
                path = "%s.grads.%s.safetensors" % (stem, dtype)
                safetensors_io.write(path, safetensors_io.gradient_tensors(grads, dtype))
                rc, out, err = check(binary, stem + ".model.json", path, "--precision", "float32")
                print("seed 1 gradients as %s, --precision float32: exit %d (want %d)" % (dtype, rc, expect))
                if rc != expect:
                    failures.append("seed 1 %s gradients: exit %d, want %d; %s" % (dtype, rc, expect, err.strip()))
    for f in failures:
        print("FAIL: " + f)
    print("run_safetensors: %s" % ("all as expected" if not failures else "%d failure(s)" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
