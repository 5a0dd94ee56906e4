// Tests for src/matbp/model.hpp (the matbp/1 format).
//
// Test plan
//   reads_a_complete_model              every field of a hand-written model, entry by entry; samples
//                                       become columns; defaults of loss and reduction
//   round_trips_through_write_model     read(write(m)) == m; write is a fixpoint; == sees differences
//   write_model_preconditions           D12 shapes, D10 canonical activations, D14 batch shapes fire
//   json_numbers_are_doubles_taken_exactly   0.1 = to_exact(0.1) = 3602879701896397/2^55 ≠ 1/10;
//                                       subnormals; underflow to 0
//   json_numbers_ignore_the_c_locale    under a decimal-comma LC_NUMERIC when one is installed
//   fast_number_path_eq_slow_path       the reader's fast conversion (std::from_chars, m·2^e
//                                       accounting) gives to_exact(strtod(text)) on edge lexemes
//                                       (long decimals, exponents, -0, subnormals, underflow, the
//                                       largest double, ties) and, RapidCheck, on random doubles in
//                                       several spellings and random decimal texts
//   fast_path_keeps_the_limits          max_exact_bits exactly at and one number past the budget;
//                                       max_chars at the length of a value's p/q text and one below,
//                                       negative values included; the error names the element's
//                                       path, line and column
//   strings_are_exact                   "0.1" = 1/10, "0x1.8p-3" = 3/16, "6/4" = 3/2, "-3", "1e-3"
//   model_tensors_held_as_doubles_or_rationals   doubles while every entry is one (numbers, "1/2"),
//                                       rationals from the first that is not (even the last); −0
//                                       held as +0; the values of the text either way
//   activations                         every name; sigmoid ↦ logistic; leaky_relu default
//                                       to_exact(0.01) (not 1/100); polynomial coefficients;
//                                       transcendental()
//   one case per error class, each asserting the whole message and path():
//     rejects_wrong_types, rejects_missing_fields, rejects_bad_format, rejects_unknown_activation,
//     rejects_unknown_keys, rejects_ragged_rows, rejects_widths_that_do_not_chain,
//     rejects_wrong_bias_length, rejects_wrong_targets, rejects_wrong_inputs (also: shapes are
//     checked before allocation), rejects_empty_layers,
//     rejects_empty_rows, rejects_empty_batch, rejects_bad_exact_strings (1/0, NaN/Inf spellings),
//     rejects_double_overflow (1e999), rejects_overlong_numbers (20000 digits), rejects_over_limits,
//     rejects_duplicate_keys, rejects_bad_loss_and_reduction, reports_syntax_errors_by_position
//   example_models_are_valid            tests/data/models/*.json load, have the documented features,
//                                       and round-trip
//   never_fails_otherwise_on_mutated_models   RapidCheck: random edits of a valid model are read
//                                       (and then round-trip) or rejected with input_error only
//   read_gradients_accepts_matching_shapes / read_gradients_rejects_wrong_shapes
//   read_model_file_errors              missing path, directory, empty file, /dev/zero under a small
//                                       limit, a syntax error prefixed with the file name
//   registry_members_with_parameters    hardtanh, huber, l1 (D9, D10): defaults, given values,
//                                       errors at the parameter's path, round trip, write_model's
//                                       precondition on a parameter its entry refuses
//   fuzz_dictionary_holds_every_registry_name   tests/fuzz/model.dict has every name, alias, key
//   usage_example_of_model_hpp
// Expected rationals are written from the JSON text by hand (e.g. "6/4" → 3/2); a double's exact
// value comes from its IEEE encoding (0.1 = 0x1.999999999999ap-4 = 3602879701896397·2^−55).
#define BOOST_TEST_MODULE model
#include "matbp/model.hpp"

#include "support/expect.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <rapidcheck/boost_test.h>

#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

using namespace matbp;
namespace fs = std::filesystem;

namespace {

const std::string base = R"({
  "format": "matbp/1",
  "layers": [
    {"weights": [[1, 2, 3], [4, 5, 6]], "bias": [0, 0], "activation": "relu"},
    {"weights": [[1, -1], [2, -2], [3, -3]], "bias": ["1/2", "0.1", "0x1.8p-3"],
     "activation": {"name": "leaky_relu", "negative_slope": "1/100"}}
  ],
  "loss": "squared_error",
  "reduction": "mean",
  "inputs": [[1, 0, -1], [0.5, 0.25, 0.125]],
  "targets": [[1, 2, 3], [0, 0, 0]]
})";

/// `text` with the first `from` replaced by `to`; the test fails if `from` is absent, so an edit
/// can never silently leave the valid base unchanged.
std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, "no " << from);
    return text.replace(at, from.size(), to);
}

/// The text of base from "layers" up to "loss".
std::string layers_section() {
    return base.substr(base.find("\"layers\""), base.find("\"loss\"") - base.find("\"layers\""));
}

exact q(long p, long d = 1) { return exact(p, d); }

exact pow2(int e) {
    exact r = 1;
    for (int i = 0; i < std::abs(e); ++i) r *= 2;
    return e >= 0 ? r : exact(1) / r;
}

/// read_model(text) raises input_error with this path() and exactly this what().
void expect_error(const std::string& text, const std::string& path, const std::string& message,
                  const model_limits& lim = {}) {
    try {
        read_model(text, lim);
    } catch (const input_error& e) {
        BOOST_TEST(e.path() == path);
        BOOST_TEST(std::string(e.what()) == message);
        return;
    }
    BOOST_FAIL("accepted, expected: " + message);
}

matrix<exact> mat(std::initializer_list<std::initializer_list<exact>> rows) {
    matrix<exact> M(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.begin()->size()));
    Eigen::Index i = 0;
    for (const auto& r : rows) {
        Eigen::Index j = 0;
        for (const auto& x : r) M(i, j++) = x;
        ++i;
    }
    return M;
}

/// Shape and entries equal (Eigen's == asserts on a shape mismatch, which tests keep enabled).
bool equal(const matrix<exact>& a, const matrix<exact>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && a == b;
}

fs::path models_dir() {
    // CTest sets MATBP_SOURCE_DIR; __FILE__ may be relative (ccache's base_dir rewrites it).
    if (const char* src = std::getenv("MATBP_SOURCE_DIR")) return fs::path(src) / "tests" / "data" / "models";
    return fs::path(__FILE__).parent_path() / "data" / "models";
}

/// A fresh directory under the system temporary directory, removed by the destructor.
struct scratch {
    fs::path dir = fs::temp_directory_path() / ("matbp_model_test_" + std::to_string(::getpid()));
    scratch() { fs::create_directories(dir); }
    ~scratch() { fs::remove_all(dir); }
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(dir / name, std::ios::binary) << text;
        return dir / name;
    }
};

