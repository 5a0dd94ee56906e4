#!/usr/bin/env python3
"""Test of tests/traceability.py (CTest traceability_selftest): the checker passes a small fixture
tree whose links all hold, and fails, with a message naming the broken link, each of four copies
with one link broken:
  code_name   a proof step's *code* names a function that src/ does not define
  test_name   a proof step's *test* names a case that tests/ does not have
  label_moved a step label written at another function than the one the step names
  id_untested a statement ID whose only mention in tests/ is a comment
and passes a statement tested only through a Boost.Test label decorator.
Usage: traceability_selftest.py"""
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent

GOOD = {
    "spec/s.md": """# Statements

### D1 — vec

**Statement.** vec stacks the columns.

**Testing.** `D1_vec_stacks_columns`: against the entries.

**Implementation.** `vec(X)` in `src/matbp/kron.hpp`.

### D2 — unvec

**Statement.** unvec inverts vec.

**Implementation.** `unvec(v, n, q)` in `src/matbp/kron.hpp`.
""",
    "proofs/p.md": """# Proofs

## D1 — vec

- **D1 (i)** — column s goes to block s. *uses* D1 · *code* `vec` · *test* `D1_vec_stacks_columns`
- **D1 (ii)** — so the entries line up. *uses* D1 (i) · *code* `vec` · *test* `D1_vec_stacks_columns`

## D2 — unvec

Code: `unvec` (src/matbp/kron.hpp). Test: `unvec_inverts_vec` (tests/kron_test.cpp).

- **D2 (i)** — block s goes back to column s.
""",
    "src/matbp/kron.hpp": """#pragma once
/// D1: vec(X) stacks the columns of X.
// D1 (i)–(ii): column s of X is block s of vec X.
template <class T>
colvec<T> vec(const matrix<T>& X) {
    return X.reshaped();
}

/// D2: unvec(v, n, q) inverts vec.
template <class T>
matrix<T> unvec(const colvec<T>& v, long n, long q) {
    // D2 (i): block s is column s.
    return v.reshaped(n, q);
}
""",
    "tests/kron_test.cpp": """BOOST_AUTO_TEST_CASE(D1_vec_stacks_columns) {}
BOOST_AUTO_TEST_CASE(unvec_inverts_vec, *boost::unit_test::label("D2")) {}
""",
}

# name → (file, text replaced, replacement, what the checker must print)
BREAKS = {
    "code_name": ("proofs/p.md", "*code* `vec` · *test* `D1_vec_stacks_columns`\n- **D1 (ii)**",
                  "*code* `vec_of_columns` · *test* `D1_vec_stacks_columns`\n- **D1 (ii)**",
                  "code name `vec_of_columns` is not a function or type defined in src/"),
    "test_name": ("proofs/p.md", "*code* `vec` · *test* `D1_vec_stacks_columns`\n- **D1 (ii)**",
                  "*code* `vec` · *test* `D1_vec_stacks_rows`\n- **D1 (ii)**",
                  "test name `D1_vec_stacks_rows` is not a test case in tests/"),
    "label_moved": ("src/matbp/kron.hpp",  # from unvec's body to vec's comment block
                    "// D1 (i)–(ii): column s of X is block s of vec X.\ntemplate <class T>\ncolvec<T> vec(const matrix<T>& X) {\n    return X.reshaped();\n}\n\n/// D2: unvec(v, n, q) inverts vec.\ntemplate <class T>\nmatrix<T> unvec(const colvec<T>& v, long n, long q) {\n    // D2 (i): block s is column s.\n",
                    "// D1 (i)–(ii): column s of X is block s of vec X.\n// D2 (i): block s is column s.\ntemplate <class T>\ncolvec<T> vec(const matrix<T>& X) {\n    return X.reshaped();\n}\n\n/// D2: unvec(v, n, q) inverts vec.\ntemplate <class T>\nmatrix<T> unvec(const colvec<T>& v, long n, long q) {\n",
                    "step label D2 (i) is not written at its function (`unvec`) in src/"),
    "id_untested": ("tests/kron_test.cpp", 'BOOST_AUTO_TEST_CASE(unvec_inverts_vec, *boost::unit_test::label("D2")) {}',
                    "BOOST_AUTO_TEST_CASE(unvec_inverts_vec) {}  // checks D2, D2_unvec",
                    "D2: no test case names it"),
}


def tree(base, files):
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def run(base):
    return subprocess.run([sys.executable, str(HERE / "traceability.py"), str(base)], capture_output=True, text=True)


failures = []
with tempfile.TemporaryDirectory(prefix="matbp_trace_") as tmp:
    good = pathlib.Path(tmp) / "good"
    tree(good, GOOD)
    p = run(good)
    if p.returncode != 0 or "0 failed" not in p.stdout:
        failures.append(f"the intact fixture does not pass:\n{p.stdout}{p.stderr}")
    for name, (rel, old, new, expected) in BREAKS.items():
        files = dict(GOOD)
        if files[rel].count(old) != 1:
            failures.append(f"{name}: the fixture text to break is not in {rel} exactly once")
            continue
        files[rel] = files[rel].replace(old, new)
        broken = pathlib.Path(tmp) / name
        tree(broken, files)
        p = run(broken)
        if p.returncode != 1 or expected not in p.stdout:
            failures.append(f"{name}: want exit 1 and '{expected}', got exit {p.returncode}:\n{p.stdout}{p.stderr}")
        else:
            print(f"{name}: fails as it should: {next(l for l in p.stdout.splitlines() if expected in l).strip()}")

if failures:
    print("FAIL\n" + "\n".join(failures))
    sys.exit(1)
print(f"traceability self-test: the intact fixture passes, {len(BREAKS)} broken links each fail")
