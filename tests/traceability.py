#!/usr/bin/env python3
"""Traceability check: every statement ID in spec/ must appear in src/ (its transcription),
proofs/ (its proof or use in a proof step) and tests/ (its test).

IDs: D<n> definition, L<n> lemma, T<n> theorem, C<n> corollary, P<n> claim, with optional
dot suffixes for parts and proof steps (L8.W, T1.step). Lists every gap; exits 1 if any."""
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
print(f"traceability: {len(spec_ids)} statement IDs in spec/: {' '.join(spec_ids)}")
for g in gaps:
    print("  missing", g)
print(f"{len(spec_ids) * 3 - len(gaps)} passed, {len(gaps)} failed")
sys.exit(1 if gaps else 0)
