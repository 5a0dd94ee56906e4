#!/usr/bin/env python3
"""Traceability check: the names that spec/ and proofs/ give for code and tests exist, each proof
step's label is written at the function that carries it, and every statement has a test case.

Usage: traceability.py [ROOT]   (ROOT defaults to the repository; tests/traceability_selftest.py
runs it on small fixture trees, one per kind of broken link).

What it reads (the markers are those of proofs/README.md and spec/README.md):
- code names: backticked names in a proof step's `*code*` part and in a lemma's `Code:` line
  (proofs/*.md), and in a statement's `**Implementation.**` paragraph (spec/*.md); `f(x, y)`
  counts as the name f, a qualified name `std::…`, an expression or a file path is skipped.
  Each must be defined in src/ (a function, type, alias, concept, enumeration or macro).
- test names: backticked names in a step's `*test*` part and a lemma's `Test:`/`Tests:` line
  (every one), and in a `**Testing.**` paragraph those that start with a statement ID (`T1_…`).
  Each must be a test case in tests/: a Boost.Test case (BOOST_AUTO_TEST_CASE[_TEMPLATE],
  BOOST_DATA_TEST_CASE, BOOST_FIXTURE_TEST_CASE, RC_BOOST_PROP), a pytest function
  (`def test_…`), a case of tests/cli_test.py (`case("…")`, `bad_input("…")` → bad_input_…), or
  a CTest test (add_test(NAME …), matbp_test(…) and its _cheap twin, matbp_compile_fail(…)).
- proof steps: a label `**<ID> (<roman>)**` in proofs/*.md. Its carriers are the code names of
  its `*code*` part, or, for a lemma whose steps name no code, the lemma's `Code:` line. The
  label must be written in src/ at one of them: on its definition's line, in the comment block
  directly above it, or in its body (`// T1.step (ii): …`; a range `C1 (ii)–(iv)` covers ii, iii
  and iv).
- statement IDs: every ID in spec/ (D<n>, L<n>, T<n>, C<n>, P<n>, with dot parts) must be named
  by a test case: its name is the ID with dots as underscores, alone or followed by `_…`
  (`T1.step` ↦ `T1_step_holds_exactly`), or a Boost.Test label decorator
  `boost::unit_test::label("T1.step")`. A comment does not count. It must also be mentioned in
  src/ (its transcription's doc comment) and in proofs/.
- Coq links (proofs/coq/*.v): a statement of spec/ with a Coq proof has a line
  `*Coq* `name`, `name2` (proofs/coq/File.v)...`. Every name there must be defined (Lemma,
  Theorem, Corollary, Definition, Fixpoint) in that file, and a name that looks like an ID
  (T1_step) must resolve to the statement it is under (T1.step under T1, L8_W under L8). Every
  Coq lemma or theorem whose name starts like an ID must be named by such a line.
Lists every gap with its file and line; exits 1 if any."""
import pathlib
import re
import sys

ID = re.compile(r"(?<![\w.])([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*)(?![\w])")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
STEP = re.compile(r"\*\*([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*) \(([ivx]+)\)\*\*")
# A label written in src/: "T1.step (ii)", or a range "C1 (ii)–(iv)" / "C1 (ii)-(iv)".
SRC_LABEL = re.compile(r"(?<![\w.])([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*) \(([ivx]+)\)(?:\s*[–-]\s*\(([ivx]+)\))?")
NAME_TOKEN = re.compile(r"^([A-Za-z_]\w*)(?:<[^`]*>)?(?:\(.*\))?$")
BARE = re.compile(r"^[A-Za-z_]\w*$")


def id_key(s):
    return (s[0], [int(x) if x.isdigit() else x for x in re.split(r"[.]", s[1:])])


def files(root, folder, suffixes):
    base = root / folder
    if not base.exists():
        return []
    return [p for p in sorted(base.rglob("*")) if p.is_file() and p.suffix in suffixes]


# ---- what src/ defines ---------------------------------------------------------------------

TYPE_DEF = re.compile(r"\b(?:struct|class|union|concept|enum(?:\s+class)?)\s+(\w+)")
ALIAS_DEF = re.compile(r"\busing\s+(\w+)\s*=")
MACRO_DEF = re.compile(r"^\s*#\s*define\s+(\w+)")
ARRAY_DEF = re.compile(r"\b(\w+)\s*\[\]\s*=")
PY_DEF = re.compile(r"^\s*(?:def|class)\s+(\w+)")
# A function definition or declaration: a return type (or a qualifier) before the name.
FUNC_DEF = re.compile(r"^\s*(?!return\b|if\b|for\b|while\b|else\b|throw\b|case\b|do\b|switch\b|co_return\b)"
                      r"(?:[\w:<>,*&\[\]]+\s+)+[*&]?(?:\w+::)*(~?\w+)\s*\(")
