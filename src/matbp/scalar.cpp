#include "matbp/scalar.hpp"

#include <cmath>
#include <stdexcept>

namespace matbp {

namespace {
unsigned digits10_for_bits(unsigned bits) {
    // ⌈bits·log10 2⌉ + 1 decimal digits give at least `bits` binary digits in Boost's mapping.
    return static_cast<unsigned>(std::ceil(bits * 0.30102999566398120)) + 1;
}
}  // namespace

precision_guard::precision_guard(unsigned bits)
        : saved_real_(real::default_precision()), saved_interval_(interval::default_precision()) {
    real::default_precision(digits10_for_bits(bits));
    interval::default_precision(digits10_for_bits(bits));
}

precision_guard::~precision_guard() {
    real::default_precision(saved_real_);
    interval::default_precision(saved_interval_);
}

unsigned precision_guard::current_bits() {
    real probe;
    return static_cast<unsigned>(mpfr_get_prec(probe.backend().data()));
}

namespace {
exact exact_of_mpfr(const mpfr_t x) {
    // For 0, mpfr_get_z_2exp returns MPFR's least exponent (about −2^62): never shift by it.
    if (mpfr_zero_p(x)) return exact(0);
    // x = m · 2^e exactly, m an integer.
    bmp::mpz_int m;
    mpfr_exp_t e = mpfr_get_z_2exp(m.backend().data(), x);
    exact r(m);
    bmp::mpz_int one = 1;
    if (e >= 0)
        r *= exact(bmp::mpz_int(one << static_cast<unsigned>(e)));
    else
        r /= exact(bmp::mpz_int(one << static_cast<unsigned>(-e)));
    return r;
}
}  // namespace

exact exact_value(const real& x) {
    if (!mpfr_number_p(x.backend().data())) throw std::domain_error("matbp: an MPFR value is not finite");
    return exact_of_mpfr(x.backend().data());
}

exact lower_exact(const interval& x) {
    real lo = bmp::lower(x);
    return exact_of_mpfr(lo.backend().data());
}

exact upper_exact(const interval& x) {
    real hi = bmp::upper(x);
    return exact_of_mpfr(hi.backend().data());
}

bool encloses(const interval& x, const exact& q) {
    real lo = bmp::lower(x), hi = bmp::upper(x);
    if (mpfr_nan_p(lo.backend().data()) || mpfr_nan_p(hi.backend().data())) return false;
    // mpfr_cmp_q compares a binary float with a rational exactly (±Inf bounds included).
    return mpfr_cmp_q(lo.backend().data(), q.backend().data()) <= 0 &&
           mpfr_cmp_q(hi.backend().data(), q.backend().data()) >= 0;
}

}  // namespace matbp