std::string file_error(auto read) {
    try {
        read();
    } catch (const input_error& e) {
        return e.what();
    } catch (const resource_error& e) {
        return "resource_error: " + std::string(e.what());
    }
    return "(accepted)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_a_complete_model) {
    const model_spec m = read_model(base);
    BOOST_TEST_REQUIRE(m.layers.size() == 2u);
    BOOST_TEST(equal(m.layers[0].weights, mat({{1, 2, 3}, {4, 5, 6}})));
    BOOST_TEST(equal(m.layers[0].bias, mat({{0}, {0}})));
    BOOST_TEST(m.layers[0].activation.name == "relu");
    BOOST_TEST(equal(m.layers[1].weights, mat({{1, -1}, {2, -2}, {3, -3}})));
    BOOST_TEST(equal(m.layers[1].bias, mat({{q(1, 2)}, {q(1, 10)}, {q(3, 16)}})));
    BOOST_TEST(m.layers[1].activation.name == "leaky_relu");
    BOOST_TEST((m.layers[1].activation.params == std::vector<exact>{q(1, 100)}));
    BOOST_TEST((m.loss_kind.name == "squared_error"));
    BOOST_TEST((m.red == reduction::mean));
    // The JSON's rows are samples; the spec holds them as columns (m₀ × n, m_k × n).
    BOOST_TEST(equal(m.inputs, mat({{1, q(1, 2)}, {0, q(1, 4)}, {-1, q(1, 8)}})));
    BOOST_TEST(equal(m.targets, mat({{1, 0}, {2, 0}, {3, 0}})));

    const model_spec d = read_model(with(with(base, R"("loss": "squared_error",)", ""), R"("reduction": "mean",)", ""));
    BOOST_TEST((d.loss_kind.name == "squared_error" && d.red == reduction::mean));
    const model_spec s = read_model(with(with(base, R"("squared_error")", R"("mse")"), R"("mean")", R"("sum")"));
    BOOST_TEST((s.loss_kind.name == "mse" && s.red == reduction::sum));
    BOOST_TEST(read_model(with(base, "\"squared_error\"", "\"softmax_cross_entropy\"")).loss_kind.name ==
               "softmax_cross_entropy");
    BOOST_TEST((read_model(with(base, "\"format\"", "\"comment\": \"any text\", \"format\"")) == m));
}

BOOST_AUTO_TEST_CASE(round_trips_through_write_model) {
    const std::string poly = R"({"name": "polynomial", "coefficients": [0.1, "-1/3", 0, "1e-5"]})";
    const model_spec m = read_model(with(with(base, R"("relu")", poly), R"("mean")", R"("sum")"));
    const std::string text = write_model(m);
    const model_spec back = read_model(text);
    BOOST_TEST((back == m));
    BOOST_TEST(write_model(back) == text);                  // canonical: a fixpoint
    BOOST_TEST(text.find("\"0.1\"") == std::string::npos);  // exact strings in lowest terms only
    BOOST_TEST(text.find("\"3602879701896397/36028797018963968\"") != std::string::npos);
    // == sees a change in any part.
    model_spec changed = m;
    changed.targets.edit()(2, 1) += 1;
    BOOST_TEST(!(changed == m));
    changed = m;
    changed.layers[0].activation.params.back() = 0;
    BOOST_TEST(!(changed == m));
    changed = m;
    changed.inputs.edit().conservativeResize(3, 1);
    BOOST_TEST(!(changed == m));
}

BOOST_AUTO_TEST_CASE(write_model_preconditions) {
    using matbp::testing::expect_violation;
    const model_spec good = read_model(base);
    model_spec m = good;
    m.layers.clear();
    expect_violation("D12", [&] { write_model(m); });
    m = good;
    m.layers[0].bias.edit().resize(3, 1);
    expect_violation("D12", [&] { write_model(m); });
    m = good;
    m.layers[1].weights.edit().resize(3, 3);
    expect_violation("D12", [&] { write_model(m); });
    m = good;
    m.layers[0].activation.name = "sigmoid";  // an alias is not canonical
    expect_violation("D10", [&] { write_model(m); });
    m = good;
    m.layers[0].activation.params = {q(1, 2)};  // a parameter on relu would be lost
    expect_violation("D10", [&] { write_model(m); });
    m = good;
    m.layers[0].activation = {"polynomial", {}};
    expect_violation("D10", [&] { write_model(m); });
    m = good;
    m.inputs.edit().resize(2, 2);
    expect_violation("D14", [&] { write_model(m); });
    m = good;
    m.targets.edit().resize(3, 1);
    expect_violation("D14", [&] { write_model(m); });
}