NOT_A_FUNCTION_START = re.compile(r"^\s*(?://|\*|/\*|#)")


def definitions(root):
    """name → list of (path, line index of the definition, lines of the file)."""
    defs = {}
    for p in files(root, "src", {".hpp", ".cpp", ".h", ".py"}):
        lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
        for i, line in enumerate(lines):
            if NOT_A_FUNCTION_START.match(line):
                continue
            names = set()
            if p.suffix == ".py":
                names.update(PY_DEF.findall(line))
            else:
                for rx in (TYPE_DEF, ALIAS_DEF, MACRO_DEF, ARRAY_DEF, FUNC_DEF):
                    names.update(rx.findall(line))
            for n in names:
                defs.setdefault(n.lstrip("~"), []).append((p, i, lines))
    return defs


def span(lines, i):
    """The lines that belong to the definition at line i: the comment block (and template and
    requires lines) directly above it, its own lines, and its body up to the matching brace."""
    start = i
    while start > 0 and re.match(r"^\s*(//|template\s*<|requires\b|\s*\*)", lines[start - 1]):
        start -= 1
    depth, opened, end = 0, False, i
    for j in range(i, len(lines)):
        code = lines[j].split("//")[0]
        for ch in code:  # a default argument `= T{}` opens and closes on one line
            depth += (ch == "{") - (ch == "}")
            opened = opened or depth > 1 or (depth == 1 and code.rstrip().endswith("{"))
        end = j
        if (opened and depth <= 0) or (not opened and code.rstrip().endswith((";", "}"))):
            break
    return lines[start:end + 1]


def labels_in(text_lines):
    out = set()
    for line in text_lines:
        for m in SRC_LABEL.finditer(line):
            a = ROMAN[m.group(2)]
            b = ROMAN[m.group(3)] if m.group(3) else a
            for n in range(a, b + 1):
                out.add((m.group(1), n))
    return out


# ---- what tests/ defines -------------------------------------------------------------------

BOOST_CASE = re.compile(r"\b(?:BOOST_AUTO_TEST_CASE_TEMPLATE|BOOST_AUTO_TEST_CASE|BOOST_DATA_TEST_CASE|"
                        r"BOOST_FIXTURE_TEST_CASE|RC_BOOST_PROP)\s*\(\s*(\w+)")
BOOST_LABEL = re.compile(r"unit_test::label\(\s*\"([^\"]+)\"\s*\)")
PYTEST = re.compile(r"^\s*def\s+(test_\w+)\s*\(", re.M)
CLI_CASE = re.compile(r"^\s*(?:case|json_ok)\(\s*\"(\w+)\"", re.M)
CLI_HELPER = re.compile(r"^\s*(bad_input|resource)\(\s*\"(\w+)\"", re.M)
CTEST = re.compile(r"add_test\(\s*NAME\s+(\w+)")
CTEST_SUITE = re.compile(r"^\s*matbp_test\((\w+)\)", re.M)
CTEST_COMPILE_FAIL = re.compile(r"matbp_compile_fail\((\w+)\s+(\w+)")


def test_cases(root):
    names, labels = set(), set()
    for p in files(root, "tests", {".cpp", ".hpp", ".py", ".txt"}):
        t = p.read_text(encoding="utf-8", errors="replace")
        if p.suffix in {".cpp", ".hpp"}:
            names.update(BOOST_CASE.findall(t))
            labels.update(BOOST_LABEL.findall(t))
        elif p.suffix == ".py":
            names.update(PYTEST.findall(t))
            names.update(CLI_CASE.findall(t))
            names.update(f"{h}_{n}" for h, n in CLI_HELPER.findall(t))
        else:  # CMakeLists.txt
            names.update(CTEST.findall(t))
            for s in CTEST_SUITE.findall(t):
                names.update({s, s + "_cheap"})
            for a, b in CTEST_COMPILE_FAIL.findall(t):
                names.update({a, b})
    return names, labels


# ---- what spec/ and proofs/ say ------------------------------------------------------------

def blocks(lines):
    """Paragraphs and list items: (first line number, text joined by spaces)."""
    out, cur, first = [], [], 0
    for n, line in enumerate(lines, 1):
        starts_item = line.lstrip().startswith("- ") or line.startswith("#") or line.startswith("**")
        if not line.strip() or starts_item:
            if cur:
                out.append((first, " ".join(cur)))
            cur = []
            if not line.strip():
                continue
        if not cur:
            first = n
        cur.append(line.strip())
    if cur:
        out.append((first, " ".join(cur)))
    return out


