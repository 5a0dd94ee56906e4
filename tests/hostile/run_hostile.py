#!/usr/bin/env python3
"""The bad-input catalog (tests/hostile/CATALOG.md), run against the matbp command line.

usage: run_hostile.py MATBP_BINARY WORKDIR [CASE_ID ...]

Reads tests/hostile/cases.json (next to this script), builds every case's input files under
WORKDIR/<id>/ (large inputs such as the 10^6-digit number are generated here, never checked in),
runs matbp once per case and judges the result:

  every case     finished within the timeout (60 s; MATBP_HOSTILE_TIMEOUT), under the address-space
                 cap (4096 MiB; MATBP_HOSTILE_MEM_MB), not killed by a signal, and the exit code
                 is expect.exit
  exit 2 or 3    (2 bad input, 3 a resource limit stopped the run) stdout is empty (nothing
                 that could be mistaken for a result); stderr is exactly one non-empty line,
                 or, only for cases marked "usage": true, that line followed by the command's
                 usage block (the next line starts with "usage: matbp"); progress
                 lines (`matbp: <seconds> s: <stage>`, documented in README.md) are not counted;
                 the message contains every expect.stderr_contains string; stderr is valid
                 UTF-8 (matbp reads only UTF-8, so what it quotes back must stay UTF-8; the
                 paths the cases use are ASCII)
  exit 0         expect.json (a subset of the JSON on stdout) and expect.stdout_contains hold

A case's "stdin": "MODEL" or "GRADS" feeds that built input to matbp's standard input (for the
file name `-`); otherwise standard input is /dev/null.

Placeholders in args and in expected strings: {MODEL}, {GRADS} (the paths of the built inputs)
and {WORK} (the case's directory).

Input specs (case "input" builds {MODEL}, case "grads" builds {GRADS}):
  "text"                               the text itself, UTF-8
  {"base64": "..."}                    these bytes
  {"generate": "NAME[:N]"}             see GENERATORS below
  {"safetensors": {"base": NAME, …}}   the base document as a safetensors file (safetensors_file
                                       below: F64 tensors named after their JSON paths, a model's
                                       document in __metadata__.matbp), then changed
  {"base": NAME, "set": {PATH: V}, "drop": [PATH], "prefix": s, "suffix": s, "prefix_hex": h,
   "suffix_hex": h, "truncate": N}     a base document (BASES) changed at matbp-style paths
                                       (`layers[0].weights[1][0]`); V is JSON, or {"raw": text}
                                       or {"raw_hex": bytes} to put text that is not valid JSON
                                       there; truncate keeps the first N bytes

Every case id must appear in CATALOG.md (a missing one is one more failure, when all cases run).
Prints one line per case (PASS / FAIL / SKIP) and closes with `N passed, M failed` (plus
`, K skipped` when some were skipped). Exit 1 if any case failed.
Python 3.11, standard library only.
"""
import base64
import json
import os
import re
import resource
import select
import shutil
import stat
import subprocess
import sys
import threading
import time

CLASSES = ("syntax", "structure", "numbers", "names", "options", "files", "safetensors", "shards")
TIMEOUT = float(os.environ.get("MATBP_HOSTILE_TIMEOUT", "60"))
MEM_MB = int(os.environ.get("MATBP_HOSTILE_MEM_MB", "4096"))
PROGRESS = re.compile(r"^matbp: \d+(\.\d+)? s: ")

# ---- base documents -----------------------------------------------------------------------

TWO_LAYER = {
    "format": "matbp/1",
    "layers": [
        {"weights": [[1, 2], [3, 4]], "bias": [0, 1], "activation": "relu"},
        {"weights": [[1, -1]], "bias": [0], "activation": "identity"},
    ],
    "loss": "squared_error",
    "reduction": "mean",
    "inputs": [[1, 2]],
    "targets": [[0]],
}
# C = 49/2; its exact gradients (TWO_LAYER has no kink).
GRADS_OK = {"layers": [{"weights": [[-7, -14], [7, 14]], "bias": [-7, 7]},
                       {"weights": [[-35, -84]], "bias": [-7]}]}