BOOST_AUTO_TEST_CASE(json_numbers_are_doubles_taken_exactly) {
    const model_spec m = read_model(
        with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", "[[0.1, 4.9e-324, 1e-400], [-0.0, 1e308, 123456789012345678]]"));
    BOOST_TEST(m.inputs(0, 0) == to_exact(0.1));
    BOOST_TEST(m.inputs(0, 0) == exact(3602879701896397LL) * pow2(-55));
    BOOST_TEST(m.inputs(0, 0) != q(1, 10));
    BOOST_TEST(m.inputs(1, 0) == pow2(-1074));  // the least subnormal
    BOOST_TEST(m.inputs(2, 0) == 0);            // 1e-400 denotes the double 0
    BOOST_TEST(m.inputs(0, 1) == 0);
    BOOST_TEST(m.inputs(1, 1) == to_exact(1e308));
    BOOST_TEST(m.inputs(2, 1) == exact(123456789012345680LL));  // nearest double, not the integer
}

BOOST_AUTO_TEST_CASE(json_numbers_ignore_the_c_locale) {
    // A locale whose decimal point is ',' must not change what 0.5 means (strtod would follow it).
    const char* saved = std::setlocale(LC_NUMERIC, nullptr);
    const std::string restore = saved ? saved : "C";
    for (const char* name : {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"}) {
        if (!std::setlocale(LC_NUMERIC, name)) continue;
        const model_spec m = read_model(base);
        std::setlocale(LC_NUMERIC, restore.c_str());
        BOOST_TEST(m.inputs(0, 1) == q(1, 2));
        return;
    }
    BOOST_TEST_MESSAGE("no locale with a decimal comma is installed; checked under C only");
    BOOST_TEST(read_model(base).inputs(0, 1) == q(1, 2));
}

namespace {
/// What a JSON number means (model.hpp): glibc's strtod (the test runs in the C locale), exactly.
exact meaning(const std::string& lexeme) { return to_exact(std::strtod(lexeme.c_str(), nullptr)); }

/// The model base with inputs [[x…], [0, 0, 0]]: the lexemes in one compact row of three.
std::string with_inputs(const std::string& a, const std::string& b, const std::string& c) {
    return with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", "[[" + a + ", " + b + ", " + c + "], [0, 0, 0]]");
}

/// Each lexeme, read as a model's input, means meaning(lexeme).
bool reads_as_strtod(const std::vector<std::string>& lexemes) {
    for (std::size_t i = 0; i < lexemes.size(); i += 3) {
        const auto at = [&](std::size_t k) { return i + k < lexemes.size() ? lexemes[i + k] : std::string("0"); };
        const model_spec m = read_model(with_inputs(at(0), at(1), at(2)));
        for (std::size_t k = 0; k < 3; ++k)
            if (m.inputs(static_cast<Eigen::Index>(k), 0) != meaning(at(k))) {
                BOOST_TEST_MESSAGE("differs: " << at(k));
                return false;
            }
    }
    return true;
}
}  // namespace

BOOST_AUTO_TEST_CASE(fast_number_path_eq_slow_path) {
    const std::string long_decimal = "0." + std::string(700, '3') + "1";
    const std::string long_integer = std::string(300, '9');
    BOOST_TEST(reads_as_strtod({
        "0",
        "-0",
        "-0.0",
        "0.0e0",
        "0e999999",
        "-0E-999999",
        "0.1",
        "-0.1",
        "1e-5",
        "1E+2",
        "1e22",
        "1e23",
        "9007199254740993",  // a tie: to even, 9007199254740992
        "9007199254740995",  // a tie: to even, 9007199254740996
        "0.30000000000000004",
        "0.3000000000000000166533453693773481063544750213623046875",
        "4.9e-324",
        "5e-324",
        "2.4703282292062328e-324",  // the least subnormal and just above half of it
        "2.4703282292062327e-324",  // just below half of it: 0, an underflow
        "2.4e-324",
        "1e-400",
        "-1e-400",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",  // rounds down to the largest double
        "-1.7976931348623157e308",
        "123456789012345678901234567890",
        "1234567890123456789e-30",
        long_decimal,
        long_integer,
        "-" + long_decimal + "e-300",
    }));
    // The largest double's neighbourhood above rounds to infinity: refused, as strtod gives inf.
    expect_error(with_inputs("1", "1.7976931348623159e308", "1"), "inputs[0][1]",
                 "inputs[0][1]: 1.7976931348623159e308 is beyond the range of a double; write it as a string for "
                 "its exact value");
    expect_error(with_inputs("1", "1", "-1" + std::string(400, '0')), "inputs[0][2]",
                 "inputs[0][2]: -1" + std::string(38, '0') +
                     "… is beyond the range of a double; write it as a string for its exact value");
}

RC_BOOST_PROP(fast_number_path_eq_slow_path_random, ()) {
    // Random doubles (any bit pattern that is finite) in four spellings, and random decimal texts.
    const auto bits = *rc::gen::arbitrary<std::uint64_t>();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    RC_PRE(std::isfinite(d));
    char shortest[64], g17[64], e30[64];
    *std::to_chars(shortest, shortest + 63, d).ptr = '\0';
    std::snprintf(g17, sizeof g17, "%.17g", d);
    std::snprintf(e30, sizeof e30, "%.30e", d);
    const std::string digits = *rc::gen::container<std::string>(rc::gen::inRange('0', static_cast<char>('9' + 1)));
    const int exponent = *rc::gen::inRange(-400, 400);
    const std::string decimal = "-" + (digits.empty() ? std::string("7") : std::string("1") + digits) + "." + digits +
                                "7e" + std::to_string(exponent);
    const model_spec m = read_model(with_inputs(shortest, g17, e30));
    RC_ASSERT(m.inputs(0, 0) == to_exact(d));
    RC_ASSERT(m.inputs(1, 0) == to_exact(d));
    RC_ASSERT(m.inputs(2, 0) == meaning(e30));
    if (std::isinf(std::strtod(decimal.c_str(), nullptr)))
        RC_ASSERT_THROWS_AS(read_model(with_inputs("1", decimal, "1")), input_error);
    else
        RC_ASSERT(read_model(with_inputs("1", decimal, "1")).inputs(1, 0) == meaning(decimal));
}

BOOST_AUTO_TEST_CASE(fast_path_keeps_the_limits) {
    // max_exact_bits: 1e-300's p/q holds bits(p) + bits(q) bits; the budget counts those beyond 128.
    const exact tiny = to_exact(1e-300);
    const std::size_t bits = mpz_sizeinbase(bmp::numerator(tiny).backend().data(), 2) +
                             mpz_sizeinbase(bmp::denominator(tiny).backend().data(), 2);
    BOOST_TEST_REQUIRE(bits > 128u);
    model_limits lim;
    lim.max_exact_bits = 3 * (bits - 128);  // exactly three such numbers
    const std::string three = with_inputs("1e-300", "1e-300", "1e-300");
    BOOST_CHECK_NO_THROW(read_model(three, lim));
    lim.max_exact_bits = 3 * (bits - 128) - 1;  // one bit short: the third crosses it
    expect_error(three, "inputs[0][2]",
                 "inputs[0][2]: the numbers so far hold " + std::to_string(3 * (bits - 128)) +
                     " bits beyond 128 each, over the limit max_exact_bits = " + std::to_string(3 * (bits - 128) - 1),
                 lim);
    lim.max_exact_bits = 3 * (bits - 128);
    const std::string four = with(three, "[0, 0, 0]", "[0, 1e-300, 0]");
    try {
        read_model(four, lim);
        BOOST_FAIL("accepted past max_exact_bits");
    } catch (const input_error& e) {
        BOOST_TEST(e.path() == "inputs[1][1]");
        BOOST_TEST(std::string(e.what()).find("max_exact_bits") != std::string::npos);
        BOOST_TEST(e.line() == 10u);                         // the inputs line of base
        const std::size_t at = four.find("[0, 1e-300") + 4;  // the fourth 1e-300
        BOOST_TEST(e.column() == at - four.rfind('\n', at));
    }
    // max_chars: the p/q text of -1e15 is "-1000000000000000", 17 characters.
    lim = {};
    lim.number.max_chars = 17;
    BOOST_CHECK_NO_THROW(read_model(with_inputs("-1e15", "1e15", "0.5"), lim));
    lim.number.max_chars = 16;
    expect_error(with_inputs("1e15", "-1e15", "0.5"), "inputs[0][1]",
                 "inputs[0][1]: its exact value p/q would take 17 characters to write, over the limit of 16", lim);
    // 1e-10 = p/2^86: the text of p/q is to_string's.
    const std::size_t n = to_string(to_exact(1e-10)).size();
    lim.number.max_chars = n;
    BOOST_CHECK_NO_THROW(read_model(with_inputs("1", "1e-10", "1"), lim));
    lim.number.max_chars = n - 1;
    expect_error(with_inputs("1", "1", "1e-10"), "inputs[0][2]",
                 "inputs[0][2]: its exact value p/q would take " + std::to_string(n) +
                     " characters to write, over the limit of " + std::to_string(n - 1),
                 lim);
}

BOOST_AUTO_TEST_CASE(strings_are_exact) {
    const model_spec m = read_model(
        with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", R"([["0.1", "0x1.8p-3", "6/4"], ["-3", "1e-3", "-0"]])"));
    BOOST_TEST(m.inputs(0, 0) == q(1, 10));
    BOOST_TEST(m.inputs(1, 0) == q(3, 16));
    BOOST_TEST(m.inputs(2, 0) == q(3, 2));
    BOOST_TEST(m.inputs(0, 1) == q(-3));
    BOOST_TEST(m.inputs(1, 1) == q(1, 1000));
    BOOST_TEST(m.inputs(2, 1) == 0);
}

BOOST_AUTO_TEST_CASE(model_tensors_held_as_doubles_or_rationals) {
    // A tensor whose every entry is a double (a JSON number, or a string whose value a double
    // holds) is held as doubles; one entry no double holds, wherever it is, makes it rationals.
    // The values are those of the text either way (expected values written independently here).
    const model_spec m = read_model(base);
    BOOST_TEST(m.layers[0].weights.doubles() != nullptr);
    BOOST_TEST(m.inputs.doubles() != nullptr);
    BOOST_TEST(m.layers[1].bias.doubles() == nullptr);  // "0.1" is 1/10: no double holds it
    BOOST_TEST(m.layers[1].bias(0) == q(1, 2));
    BOOST_TEST(m.layers[1].bias(1) == q(1, 10));
    BOOST_TEST(m.layers[1].bias(2) == q(3, 16));
    const model_spec h = read_model(with(base, R"(["1/2", "0.1", "0x1.8p-3"])", R"(["1/2", "-0", "0x1.8p-3"])"));
    BOOST_TEST_REQUIRE(h.layers[1].bias.doubles() != nullptr);
    BOOST_TEST(h.layers[1].bias(2) == q(3, 16));
    // −0 (a string or a JSON number) is the rational 0, held as +0.
    BOOST_TEST(!std::signbit((*h.layers[1].bias.doubles())(1)));
    const model_spec z = read_model(with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", "[[1, -0.0, -1], [0.5, 0.25, -0]]"));
    BOOST_TEST_REQUIRE(z.inputs.doubles() != nullptr);
    BOOST_TEST(!std::signbit((*z.inputs.doubles())(1, 0)));
    BOOST_TEST(!std::signbit((*z.inputs.doubles())(2, 1)));
    // The first non-double is the last entry read: the doubles before it keep their values.
    const model_spec late =
        read_model(with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", R"([[1, 0, -1], [0.5, 0.25, "1/3"]])"));
    BOOST_TEST(late.inputs.doubles() == nullptr);
    const exact want[3][2] = {{q(1), q(1, 2)}, {q(0), q(1, 4)}, {q(-1), q(1, 3)}};
    for (Eigen::Index i = 0; i < 3; ++i)
        for (Eigen::Index j = 0; j < 2; ++j) BOOST_TEST(late.inputs(i, j) == want[i][j]);
    // Gradients read the same way.
    const auto g = read_gradients(R"({"layers": [{"weights": [[1, 2, 3], [4, 5, "1/3"]], "bias": [0.5, -0.0]},
        {"weights": [[1, 2], [3, 4], [5, 6]], "bias": [1, 2, 3]}]})",
                                  m);
    BOOST_TEST(g[0].first(1, 2) == q(1, 3));
    BOOST_TEST(g[0].second(1, 0) == 0);
}

BOOST_AUTO_TEST_CASE(activations) {
    const auto act = [](const std::string& json_activation) {
        return read_model(with(base, R"("relu")", json_activation)).layers[0].activation;
    };
    for (const char* n : {"identity", "relu", "softsign", "logistic", "tanh", "softplus"}) {
        const activation_spec a = act(json::quote(n));
        BOOST_TEST(a.name == n);
        BOOST_TEST(a.params.empty());
        BOOST_TEST((act("{\"name\": " + json::quote(n) + "}") == a));
    }
    BOOST_TEST(act(R"("sigmoid")").name == "logistic");
    BOOST_TEST(act(R"("tanh")").transcendental());
    BOOST_TEST(act(R"("sigmoid")").transcendental());
    BOOST_TEST(act(R"("softplus")").transcendental());
    BOOST_TEST(!act(R"("softsign")").transcendental());
    // leaky_relu's default slope is the double 0.01 taken exactly, as PyTorch computes with it.
    const activation_spec leaky = act(R"("leaky_relu")");
    BOOST_TEST(leaky.params.at(0) == to_exact(0.01));
    BOOST_TEST(leaky.params.at(0) != q(1, 100));
    BOOST_TEST((act(R"({"name": "leaky_relu"})") == leaky));
    BOOST_TEST(act(R"({"name": "leaky_relu", "negative_slope": 0.01})").params.at(0) == to_exact(0.01));
    BOOST_TEST(act(R"({"name": "leaky_relu", "negative_slope": "1/100"})").params.at(0) == q(1, 100));
    BOOST_TEST(!leaky.transcendental());
    const activation_spec p = act(R"({"name": "polynomial", "coefficients": ["1", 0.5, "-2/6"]})");
    BOOST_TEST(p.name == "polynomial");
    BOOST_TEST((p.params == std::vector<exact>{q(1), q(1, 2), q(-1, 3)}));
}

BOOST_AUTO_TEST_CASE(registry_members_with_parameters) {
    const auto act = [](const std::string& json_activation) {
        return read_model(with(base, R"("relu")", json_activation)).layers[0].activation;
    };
    // hardtanh: PyTorch's defaults −1 and 1; either end may be given; values exact.
    BOOST_TEST((act(R"("hardtanh")").params == std::vector<exact>{q(-1), q(1)}));
    BOOST_TEST((act(R"({"name": "hardtanh", "max_val": "1/2"})").params == std::vector<exact>{q(-1), q(1, 2)}));
    BOOST_TEST((act(R"({"name": "hardtanh", "min_val": 0.1, "max_val": 6})").params ==
                std::vector<exact>{to_exact(0.1), q(6)}));
    const auto loss = [](const std::string& json_loss) {
        return read_model(with(base, R"("squared_error")", json_loss)).loss_kind;
    };
    BOOST_TEST(loss(R"("huber")").name == "huber");
    BOOST_TEST((loss(R"("huber")").params == std::vector<exact>{q(1)}));
    BOOST_TEST((loss(R"({"name": "huber", "delta": "1/4"})").params == std::vector<exact>{q(1, 4)}));
    BOOST_TEST((loss(R"({"name": "huber"})") == loss(R"("huber")")));
    BOOST_TEST(loss(R"("l1")").params.empty());
    BOOST_TEST((loss(R"({"name": "mse"})") == loss(R"("mse")")));
    // Errors name the parameter's path.
    expect_error(with(base, R"("relu")", R"({"name": "hardtanh", "min_val": 1, "max_val": 1})"),
                 "layers[0].activation.max_val",
                 "layers[0].activation.max_val: max_val (1) must be greater than min_val (1)");
    expect_error(with(base, R"("relu")", R"({"name": "hardtanh", "min_val": 2})"), "layers[0].activation",
                 "layers[0].activation: max_val (1) must be greater than min_val (2)");
    expect_error(with(base, R"("squared_error")", R"({"name": "huber", "delta": 0})"), "loss.delta",
                 "loss.delta: delta must be positive, not 0");
    expect_error(with(base, R"("squared_error")", R"({"name": "huber", "delta": "-3"})"), "loss.delta",
                 "loss.delta: delta must be positive, not -3");
    expect_error(with(base, R"("squared_error")", R"({"name": "l1", "delta": 1})"), "loss.delta",
                 "loss.delta: unknown key for l1; expected one of: name");
    expect_error(with(base, R"("squared_error")", R"({"name": "huber", "beta": 1})"), "loss.beta",
                 "loss.beta: unknown key for huber; expected one of: name, delta");
    expect_error(with(base, R"("squared_error")", R"(7)"), "loss",
                 "loss: expected a loss name or {\"name\": …}, got 7");
    // Round trip with every parameter written out.
    const model_spec m = read_model(with(with(base, R"("relu")", R"({"name": "hardtanh", "max_val": "3/2"})"),
                                         R"("squared_error")", R"({"name": "huber", "delta": "1/8"})"));
    const std::string text = write_model(m);
    BOOST_TEST((read_model(text) == m));
    BOOST_TEST(text.find(R"({"name": "hardtanh", "min_val": "-1", "max_val": "3/2"})") != std::string::npos);
    BOOST_TEST(text.find(R"({"name": "huber", "delta": "1/8"})") != std::string::npos);
    // write_model's precondition: a parameter its entry's check refuses.
    model_spec bad = m;
    bad.layers[0].activation.params = {q(2), q(1)};
    matbp::testing::expect_violation("D10", [&] { write_model(bad); });
    bad = m;
    bad.loss_kind.params = {q(0)};
    matbp::testing::expect_violation("D9", [&] { write_model(bad); });
}

BOOST_AUTO_TEST_CASE(fuzz_dictionary_holds_every_registry_name) {
    // The fuzzer's dictionary (tests/fuzz/model.dict) must offer every name, alias and parameter
    // key the registries accept, so the fuzzer reaches every member's reader.
    const fs::path dict = models_dir().parent_path().parent_path() / "fuzz" / "model.dict";
    std::ifstream in(dict);
    BOOST_TEST_REQUIRE(in.good(), dict);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto registry : {activation_registry(), loss_registry()})
        for (const auto* f : registry) {
            std::vector<std::string_view> words{f->name};
            for (auto a : f->aliases)
                if (!a.empty()) words.push_back(a);
            for (const auto& p : f->parameters) words.push_back(p.name);
            for (auto w : words) BOOST_TEST(text.find("\"\\\"" + std::string(w) + "\\\"\"") != std::string::npos, w);
        }
}

// ---- errors: every message is asserted whole ------------------------------------------------

BOOST_AUTO_TEST_CASE(rejects_wrong_types) {
    expect_error(with(base, "[[1, -1], [2, -2]", "[[1, -1], [2, true]"), "layers[1].weights[1][1]",
                 "layers[1].weights[1][1]: expected a number or an exact string, got true");
    expect_error(with(base, "\"bias\": [0, 0]", "\"bias\": [0, null]"), "layers[0].bias[1]",
                 "layers[0].bias[1]: expected a number or an exact string, got null");
    expect_error(with(base, "\"bias\": [0, 0]", "\"bias\": {}"), "layers[0].bias",
                 "layers[0].bias: expected an array of 2 numbers, got an object");
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "5"), "layers[0].weights",
                 "layers[0].weights: expected an array of rows, got 5");
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "[1, 2]"), "layers[0].weights[0]",
                 "layers[0].weights[0]: expected an array of numbers, got 1");
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "[[1, 2, 3], 4]"), "layers[0].weights[1]",
                 "layers[0].weights[1]: expected an array of 3 numbers, got 4");
    expect_error(with(base, R"({"weights": [[1, 2, 3], [4, 5, 6]], "bias": [0, 0], "activation": "relu"})", "[1]"),
                 "layers[0]",
                 "layers[0]: expected a layer object with \"weights\", \"bias\" and \"activation\", got an array");
    expect_error(with(base, "\"activation\": \"relu\"", "\"activation\": 3"), "layers[0].activation",
                 "layers[0].activation: expected an activation name or {\"name\": …}, got 3");
    expect_error(with(base, layers_section(), "\"layers\": {},\n  "), "layers",
                 "layers: expected an array of layers, got an object");
}