def backticked(text):
    return re.findall(r"`([^`]+)`", text)


FOREIGN = ("std::", "bmp::", "Eigen::", "boost::", "torch.")


def code_names(text):
    """Names in backticks: `f`, `f(x)`, `f<T>(x)`, `matbp::f`, `type::member` (as member)."""
    out = []
    for tok in backticked(text):
        if "/" in tok or tok.startswith(FOREIGN):
            continue
        tok = tok.removeprefix("matbp::").split("::")[-1]
        m = NAME_TOKEN.match(tok)
        if m:
            out.append(m.group(1))
    return out


def outside_parentheses(text):
    """TEXT without its parenthesized asides (a step's "(arguments `dc_next` …)" names no code)."""
    held = []
    text = re.sub(r"`[^`]*`", lambda m: held.append(m.group(0)) or f"\x00{len(held) - 1}\x00", text)
    while True:
        stripped = re.sub(r"\([^()]*\)", "", text)
        if stripped == text:
            break
        text = stripped
    return re.sub(r"\x00(\d+)\x00", lambda m: held[int(m.group(1))], text)


def segments(text, marker):
    """The parts of a proof step after `*marker*`, each up to the next ` · *…*`."""
    out = []
    for m in re.finditer(r"\*" + marker + r"\*(.*?)(?=·\s*\*(?:uses|code|test)\*|$)", text):
        out.append(m.group(1))
    return out


def parse_docs(root):
    """code refs, test refs: (where, name); steps: (where, label ID, numeral, [carriers])."""
    code_refs, test_refs, steps = [], [], []
    for p in files(root, "proofs", {".md"}) + files(root, "spec", {".md"}):
        rel = p.relative_to(root)
        lines = p.read_text(encoding="utf-8").splitlines()
        lemma_code = []  # the current "## " section's Code: names (calculus.md)
        pending_steps = []  # steps of that section that name no code of their own
        for first, text in blocks(lines):
            where = f"{rel}:{first}"
            if text.startswith("## ") or text.startswith("# "):
                for w, i, n, _ in pending_steps:
                    steps.append((w, i, n, list(lemma_code)))
                lemma_code, pending_steps = [], []
                continue
            for part in re.split(r"(?=\b(?:Code|Tests?):)", text):
                if part.startswith("Code:"):
                    names = code_names(part[5:])
                    lemma_code += names
                    code_refs += [(where, n) for n in names]
                elif re.match(r"Tests?:", part):  # up to the end of its sentence
                    names = outside_parentheses(re.split(r"\.(?:\s|$)", part.split(":", 1)[1])[0])
                    test_refs += [(where, t) for t in backticked(names) if BARE.match(t)]
            if text.startswith("**Implementation.**"):
                # The function a statement is transcribed as: `name(args)` in `src/…`.
                code_refs += [(where, n) for tok in re.findall(r"(`[^`]+`) in `src/", text) for n in code_names(tok)]
            if text.startswith("**Testing.**"):
                test_refs += [(where, t) for t in backticked(text) if BARE.match(t) and re.match(r"[DLTCP][0-9]+_", t)]
            item = text.startswith("- ")
            step_code = [n for seg in segments(text, "code") for n in code_names(outside_parentheses(seg))] if item else []
            no_code = item and any(seg.strip().startswith("none") for seg in segments(text, "code"))
            code_refs += [(where, n) for n in step_code]
            for seg in segments(text, "test") if item else []:
                test_refs += [(where, t) for t in backticked(seg) if BARE.match(t)]
            if p.parent.name == "proofs" and p.name != "README.md":
                for m in STEP.finditer(text):
                    if m.start() > 2:  # a label inside the text refers to a step; it does not open one
                        continue
                    if no_code:  # "*code* none: …", said in so many words
                        continue
                    if step_code:
                        steps.append((where, m.group(1), ROMAN[m.group(2)], step_code))
                    else:
                        pending_steps.append((where, m.group(1), ROMAN[m.group(2)], None))
        for w, i, n, _ in pending_steps:
            steps.append((w, i, n, list(lemma_code)))
    return code_refs, test_refs, steps


# ---- the check -----------------------------------------------------------------------------

