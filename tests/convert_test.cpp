// Tests for src/matbp/convert.hpp.
//
// Test plan
//   to_exact_is_exact                 to_exact(d) = m·2^e from frexp, checked with exact arithmetic;
//                                     round trip to_double(to_exact(d)) == d for random bit patterns,
//                                     subnormals, ±0, DBL_MAX
//   to_exact_rejects_nan_and_inf      typed conversion_error
//   split_double_eq_to_exact          ±odd·2^exp2 rebuilt as a rational == to_exact(d) (GMP's
//                                     mpq_set_d, an independent source), odd odd or (0, exp2 0),
//                                     the sign bit kept: random bit patterns
//   split_double_eq_to_exact_at_the_edges   the same for ±0, ±the smallest and largest subnormal,
//                                     ±the smallest normal, ±1, ±DBL_MAX, every power of two
//                                     2^−1074…2^1023; parts written by hand for 2^−1074, −DBL_MAX,
//                                     −0, 0.75
//   split_double_requires_finite      ±Inf, NaN: contract_violation "IEEE754"
//   to_double_rounds_to_nearest_even  for random rationals: |q − d| ≤ |q − d⁻| and ≤ |q − d⁺|
//                                     (the neighbouring doubles), ties resolved to even mantissa
//   to_double_ties_and_range          hand-built ties, overflow to ±Inf, underflow to 0/subnormal
//   to_float_rounds_to_nearest_even   the same property for binary32, against nextafterf
//   to_float_avoids_double_rounding   1 + 2^-24 + 2^-60 rounds up to 1 + 2^-23 (through double: 1)
//   parse_exact_grammar               integers, fractions, decimals, exponents, hex floats
//   parse_exact_rejects_junk          zero denominators, NaN/Inf spellings, junk, limits
//   usage_example_of_convert_hpp
#define BOOST_TEST_MODULE convert
#include "matbp/convert.hpp"

#include "support/expect.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

using namespace matbp;

namespace {
exact pow2(int e) {
    exact r = 1;
    for (int i = 0; i < std::abs(e); ++i) r *= 2;
    return e >= 0 ? r : exact(1) / r;
}

bool throws_conversion(auto f) {
    try {
        f();
    } catch (const conversion_error&) {
        return true;
    }
    return false;
}
}  // namespace

RC_BOOST_PROP(to_exact_is_exact, (std::uint64_t bits)) {
    const double d = std::bit_cast<double>(bits);
    RC_PRE(std::isfinite(d));
    const exact q = to_exact(d);
    // Independent decomposition: d = frac·2^e with frac·2^53 an integer.
    int e = 0;
    const double frac = std::frexp(d, &e);
    const auto m = static_cast<long long>(std::ldexp(frac, 53));
    RC_ASSERT(q == exact(m) * pow2(e - 53));
    RC_ASSERT(std::bit_cast<std::uint64_t>(to_double(q)) == (d == 0 ? 0 : bits));
}

BOOST_AUTO_TEST_CASE(to_exact_edge_values) {
    const double tiny = std::numeric_limits<double>::denorm_min();
    BOOST_TEST(to_exact(tiny) == pow2(-1074));
    BOOST_TEST(to_double(pow2(-1074)) == tiny);
    BOOST_TEST(to_exact(-0.0) == exact(0));
    const double big = std::numeric_limits<double>::max();
    BOOST_TEST(to_exact(big) == (pow2(53) - 1) * pow2(971));
    BOOST_TEST(to_double(to_exact(big)) == big);
    BOOST_TEST(to_exact(0.1) == exact(3602879701896397LL) / pow2(55));
}

BOOST_AUTO_TEST_CASE(to_exact_rejects_nan_and_inf) {
    BOOST_TEST(throws_conversion([] { to_exact(std::numeric_limits<double>::quiet_NaN()); }));
    BOOST_TEST(throws_conversion([] { to_exact(std::numeric_limits<double>::infinity()); }));
    BOOST_TEST(throws_conversion([] { to_exact(-std::numeric_limits<double>::infinity()); }));
}

namespace {
/// split_double(d) as a rational, and whether its parts are canonical (odd odd, or 0 with exp2 0).
bool split_double_matches(double d) {
    const double_parts p = split_double(d);
    const bool canonical = p.odd == 0 ? p.exp2 == 0 : (p.odd & 1) == 1;
    const bmp::mpz_int m(p.odd), one(1);
    exact q = p.exp2 >= 0 ? exact(m << p.exp2) : exact(m, one << -p.exp2);
    if (p.negative) q = -q;
    return canonical && p.negative == std::signbit(d) && q == to_exact(d);
}
}  // namespace

