#include "matbp/convert.hpp"

#include <cmath>
#include <limits>

namespace matbp {

namespace {

using bmp::mpz_int;

/// text for a one-line message: control characters and bytes ≥ 0x80 that do not start a whole
/// UTF-8 sequence escaped as \xNN, at most 40 bytes, never cutting a character in two.
std::string excerpt(std::string_view text) {
    std::size_t n = std::min<std::size_t>(text.size(), 40);
    while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    std::string out;
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : text.substr(0, n)) {
        if (c < 0x20 || c == 0x7f)
            out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
        else
            out += static_cast<char>(c);
    }
    return n < text.size() ? out + "…" : out;
}

/// The character at pos, whole (a UTF-8 sequence) or, when not valid UTF-8, as \xNN.
std::string character_at(std::string_view text, std::size_t pos) {
    const auto c = static_cast<unsigned char>(text[pos]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool whole = len > 0 && pos + len <= text.size();
    for (std::size_t i = 1; whole && i < len; ++i) whole = (static_cast<unsigned char>(text[pos + i]) & 0xC0) == 0x80;
    if (!whole) return std::string("\\x") + "0123456789abcdef"[c >> 4] + "0123456789abcdef"[c & 15];
    return excerpt(text.substr(pos, len));
}

[[noreturn]] void bad(std::string_view text, std::size_t pos, const std::string& why) {
    const std::string shown = excerpt(text);
    throw conversion_error("not an exact number: \"" + shown + "\": " + why + " at character " +
                           std::to_string(pos + 1));
}

bool is_digit(char c, int base) {
    if (c >= '0' && c <= '9') return c - '0' < base;
    if (base == 16) return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return false;
}

// Reads one or more digits of `base` from text[pos…]; returns them (no sign).
std::string_view digits(std::string_view text, std::size_t& pos, int base) {
    std::size_t start = pos;
    while (pos < text.size() && is_digit(text[pos], base)) ++pos;
    return text.substr(start, pos - start);
}

mpz_int integer_of(std::string_view ds, int base) {
    if (ds.empty()) return 0;
    mpz_int z;
    // GMP with an explicit base: no octal reading of leading zeros.
    mpz_set_str(z.backend().data(), std::string(ds).c_str(), base);
    return z;
}

long long exponent_of(std::string_view text, std::size_t& pos, const parse_limits& lim) {
    bool neg = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) neg = text[pos++] == '-';
    std::size_t start = pos;
    auto ds = digits(text, pos, 10);
    if (ds.empty()) bad(text, start, "expected exponent digits");
    long long e = 0;
    for (char c : ds) {
        e = e * 10 + (c - '0');
        if (e > lim.max_abs_exponent)
            bad(text, start, "exponent beyond the limit of " + std::to_string(lim.max_abs_exponent));
    }
    return neg ? -e : e;
}

exact pow2(long long e) {
    mpz_int one = 1;
    if (e >= 0) return exact(mpz_int(one << static_cast<unsigned>(e)));
    return exact(mpz_int(1), mpz_int(one << static_cast<unsigned>(-e)));
}

exact pow10(long long e) {
    mpz_int p = bmp::pow(mpz_int(10), static_cast<unsigned>(e < 0 ? -e : e));
    return e >= 0 ? exact(p) : exact(mpz_int(1), p);
}

}  // namespace

exact to_exact(double d) {
    if (!std::isfinite(d))
        throw conversion_error(std::string("not a finite double: ") + (std::isnan(d) ? "NaN" : "Inf"));
    // GMP's mpq_set_d converts every finite double exactly (no rounding; GMP manual, "Rational
    // Conversions"), in canonical form; tests/convert_test.cpp's to_exact_edge_values checks it
    // against values written by hand (subnormals, the extremes, powers of two).
    exact q;
    mpq_set_d(q.backend().data(), d);
    return q;
}