BOOST_AUTO_TEST_CASE(rejects_missing_fields) {
    expect_error(with(base, "\"bias\": [0, 0], ", ""), "layers[0]", "layers[0]: missing \"bias\"");
    expect_error(with(base, "\"weights\": [[1, -1], [2, -2], [3, -3]], ", ""), "layers[1]",
                 "layers[1]: missing \"weights\"");
    expect_error(with(base, ", \"activation\": \"relu\"", ""), "layers[0]", "layers[0]: missing \"activation\"");
    expect_error(with(base, "\"targets\": [[1, 2, 3], [0, 0, 0]]", "\"comment\": \"\""), "",
                 "1:1: missing \"targets\"");
    expect_error(with(base, "\"name\": \"leaky_relu\", ", ""), "layers[1].activation",
                 "layers[1].activation: missing \"name\"");
    expect_error(with(base, "\"relu\"", "\"polynomial\""), "layers[0].activation",
                 "layers[0].activation: polynomial needs \"coefficients\": {\"name\": \"polynomial\", "
                 "\"coefficients\": […]}");
    expect_error(with(base, "\"relu\"", "{\"name\": \"polynomial\", \"coefficients\": []}"),
                 "layers[0].activation.coefficients",
                 "layers[0].activation.coefficients: no coefficients; give at least one");
}