RC_BOOST_PROP(split_double_eq_to_exact, (std::uint64_t bits)) {
    const double d = std::bit_cast<double>(bits);
    RC_PRE(std::isfinite(d));
    RC_ASSERT(split_double_matches(d));
}

BOOST_AUTO_TEST_CASE(split_double_eq_to_exact_at_the_edges) {
    using lim = std::numeric_limits<double>;
    const double largest_subnormal = std::nextafter(lim::min(), 0.0);
    for (const double d : {0.0, lim::denorm_min(), largest_subnormal, lim::min(), 1.0, 0.75, 3.0, lim::max(),
                           std::nextafter(1.0, 2.0), 0.1}) {
        BOOST_TEST(split_double_matches(d), d);
        BOOST_TEST(split_double_matches(-d), -d);
    }
    for (int e = -1074; e <= 1023; ++e) BOOST_TEST(split_double_matches(std::ldexp(1.0, e)), "2^" << e);
    // Values written by hand: 2^−1074 = 1·2^−1074; DBL_MAX = (2^53 − 1)·2^971; 0.75 = 3·2^−2.
    const double_parts tiny = split_double(lim::denorm_min()), top = split_double(-lim::max());
    BOOST_TEST((!tiny.negative && tiny.odd == 1 && tiny.exp2 == -1074));
    BOOST_TEST((top.negative && top.odd == (std::uint64_t{1} << 53) - 1 && top.exp2 == 971));
    const double_parts z = split_double(-0.0), q = split_double(0.75);
    BOOST_TEST((z.negative && z.odd == 0 && z.exp2 == 0));
    BOOST_TEST((!q.negative && q.odd == 3 && q.exp2 == -2));
}

BOOST_AUTO_TEST_CASE(split_double_requires_finite) {
    using lim = std::numeric_limits<double>;
    for (const double d : {lim::infinity(), -lim::infinity(), lim::quiet_NaN(), -lim::quiet_NaN()})
        matbp::testing::expect_violation("IEEE754", [d] { (void)split_double(d); });
}

RC_BOOST_PROP(to_double_rounds_to_nearest_even, (std::int64_t p, std::int64_t q0, int shift)) {
    RC_PRE(q0 != 0);
    const int s = shift % 1200;  // spans subnormals to beyond DBL_MAX
    const exact q = exact(p, q0) * pow2(s);
    const double d = to_double(q);
    if (std::isinf(d)) {
        // Overflow: q is at least DBL_MAX + half an ulp in magnitude.
        const exact limit = (pow2(53) - 1) * pow2(971) + pow2(970);
        RC_ASSERT(bmp::abs(q) >= limit);
        return;
    }
    const double lo = std::nextafter(d, -INFINITY), hi = std::nextafter(d, INFINITY);
    const exact err = bmp::abs(q - to_exact(d));
    if (std::isfinite(lo)) RC_ASSERT(err <= bmp::abs(q - to_exact(lo)));
    if (std::isfinite(hi)) RC_ASSERT(err <= bmp::abs(q - to_exact(hi)));
    // A tie goes to the neighbour with an even last mantissa bit.
    const bool tie = (std::isfinite(lo) && err == bmp::abs(q - to_exact(lo))) ||
                     (std::isfinite(hi) && err == bmp::abs(q - to_exact(hi)));
    if (tie && err != 0) RC_ASSERT((std::bit_cast<std::uint64_t>(d) & 1u) == 0u);
}

BOOST_AUTO_TEST_CASE(to_double_ties_and_range) {
    // 1 + 2^-53 lies halfway between 1 and 1 + 2^-52: ties to even gives 1.
    BOOST_TEST(to_double(1 + pow2(-53)) == 1.0);
    // 1 + 3·2^-53 lies halfway between 1+2^-52 (odd) and 1+2^-51 (even): gives 1 + 2^-51.
    BOOST_TEST(to_double(1 + 3 * pow2(-53)) == 1.0 + std::ldexp(1.0, -51));
    // Just above the tie rounds up.
    BOOST_TEST(to_double(1 + pow2(-53) + pow2(-80)) == std::nextafter(1.0, 2.0));
    // 1/3 as C++ rounds it.
    BOOST_TEST(to_double(exact(1, 3)) == 1.0 / 3.0);
    BOOST_TEST(to_double(exact(-1, 3)) == -1.0 / 3.0);
    BOOST_TEST(std::isinf(to_double(pow2(1024))));
    BOOST_TEST(to_double(-pow2(1024)) < 0);
    BOOST_TEST(to_double(pow2(-1076)) == 0.0);  // below half of 2^-1074
    BOOST_TEST(to_double(3 * pow2(-1076)) == std::numeric_limits<double>::denorm_min());
}

