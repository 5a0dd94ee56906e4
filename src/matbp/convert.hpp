#pragma once
// matbp/convert.hpp — lossless conversions into ℚ and correctly rounded conversions out of it.
//
//   to_exact(double d)        every finite double is a dyadic rational m·2^e; the result is
//                             exactly that rational. NaN and ±Inf are rejected.
//   parse_exact(text)         exact value of "-3", "p/q", "-0.125", "1.5e-3", "0x1.8p-3".
//                             Zero denominators, NaN/Inf spellings, junk are rejected.
//   to_double(q)              q rounded to the nearest double, ties to even (IEEE
//                             round-to-nearest-even); beyond the double range: ±Inf, as IEEE.
//   to_float(q)               the same for binary32.
//   to_string(q)              "p/q" in lowest terms, or "p" when q is an integer.
//   split_double(d)           a finite double's exact value as ±odd·2^exp2 (odd odd, or 0 for ±0),
//                             read off its IEEE 754 binary64 bits: to_exact(d)'s lowest terms
//                             without a rational, for code that reads doubles entry by entry.
//
// Errors are matbp::conversion_error (a std::domain_error) whose message says what was wrong
// and, for parse_exact, at which character; split_double's precondition (d finite) is a
// contract_violation "IEEE754" (the binary64 format's own fact that a finite value is ±m·2^e).
//
// Usage (tests/convert_test.cpp, case usage_example_of_convert_hpp):
//   matbp::exact q = matbp::parse_exact("0.1");   // exactly 1/10
//   double d = matbp::to_double(q);                 // 0.1 as C++ spells it
//   matbp::exact e = matbp::to_exact(d);            // 3602879701896397/36028797018963968

#include "matbp/contract.hpp"
#include "matbp/scalar.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace matbp {

class conversion_error : public std::domain_error {
public:
    using std::domain_error::domain_error;
};

/// Limits that keep parse_exact's work bounded on hostile input.
struct parse_limits {
    std::size_t max_chars = 100000;       ///< longest accepted text
    long long max_abs_exponent = 100000;  ///< |e| in "1e<e>" and |p| in "0x1p<p>"
};

/// Exact rational value of a finite double.
/// Precondition (checked, conversion_error): d is finite.
exact to_exact(double d);

/// A finite double's exact value (−1)^negative · odd · 2^exp2 in lowest terms: odd is odd
/// (odd < 2⁵³, −1074 ≤ exp2 ≤ 971), or odd = 0 and exp2 = 0 for ±0; negative is the sign bit.
/// As a rational it is to_exact(d) (tests/convert_test.cpp: split_double_eq_to_exact).
struct double_parts {
    bool negative = false;
    std::uint64_t odd = 0;
    int exp2 = 0;
};

/// d's double_parts, read off its binary64 bits (inline and branch-light: callers run it once per
/// entry of tensors of millions of doubles). Precondition (checked, contract_violation
/// "IEEE754"): d is finite.
inline double_parts split_double(double d) {
    const auto bits = std::bit_cast<std::uint64_t>(d);
    const auto biased = static_cast<int>((bits >> 52) & 0x7FF);
    MATBP_REQUIRE("IEEE754", biased != 0x7FF);
    const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
    // A normal number has the hidden bit and exponent biased − 1075; a subnormal (biased = 0)
    // neither, and the exponent of the smallest normal, 1 − 1075 = −1074.
    const std::uint64_t m = biased == 0 ? fraction : fraction | (std::uint64_t{1} << 52);
    if (m == 0) return {(bits >> 63) != 0, 0, 0};
    const int tz = std::countr_zero(m);
    return {(bits >> 63) != 0, m >> tz, (biased == 0 ? 1 : biased) - 1075 + tz};
}

/// Exact value of a number written as text (grammar in the header comment and spec/).
/// Throws conversion_error naming the offending character position.
exact parse_exact(std::string_view text, const parse_limits& limits = {});

/// q rounded to nearest, ties to even.
double to_double(const exact& q);

/// q rounded to the nearest binary32 value, ties to even (directly, not through double, which
/// could round twice).
float to_float(const exact& q);

/// Lowest-terms text: "p/q", or "p" when the denominator is 1.
std::string to_string(const exact& q);

/// Conversions into the other scalar types, rounded by their arithmetic (interval: enclosure).
template <scalar T>
T from_exact(const exact& q) {
    if constexpr (exact_field<T>)
        return q;
    else if constexpr (std::same_as<T, double>)
        return to_double(q);
    else if constexpr (std::same_as<T, real>) {
        return real(bmp::numerator(q)) / real(bmp::denominator(q));
    } else {
        return interval(bmp::numerator(q)) / interval(bmp::denominator(q));
    }
}

template <scalar T>
matrix<T> from_exact(const matrix<exact>& M) {
    matrix<T> R(M.rows(), M.cols());
    for (Eigen::Index j = 0; j < M.cols(); ++j)
        for (Eigen::Index i = 0; i < M.rows(); ++i) R(i, j) = from_exact<T>(M(i, j));
    return R;
}

}  // namespace matbp
