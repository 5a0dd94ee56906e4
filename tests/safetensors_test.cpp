// Tests for src/matbp/safetensors.hpp and the model reader's safetensors input (model.hpp).
//
// Test plan (expected bytes and values are written by hand from the IEEE formats, never produced
// by the code under test; each rejected file also checks the error's path and text)
//   format
//     header_bytes_are_the_format            the exact bytes of a one-tensor file, written by hand
//     f64_round_trip_is_bit_exact            RapidCheck: random doubles (subnormals, −0, extremes) back exactly
//     f32_values_are_the_rounded_floats      RapidCheck: value == to_exact(float(d))
//     half_and_bfloat_bit_patterns           hand-decoded patterns: 1, −2, 65504, 2⁻²⁴, 2⁻¹⁴; bf16 1, 2⁻¹³³
//     half_and_bfloat_rounding               ties to even, overflow to inf, subnormal rounding
//     sniff_tells_json_from_safetensors      JSON texts (with leading space) never sniff; files do
//   rejected (one per rule of the header comment)
//     rejects_header_past_end, rejects_short_files, rejects_non_object_header, rejects_unknown_dtype,
//     rejects_shape_size_mismatch, rejects_truncated_data, rejects_overlap, rejects_hole,
//     rejects_trailing_bytes, rejects_begin_after_end, rejects_bad_entries, rejects_absurd_shapes,
//     refuses_values_of_other_dtypes, rejects_nan_and_infinity
//   model and gradients files
//     model_from_safetensors_equals_json     the same model written as JSON numbers and as F64 tensors
//     gradients_by_default_names             layers.<l>.weights / .bias without a document
//     model_file_errors_name_the_tensor      shape mismatches, missing tensors, NaN: JSON path + tensor name
//     tensor_reference_outside_safetensors   {"tensor": …} in a JSON file is an error
//   usage_example_of_safetensors_hpp
#define BOOST_TEST_MODULE safetensors
#include "matbp/safetensors.hpp"

#include "matbp/convert.hpp"
#include "matbp/error.hpp"
#include "matbp/model.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

using namespace matbp;
namespace st = matbp::safetensors;

namespace {

std::string le64(std::uint64_t v) {
    std::string s;
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
}

/// A file from a header text and raw data bytes, the length prefix computed here.
std::string file_of(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

/// The input_error parse(bytes) raises; fails the test if it raises nothing.
input_error parse_error(const std::string& bytes) {
    try {
        st::parse(bytes);
    } catch (const input_error& e) {
        return e;
    }
    BOOST_FAIL("no input_error for a malformed file");
    throw;
}

void check_rejects(const std::string& bytes, const std::string& path, const std::string& text) {
    const input_error e = parse_error(bytes);
    BOOST_TEST(e.path() == path);
    BOOST_TEST(e.reason().find(text) != std::string::npos, e.reason() << " lacks " << text);
}

/// One F16/BF16 element, decoded by the code under test.
exact small(std::uint16_t bits, const char* dtype) {
    const std::string data{static_cast<char>(bits & 0xff), static_cast<char>(bits >> 8)};
    const st::file f = st::parse(
        file_of(std::string("{\"x\":{\"dtype\":\"") + dtype + "\",\"shape\":[1],\"data_offsets\":[0,2]}}", data));
    return f.value(f.tensors[0], 0);
}

/// The 16-bit pattern write() stores for d.
std::uint16_t stored(double d, st::dtype t) {
    const std::string b = st::write({{"x", t, {1}, {d}}});
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[b.size() - 2]) |
                                      (static_cast<unsigned char>(b[b.size() - 1]) << 8));
}

struct temp_file {
    std::filesystem::path path;
    temp_file(const std::string& name, const std::string& bytes)
            : path(std::filesystem::temp_directory_path() / ("matbp_st_" + std::to_string(::getpid()) + "_" + name)) {
        std::ofstream(path, std::ios::binary) << bytes;
    }
    ~temp_file() { std::filesystem::remove(path); }
};

input_error model_error(const std::string& bytes) {
    const temp_file f("bad.safetensors", bytes);
    try {
        read_model_file(f.path.string());
    } catch (const input_error& e) {
        return e;
    }
    BOOST_FAIL("no input_error for a malformed model");
    throw;
}