BOOST_AUTO_TEST_CASE(rejects_bad_format) {
    expect_error(with(base, "\"format\": \"matbp/1\",", ""), "", "1:1: missing \"format\"");
    expect_error(with(base, "\"matbp/1\"", "\"matbp/2\""), "format",
                 "format: expected \"matbp/1\", got the string \"matbp/2\"");
    expect_error(with(base, "\"matbp/1\"", "1"), "format", "format: expected \"matbp/1\", got 1");
    expect_error("[]", "", "1:1: expected a matbp/1 model (a JSON object), got an array");
    expect_error(with(base, "\"format\"", "\"comment\": 7, \"format\""), "comment",
                 "comment: expected a string, got 7");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_activation) {
    const std::string known =
        "; known: identity, relu, leaky_relu, hardtanh, softsign, polynomial, logistic (or sigmoid), tanh, softplus";
    expect_error(with(base, "\"relu\"", "\"ReLU\""), "layers[0].activation",
                 "layers[0].activation: unknown activation \"ReLU\"" + known);
    expect_error(with(base, "\"name\": \"leaky_relu\"", "\"name\": \"gelu\""), "layers[1].activation.name",
                 "layers[1].activation.name: unknown activation \"gelu\"" + known);
    expect_error(with(base, "\"name\": \"leaky_relu\"", "\"name\": false"), "layers[1].activation.name",
                 "layers[1].activation.name: expected an activation name, got false");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_keys) {
    expect_error(with(base, "\"loss\"", "\"lr\": 0.1, \"loss\""), "lr",
                 "lr: unknown key; expected one of: format, layers, loss, reduction, inputs, targets, comment");
    expect_error(with(base, "\"bias\": [0, 0]", "\"biases\": [0, 0]"), "layers[0].biases",
                 "layers[0].biases: unknown key; expected one of: weights, bias, activation");
    expect_error(with(base, "\"negative_slope\"", "\"slope\""), "layers[1].activation.slope",
                 "layers[1].activation.slope: unknown key for leaky_relu; expected one of: name, negative_slope");
    expect_error(with(base, "\"relu\"", "{\"name\": \"relu\", \"negative_slope\": 0}"),
                 "layers[0].activation.negative_slope",
                 "layers[0].activation.negative_slope: unknown key for relu; expected one of: name");
    expect_error(with(base, "\"loss\"", "\"odd key\": 1, \"loss\""), "[\"odd key\"]",
                 "[\"odd key\"]: unknown key; expected one of: format, layers, loss, reduction, inputs, targets, "
                 "comment");
}

