#!/usr/bin/env python3
"""plot.py — the log-log plot of matbp_bench's CSV: time per call against the parameter count P,
one line per arithmetic, for one batch size (default 8, the batch --quick runs).

    python3 tests/bench/plot.py results.csv tests/bench/plot.png [--batch 8]

matplotlib is not among matbp's packages, so this draws the PNG itself: a pixel buffer, lines,
markers and a 5×7 bitmap font, written with zlib and struct (standard library only).

Lines: the float64-valued ReLU workloads (CSV section "relu") at the chosen batch, one per
arithmetic. The large workload (1024-1024-1024-10 × 256, section "large") is drawn as squares in
its arithmetic's colour, when present.
"""

import csv
import math
import struct
import sys
import zlib

# ---- a 5×7 bitmap font ----------------------------------------------------------------------

_G = {
    "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
    "a": ["     ", "     ", " ### ", "    #", " ####", "#   #", " ####"],
    "b": ["#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#### "],
    "c": ["     ", "     ", " ### ", "#    ", "#    ", "#   #", " ### "],
    "d": ["    #", "    #", " ## #", "#  ##", "#   #", "#   #", " ####"],
    "e": ["     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "],
    "f": ["  ## ", " #  #", " #   ", "###  ", " #   ", " #   ", " #   "],
    "g": [" ####", "#   #", "#   #", " ####", "    #", "    #", " ### "],
    "h": ["#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#   #"],
    "i": ["  #  ", "     ", " ##  ", "  #  ", "  #  ", "  #  ", " ### "],
    "j": ["   # ", "     ", "  ## ", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "],
    "k": ["#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "],
    "l": [" ##  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "m": ["     ", "     ", "## # ", "# # #", "# # #", "#   #", "#   #"],
    "n": ["     ", "     ", "# ## ", "##  #", "#   #", "#   #", "#   #"],
    "o": ["     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "],
    "p": ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
    "q": [" ####", "#   #", "#   #", " ####", "    #", "    #", "    #"],
    "r": ["     ", "     ", "# ## ", "##  #", "#    ", "#    ", "#    "],
    "s": ["     ", "     ", " ### ", "#    ", " ### ", "    #", "#### "],
    "t": [" #   ", " #   ", "###  ", " #   ", " #   ", " #  #", "  ## "],
    "u": ["     ", "     ", "#   #", "#   #", "#   #", "#  ##", " ## #"],
    "v": ["     ", "     ", "#   #", "#   #", "#   #", " # # ", "  #  "],
    "w": ["     ", "     ", "#   #", "#   #", "# # #", "# # #", " # # "],
    "x": ["     ", "     ", "#   #", " # # ", "  #  ", " # # ", "#   #"],
    "y": ["#   #", "#   #", "#   #", " ####", "    #", "    #", " ### "],
    "z": ["     ", "     ", "#####", "   # ", "  #  ", " #   ", "#####"],
    "A": [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "B": ["#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "],
    "C": [" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "],
    "D": ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
    "E": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
    "F": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "],
    "G": [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
    "H": ["#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "I": [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "K": ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
    "L": ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
    "M": ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
    "N": ["#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"],
    "O": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "P": ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
    "R": ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
    "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
    "T": ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
    "U": ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "X": ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
    "Y": ["#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "],
    "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
    ":": ["     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "],
    ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
    ",": ["     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "],
    "(": ["   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "],
    ")": [" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "],
    "/": ["     ", "    #", "   # ", "  #  ", " #   ", "#    ", "     "],
    "=": ["     ", "     ", "#####", "     ", "#####", "     ", "     "],
    "<": ["   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "],
    ">": ["#    ", " #   ", "  #  ", "   # ", "  #  ", " #   ", "#    "],
    "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
    "^": ["  #  ", " # # ", "#   #", "     ", "     ", "     ", "     "],
    "_": ["     ", "     ", "     ", "     ", "     ", "     ", "#####"],
    "µ": ["     ", "     ", "#   #", "#   #", "#   #", "#### ", "#    "],
    "×": ["     ", "#   #", " # # ", "  #  ", " # # ", "#   #", "     "],
    " ": ["     "] * 7,
}


_DESCENDERS = "gpqy"


class Canvas:
    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(bg) * (w * h))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(c)

    def rect(self, x0, y0, x1, y1, c):
        for y in range(max(0, y0), min(self.h, y1 + 1)):
            for x in range(max(0, x0), min(self.w, x1 + 1)):
                self.set(x, y, c)

    def line(self, x0, y0, x1, y1, c, width=1):
        """Bresenham, with a square pen of `width` pixels."""
        x0, y0, x1, y1 = int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        lo = -(width // 2)
        while True:
            for ox in range(lo, lo + width):
                for oy in range(lo, lo + width):
                    self.set(x0 + ox, y0 + oy, c)
            if x0 == x1 and y0 == y1:
                break
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def dashed_hline(self, x0, x1, y, c, on=2, off=3):
        for x in range(int(x0), int(x1) + 1):
            if (x - int(x0)) % (on + off) < on:
                self.set(x, int(y), c)

    def dashed_vline(self, x, y0, y1, c, on=2, off=3):
        for y in range(int(y0), int(y1) + 1):
            if (y - int(y0)) % (on + off) < on:
                self.set(int(x), y, c)

    def disc(self, cx, cy, r, c):
        cx, cy = int(round(cx)), int(round(cy))
        for y in range(-r, r + 1):
            for x in range(-r, r + 1):
                if x * x + y * y <= r * r + r:
                    self.set(cx + x, cy + y, c)

    def square(self, cx, cy, r, c, filled=False):
        cx, cy = int(round(cx)), int(round(cy))
        for y in range(-r, r + 1):
            for x in range(-r, r + 1):
                if filled or abs(x) == r or abs(y) == r or abs(x) == r - 1 or abs(y) == r - 1:
                    self.set(cx + x, cy + y, c)

    def text(self, x, y, s, c=(0, 0, 0), scale=2):
        """Top-left at (x, y); returns the width drawn."""
        cx = int(x)
        for ch in s:
            g = _G.get(ch, _G.get(ch.lower(), _G[" "]))
            top = 2 if ch in _DESCENDERS else 0  # g p q y sit two rows lower; j has 9 rows
            for gy, row in enumerate(g, start=top):
                for gx, bit in enumerate(row):
                    if bit == "#":
                        self.rect(cx + gx * scale, int(y) + gy * scale, cx + gx * scale + scale - 1,
                                  int(y) + gy * scale + scale - 1, c)
            cx += 6 * scale
        return cx - int(x)

    @staticmethod
    def text_width(s, scale=2):
        return 6 * scale * len(s)

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[3 * y * self.w:3 * (y + 1) * self.w]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


# ---- the plot ---------------------------------------------------------------------------------

SERIES = [  # CSV arith, legend, colour
    ("exact", "exact (compute_gradients)", (214, 39, 40)),
    ("exact-alg", "exact backprop<exact>", (255, 127, 14)),
    ("exact-dyadic", "exact dyadic engine", (188, 189, 34)),
    ("exact-fast", "exact fast path", (227, 119, 194)),
    ("kron", "Kronecker chain (exact)", (140, 86, 75)),
    ("interval:256", "interval:256", (148, 103, 189)),
    ("real:256", "real:256", (23, 190, 207)),
    ("oracle-double", "double, compute_gradients", (127, 127, 127)),
    ("double", "double, backprop<double> (OpenBLAS)", (31, 119, 180)),
    ("pytorch", "PyTorch float64 fwd+bwd (OpenBLAS)", (44, 160, 44)),
]


def x_label(p):
    for v, s in ((1e6, "M"), (1e3, "k")):
        if p >= v:
            return "%g%s" % (p / v, s)
    return "%g" % p


def y_label(t):
    for v, s in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if t >= v * 0.999:
            return "%g %s" % (round(t / v, 6), s)
    return "%g s" % t


def main(argv):
    args = [a for a in argv[1:]]
    batch = 8
    if "--batch" in args:
        i = args.index("--batch")
        batch = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write("usage: plot.py RESULTS.csv OUT.png [--batch N]\n")
        return 2
    src, out = args
    lines, large = {}, {}
    title_extra = ""
    with open(src, newline="") as f:
        for r in csv.DictReader(f):
            try:
                s = float(r["seconds"])
            except ValueError:
                continue
            if not (s > 0 and math.isfinite(s)):
                continue
            p = int(r["P"])
            if r["section"] == "relu" and int(r["batch"]) == batch:
                lines.setdefault(r["arith"], []).append((p, s))
            elif r["section"] == "large":
                large.setdefault(r["arith"], []).append((p, s))
                title_extra = "%s x %s" % (r["widths"], r["batch"])
    if not lines and not large:
        sys.stderr.write("plot.py: no relu rows with batch %d (and no large rows) in %s\n" % (batch, src))
        return 1
    pts = [pt for v in list(lines.values()) + list(large.values()) for pt in v]
    xmin = 10 ** math.floor(math.log10(min(p for p, _ in pts)))
    xmax = 10 ** math.ceil(math.log10(max(p for p, _ in pts)))
    ymin = 10 ** math.floor(math.log10(min(s for _, s in pts)))
    ymax = 10 ** math.ceil(math.log10(max(s for _, s in pts)))

    W, H = 1100, 680
    L, R, T, B = 110, 380, 70, 80
    c = Canvas(W, H)
    pw, ph = W - L - R, H - T - B

    def X(p):
        return L + (math.log10(p) - math.log10(xmin)) / (math.log10(xmax) - math.log10(xmin)) * pw

    def Y(s):
        return T + ph - (math.log10(s) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin)) * ph

    grey, dark = (215, 215, 215), (60, 60, 60)
    e = math.floor(math.log10(xmin))
    while 10 ** e <= xmax * 1.0001:
        x = X(10 ** e)
        c.dashed_vline(x, T, T + ph, grey)
        lab = x_label(10 ** e)
        c.text(x - Canvas.text_width(lab) / 2, T + ph + 10, lab, dark)
        e += 1
    e = math.floor(math.log10(ymin))
    while 10 ** e <= ymax * 1.0001:
        y = Y(10 ** e)
        c.dashed_hline(L, L + pw, y, grey)
        lab = y_label(10 ** e)
        c.text(L - 10 - Canvas.text_width(lab), y - 7, lab, dark)
        e += 1
    c.line(L, T, L, T + ph, dark)
    c.line(L, T + ph, L + pw, T + ph, dark)
    c.line(L, T, L + pw, T, dark)
    c.line(L + pw, T, L + pw, T + ph, dark)

    title = "matbp: time per call vs parameter count P, batch %d (log-log)" % batch
    c.text(L, 20, title, (0, 0, 0))
    xl = "P = number of parameters"
    c.text(L + pw / 2 - Canvas.text_width(xl) / 2, T + ph + 40, xl, dark)
    c.text(10, T - 28, "time", dark)

    ly = T
    for arith, name, col in SERIES:
        if arith not in lines and arith not in large:
            continue
        v = sorted(lines.get(arith, []))
        for (p0, s0), (p1, s1) in zip(v, v[1:]):
            c.line(X(p0), Y(s0), X(p1), Y(s1), col, width=2)
        for p, s in v:
            c.disc(X(p), Y(s), 4, col)
        for p, s in large.get(arith, []):
            c.square(X(p), Y(s), 6, col)
        c.line(L + pw + 20, ly + 7, L + pw + 50, ly + 7, col, width=3)
        c.disc(L + pw + 35, ly + 7, 4, col)
        c.text(L + pw + 58, ly, name, (0, 0, 0))
        ly += 26
    if large:
        c.text(L + pw + 20, ly + 10, "squares:", dark)
        c.text(L + pw + 20, ly + 32, title_extra, dark)
    c.png(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