// The model of model_from_safetensors_equals_json, with its tensors referenced by name.
const std::string two_layer_doc = R"({"format": "matbp/1", "layers": [
  {"weights": {"tensor": "W1"}, "bias": {"tensor": "b1"}, "activation": "relu"},
  {"weights": {"tensor": "W2"}, "bias": {"tensor": "b2"}, "activation": "identity"}],
  "loss": "mse", "inputs": {"tensor": "X"}, "targets": {"tensor": "Y"}})";

std::vector<st::tensor_out> two_layer_tensors() {
    return {{"W1", st::dtype::f64, {2, 3}, {0.5, -1, 0.1, 2, 3e-300, -0.25}},
            {"b1", st::dtype::f32, {2}, {0.125, -1}},
            {"W2", st::dtype::f16, {1, 2}, {1.5, -2}},
            {"b2", st::dtype::bf16, {1}, {0.0078125}},
            {"X", st::dtype::f64, {2, 3}, {1, 2, 3, 4, 5, 6}},
            {"Y", st::dtype::f64, {2, 1}, {0.5, 1}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(header_bytes_are_the_format) {
    // One F32 tensor [1] = 1.0f (bits 0x3f800000, little-endian 00 00 80 3f); the header padded
    // with spaces so that the data start at a multiple of 8.
    const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    std::string padded = header;
    while ((8 + padded.size()) % 8) padded += ' ';
    const std::string expected = file_of(padded, std::string("\x00\x00\x80\x3f", 4));
    BOOST_TEST(st::write({{"a", st::dtype::f32, {1}, {1.0}}}) == expected);
    const st::file f = st::parse(expected);
    BOOST_TEST(f.value(f.tensors[0], 0) == exact(1));
}

RC_BOOST_PROP(f64_round_trip_is_bit_exact, (std::vector<double> v)) {
    for (double& d : v)
        if (!std::isfinite(d)) d = 0;
    v.push_back(-0.0);
    v.push_back(std::numeric_limits<double>::denorm_min());
    v.push_back(std::numeric_limits<double>::max());
    const st::file f = st::parse(st::write({{"t", st::dtype::f64, {v.size()}, v}}));
    for (std::size_t i = 0; i < v.size(); ++i) RC_ASSERT(f.value(f.tensors[0], i) == to_exact(v[i]));
}

RC_BOOST_PROP(f32_values_are_the_rounded_floats, (std::vector<float> v)) {
    std::vector<double> d;
    for (float x : v) d.push_back(std::isfinite(x) ? double(x) : 0.0);
    const st::file f = st::parse(st::write({{"t", st::dtype::f32, {1, d.size()}, d}}));
    RC_ASSERT(f.tensors[0].shape == (std::vector<std::uint64_t>{1, d.size()}));
    for (std::size_t i = 0; i < d.size(); ++i) RC_ASSERT(f.value(f.tensors[0], i) == to_exact(d[i]));
}

BOOST_AUTO_TEST_CASE(half_and_bfloat_bit_patterns) {
    // IEEE binary16: sign, 5 exponent bits (bias 15), 10 fraction bits.
    BOOST_TEST(small(0x3c00, "F16") == exact(1));
    BOOST_TEST(small(0xc000, "F16") == exact(-2));
    BOOST_TEST(small(0x7bff, "F16") == exact(65504));
    BOOST_TEST(small(0x0001, "F16") == exact(1) / exact(16777216));  // 2⁻²⁴, the least subnormal
    BOOST_TEST(small(0x0400, "F16") == exact(1) / exact(16384));     // 2⁻¹⁴, the least normal
    BOOST_TEST(small(0x3555, "F16") == exact(1365, 4096));           // 0x155 = 341: (1024+341)/2^12
    // bfloat16: the upper half of a binary32.
    BOOST_TEST(small(0x3f80, "BF16") == exact(1));
    BOOST_TEST(small(0xbfc0, "BF16") == exact(-3, 2));
    BOOST_TEST(small(0x0001, "BF16") == to_exact(std::ldexp(1.0, -133)));
}

BOOST_AUTO_TEST_CASE(half_and_bfloat_rounding) {
    BOOST_TEST(stored(1.0, st::dtype::f16) == 0x3c00);
    BOOST_TEST(stored(1.0 + std::ldexp(1.0, -11), st::dtype::f16) == 0x3c00);      // tie: to even (down)
    BOOST_TEST(stored(1.0 + 3 * std::ldexp(1.0, -11), st::dtype::f16) == 0x3c02);  // tie: to even (up)
    BOOST_TEST(stored(65504.0, st::dtype::f16) == 0x7bff);
    BOOST_TEST(stored(65519.0, st::dtype::f16) == 0x7bff);  // below the midpoint 65520
    BOOST_TEST(stored(65520.0, st::dtype::f16) == 0x7c00);  // the tie rounds to 65536: inf
    BOOST_TEST(stored(-1e10, st::dtype::f16) == 0xfc00);
    BOOST_TEST(stored(std::ldexp(1.0, -25), st::dtype::f16) == 0x0000);  // tie between 0 and 2⁻²⁴: even
    BOOST_TEST(stored(std::ldexp(3.0, -25), st::dtype::f16) == 0x0002);  // 1.5·2⁻²⁴: tie to 2·2⁻²⁴
    BOOST_TEST(stored(-0.0, st::dtype::f16) == 0x8000);
    BOOST_TEST(stored(1.0 + std::ldexp(1.0, -8), st::dtype::bf16) == 0x3f80);  // tie: to even
    BOOST_TEST(stored(1.0 + std::ldexp(3.0, -8), st::dtype::bf16) == 0x3f82);  // tie: to even (up)
    BOOST_TEST(stored(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30), st::dtype::bf16) == 0x3f81);  // above the tie
}

BOOST_AUTO_TEST_CASE(sniff_tells_json_from_safetensors) {
    BOOST_TEST(!st::sniff("{\"format\": \"matbp/1\", \"layers\": []}"));
    BOOST_TEST(!st::sniff("        {\"format\": \"matbp/1\"}"));
    BOOST_TEST(!st::sniff(""));
    BOOST_TEST(st::sniff(st::write({})));
    BOOST_TEST(st::sniff(le64(100) + "{}"));  // a length past the end is parse's to report
    BOOST_TEST(!st::sniff(le64(std::uint64_t{1} << 56) + "{}"));
    BOOST_TEST(st::sniff(st::write({{"a", st::dtype::f64, {0}, {}}})));
}

BOOST_AUTO_TEST_CASE(rejects_header_past_end) {
    check_rejects(le64(100) + "{}", "header", "runs past the end of the file");
    check_rejects(le64(~std::uint64_t{0}) + "{}", "header", "runs past the end");
}

BOOST_AUTO_TEST_CASE(rejects_short_files) {
    check_rejects("abc", "header", "8-byte header length");
    check_rejects(le64(1) + "{", "header", "too short");
}

BOOST_AUTO_TEST_CASE(rejects_non_object_header) {
    check_rejects(file_of("[1, 2]", ""), "header", "expected a JSON object");
    check_rejects(file_of("{\"a\": ", ""), "header", "not a JSON header");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_dtype) {
    check_rejects(file_of(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", std::string(16, '\0')),
                  "tensors.w", "unknown dtype \"F128\"");
}

BOOST_AUTO_TEST_CASE(rejects_shape_size_mismatch) {
    check_rejects(file_of(R"({"w":{"dtype":"F64","shape":[2,2],"data_offsets":[0,24]}})", std::string(24, '\0')),
                  "tensors.w", "give 32 bytes, but data_offsets span 24");
}

BOOST_AUTO_TEST_CASE(rejects_truncated_data) {
    check_rejects(file_of(R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", std::string(12, '\0')),
                  "tensors.w", "truncated");
}

BOOST_AUTO_TEST_CASE(rejects_overlap) {
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
                          R"("b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})",
                          std::string(16, '\0')),
                  "tensors.b", "overlap");
}