RC_BOOST_PROP(to_float_rounds_to_nearest_even, (std::int64_t p, std::int32_t q0, int shift)) {
    RC_PRE(q0 != 0);
    const int s = shift % 300;  // spans binary32 subnormals to beyond FLT_MAX
    const exact q = exact(p) / exact(q0) * pow2(s);
    const float f = to_float(q);
    if (std::isinf(f)) {
        const exact limit = (pow2(24) - 1) * pow2(104) + pow2(103);  // FLT_MAX + half an ulp
        RC_ASSERT(bmp::abs(q) >= limit);
        return;
    }
    const float lo = std::nextafter(f, -INFINITY), hi = std::nextafter(f, INFINITY);
    const exact err = bmp::abs(q - to_exact(f));
    if (std::isfinite(lo)) RC_ASSERT(err <= bmp::abs(q - to_exact(lo)));
    if (std::isfinite(hi)) RC_ASSERT(err <= bmp::abs(q - to_exact(hi)));
    const bool tie = (std::isfinite(lo) && err == bmp::abs(q - to_exact(lo))) ||
                     (std::isfinite(hi) && err == bmp::abs(q - to_exact(hi)));
    if (tie && err != 0) RC_ASSERT((std::bit_cast<std::uint32_t>(f) & 1u) == 0u);
}

BOOST_AUTO_TEST_CASE(to_float_avoids_double_rounding) {
    const exact q = 1 + pow2(-24) + pow2(-60);
    BOOST_TEST(to_float(q) == 1.0f + std::ldexp(1.0f, -23));
    BOOST_TEST(static_cast<float>(to_double(q)) == 1.0f);  // what rounding twice would give
    BOOST_TEST(to_float(pow2(-149)) == std::numeric_limits<float>::denorm_min());
    BOOST_TEST(std::isinf(to_float(pow2(128))));
}

BOOST_AUTO_TEST_CASE(parse_exact_grammar) {
    BOOST_TEST(parse_exact("-3") == exact(-3));
    BOOST_TEST(parse_exact("+7") == exact(7));
    BOOST_TEST(parse_exact("6/4") == exact(3, 2));
    BOOST_TEST(parse_exact("-1/3") == exact(-1, 3));
    BOOST_TEST(parse_exact("-0.125") == exact(-1, 8));
    BOOST_TEST(parse_exact("0.1") == exact(1, 10));
    BOOST_TEST(parse_exact(".5") == exact(1, 2));
    BOOST_TEST(parse_exact("5.") == exact(5));
    BOOST_TEST(parse_exact("1.5e-3") == exact(3, 2000));
    BOOST_TEST(parse_exact("2E+2") == exact(200));
    BOOST_TEST(parse_exact("0x1.8p-3") == exact(3, 16));
    BOOST_TEST(parse_exact("-0X10") == exact(-16));
    BOOST_TEST(parse_exact("0x.8") == exact(1, 2));
    BOOST_TEST(parse_exact("007") == exact(7));  // decimal, not octal
    BOOST_TEST(parse_exact("-0") == exact(0));
}

BOOST_AUTO_TEST_CASE(parse_exact_rejects_junk) {
    for (const char* bad : {"",    "-",     "1/0", "3/-2", "nan",   "NaN", "inf", "-Infinity", "1e", "1e+", "0x",
                            "0xg", "1.2.3", " 1",  "1 ",   "1/2/3", "/2",  "1/",  "0x1p",      "e5", "1,5", "½"}) {
        BOOST_TEST(throws_conversion([&] { parse_exact(bad); }), "accepted \"" << bad << "\"");
    }
    try {
        parse_exact("12/0");
        BOOST_FAIL("accepted 12/0");
    } catch (const conversion_error& e) {
        BOOST_TEST(std::string(e.what()).find("zero denominator at character 4") != std::string::npos);
    }
    BOOST_TEST(throws_conversion([] { parse_exact("1e1000000"); }));
    BOOST_TEST(throws_conversion([] { parse_exact(std::string(200000, '9')); }));
}

BOOST_AUTO_TEST_CASE(to_string_lowest_terms) {
    BOOST_TEST(to_string(exact(6) / exact(-4)) == "-3/2");
    BOOST_TEST(to_string(exact(8, 4)) == "2");
}

BOOST_AUTO_TEST_CASE(usage_example_of_convert_hpp) {
    matbp::exact q = matbp::parse_exact("0.1");
    double d = matbp::to_double(q);
    matbp::exact e = matbp::to_exact(d);
    BOOST_TEST(d == 0.1);
    BOOST_TEST(e == exact(3602879701896397LL, 1) / pow2(55));
}
