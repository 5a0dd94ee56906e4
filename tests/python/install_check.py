"""`cmake --install` puts the package matbp into the prefix's site-packages, where it imports and
computes (CTest python_install, label python).

Usage: install_check.py CMAKE BUILD_DIR WORK_DIR SITE_PACKAGES_RELATIVE_TO_PREFIX"""
import os
import shutil
import subprocess
import sys

cmake, build, work, site = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
prefix = os.path.join(work, "prefix")
subprocess.run([cmake, "--install", build, "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
env = dict(os.environ, PYTHONPATH=os.path.join(prefix, site), PYTHONDONTWRITEBYTECODE="1")
code = """
import matbp, matbp.torch, matbp.testing
m = matbp.Model.from_json({"format": "matbp/1", "layers": [{"weights": [[0.5]], "bias": [0.25], "activation": "relu"}],
                           "loss": "mse", "inputs": [[1.0]], "targets": [[0.0]]})
g = m.gradients(exact=True)
assert [list(a.flat) for a in g] == [[0.75 * 2], [0.75 * 2]], g
print(matbp.__file__)
"""
out = subprocess.run([sys.executable, "-c", code], env=env, cwd=work, capture_output=True, text=True)
if out.returncode != 0:
    sys.exit("installed package failed:\n" + out.stderr)
if not os.path.realpath(out.stdout.strip()).startswith(os.path.realpath(prefix)):
    sys.exit("imported %s, not the installed package under %s" % (out.stdout.strip(), prefix))
print("ok: " + out.stdout.strip())