BOOST_AUTO_TEST_CASE(rejects_hole) {
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})", std::string(16, '\0')),
                  "tensors.a", "leaving a hole");
}

BOOST_AUTO_TEST_CASE(rejects_trailing_bytes) {
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", std::string(9, '\0')), "header",
                  "1 bytes of data after");
}

BOOST_AUTO_TEST_CASE(rejects_begin_after_end) {
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[0],"data_offsets":[8,0]}})", std::string(8, '\0')),
                  "tensors.a", "begin after end");
}

BOOST_AUTO_TEST_CASE(rejects_bad_entries) {
    check_rejects(file_of(R"({"a":[1]})", ""), "tensors.a", "expected {");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[0]}})", ""), "tensors.a", "needs dtype, shape");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[0],"data_offsets":[0,0],"x":1}})", ""), "tensors.a",
                  "unknown key \"x\"");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[-1],"data_offsets":[0,0]}})", ""), "tensors.a",
                  "integers ≥ 0");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[1.5],"data_offsets":[0,0]}})", ""), "tensors.a",
                  "integers ≥ 0");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[0],"data_offsets":[0]}})", ""), "tensors.a", "[begin, end]");
    check_rejects(file_of(R"({"__metadata__":{"k":1}})", ""), "header.__metadata__.k", "expected a string");
    check_rejects(file_of(R"({"a ":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},"a ":{}})", ""), "header",
                  "duplicate");
}

