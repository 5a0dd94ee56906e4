#!/usr/bin/env python3
"""The assurance table (README.md, "What is checked", and proofs/README.md) against the tree.

Fails, listing every problem, when
  - the table is missing from either file, or the two copies differ;
  - a statement ID of spec/ has no row, or a row's ID is not a statement ID of spec/;
  - a row names no test case, or names one that does not exist: a Boost.Test case
    (BOOST_AUTO_TEST_CASE, RC_BOOST_PROP, ...) in a test file that tests/CMakeLists.txt builds
    (matbp_test), or a CTest test that tests/CMakeLists.txt adds.

Usage: assurance_check.py ROOT"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
BEGIN, END = "<!-- assurance table", "<!-- end of assurance table -->"
ID = re.compile(r"(?<![\w.])([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*)(?![\w])")
problems = []


def table_of(path):
    text = (root / path).read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        problems.append(f"{path}: no assurance table (between '{BEGIN}' and '{END}')")
        return None
    return text[text.index(BEGIN):text.index(END) + len(END)]


readme, proofs = table_of("README.md"), table_of("proofs/README.md")
if readme is not None and proofs is not None and readme != proofs:
    problems.append("README.md and proofs/README.md hold different copies of the assurance table")

# Statement IDs, as tests/traceability.py reads them.
spec_text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "spec").rglob("*.md")))
spec_ids = set(ID.findall(spec_text))

# Test cases that exist: Boost cases in the files CMake builds as test executables, and CTest tests.
cmake = (root / "tests" / "CMakeLists.txt").read_text(encoding="utf-8")
executables = set(re.findall(r"^\s*matbp_test\((\w+)\)", cmake, re.M))
ctest = set(re.findall(r"add_test\(NAME\s+([\w.-]+)", cmake))
for fail_name, control_name in re.findall(r"^\s*matbp_compile_fail\((\w+)\s+(\w+)", cmake, re.M):
    ctest.update((fail_name, control_name))
ctest.update(executables)
ctest.update(e + "_cheap" for e in executables)
CASE = re.compile(r"\b(?:BOOST_AUTO_TEST_CASE|BOOST_AUTO_TEST_CASE_TEMPLATE|BOOST_FIXTURE_TEST_CASE|"
                  r"BOOST_DATA_TEST_CASE|RC_BOOST_PROP|RC_BOOST_FIXTURE_PROP)\(\s*(\w+)")
cases = set()
for name in executables:
    cases.update(CASE.findall((root / "tests" / f"{name}.cpp").read_text(encoding="utf-8")))
known = cases | ctest

rows = {}
if readme is not None:
    for line in readme.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 5 or cells[0] in ("ID", "") or set(cells[0]) <= set("-"):
            continue
        sid, named = cells[0], re.findall(r"`([^`]+)`", cells[4])
        if sid in rows:
            problems.append(f"{sid}: two rows")
        rows[sid] = named
        if sid not in spec_ids:
            problems.append(f"{sid}: a row, but no such statement ID in spec/")
        if not named:
            problems.append(f"{sid}: the row names no test case")
        for t in named:
            if t not in known:
                problems.append(f"{sid}: names `{t}`, which is neither a Boost.Test case of a built test "
                                "file nor a CTest test")
for sid in sorted(spec_ids - set(rows)):
    problems.append(f"{sid}: a statement ID of spec/ without a row in the assurance table")

for p in problems:
    print("assurance:", p)
print(f"assurance: {len(rows)} rows, {sum(len(v) for v in rows.values())} test names, "
      f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