BOOST_AUTO_TEST_CASE(rejects_ragged_rows) {
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "[[1, 2, 3], [4, 5]]"), "layers[0].weights[1]",
                 "layers[0].weights[1]: 2 values, but layers[0].weights[0] has 3 values");
    expect_error(with(base, "[[1, -1], [2, -2], [3, -3]]", "[[1, -1], [2, -2], [3, -3, 4]]"), "layers[1].weights[2]",
                 "layers[1].weights[2]: 3 values, but layers[1].weights[0] has 2 values");
}

BOOST_AUTO_TEST_CASE(rejects_widths_that_do_not_chain) {
    expect_error(with(base, "[[1, -1], [2, -2], [3, -3]]", "[[1], [2], [3]]"), "layers[1].weights",
                 "layers[1].weights: 1 column, but layers[0].weights has 2 rows (widths must chain)");
    expect_error(with(base, "[[1, -1], [2, -2], [3, -3]]", "[[1, 1, 1], [2, 2, 2], [3, 3, 3]]"), "layers[1].weights",
                 "layers[1].weights: 3 columns, but layers[0].weights has 2 rows (widths must chain)");
}

BOOST_AUTO_TEST_CASE(rejects_wrong_bias_length) {
    expect_error(with(base, "\"bias\": [0, 0]", "\"bias\": [0]"), "layers[0].bias",
                 "layers[0].bias: 1 value, but layers[0].weights has 2 rows");
    expect_error(with(base, R"(["1/2", "0.1", "0x1.8p-3"])", R"(["1/2", "0.1", "0x1.8p-3", 0])"), "layers[1].bias",
                 "layers[1].bias: 4 values, but layers[1].weights has 3 rows");
}

BOOST_AUTO_TEST_CASE(rejects_wrong_targets) {
    expect_error(with(base, "[[1, 2, 3], [0, 0, 0]]", "[[1, 2, 3], [0, 0]]"), "targets[1]",
                 "targets[1]: 2 values, but the last layer has 3 units");
    expect_error(with(base, "[[1, 2, 3], [0, 0, 0]]", "[[1, 2, 3]]"), "targets",
                 "targets: 1 row, but inputs has 2 samples");
    expect_error(with(base, "[[1, 2, 3], [0, 0, 0]]", "\"abc\""), "targets",
                 "targets: expected an array of samples, got the string \"abc\"");
}

BOOST_AUTO_TEST_CASE(rejects_wrong_inputs) {
    expect_error(with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", "[[1, 0, -1], [0.5, 0.25]]"), "inputs[1]",
                 "inputs[1]: 2 values, but layers[0].weights has 3 columns");
    // Shapes are checked before allocating: 200000 empty samples against a 100000-wide input layer
    // would otherwise ask for 2·10¹⁰ rationals from a 1 MB text.
    std::string wide = R"({"format": "matbp/1", "layers": [{"weights": [[0)";
    for (int j = 1; j < 100000; ++j) wide += ",0";
    wide += R"(]], "bias": [0], "activation": "relu"}], "inputs": [[])";
    for (int i = 1; i < 200000; ++i) wide += ",[]";
    wide += R"(], "targets": []})";
    expect_error(wide, "inputs[0]", "inputs[0]: 0 values, but layers[0].weights has 100000 columns");
}

BOOST_AUTO_TEST_CASE(rejects_empty_layers) {
    expect_error(with(base, layers_section(), "\"layers\": [],\n  "), "layers",
                 "layers: no layers; a network has at least one");
}

BOOST_AUTO_TEST_CASE(rejects_empty_rows) {
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "[]"), "layers[0].weights",
                 "layers[0].weights: no rows; every width must be at least 1");
    expect_error(with(base, "[[1, 2, 3], [4, 5, 6]]", "[[], []]"), "layers[0].weights[0]",
                 "layers[0].weights[0]: no values; every width must be at least 1");
}

BOOST_AUTO_TEST_CASE(rejects_empty_batch) {
    const std::string empty =
        with(with(base, "[[1, 0, -1], [0.5, 0.25, 0.125]]", "[]"), "[[1, 2, 3], [0, 0, 0]]", "[]");
    expect_error(empty, "inputs", "inputs: no samples; the batch needs at least one");
}

BOOST_AUTO_TEST_CASE(rejects_bad_exact_strings) {
    const auto in_bias = [](const std::string& s) {
        return with(base, "\"0.1\", \"0x1.8p-3\"", json::quote(s) + ", 0");
    };
    expect_error(in_bias("1/0"), "layers[1].bias[1]",
                 "layers[1].bias[1]: not an exact number: \"1/0\": zero denominator at character 3");
    for (const char* spelling : {"NaN", "nan", "Infinity", "inf", "-inf", "+Inf"}) {
        try {
            read_model(in_bias(spelling));
            BOOST_ERROR("accepted " << spelling);
        } catch (const input_error& e) {
            BOOST_TEST(e.path() == "layers[1].bias[1]");
            BOOST_TEST(std::string(e.what()).starts_with("layers[1].bias[1]: not an exact number: \"" +
                                                         std::string(spelling) + "\": "));
        }
    }
    expect_error(in_bias(""), "layers[1].bias[1]",
                 "layers[1].bias[1]: not an exact number: \"\": empty text at character 1");
    expect_error(
        in_bias("1e10001"), "layers[1].bias[1]",
        "layers[1].bias[1]: not an exact number: \"1e10001\": exponent beyond the limit of 10000 at character 3");
    // Within the exponent limit, but its canonical text "1000…0" (10001 digits) would not fit the
    // 10000-character limit per number, so it could not be written and read back (found by fuzzing).
    expect_error(
        in_bias("1e10000"), "layers[1].bias[1]",
        "layers[1].bias[1]: its exact value p/q would take 10001 characters to write, over the limit of 10000");
    // "1e9990" fits (9991 digits), and the text of what is written reads back equal.
    const model_spec big = read_model(in_bias("1e9990"));
    model_limits relaxed;
    relaxed.syntax.max_bytes = std::size_t{1} << 30;
    BOOST_TEST((read_model(write_model(big), relaxed) == big));
}

BOOST_AUTO_TEST_CASE(rejects_exact_bit_budget) {
    // 20 numbers of about 33000 bits each exceed a 500000-bit budget (found by fuzzing: a small
    // file of "1e99999" strings cost 1.7 GB); the error names the number that crossed it.
    model_limits lim;
    lim.max_exact_bits = 500000;
    std::string row = "[";
    for (int i = 0; i < 20; ++i) row += std::string(i ? ", " : "") + "\"1e9900\"";
    row += "]";
    std::string text = R"({"format": "matbp/1", "layers": [{"weights": [)" + row +
                       R"(], "bias": [0], "activation": "identity"}], "inputs": [[)";
    for (int i = 0; i < 20; ++i) text += std::string(i ? ", " : "") + "0";
    text += R"(]], "targets": [[0]]})";
    try {
        read_model(text, lim);
        BOOST_FAIL("accepted");
    } catch (const input_error& e) {
        BOOST_TEST(e.path().starts_with("layers[0].weights[0]["));
        BOOST_TEST(std::string(e.what()).find("max_exact_bits") != std::string::npos);
    }
    BOOST_CHECK_NO_THROW(read_model(text));  // the default budget (5·10⁷ bits) holds it
}