exact parse_exact(std::string_view text, const parse_limits& lim) {
    if (text.empty()) bad(text, 0, "empty text");
    if (text.size() > lim.max_chars)
        bad(text, lim.max_chars, "longer than the limit of " + std::to_string(lim.max_chars) + " characters");
    std::size_t pos = 0;
    bool neg = false;
    if (text[pos] == '+' || text[pos] == '-') neg = text[pos++] == '-';
    exact value;
    if (text.size() - pos >= 2 && text[pos] == '0' && (text[pos + 1] == 'x' || text[pos + 1] == 'X')) {
        // Hex float: 0x<hex>[.<hex>][p<exp>]
        pos += 2;
        std::size_t at = pos;
        auto ip = digits(text, pos, 16);
        std::string_view fp;
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            fp = digits(text, pos, 16);
        }
        if (ip.empty() && fp.empty()) bad(text, at, "expected hexadecimal digits");
        long long p = 0;
        if (pos < text.size() && (text[pos] == 'p' || text[pos] == 'P')) {
            ++pos;
            p = exponent_of(text, pos, lim);
        }
        std::string all = std::string(ip) + std::string(fp);
        value = exact(integer_of(all, 16)) * pow2(p - 4 * static_cast<long long>(fp.size()));
    } else {
        std::size_t at = pos;
        auto ip = digits(text, pos, 10);
        if (pos < text.size() && text[pos] == '/') {
            if (ip.empty()) bad(text, at, "expected digits before '/'");
            ++pos;
            std::size_t dat = pos;
            auto dp = digits(text, pos, 10);
            if (dp.empty()) bad(text, dat, "expected denominator digits");
            mpz_int den = integer_of(dp, 10);
            if (den == 0) bad(text, dat, "zero denominator");
            value = exact(integer_of(ip, 10), den);
        } else {
            std::string_view fp;
            if (pos < text.size() && text[pos] == '.') {
                ++pos;
                fp = digits(text, pos, 10);
            }
            if (ip.empty() && fp.empty()) bad(text, at, "expected digits");
            long long e = 0;
            if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
                ++pos;
                e = exponent_of(text, pos, lim);
            }
            std::string all = std::string(ip) + std::string(fp);
            value = exact(integer_of(all, 10)) * pow10(e - static_cast<long long>(fp.size()));
        }
    }
    if (pos != text.size()) bad(text, pos, "unexpected character '" + character_at(text, pos) + "'");
    return neg ? exact(-value) : value;
}

namespace {
/// q rounded to nearest-even in a binary format with `precision` significand bits whose least
/// positive subnormal is 2^min_exp; the result is exact as a double (both formats fit in one).
/// Beyond the format's largest finite value the result is ±Inf; `max_finite_exp` is the exponent
/// of 2 at which the format overflows (1024 for binary64, 128 for binary32).
double round_binary(const exact& q, int precision, long long min_exp, int max_finite_exp) {
    if (q == 0) return 0.0;
    const bool neg = q < 0;
    const mpz_int n = bmp::abs(bmp::numerator(q));
    const mpz_int d = bmp::denominator(q);
    // Find E with 2^(p−1) ≤ |q|·2^−E < 2^p, clamped below at the subnormal exponent.
    long long E = static_cast<long long>(bmp::msb(n)) - static_cast<long long>(bmp::msb(d)) - (precision - 1);
    mpz_int m, den, rem;
    auto scaled = [&](long long e) {
        // m = floor(n·2^−e / d), rem = n·2^−e − m·d, all scaled to stay integral.
        mpz_int num = n;
        den = d;
        if (e < 0)
            num <<= static_cast<unsigned>(-e);
        else
            den <<= static_cast<unsigned>(e);
        m = num / den;
        rem = num - m * den;
    };
    scaled(E);
    const mpz_int top = mpz_int(1) << precision, bottom = mpz_int(1) << (precision - 1);
    if (m >= top)
        scaled(++E);
    else if (m < bottom)
        scaled(--E);
    if (E < min_exp) scaled(E = min_exp);
    const mpz_int twice = rem * 2;
    if (twice > den || (twice == den && bmp::bit_test(m, 0))) ++m;  // ties to even
    const double inf = std::numeric_limits<double>::infinity();
    if (E + precision > max_finite_exp + 1) return neg ? -inf : inf;  // far beyond: avoid huge ldexp
    const double r = std::ldexp(static_cast<double>(m.convert_to<unsigned long long>()), static_cast<int>(E));
    if (std::abs(r) >= std::ldexp(1.0, max_finite_exp)) return neg ? -inf : inf;
    return neg ? -r : r;
}
}  // namespace

double to_double(const exact& q) { return round_binary(q, 53, -1074, 1024); }

float to_float(const exact& q) { return static_cast<float>(round_binary(q, 24, -149, 128)); }

std::string to_string(const exact& q) {
    if (bmp::denominator(q) == 1) return bmp::numerator(q).str();
    return bmp::numerator(q).str() + "/" + bmp::denominator(q).str();
}

}  // namespace matbp
