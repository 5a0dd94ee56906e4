#!/usr/bin/env python3
"""Traceability check: every statement ID in spec/ must appear in src/ (its transcription),
proofs/ (its proof or use in a proof step) and tests/ (its test).

IDs: D<n> definition, L<n> lemma, T<n> theorem, C<n> corollary, P<n> claim, with optional
dot suffixes for parts and proof steps (L8.W, T1.step). Lists every gap; exits 1 if any.

Coq links (proofs/coq/*.v): a statement of spec/ with a Coq proof has a line
`*Coq* `name`, `name2` (proofs/coq/File.v)...`. Every name there must be defined (Lemma,
Theorem, Corollary, Definition, Fixpoint) in that file, and a name that looks like an ID
(T1_step) must resolve to the statement it is under (T1.step under T1, L8_W under L8). Every
Coq lemma or theorem whose name starts like an ID must be named by such a line."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
ID = re.compile(r"(?<![\w.])([DLTCP][0-9]+(?:\.[A-Za-z0-9]+)*)(?![\w])")


def text_of(folder):
    parts = []
    for p in sorted((root / folder).rglob("*")):
        if p.is_file() and p.suffix in {".hpp", ".cpp", ".h", ".md", ".py", ".txt", ".cmake"}:
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


spec_ids = sorted(set(ID.findall(text_of("spec"))), key=lambda s: (s[0], [int(x) if x.isdigit() else x for x in re.split(r"[.]", s[1:])]))
if not spec_ids:
    print("traceability: no statement IDs found in spec/")
    sys.exit(1)
gaps = []
for folder in ("src", "proofs", "tests"):
    found = set(ID.findall(text_of(folder)))
    # A test names an ID with dots as underscores too (T1_step_holds_exactly).
    underscored = text_of(folder)
    for i in spec_ids:
        if i not in found and (folder != "tests" or i.replace(".", "_") not in underscored):
            gaps.append(f"{i}: no mention in {folder}/")
checks = len(spec_ids) * 3

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
for p in sorted((root / "spec").glob("*.md")):
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
print(f"traceability: {len(spec_ids)} statement IDs in spec/: {' '.join(spec_ids)}")
print(f"traceability: {len(marked)} Coq names marked in spec/, {len(coq_defs)} definitions in proofs/coq/")
for g in gaps:
    print("  missing", g)
print(f"{checks - len(gaps)} passed, {len(gaps)} failed")
sys.exit(1 if gaps else 0)