def check(root):
    """(number of checks, list of gaps)."""
    root = pathlib.Path(root)
    gaps, checks = [], 0
    spec_text = "\n".join(p.read_text(encoding="utf-8") for p in files(root, "spec", {".md"}))
    spec_ids = sorted(set(ID.findall(spec_text)), key=id_key)
    if not spec_ids:
        return 1, ["no statement IDs found in spec/"]
    defs = definitions(root)
    tests, labels = test_cases(root)
    code_refs, test_refs, steps = parse_docs(root)

    for where, name in code_refs:
        checks += 1
        if name not in defs:
            gaps.append(f"{where}: code name `{name}` is not a function or type defined in src/")
    for where, name in test_refs:
        checks += 1
        if name not in tests:
            gaps.append(f"{where}: test name `{name}` is not a test case in tests/")
    for where, sid, n, carriers in steps:
        checks += 1
        label = f"{sid} ({[k for k, v in ROMAN.items() if v == n][0]})"
        if not carriers:
            gaps.append(f"{where}: step {label} names no code that carries it")
            continue
        found = any((sid, n) in labels_in(span(lines, i)) for c in carriers for (_, i, lines) in defs.get(c, []))
        if not found:
            gaps.append(f"{where}: step label {label} is not written at its function "
                        f"({', '.join('`' + c + '`' for c in carriers)}) in src/")
    for sid in spec_ids:
        checks += 1
        u = sid.replace(".", "_")
        if not (sid in labels or any(t == u or t.startswith(u + "_") for t in tests)):
            gaps.append(f"{sid}: no test case names it (a case named {u}_… or a label(\"{sid}\") decorator)")
    for folder in ("src", "proofs"):
        text = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in files(root, folder, {".hpp", ".cpp", ".h", ".md", ".py"}))
        found = set(ID.findall(text))
        for sid in spec_ids:
            checks += 1
            if sid not in found:
                gaps.append(f"{sid}: no mention in {folder}/")

    # Coq links.
    DEF = re.compile(r"^\s*(?:Lemma|Theorem|Corollary|Definition|Fixpoint|Fact)\s+([\w']+)", re.M)
    IDLIKE = re.compile(r"^[DLTCP][0-9]+(?:_|$)")
    coq_defs = {}  # name -> file name
    for p in sorted((root / "proofs" / "coq").glob("*.v")):
        for name in DEF.findall(p.read_text(encoding="utf-8")):
            coq_defs.setdefault(name, p.name)

    def id_of(name):
        """The longest prefix of name, cut at underscores, that is a spec ID with dots."""
        parts = name.split("_")
        for n in range(len(parts), 0, -1):
            candidate = ".".join(parts[:n])
            if candidate in spec_ids:
                return candidate
        return None

    marked = set()
    for p in files(root, "spec", {".md"}):
        heading = None
        for line in p.read_text(encoding="utf-8").splitlines():
            h = re.match(r"### ([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*) — ", line)
            if h:
                heading = h.group(1)
            if not line.startswith("*Coq*"):
                continue
            f = re.search(r"\(proofs/coq/(\w+\.v)\)", line)
            names = re.findall(r"`([\w']+)`", line.split("(proofs/coq/")[0])
            for name in names:
                checks += 1
                marked.add(name)
                where = f"{p.name}, {heading}: *Coq* `{name}`"
                if f is None:
                    gaps.append(f"{where}: the line names no proofs/coq/ file")
                elif coq_defs.get(name) != f.group(1):
                    gaps.append(f"{where}: not defined in proofs/coq/{f.group(1)}")
                elif IDLIKE.match(name) and not (id_of(name) and heading and
                                                 (id_of(name) == heading or id_of(name).startswith(heading + "."))):
                    gaps.append(f"{where}: the name does not resolve to {heading} or one of its parts")
    for name, fname in sorted(coq_defs.items()):
        if IDLIKE.match(name):
            checks += 1
            if name not in marked:
                gaps.append(f"proofs/coq/{fname}: `{name}` is named like an ID but no spec/ *Coq* line names it")
    return checks, gaps, (spec_ids, code_refs, test_refs, steps, marked, coq_defs)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    result = check(root)
    checks, gaps = result[0], result[1]
    if len(result) > 2:
        spec_ids, code_refs, test_refs, steps, marked, coq_defs = result[2]
        print(f"traceability: {len(spec_ids)} statement IDs in spec/: {' '.join(spec_ids)}")
        print(f"traceability: {len(code_refs)} code names, {len(test_refs)} test names and {len(steps)} proof "
              f"step labels read from spec/ and proofs/")
        print(f"traceability: {len(marked)} Coq names marked in spec/, {len(coq_defs)} definitions in proofs/coq/")
    for g in gaps:
        print("  missing", g)
    print(f"{checks - len(gaps)} passed, {len(gaps)} failed")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
