#!/usr/bin/env python3
"""Check the Coq development in proofs/coq (CTest test `coq_proofs`, label coq).

1. No hole in our files: the words Admitted, admit, Axiom(s), Parameter(s), Hypothesis/Hypotheses
   and Conjecture(s) do not occur outside comments. (Section Variables are allowed: closing the
   section quantifies every lemma over them.)
2. Compiles proofs/coq/*.v, in the order of proofs/coq/_CoqProject, into BUILD (never into the
   source tree): each .v is copied to BUILD and compiled there with `coqc -Q BUILD Matbp`; a file
   is recompiled only when its source changed or a file before it was recompiled.
3. Runs `Print Assumptions` on the top-level theorems T1, C1 and C1_dyadic_width and fails if any axiom appears
   that is not in the list of admitted mathcomp-analysis axioms of spec/theorem.md
   ("Axioms of the Coq proofs").

Usage: coq_check.py COQC SOURCE_ROOT BUILD_DIR. Exit 0 if everything holds, 1 otherwise."""
import pathlib
import re
import shutil
import subprocess
import sys
import time

coqc, root, build = sys.argv[1], pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3]).resolve()
src = root / "proofs" / "coq"
build.mkdir(parents=True, exist_ok=True)
flags = ["-w", "-notation-overridden,-ambiguous-paths", "-Q", str(build), "Matbp"]
TOP = ["T1", "C1", "C1_dyadic_width"]
failures = []


def strip_comments(text):
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("(*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*)", i) and depth:
            depth, i = depth - 1, i + 2
        else:
            if not depth:
                out.append(text[i])
            i += 1
    return "".join(out)


# 1. Holes.
order = [l.strip() for l in (src / "_CoqProject").read_text().splitlines()
         if l.strip().endswith(".v")]
HOLE = re.compile(r"\b(Admitted|admit|Axioms?|Parameters?|Hypothes[ie]s|Conjectures?)\b")
for name in order:
    for n, line in enumerate(strip_comments((src / name).read_text()).splitlines(), 1):
        if HOLE.search(line):
            failures.append(f"proofs/coq/{name}:{n}: forbidden command: {line.strip()}")

# 2. Compile, in order, into the build tree.
start = time.monotonic()
stale = False
for name in order:
    s, copy, vo = src / name, build / name, build / (name[:-2] + ".vo")
    if not copy.exists() or copy.read_bytes() != s.read_bytes():
        shutil.copyfile(s, copy)
        stale = True
    if stale or not vo.exists() or vo.stat().st_mtime < copy.stat().st_mtime:
        stale = True
        t = time.monotonic()
        r = subprocess.run([coqc, *flags, str(copy)], cwd=build, capture_output=True, text=True)
        print(f"coqc {name}: {time.monotonic() - t:.1f} s, exit {r.returncode}")
        if r.returncode:
            print(r.stdout + r.stderr)
            vo.unlink(missing_ok=True)
            failures.append(f"proofs/coq/{name}: coqc failed")
            break
    else:
        print(f"coqc {name}: up to date")
print(f"compile: {time.monotonic() - start:.1f} s")

# 3. Assumptions of the top-level theorems.
spec = (root / "spec" / "theorem.md").read_text()
m = re.search(r"Axioms of the Coq proofs.*?\n\n(.*?)\n\n", spec, re.S)
allowed = set(re.findall(r"`([\w.]+)`", m.group(1))) if m else set()
if not allowed:
    failures.append("spec/theorem.md: no list 'Axioms of the Coq proofs' found")
if not failures:
    probe = build / "Assumptions.v"
    probe.write_text("From Matbp Require Import Backprop Dyadic.\n" +
                     "".join(f"Print Assumptions {t}.\n" for t in TOP))
    r = subprocess.run([coqc, *flags, str(probe)], cwd=build, capture_output=True, text=True)
    out = r.stdout + r.stderr
    blocks = re.split(r"^(?=Axioms:|Closed under the global context)", out, flags=re.M)[1:]
    if r.returncode or len(blocks) != len(TOP):
        failures.append(f"Print Assumptions did not report on {', '.join(TOP)}:\n{out}")
    for t, block in zip(TOP, blocks):
        # After the header, each axiom starts at column 0 ("name : type" or "name" with the
        # type on the following, indented lines).
        names = [l.split()[0] for l in block.splitlines()[1:] if l and not l[0].isspace()]
        print(f"Print Assumptions {t}: {', '.join(names) or 'closed'}")
        for a in names:
            if a not in allowed:
                failures.append(f"{t} depends on {a}, not in spec/theorem.md's axiom list")

for f in failures:
    print("FAIL", f)
print("coq: ok" if not failures else f"coq: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