BOOST_AUTO_TEST_CASE(rejects_double_overflow) {
    expect_error(with(base, "[4, 5, 6]", "[4, 5, 1e999]"), "layers[0].weights[1][2]",
                 "layers[0].weights[1][2]: 1e999 is beyond the range of a double; write it as a string for its "
                 "exact value");
    expect_error(with(base, "[4, 5, 6]", "[4, -1.8e308, 6]"), "layers[0].weights[1][1]",
                 "layers[0].weights[1][1]: -1.8e308 is beyond the range of a double; write it as a string for its "
                 "exact value");
    // As a string it is exact.
    BOOST_TEST(read_model(with(base, "[4, 5, 6]", "[4, 5, \"1e999\"]")).layers[0].weights(1, 2) ==
               exact(bmp::pow(bmp::mpz_int(10), 999)));
}

BOOST_AUTO_TEST_CASE(rejects_overlong_numbers) {
    const std::string digits(20000, '7');
    expect_error(with(base, "[4, 5, 6]", "[4, \"" + digits + "\", 6]"), "layers[0].weights[1][1]",
                 "layers[0].weights[1][1]: not an exact number: \"" + digits.substr(0, 40) +
                     "…\": longer than the limit of 10000 characters at character 10001");
    expect_error(with(base, "[4, 5, 6]", "[4, " + digits + ", 6]"), "layers[0].weights[1][1]",
                 "layers[0].weights[1][1]: a number of 20000 characters, over the limit of 10000");
    // 10000 characters are within the limit.
    BOOST_CHECK_NO_THROW(read_model(with(base, "[4, 5, 6]", "[4, \"" + digits.substr(0, 10000) + "\", 6]")));
}

BOOST_AUTO_TEST_CASE(rejects_over_limits) {
    model_limits lim;
    lim.max_layers = 1;
    expect_error(base, "layers", "layers: 2 layers, over the limit max_layers = 1", lim);
    lim.max_layers = 2;  // exactly at the limit: read (mutant model_4 refused it and survived)
    BOOST_CHECK_NO_THROW(read_model(base, lim));
    lim = {};
    lim.max_width = 2;
    expect_error(base, "layers[0].weights[0]", "layers[0].weights[0]: 3 values, over the limit max_width = 2", lim);
    lim.max_width = 1;
    expect_error(base, "layers[0].weights", "layers[0].weights: 2 rows, over the limit max_width = 1", lim);
    lim = {};
    lim.max_samples = 1;
    expect_error(base, "inputs", "inputs: 2 samples, over the limit max_samples = 1", lim);
    lim = {};
    lim.max_parameters = 16;  // layer 1: 2·(3 + 1) = 8, layer 2: 3·(2 + 1) = 9, 17 in all
    // A resource limit (error.hpp), not bad input: the same model reads under a larger limit.
    try {
        read_model(base, lim);
        BOOST_FAIL("accepted over max_parameters");
    } catch (const resource_error& e) {
        BOOST_TEST((e.which() == resource::parameters));
        BOOST_TEST(e.path() == "layers[1].weights");
        BOOST_TEST(std::string(e.what()) ==
                   "layers[1].weights: the parameters so far number 17, over the limit max_parameters = 16");
    }
    lim.max_parameters = 17;
    BOOST_CHECK_NO_THROW(read_model(base, lim));
    lim = {};
    lim.number.max_abs_exponent = 10;
    expect_error(with(base, "\"0.1\"", "\"1e11\""), "layers[1].bias[1]",
                 "layers[1].bias[1]: not an exact number: \"1e11\": exponent beyond the limit of 10 at character 3",
                 lim);
    lim = {};
    lim.syntax.max_bytes = 100;
    try {
        read_model(base, lim);
        BOOST_FAIL("accepted over max_bytes");
    } catch (const resource_error& e) {
        BOOST_TEST((e.which() == resource::file_bytes));
        BOOST_TEST(std::string(e.what()) ==
                   "the text is " + std::to_string(base.size()) + " bytes, over the limit of 100");
    }
}

BOOST_AUTO_TEST_CASE(rejects_duplicate_keys) {
    const std::string text = with(base, "\"reduction\": \"mean\",", "\"reduction\": \"mean\", \"reduction\": \"sum\",");
    expect_error(text, "reduction", "reduction: duplicate key \"reduction\" (first at 9:3)");
    expect_error(with(base, "\"bias\": [0, 0]", "\"bias\": [0, 0], \"bias\": [1, 1]"), "layers[0].bias",
                 "layers[0].bias: duplicate key \"bias\" (first at 4:41)");
}

BOOST_AUTO_TEST_CASE(rejects_bad_loss_and_reduction) {
    expect_error(with(base, "\"squared_error\"", "\"cross_entropy\""), "loss",
                 "loss: unknown loss \"cross_entropy\"; known: squared_error, mse, huber, l1, softmax_cross_entropy");
    expect_error(with(base, "\"mean\"", "\"Mean\""), "reduction",
                 "reduction: expected one of mean, sum; got the string \"Mean\"");
    expect_error(with(base, "\"mean\"", "0"), "reduction", "reduction: expected one of mean, sum; got 0");
}

BOOST_AUTO_TEST_CASE(reports_syntax_errors_by_position) {
    expect_error(with(base, "[0, 0]", "[0, 0,]"), "", "4:54: trailing comma before ']'");
    expect_error(base + "x", "", "12:2: unexpected 'x' after the top-level value");
}

RC_BOOST_PROP(never_fails_otherwise_on_mutated_models, ()) {
    // Any edit of a valid model is read or rejected with input_error; nothing else escapes
    // (no contract_violation, no conversion_error, no Eigen assertion, no crash).
    std::string text = base;
    const auto k = static_cast<std::size_t>(*rc::gen::inRange(1, 4));  // few edits, so some texts stay valid JSON
    const auto edits = *rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
        k, rc::gen::pair(rc::gen::inRange<std::size_t>(0, text.size()),
                         rc::gen::element('0', '1', '-', '.', 'e', '/', '"', ',', '[', ']', '{', '}', ' ', 'x')));
    for (const auto& [at, c] : edits) text[at] = c;
    try {
        const model_spec m = read_model(text);
        RC_ASSERT(read_model(write_model(m)) == m);
    } catch (const input_error&) {
    }
}

