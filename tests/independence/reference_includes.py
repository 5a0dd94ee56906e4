#!/usr/bin/env python3
"""Fails (exit 1) if the reference sources' file includes, by its own #include lines, a header of
matbp's algorithm or proof. Usage: reference_includes.py tests/support/reference.hpp.
The names it may not use are checked by reference_names.cpp (tests/CMakeLists.txt)."""
import re
import sys

FORBIDDEN = {"matbp/backprop.hpp", "matbp/induction.hpp", "matbp/elementary.hpp",
             "matbp/jacobian.hpp", "matbp/kron.hpp"}

path = sys.argv[1]
bad = []
with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        m = re.match(r'\s*#\s*include\s*[<"]([^>"]+)[>"]', line)
        if m and m.group(1) in FORBIDDEN:
            bad.append(f"{path}:{n}: includes {m.group(1)}")
for b in bad:
    print(b)
if bad:
    print("reference sources must not include the algorithm's or the proof's headers")
    sys.exit(1)
print(f"{path}: no forbidden #include")
