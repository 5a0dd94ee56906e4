#pragma once
// matbp/safetensors.hpp — the safetensors tensor container (Hugging Face's format), read strictly
// and written, so that a model's tensors and a gradients file can travel as IEEE bits instead of
// decimal text.
//
// Layout: 8 bytes, a little-endian unsigned N; N bytes of a JSON object (the header); then the
// data. The header maps each tensor name to {"dtype": D, "shape": [d₀, …], "data_offsets": [b, e]}
// (offsets into the data, b ≤ e), and may hold "__metadata__": an object of string values.
// Element data are little-endian, row-major (the last index varies fastest).
//
// Read strictly (a file is refused, input_error naming the tensor, unless all of this holds):
// N ≥ 2 and 8 + N ≤ the file's size; the header is a JSON object (json.hpp's strict reader;
// trailing spaces allowed, as the format pads with them); each entry has exactly the three keys;
// D is a dtype of the format (F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U64 U32 U16 U8 BOOL);
// every dimension is an integer ≥ 0, at most max_rank of them, and their product times the dtype's
// size is e − b without overflow; the tensors, ordered by b, tile the data exactly: the first
// starts at 0, each starts where the previous ends (no overlap, no hole), and the last ends at
// the end of the file (no truncated data, no trailing bytes).
// Values are read only from F64, F32, F16 and BF16 tensors, each exactly (every value of those
// formats is a dyadic rational), and a NaN or an infinity is an error naming the element.
//
// Usage (tests/safetensors_test.cpp, case usage_example_of_safetensors_hpp):
//   std::string bytes = matbp::safetensors::write({{"w", matbp::safetensors::dtype::f32, {2, 3},
//                                                   {1, 2, 3, 4, 5, 6}}});
//   matbp::safetensors::file f = matbp::safetensors::parse(bytes);
//   f.value(*f.find("w"), 5)                          // exact 6
//   matbp::safetensors::sniff(bytes)                  // true; a JSON text never is

#include "matbp/scalar.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace matbp::safetensors {

/// The dtypes matbp reads values from. Other dtypes of the format are accepted in a file (their
/// layout is checked) but refused when a model or gradients file uses them.
enum class dtype { f64, f32, f16, bf16, other };

/// "F64", "F32", "F16", "BF16".
std::string_view name_of(dtype t);

struct tensor {
    std::string name;
    std::string dtype_name;  ///< as written in the header
    dtype type = dtype::other;
    std::vector<std::uint64_t> shape;
    std::size_t begin = 0, end = 0;  ///< offsets into the data
    std::size_t elements() const;
};

struct limits {
    std::size_t max_rank = 8;
    std::size_t max_tensors = 100000;
};

struct file {
    std::string bytes;            ///< the whole file
    std::size_t data_start = 0;   ///< 8 + N
    std::vector<tensor> tensors;  ///< in header order
    std::vector<std::pair<std::string, std::string>> metadata;

    const tensor* find(std::string_view name) const;
    const std::string* meta(std::string_view key) const;
    /// Element i (row-major) of t, exactly. Requires: i < t.elements(). Throws input_error (path
    /// `where`) for a NaN or an infinity, or for a dtype other than F64, F32, F16, BF16.
    exact value(const tensor& t, std::size_t i, const std::string& where = "") const;
    /// The same element as the double it is (value() is its exact value). Same requirements and
    /// errors.
    double number(const tensor& t, std::size_t i, const std::string& where = "") const;
};

/// Whether `bytes` look like a safetensors file: a length below 2⁵⁶ (its eighth byte is 0), then
/// '{'. A JSON text never does (a NUL byte is not JSON); whether the length fits the file is
/// parse's to check, so that a wrong length gets a safetensors message, not a JSON one.
bool sniff(std::string_view bytes);

/// The file `bytes` holds. Throws input_error (path "header" or `tensors["name"]`) for every
/// violation listed at the top of this header.
file parse(std::string bytes, const limits& lim = {});

/// One tensor to write: values in row-major order, rounded to the dtype (F64 and F32: to nearest;
/// F16/BF16: to nearest even). Requires: product of shape == values.size(); type ≠ other.
struct tensor_out {
    std::string name;
    dtype type = dtype::f64;
    std::vector<std::uint64_t> shape;
    std::vector<double> values;
};

/// A safetensors file of `tensors` in this order, with `metadata` as "__metadata__" (omitted when
/// empty). Requires: names distinct, none "__metadata__". parse(write(t, m)) gives t back.
std::string write(const std::vector<tensor_out>& tensors,
                  const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace matbp::safetensors