# a = w·x + b, C = (a − y)²/2.
SCALAR = {
    "format": "matbp/1",
    "layers": [{"weights": [[1]], "bias": [0], "activation": "identity"}],
    "inputs": [[1]],
    "targets": [[0]],
}
TANH = {
    "format": "matbp/1",
    "layers": [{"weights": [[0.5, -0.25]], "bias": [0.1], "activation": "tanh"}],
    "loss": "mse",
    "inputs": [[1, 2]],
    "targets": [[0]],
}
BASES = {"two_layer": TWO_LAYER, "grads_ok": GRADS_OK, "scalar": SCALAR, "tanh": TANH}
# The two matbp-partial/1 parts of TWO_SAMPLES ([0, 1) and [1, 2); sample 1 puts ReLU unit 0 at
# exactly 0, a kink), as `matbp grad TWO_SAMPLES --partial --samples A:B` writes them.
TWO_SAMPLES = dict(TWO_LAYER, inputs=[[1, 2], [0, 0]], targets=[[0], [1]])
PART_A = {"format": "matbp-partial/1", "matbp_version": "0.1.0", "model_fingerprint": "sha256:49ce630d2eeaf75db5b6e28be581fe33ce97d4c2a556a642b273b8f1a2677e45", "samples": {"begin": 0, "end": 1, "count": 2}, "loss": "squared_error", "loss_parameters": [], "reduction": "mean", "arith": "exact", "engine": "dyadic", "range_engine": "dyadic", "cost_sum": "49/2", "layers": [{"weights": [["-7", "-14"], ["7", "14"]], "bias": ["-7", "7"]}, {"weights": [["-35", "-84"]], "bias": ["-7"]}], "kinks": [], "kink_enclosures": []}
PART_B = {"format": "matbp-partial/1", "matbp_version": "0.1.0", "model_fingerprint": "sha256:49ce630d2eeaf75db5b6e28be581fe33ce97d4c2a556a642b273b8f1a2677e45", "samples": {"begin": 1, "end": 2, "count": 2}, "loss": "squared_error", "loss_parameters": [], "reduction": "mean", "arith": "exact", "engine": "dyadic", "range_engine": "dyadic", "cost_sum": "2", "layers": [{"weights": [["0", "0"], ["0", "0"]], "bias": ["0", "2"]}, {"weights": [["0", "-2"]], "bias": ["-2"]}], "kinks": [{"layer": 0, "sample": 1, "unit": 0, "site": "activation"}], "kink_enclosures": [{"tensor": "layers[0].bias", "entry": [0, 0], "lower": "-2", "upper": "0", "one": "-2"}]}
BASES.update({"two_samples": TWO_SAMPLES, "part_a": PART_A, "part_b": PART_B})


def dumps(doc):
    return json.dumps(doc, ensure_ascii=False)


def model_with_first_weight(raw):
    """TWO_LAYER as text with layers[0].weights[0][0] replaced by the raw JSON text `raw`."""
    return apply_spec({"base": "two_layer", "set": {"layers[0].weights[0][0]": {"raw": raw}}})


def nested(open_, close, n):
    return open_ * n + close * n


def squaring(n):
    """n layers of width 1 with the activation x², input 3: exact sizes double at every layer."""
    layer = {"weights": [["1"]], "bias": ["0"], "activation": {"name": "polynomial", "coefficients": ["0", "0", "1"]}}
    return dumps({"format": "matbp/1", "layers": [layer] * n, "inputs": [["3"]], "targets": [["0"]]})


