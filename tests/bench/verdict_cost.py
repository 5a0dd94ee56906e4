#!/usr/bin/python3
"""verdict_cost.py — what `matbp check`'s bound verdict (T3, with T2's bound) costs as a whole
process: against the normwise verdict of the same build, and against another build (BEFORE, e.g.
one whose bound is the 128-bit MPFI evaluation), side by side in one run.

  verdict_cost.py [--runs R] [--before PATH] [--before-only NAME,...] MATBP DIR...

Each DIR holds W.json, W_torch.json, W.safetensors, W_torch.safetensors (whole_job.py --prepare
DIR --widths ... --batch ...). For each DIR, format (json, safetensors), binary and verdict
(`--verdict bound`, `--verdict normwise`): `MATBP check DIR/W.fmt --gradients DIR/W_torch.fmt
--verdict V` as its own process, R times (runs of the different binaries and verdicts
interleaved), wall-clock seconds and peak RSS (wait4's ru_maxrss); the median and the largest
peak are printed as a Markdown table with the ratios bound ÷ normwise and BEFORE ÷ MATBP (bound
verdict). The BEFORE binary runs only on the DIRs named by --before-only (by their last path
component; default: all). Threads: each matbp's default (OpenBLAS on every core, the exact
reference's own threads); the script sets none. Exit status 1 if any check's verdict differs
between binaries or any check fails to run.
"""

import os
import statistics
import subprocess
import sys
import time


def run(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    verdict = out.decode(errors="replace").strip().splitlines()[-1] if out else ""
    return wall, ru.ru_maxrss, code, verdict


def main(argv):
    runs, before, before_only, args = 2, None, None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--runs":
            runs = int(argv[i + 1])
            i += 2
        elif a == "--before":
            before = argv[i + 1]
            i += 2
        elif a == "--before-only":
            before_only = set(argv[i + 1].split(","))
            i += 2
        else:
            args.append(a)
            i += 1
    if len(args) < 2:
        print(__doc__)
        return 2
    matbp, dirs = args[0], args[1:]
    bad = False
    print("| model | from | binary | verdict | check s (median of %d) | peak MiB | verdict printed |" % runs)
    print("|---|---|---|---|---:|---:|---|")
    summary = []
    for d in dirs:
        name = os.path.basename(os.path.normpath(d))
        bins = [("after", matbp)]
        if before and (before_only is None or name in before_only):
            bins.append(("before", before))
        for fmt in ("json", "safetensors"):
            res = {}
            for r in range(runs):
                for label, b in bins:
                    for v in ("bound", "normwise"):
                        if label == "before" and v == "normwise" and r > 0:
                            continue
                        cmd = [b, "check", f"{d}/W.{fmt}", "--gradients", f"{d}/W_torch.{fmt}", "--verdict", v]
                        wall, rss, code, verdict = run(cmd)
                        if code not in (0, 1):
                            bad = True
                            verdict = f"exit {code}"
                        res.setdefault((label, v), []).append((wall, rss, verdict))
            for (label, v), xs in res.items():
                med = statistics.median(x[0] for x in xs)
                peak = max(x[1] for x in xs) / 1024.0
                verdicts = sorted(set(x[2] for x in xs))
                print(f"| {name} | {fmt} | {label} | {v} | {med:.2f} | {peak:.1f} | {', '.join(verdicts)} |")
            a_b = statistics.median(x[0] for x in res[("after", "bound")])
            a_n = statistics.median(x[0] for x in res[("after", "normwise")])
            line = f"{name} from {fmt}: bound ÷ normwise {a_b / a_n:.2f}×"
            if ("before", "bound") in res:
                b_b = statistics.median(x[0] for x in res[("before", "bound")])
                line += f"; before ÷ after (bound verdict) {b_b / a_b:.1f}×"
                if {x[2] for x in res[("before", "bound")]} != {x[2] for x in res[("after", "bound")]}:
                    bad = True
                    line += " (VERDICTS DIFFER)"
            summary.append(line)
    print()
    for line in summary:
        print("- " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