BOOST_AUTO_TEST_CASE(rejects_absurd_shapes) {
    // 2³² · 2³² elements: the byte count overflows 64 bits, which must not wrap around to 0.
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", ""),
                  "tensors.a", "more than 2^64");
    check_rejects(file_of(R"({"a":{"dtype":"F64","shape":[99999999999999999999],"data_offsets":[0,0]}})", ""),
                  "tensors.a", "integers ≥ 0");
    check_rejects(
        file_of(R"({"a":{"dtype":"F64","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,8]}})", std::string(8, '\0')),
        "tensors.a", "9 dimensions");
}

BOOST_AUTO_TEST_CASE(refuses_values_of_other_dtypes) {
    const st::file f = st::parse(file_of(R"({"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", le64(7)));
    BOOST_TEST((f.tensors[0].type == st::dtype::other));
    try {
        f.value(f.tensors[0], 0);
        BOOST_FAIL("an I64 value was read");
    } catch (const input_error& e) {
        BOOST_TEST(e.reason().find("has dtype I64") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(rejects_nan_and_infinity) {
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()}) {
        const st::file f = st::parse(st::write({{"w", st::dtype::f64, {2}, {1.0, bad}}}));
        BOOST_CHECK_NO_THROW(f.value(f.tensors[0], 0));
        try {
            f.value(f.tensors[0], 1);
            BOOST_FAIL("a non-finite value was read");
        } catch (const input_error& e) {
            BOOST_TEST(e.path() == "tensors.w[1]");
            BOOST_TEST(e.reason().find("element 1 of tensor \"w\"") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(model_from_safetensors_equals_json) {
    // The same model with every number written out: the F32, F16 and BF16 values are exactly
    // representable there, so each tensor holds exactly the value written in the JSON text.
    const model_spec expected = read_model(R"({"format": "matbp/1", "layers": [
      {"weights": [[0.5, -1, 0.1], [2, 3e-300, -0.25]], "bias": [0.125, -1], "activation": "relu"},
      {"weights": [[1.5, -2]], "bias": [0.0078125], "activation": "identity"}],
      "loss": "mse", "inputs": [[1, 2, 3], [4, 5, 6]], "targets": [[0.5], [1]]})");
    const temp_file f("model.safetensors", st::write(two_layer_tensors(), {{"matbp", two_layer_doc}}));
    const model_spec got = read_model_file(f.path.string());
    BOOST_TEST((got == expected));
    // IEEE values are held as the doubles they are (exact_tensor.hpp), every tensor of the model.
    for (const auto& L : got.layers) BOOST_TEST((L.weights.doubles() != nullptr && L.bias.doubles() != nullptr));
    BOOST_TEST((got.inputs.doubles() != nullptr && got.targets.doubles() != nullptr));

    // Gradients: the tensors named after their JSON paths, without a document.
    const temp_file g("grads.safetensors", st::write({{"layers.0.weights", st::dtype::f64, {2, 3}, {1, 2, 3, 4, 5, 6}},
                                                      {"layers.0.bias", st::dtype::f64, {2}, {7, 8}},
                                                      {"layers.1.weights", st::dtype::f32, {1, 2}, {0.5, 0.25}},
                                                      {"layers.1.bias", st::dtype::f64, {1}, {-1}}}));
    const auto grads = read_gradients_file(g.path.string(), expected);
    BOOST_TEST(grads.size() == 2u);
    BOOST_TEST(grads[0].first(1, 2) == exact(6));
    BOOST_TEST(grads[0].second(1, 0) == exact(8));
    BOOST_TEST(grads[1].first(0, 1) == exact(1, 4));
    BOOST_TEST(grads[1].second(0, 0) == exact(-1));
}

BOOST_AUTO_TEST_CASE(gradients_by_default_names) {
    const model_spec m = read_model(R"({"format": "matbp/1", "layers": [
      {"weights": [[1]], "bias": [0], "activation": "identity"}], "inputs": [[1]], "targets": [[0]]})");
    const temp_file missing("g1.safetensors", st::write({{"layers.0.weights", st::dtype::f64, {1, 1}, {1}}}));
    try {
        read_gradients_file(missing.path.string(), m);
        BOOST_FAIL("a missing bias tensor was accepted");
    } catch (const input_error& e) {
        BOOST_TEST(e.path() == "layers[0].bias.tensor");
        BOOST_TEST(e.reason().find("no tensor \"layers.0.bias\"") != std::string::npos);
    }
    const temp_file wrong("g2.safetensors", st::write({{"layers.0.weights", st::dtype::f64, {1, 2}, {1, 2}},
                                                       {"layers.0.bias", st::dtype::f64, {1}, {0}}}));
    try {
        read_gradients_file(wrong.path.string(), m);
        BOOST_FAIL("a wrongly shaped gradient was accepted");
    } catch (const input_error& e) {
        BOOST_TEST(e.path() == "layers[0].weights");
        BOOST_TEST(e.reason().find("has shape [1, 2], but the model's layers[0].weights has 1 column") !=
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(model_file_errors_name_the_tensor) {
    auto tensors = two_layer_tensors();
    auto with = [&](auto change) {
        auto t = two_layer_tensors();
        change(t);
        return model_error(st::write(t, {{"matbp", two_layer_doc}}));
    };
    input_error e = with([](auto& t) { t[0].shape = {3, 2}; });
    BOOST_TEST(e.path() == "layers[0].bias");  // W1 as 3×2 has 3 rows; b1 has 2 values
    BOOST_TEST(e.reason().find("tensor \"b1\" has shape [2], but layers[0].weights has 3 rows") != std::string::npos);
    e = with([](auto& t) {
        t[0].shape = {3, 2};
        t[1].shape = {3};
        t[1].values = {1, 2, 3};
    });
    BOOST_TEST(e.path() == "layers[1].weights");  // W1 as 3×2 does not chain into W2 (1×2)
    e = with([](auto& t) { t[1].shape = {1, 2}; });
    BOOST_TEST(e.path() == "layers[0].bias");
    BOOST_TEST(e.reason().find("tensor \"b1\" has shape [1, 2]") != std::string::npos);
    e = with([](auto& t) { t[4].values[4] = std::numeric_limits<double>::quiet_NaN(); });
    BOOST_TEST(e.path() == "inputs[1][1]");
    BOOST_TEST(e.reason().find("NaN") != std::string::npos);
    e = with([](auto& t) { t[5].shape = {1, 2}; });
    BOOST_TEST(e.path() == "targets");
    e = with([](auto& t) { t[2].name = "W3"; });
    BOOST_TEST(e.path() == "layers[1].weights.tensor");
    e = model_error(st::write(tensors));
    BOOST_TEST(e.path() == "header.__metadata__");
    BOOST_TEST(e.file().find("bad.safetensors") != std::string::npos);
    e = model_error(st::write(tensors, {{"matbp", "{"}}));
    BOOST_TEST(e.path() == "header.__metadata__.matbp");
}

BOOST_AUTO_TEST_CASE(tensor_reference_outside_safetensors) {
    try {
        read_model(two_layer_doc);
        BOOST_FAIL("a tensor reference was read from JSON");
    } catch (const input_error& e) {
        BOOST_TEST(e.path() == "layers[0].weights");
        BOOST_TEST(e.reason().find("read only from the __metadata__ of a safetensors file") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(usage_example_of_safetensors_hpp) {
    std::string bytes = matbp::safetensors::write({{"w", matbp::safetensors::dtype::f32, {2, 3}, {1, 2, 3, 4, 5, 6}}});
    matbp::safetensors::file f = matbp::safetensors::parse(bytes);
    BOOST_TEST(f.value(*f.find("w"), 5) == exact(6));
    BOOST_TEST(matbp::safetensors::sniff(bytes));
}