def write_numbers_file(path, nbytes):
    """A model whose inputs[0] is one array of zeros, `nbytes` long: small numbers, many values."""
    head, tail = '{"format": "matbp/1", "layers": [{"weights": [[1]], "bias": [0], "activation": "identity"}], "inputs": [[', \
        ']], "targets": [[0]]}'
    count = max(1, (nbytes - len(head) - len(tail)) // 2)
    chunk = "0," * 1_000_000
    with open(path, "w") as f:
        f.write(head)
        left = count - 1
        while left > 0:
            k = min(left, 1_000_000)
            f.write(chunk[: 2 * k])
            left -= k
        f.write("0" + tail)


# Generators: NAME -> function(case_dir, arg, file_name) that makes the input (a file, a FIFO, a
# directory, a symlink loop, or nothing for a missing path) and returns its path. "NAME:N" passes
# N as arg. The numbers say what they are in the comments of GENERATORS.
def gen_text(fn):
    def g(d, arg, name):
        path = os.path.join(d, name)
        data = fn(int(arg))
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path
    return g


def gen_missing(d, arg, name):
    return os.path.join(d, "does-not-exist.json")


def gen_directory(d, arg, name):
    path = os.path.join(d, "a-directory.json")
    os.mkdir(path)
    return path


def gen_empty(d, arg, name):
    path = os.path.join(d, name)
    open(path, "w").close()
    return path


def gen_unreadable(d, arg, name):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(dumps(TWO_LAYER))
    os.chmod(path, 0)
    return path


def gen_fifo(d, arg, name):
    path = os.path.join(d, name + ".fifo")
    os.mkfifo(path)
    return path


def gen_symlink_loop(d, arg, name):
    a, b = os.path.join(d, "loop-a.json"), os.path.join(d, "loop-b.json")
    os.symlink(b, a)
    os.symlink(a, b)
    return a


def gen_newline_name(d, arg, name):
    return os.path.join(d, "two\nlines.json")  # does not exist


def gen_numbers(d, arg, name):
    path = os.path.join(d, name)
    write_numbers_file(path, int(arg))
    return path


def width_model(n):
    return dumps({"format": "matbp/1", "layers": [{"weights": [[1] * n], "bias": [0], "activation": "identity"}],
                  "inputs": [[1] * n], "targets": [[0]]})


def layers_model(n):
    layer = {"weights": [[1]], "bias": [0], "activation": "identity"}
    return dumps({"format": "matbp/1", "layers": [layer] * n, "inputs": [[1]], "targets": [[0]]})


def wide_model(n):
    """Two layers, the first n × n with small integer weights: within every reader limit."""
    w = [[str((3 * i + 5 * j) % 7 - 3) for j in range(n)] for i in range(n)]
    return dumps({"format": "matbp/1", "layers": [{"weights": w, "bias": ["0"] * n, "activation": "relu"},
                                                  {"weights": [["1"] * n], "bias": ["0"], "activation": "identity"}],
                  "inputs": [["1"] * n], "targets": [["0"]]})


def samples_model(n):
    return ('{"format": "matbp/1", "layers": [{"weights": [[1]], "bias": [0], "activation": "identity"}], "inputs": ['
            + ", ".join(["[1]"] * n) + '], "targets": [' + ", ".join(["[0]"] * n) + "]}")


GENERATORS = {
    "digits": gen_text(lambda n: model_with_first_weight("1" * n)),              # JSON number of n digits
    "string-digits": gen_text(lambda n: model_with_first_weight('"' + "1" * n + '"')),  # exact string of n digits
    "decimal": gen_text(lambda n: model_with_first_weight("0." + "3" * (n - 2))),  # JSON number of n characters
    "nested": gen_text(lambda n: nested("[", "]", n)),                          # n nested arrays
    "nested-objects": gen_text(lambda n: '{"a": ' * (n - 1) + "{}" + "}" * (n - 1)),  # n nested objects
    "layers": gen_text(layers_model),       # n layers of width 1
    "width": gen_text(width_model),         # one layer with n inputs
    "samples": gen_text(samples_model),     # n samples
    "wide": gen_text(wide_model),           # two layers, the first n × n
    "squaring": gen_text(squaring),         # n layers x², input 3
    "numbers-bytes": gen_numbers,           # a model of about n bytes, nearly all of them "0,"
    "missing": gen_missing,
    "directory": gen_directory,
    "empty": gen_empty,
    "unreadable": gen_unreadable,
    "fifo": gen_fifo,             # nobody writes to it
    "fifo-endless": gen_fifo,     # a writer streams zeros into it while matbp runs
    "symlink-loop": gen_symlink_loop,
    "newline-name": gen_newline_name,
    "devzero": lambda d, arg, name: "/dev/zero",
    "devnull": lambda d, arg, name: "/dev/null",
}

# ---- building inputs ----------------------------------------------------------------------

PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\.")


def parse_path(path):
    keys, pos = [], 0
    while pos < len(path):
        m = PATH_TOKEN.match(path, pos)
        if not m:
            raise ValueError(f"bad path {path!r}")
        if m.group(1) is not None:
            keys.append(m.group(1))
        elif m.group(2) is not None:
            keys.append(int(m.group(2)))
        pos = m.end()
    return keys


def locate(doc, path):
    keys = parse_path(path)
    for k in keys[:-1]:
        doc = doc[k]
    return doc, keys[-1]


def apply_spec(spec):
    """Bytes of the document a {"base": …} spec describes."""
    doc = json.loads(json.dumps(BASES[spec["base"]]))
    raws = {}
    for path, v in spec.get("set", {}).items():
        parent, key = locate(doc, path)
        if isinstance(v, dict) and ("raw" in v or "raw_hex" in v):
            marker = f"@@RAW{len(raws)}@@"
            raws[marker] = v["raw"].encode() if "raw" in v else bytes.fromhex(v["raw_hex"])
            v = marker
        if isinstance(parent, list) and key == len(parent):
            parent.append(v)
        else:
            parent[key] = v
    for path in spec.get("drop", []):
        parent, key = locate(doc, path)
        del parent[key]
    data = dumps(doc).encode()
    for marker, raw in raws.items():
        data = data.replace(b'"' + marker.encode() + b'"', raw)
    data = spec.get("prefix", "").encode() + bytes.fromhex(spec.get("prefix_hex", "")) + data
    data += spec.get("suffix", "").encode() + bytes.fromhex(spec.get("suffix_hex", ""))
    if "truncate" in spec:
        data = data[: spec["truncate"]]
    return data


def safetensors_file(spec):
    """A safetensors file made from a base document: each matrix becomes an F64 tensor named
    after its path (layers.0.weights, inputs, …; a bias is 1-D), a model's document (the matrices
    replaced by {"tensor": name}) goes to __metadata__.matbp; gradients get no document (matbp's
    default names). Then: "dtype": {name: D} stores that tensor as D (F32 or F16 bytes: the
    value is rounded by struct; any other D only relabels the bytes), "header_set": {name: {key:
    value}} edits header entries after the layout is made, "values": {name: [x, …]} replaces a
    tensor's values (strings such as "nan" through float()), "metadata": {k: v} replaces the
    metadata, "header_raw": text replaces the whole header, "length": N replaces the header
    length, "data_truncate": N keeps N bytes of data, "data_append_hex": h adds bytes."""
    import struct
    doc = json.loads(json.dumps(BASES[spec["base"]]))
    tensors = []

    def take(value, name):
        rows = value if isinstance(value[0], list) else None
        flat = [x for r in value for x in r] if rows else list(value)
        shape = [len(value), len(value[0])] if rows else [len(value)]
        tensors.append((name, shape, [float(x) for x in flat]))
        return {"tensor": name}

    for l, L in enumerate(doc["layers"]):
        for key in ("weights", "bias"):
            L[key] = take(L[key], "layers.%d.%s" % (l, key))
    for key in ("inputs", "targets"):
        if key in doc:
            doc[key] = take(doc[key], key)
    header, data = {}, b""
    if "format" in doc:
        header["__metadata__"] = {"matbp": dumps(doc)}
    if "metadata" in spec:
        header["__metadata__"] = spec["metadata"]
    formats = {"F64": "<d", "F32": "<f", "F16": "<e"}
    for name, shape, flat in tensors:
        flat = [float(x) for x in spec.get("values", {}).get(name, flat)]
        dt = spec.get("dtype", {}).get(name, "F64")
        raw = b"".join(struct.pack(formats.get(dt, "<d"), x) for x in flat)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    for name, changes in spec.get("header_set", {}).items():
        header[name].update(changes)
    text = spec["header_raw"].encode() if "header_raw" in spec else json.dumps(header).encode()
    length = spec.get("length", len(text))
    if "data_truncate" in spec:
        data = data[: spec["data_truncate"]]
    data += bytes.fromhex(spec.get("data_append_hex", ""))
    return struct.pack("<Q", length) + text + data


def build(spec, case_dir, name):
    """The path of the file `spec` describes, made under case_dir."""
    if isinstance(spec, dict) and "generate" in spec:
        gen, _, arg = spec["generate"].partition(":")
        return GENERATORS[gen](case_dir, arg or None, name)
    if isinstance(spec, str):
        data = spec.encode()
    elif "base64" in spec:
        data = base64.b64decode(spec["base64"])
    elif "base" in spec:
        data = apply_spec(spec)
    elif "safetensors" in spec:
        data = safetensors_file(spec["safetensors"])
    else:
        raise ValueError(f"unknown input spec {spec!r}")
    path = os.path.join(case_dir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


class endless_writer:
    """Streams zeros into a FIFO until told to stop. The FIFO is opened read-write (Linux), so
    a writer exists before matbp opens it: matbp never sees an early end of file, and the
    writer never waits for a reader."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        block = b"0" * (1 << 16)
        while not self.stop:
            select.select([], [self.fd], [], 0.1)
            try:
                os.write(self.fd, block)
            except BlockingIOError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(5)
        os.close(self.fd)


# ---- running and judging ------------------------------------------------------------------

def limit_memory():
    cap = MEM_MB << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def substitute(s, where):
    for k, v in where.items():
        s = s.replace("{" + k + "}", v)
    return s


def short(s, n=300):
    s = s if len(s) <= n else s[:n] + "…"
    return repr(s)


def can_read_anyway(path):
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def run_case(matbp, work, case):
    d = os.path.join(work, case["id"])
    os.makedirs(d)
    where = {"WORK": d}
    writer = None
    for key, name in (("input", "model.json"), ("grads", "grads.json")):
        if key in case:
            where["MODEL" if key == "input" else "GRADS"] = build(case[key], d, name)
            if isinstance(case[key], dict) and case[key].get("generate") == "fifo-endless":
                writer = endless_writer(where["MODEL" if key == "input" else "GRADS"])
    for key, spec in (("input", "MODEL"), ("grads", "GRADS")):
        if isinstance(case.get(key), dict) and case[key].get("generate") == "unreadable" and can_read_anyway(where[spec]):
            return "skip", "chmod 000 does not stop this user from reading (running as root or with CAP_DAC_OVERRIDE)"
    args = [matbp] + [substitute(a, where) for a in case["args"]]
    exp = case["expect"]
    start = time.monotonic()
    stdin = open(where[case["stdin"]], "rb") if "stdin" in case else subprocess.DEVNULL
    try:
        p = subprocess.run(args, stdin=stdin, capture_output=True, timeout=TIMEOUT,
                           preexec_fn=limit_memory)
    except subprocess.TimeoutExpired as e:
        return "fail", f"no answer within {TIMEOUT:g} s (killed); stderr so far {short((e.stderr or b'').decode(errors='replace'))}"
    finally:
        if writer:
            writer.close()
        if "stdin" in case:
            stdin.close()
    secs = time.monotonic() - start
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    problems = []
    try:
        p.stderr.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"stderr is not valid UTF-8 ({e.reason} at byte {e.start})")
    if p.returncode < 0:
        problems.append(f"killed by signal {-p.returncode} (crash or memory cap of {MEM_MB} MiB)")
    elif p.returncode != exp["exit"]:
        problems.append(f"exit {p.returncode}, expected {exp['exit']}")
    if exp["exit"] in (2, 3):
        if out:
            problems.append(f"stdout not empty: {short(out)}")
        lines = [ln for ln in err.split("\n") if not PROGRESS.match(ln)]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or not lines[0].strip():
            problems.append(f"no message on stderr: {short(err)}")
        elif len(lines) > 1 and not (exp.get("usage") and lines[1].startswith("usage: matbp")):
            problems.append(f"stderr has {len(lines)} lines, expected one" +
                            (" plus the usage block" if exp.get("usage") else "") + f": {short(err)}")
        elif exp.get("usage") and len(lines) == 1:
            problems.append(f"expected the usage block after the message: {short(err)}")
        for s in exp.get("stderr_contains", []):
            s = substitute(s, where)
            if s not in (lines[0] if lines else ""):
                problems.append(f"message lacks {s!r}: {short(err)}")
    else:
        if "json" in exp:
            try:
                doc = json.loads(out)
                for k, v in exp["json"].items():
                    if doc.get(k) != v:
                        problems.append(f"stdout JSON {k} = {short(str(doc.get(k)), 120)}, expected {short(str(v), 120)}")
            except ValueError:
                problems.append(f"stdout is not JSON: {short(out)}")
        for s in exp.get("stdout_contains", []):
            if s not in out:
                problems.append(f"stdout lacks {s!r}: {short(out)}")
        if problems:
            problems.append(f"stderr {short(err)}")
    if problems:
        return "fail", f"({secs:.1f} s) " + "; ".join(problems)
    return "pass", f"({secs:.1f} s) " + (short(err.strip().split("\n")[0], 160) if exp["exit"] in (2, 3) else "accepted")


def remove_tree(path):
    """rm -rf, after giving back the permissions the "unreadable" inputs took away."""
    if not os.path.lexists(path):
        return
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(root, n)
            if not os.path.islink(p) and (os.path.isfile(p) or os.path.isdir(p)):
                os.chmod(p, stat.S_IRWXU)
    shutil.rmtree(path)


def load_cases(path):
    cases = json.load(open(path, encoding="utf-8"))
    seen = set()
    for c in cases:
        assert set(c) <= {"id", "class", "summary", "args", "input", "grads", "stdin", "expect", "note"}, c
        assert c.get("stdin", "MODEL") in ("MODEL", "GRADS"), c["id"]
        assert re.fullmatch(r"[A-Za-z0-9_]+", c["id"]) and c["id"] not in seen, f"bad or repeated id {c['id']!r}"
        seen.add(c["id"])
        assert c["class"] in CLASSES, c["id"]
        assert c["expect"]["exit"] in (0, 1, 2, 3), c["id"]
        assert set(c["expect"]) <= {"exit", "stderr_contains", "usage", "json", "stdout_contains"}, c["id"]
    return cases


def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    matbp, work, only = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), set(sys.argv[3:])
    cases = load_cases(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json"))
    unknown = only - {c["id"] for c in cases}
    if unknown:
        print(f"unknown case id(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    remove_tree(work)
    os.makedirs(work)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    catalog = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "CATALOG.md"), encoding="utf-8").read()
    undocumented = [c["id"] for c in cases if f"`{c['id']}`" not in catalog]
    if undocumented and not only:  # the table must list every case
        counts["fail"] += 1
        print(f"FAIL {'catalog':<40} ids missing from CATALOG.md: {', '.join(undocumented)}", flush=True)
    for case in cases:
        if only and case["id"] not in only:
            continue
        try:
            verdict, detail = run_case(matbp, work, case)
        except Exception as e:  # a broken case is a failure of the catalog, reported as such
            verdict, detail = "fail", f"could not run the case: {type(e).__name__}: {e}"
        counts[verdict] += 1
        print(f"{verdict.upper():4} {case['id']:<40} [{case['class']}] {detail}", flush=True)
        remove_tree(os.path.join(work, case["id"]))  # the large generated inputs go at once
    summary = f"{counts['pass']} passed, {counts['fail']} failed"
    if counts["skip"]:
        summary += f", {counts['skip']} skipped"
    print(summary)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