// ---- files ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(example_models_are_valid) {
    const fs::path dir = models_dir();
    const model_spec exact_mixed = read_model_file((dir / "exact_mixed.json").string());
    BOOST_TEST(exact_mixed.layers.size() == 4u);
    const char* names[] = {"relu", "leaky_relu", "softsign", "polynomial"};
    for (std::size_t l = 0; l < 4; ++l) {
        BOOST_TEST(exact_mixed.layers[l].activation.name == names[l]);
        BOOST_TEST(!exact_mixed.layers[l].activation.transcendental());
    }
    BOOST_TEST(exact_mixed.layers[0].weights(3, 0) == q(3, 16));  // "0x1.8p-3"
    BOOST_TEST(exact_mixed.layers[0].weights(2, 1) == q(-1, 2));  // -0.5, a double that is exactly −1/2
    BOOST_TEST(exact_mixed.layers[0].bias(1, 0) == q(1, 10));     // "1/10"

    const model_spec tr = read_model_file((dir / "transcendental.json").string());
    BOOST_TEST(tr.layers[0].activation.name == "tanh");
    BOOST_TEST(tr.layers[1].activation.name == "logistic");
    BOOST_TEST(tr.layers[2].activation.name == "softplus");
    BOOST_TEST((tr.loss_kind.name == "mse" && tr.red == reduction::sum));

    const model_spec sm = read_model_file((dir / "softmax_classifier.json").string());
    BOOST_TEST((sm.loss_kind.name == "softmax_cross_entropy"));
    BOOST_TEST(sm.targets.rows() == 3);
    BOOST_TEST(sm.targets.cols() == 4);

    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        ++files;
        BOOST_TEST_CONTEXT(entry.path()) {
            const model_spec m = read_model_file(entry.path().string());
            BOOST_TEST((read_model(write_model(m)) == m));
        }
    }
    BOOST_TEST(files >= 3u);
}

BOOST_AUTO_TEST_CASE(read_gradients_accepts_matching_shapes) {
    const model_spec m = read_model(base);
    const std::string g =
        R"({"format": "matbp/1", "loss": "squared_error", "cost": "7/2", "kinks": [], "arith": "exact",
      "layers": [{"weights": [[0.5, "1/3", 0], [0, 0, "-2"]], "bias": [1, 2]},
                 {"bias": [0, 0, "0x1p-4"], "weights": [[1, 2], [3, 4], [5, 0.1]]}]})";
    const auto grads = read_gradients(g, m);
    BOOST_TEST_REQUIRE(grads.size() == 2u);
    BOOST_TEST(equal(grads[0].first, mat({{q(1, 2), q(1, 3), 0}, {0, 0, -2}})));
    BOOST_TEST(equal(grads[0].second, mat({{1}, {2}})));
    BOOST_TEST(equal(grads[1].first, mat({{1, 2}, {3, 4}, {5, to_exact(0.1)}})));
    BOOST_TEST(equal(grads[1].second, mat({{0}, {0}, {q(1, 16)}})));
}

BOOST_AUTO_TEST_CASE(read_gradients_rejects_wrong_shapes) {
    const model_spec m = read_model(base);
    const std::string g = R"({"layers": [{"weights": [[0, 0, 0], [0, 0, 0]], "bias": [0, 0]},
                             {"weights": [[0, 0], [0, 0], [0, 0]], "bias": [0, 0, 0]}]})";
    BOOST_CHECK_NO_THROW(read_gradients(g, m));
    const auto error = [&](const std::string& text) {
        try {
            read_gradients(text, m);
        } catch (const input_error& e) {
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    BOOST_TEST(error(with(g, "[[0, 0], [0, 0], [0, 0]]", "[[0, 0], [0, 0]]")) ==
               "layers[1].weights: 2 rows, but the model's layers[1].weights has 3 rows");
    BOOST_TEST(error(with(g, "[[0, 0, 0], [0, 0, 0]]", "[[0, 0, 0], [0, 0]]")) ==
               "layers[0].weights[1]: 2 values, but the model's layers[0].weights has 3 columns");
    BOOST_TEST(error(with(g, "\"bias\": [0, 0, 0]", "\"bias\": [0, 0]")) ==
               "layers[1].bias: 2 values, but the model's layers[1].bias has 3 values");
    BOOST_TEST(error(with(g, "\"bias\": [0, 0]}", "\"bias\": [0, 0]}, {}")) ==
               "layers: 3 entries, but the model has 2 layers");
    BOOST_TEST(error(with(g, "\"bias\": [0, 0]}", "\"bias\": [0, 0], \"activation\": \"relu\"}")) ==
               "layers[0].activation: unknown key; expected one of: weights, bias");
    BOOST_TEST(error(with(g, "\"bias\": [0, 0]}", "\"weight\": [0, 0]}")) ==
               "layers[0].weight: unknown key; expected one of: weights, bias");
    BOOST_TEST(error(with(g, "[[0, 0, 0], [0, 0, 0]]", "[[0, 0, 0], [0, 0, \"x\"]]")) ==
               "layers[0].weights[1][2]: not an exact number: \"x\": expected digits at character 1");
    BOOST_TEST(error("{}") == "1:1: missing \"layers\"");
}

BOOST_AUTO_TEST_CASE(read_model_file_errors) {
    const scratch s;
    const std::string missing = (s.dir / "no_such.json").string();
    BOOST_TEST(file_error([&] { read_model_file(missing); }) == missing + ": cannot open: No such file or directory");
    BOOST_TEST(file_error([&] { read_model_file(s.dir.string()); }) == s.dir.string() + ": is a directory, not a file");
    const std::string empty = s.write("empty.json", "").string();
    BOOST_TEST(file_error([&] { read_model_file(empty); }) == empty + ": the file is empty");
    model_limits small;
    small.syntax.max_bytes = 1000;
    BOOST_TEST(file_error([&] { read_model_file("/dev/zero", small); }) ==
               "resource_error: /dev/zero: larger than the limit of 1000 bytes");
    const std::string big = s.write("big.json", std::string(1001, ' ')).string();
    BOOST_TEST(file_error([&] { read_model_file(big, small); }) ==
               "resource_error: " + big + ": larger than the limit of 1000 bytes");
    const std::string fits = s.write("fits.json", base).string();
    small.syntax.max_bytes = base.size();
    BOOST_TEST((read_model_file(fits, small) == read_model(base)));
    const std::string bad = s.write("bad.json", with(base, "[0, 0]", "[0, 0,]")).string();
    BOOST_TEST(file_error([&] { read_model_file(bad); }) == bad + ":4:54: trailing comma before ']'");
    const std::string wrong = s.write("wrong.json", with(base, "[0, 0]", "[0]")).string();
    BOOST_TEST(file_error([&] { read_model_file(wrong); }) ==
               wrong + ": layers[0].bias: 1 value, but layers[0].weights has 2 rows");
    try {
        read_model_file(wrong);
    } catch (const input_error& e) {
        BOOST_TEST(e.file() == wrong);
        BOOST_TEST(e.path() == "layers[0].bias");
    }
    const std::string grads = s.write("g.json", "{\"layers\": []}").string();
    BOOST_TEST(file_error([&] { read_gradients_file(grads, read_model(base)); }) ==
               grads + ": layers: 0 entries, but the model has 2 layers");
    BOOST_TEST(file_error([&] { read_gradients_file(missing, read_model(base)); }) ==
               missing + ": cannot open: No such file or directory");
}

BOOST_AUTO_TEST_CASE(usage_example_of_model_hpp) {
    matbp::model_spec m = matbp::read_model_file((models_dir() / "exact_mixed.json").string());
    BOOST_TEST(m.inputs.cols() == 3);  // n, one column per sample
    BOOST_TEST((matbp::read_model(matbp::write_model(m)) == m));
}
