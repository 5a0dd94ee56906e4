"""Writes safetensors files (Hugging Face's format) from numpy arrays, independently of matbp's C++
writer (src/matbp/safetensors.cpp), so that files written here test matbp's reader.

Layout: an 8-byte little-endian header length N, N bytes of a JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}} padded with
spaces to a multiple of 8, then each tensor's little-endian row-major bytes."""
import json
import struct

import numpy

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}


def to_bytes(array, dtype):
    """The array's values in `dtype` (F64, F32, F16 by numpy's round-to-nearest-even; BF16 from
    the float32 value, rounded to nearest even on its upper 16 bits)."""
    a = numpy.ascontiguousarray(array, dtype=numpy.float64)
    if dtype in DTYPES:
        return a.astype(DTYPES[dtype]).tobytes()
    if dtype == "BF16":
        bits = a.astype("<f4").view("<u4").astype(numpy.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return rounded.astype("<u2").tobytes()
    raise ValueError("unknown dtype %r" % dtype)


def dumps(tensors, metadata=None):
    """tensors: a list of (name, numpy array, dtype). Returns the file's bytes."""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, array, dtype in tensors:
        raw = to_bytes(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(numpy.shape(array)),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write(path, tensors, metadata=None):
    with open(path, "wb") as f:
        f.write(dumps(tensors, metadata))


def load(path):
    """The F64 tensors of a safetensors file as read-only numpy arrays over the file's bytes (no
    copy), and its __metadata__ ({} when absent). Other dtypes are refused (ValueError)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        if t["dtype"] != "F64":
            raise ValueError("%s: dtype %s, expected F64" % (name, t["dtype"]))
        b, e = t["data_offsets"]
        out[name] = numpy.frombuffer(data, dtype="<f8", count=(e - b) // 8, offset=8 + n + b).reshape(t["shape"])
    return out, metadata


def model_tensors(layers, X, Y, dtype="F64"):
    """A matbp/1 model as safetensors: its tensors and the document naming them. layers: a list of
    (W, b, activation JSON value); X: n × m₀; Y: n × m_k; `doc` fields beyond these are added by
    the caller (loss, reduction, comment)."""
    tensors, doc_layers = [], []
    for l, (W, b, act) in enumerate(layers):
        tensors += [("layers.%d.weights" % l, W, dtype), ("layers.%d.bias" % l, b, dtype)]
        doc_layers.append({"weights": {"tensor": "layers.%d.weights" % l},
                           "bias": {"tensor": "layers.%d.bias" % l}, "activation": act})
    tensors += [("inputs", X, dtype), ("targets", Y, dtype)]
    doc = {"format": "matbp/1", "layers": doc_layers,
           "inputs": {"tensor": "inputs"}, "targets": {"tensor": "targets"}}
    return tensors, doc


def gradient_tensors(grads, dtype="F64"):
    """Gradients as safetensors, named layers.<l>.weights and layers.<l>.bias (matbp's default
    names, model.hpp read_gradients_bytes)."""
    out = []
    for l, (gW, gb) in enumerate(grads):
        out += [("layers.%d.weights" % l, numpy.asarray(gW), dtype), ("layers.%d.bias" % l, numpy.asarray(gb), dtype)]
    return out
