#!/usr/bin/env python3
"""The registries (src/matbp/activation.hpp, loss.hpp) against the text that lists them.

Reads `matbp catalog` and fails when
  - spec/network.md's D10 table does not have exactly one row per activation (its C++ column
    names the struct `<name>_fn`), with "all" scalar types exactly for the exact ones;
  - spec/calculus.md's D9 table does not have exactly one row per loss (first column the name,
    C++ column `<name>_loss`), with "yes" over ℚ exactly for the exact ones and the right
    "mean over";
  - `matbp --help` does not name every activation and loss.
Usage: registry_check.py MATBP_BINARY SOURCE_DIR. Ends with "N passed, M failed"; exit 1 on a failure."""
import json
import pathlib
import re
import subprocess
import sys

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
cat = json.loads(subprocess.run([binary, "catalog"], check=True, capture_output=True, text=True).stdout)
help_text = subprocess.run([binary, "--help"], check=True, capture_output=True, text=True).stdout
passed, failures = 0, []


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)


def table_rows(path, heading):
    """Rows (lists of cells) of the first Markdown table after `heading`."""
    text = (root / path).read_text(encoding="utf-8")
    start = text.index(heading)
    rows, seen = [], False
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            seen = True
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif seen:
            break
    return rows[1:]  # without the header row


d10 = {re.sub(r"`", "", r[1]): r for r in table_rows("spec/network.md", "### D10")}
for a in cat["activations"]:
    row = d10.pop(a["name"] + "_fn", None)
    check(row is not None, "spec D10 table: no row for %s (%s_fn)" % (a["name"], a["name"]))
    if row:
        check((row[-1] == "all") == a["exact"], "spec D10 table: %s's scalar types %r, exact %s" % (a["name"], row[-1], a["exact"]))
check(not d10, "spec D10 table: rows for no registry entry: %s" % ", ".join(d10))

d9 = {r[0]: r for r in table_rows("spec/calculus.md", "### D9")}
for l in cat["losses"]:
    row = d9.pop(l["name"], None)
    check(row is not None, "spec D9 table: no row for %s" % l["name"])
    if row:
        check(row[1] == "`%s_loss`" % l["name"], "spec D9 table: %s's C++ name %s" % (l["name"], row[1]))
        check((row[-1] == "yes") == l["exact"], "spec D9 table: %s over ℚ %r, exact %s" % (l["name"], row[-1], l["exact"]))
        check(row[4] == l["mean_over"], "spec D9 table: %s mean over %r, registry %s" % (l["name"], row[4], l["mean_over"]))
check(not d9, "spec D9 table: rows for no registry entry: %s" % ", ".join(d9))

for e in cat["activations"] + cat["losses"]:
    check(re.search(r"\b%s\b" % re.escape(e["name"]), help_text) is not None, "matbp --help does not name %s" % e["name"])

for f in failures:
    print("FAIL " + f)
print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)
