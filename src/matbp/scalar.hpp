#pragma once
// matbp/scalar.hpp — the scalar types matbp computes over, and the concepts that say which
// statements each type may be used for.
//
// Types
//   exact     ℚ, GMP rationals (boost::multiprecision::mpq_rational). Every statement holds with ==.
//   real      MPFR floating point, precision chosen by the caller (precision_guard).
//   interval  MPFI intervals, same precision control; results are certified enclosures.
//   double    IEEE binary64.
//
// Concepts
//   exact_field<T>            ℚ: field operations are exact, == decides the statements.
//   real_field<T>             an ordered field of approximations to ℝ (double, real).
//   interval_type<T>          interval arithmetic: each value encloses the true real.
//   transcendental_capable<T> may evaluate exp/log/tanh (real_field or interval_type, not ℚ).
//   scalar<T>                 any of the above.
//
// Usage (compiled by tests/scalar_test.cpp, case usage_example_of_scalar_hpp):
//   matbp::precision_guard g(256);              // real and interval at ≥ 256 bits
//   matbp::interval x = matbp::interval(1) / 3;  // encloses 1/3
//   static_assert(matbp::exact_field<matbp::exact>);

#include <boost/multiprecision/eigen.hpp>
#include <boost/multiprecision/gmp.hpp>
#include <boost/multiprecision/mpfi.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <Eigen/Dense>

#include "matbp/blas.hpp"

#include <concepts>
#include <string>
#include <type_traits>

namespace matbp {

namespace bmp = boost::multiprecision;

using exact = bmp::mpq_rational;
using real = bmp::mpfr_float;
using interval = bmp::mpfi_float;

template <class T>
concept exact_field = std::same_as<T, exact>;

template <class T>
concept real_field = std::same_as<T, double> || std::same_as<T, real>;

template <class T>
concept interval_type = std::same_as<T, interval>;

template <class T>
concept transcendental_capable = real_field<T> || interval_type<T>;

template <class T>
concept scalar = exact_field<T> || real_field<T> || interval_type<T>;

/// Dense matrices and column vectors over a scalar type (column-major, as vec assumes).
template <class T>
using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using colvec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

namespace detail {
template <class X>
struct is_transpose : std::false_type {};
template <class N>
struct is_transpose<Eigen::Transpose<N>> : std::true_type {};
/// The operand BLAS reads: the matrix under a transpose, else the expression itself.
template <class X>
const auto& blas_stored(const X& x) {
    if constexpr (is_transpose<X>::value)
        return x.nestedExpression();
    else
        return x;
}
}  // namespace detail

/// Matrix product, evaluated. For `double` it is one BLAS dgemm (blas.hpp: OpenBLAS, a transposed
/// operand read in place). For `interval` it is coefficient-based (lazyProduct): Eigen 3.4's
/// blocked GEMM returns NaN entries over variable-precision MPFI (seen with a 9×2 by 2×9 product;
/// fixed-precision MPFI and MPFR are unaffected). Every product in matbp goes through here.
template <class A, class B>
matrix<typename A::Scalar> mul(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    if constexpr (std::same_as<typename A::Scalar, double> && std::same_as<typename B::Scalar, double>)
        return blas_product(detail::blas_stored(a.derived()), detail::is_transpose<A>::value,
                            detail::blas_stored(b.derived()), detail::is_transpose<B>::value);
    else if constexpr (std::same_as<typename A::Scalar, bmp::mpfi_float>)
        return a.lazyProduct(b);
    else
        return a * b;
}

/// out = mul(a, b), the same values, written into out's storage: for `double` the one dgemm of mul
/// writes out directly (blas_product_into; out resized only when its shape differs), so repeated
/// products of one shape allocate nothing. Requires, for double: out shares no storage with a or b
/// (std::invalid_argument otherwise); the other types evaluate the product before assigning it,
/// so for them out may be an operand.
template <class T, class A, class B>
void mul_into(matrix<T>& out, const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    if constexpr (std::same_as<T, double> && std::same_as<typename A::Scalar, double> &&
                  std::same_as<typename B::Scalar, double>)
        blas_product_into(out, detail::blas_stored(a.derived()), detail::is_transpose<A>::value,
                          detail::blas_stored(b.derived()), detail::is_transpose<B>::value);
    else
        out = mul(a, b);
}

/// The name of a scalar type as the CLI and reports spell it.
template <scalar T>
std::string scalar_name() {
    if constexpr (exact_field<T>)
        return "exact";
    else if constexpr (std::same_as<T, double>)
        return "double";
    else if constexpr (std::same_as<T, real>)
        return "real";
    else
        return "interval";
}

/// Working precision of `real` and `interval` for the guard's lifetime: at least `bits`
/// binary digits (Boost sets MPFR precision in decimal digits; we round up, so the
/// effective precision is ≥ bits). Restores the previous precision on destruction.
class precision_guard {
public:
    explicit precision_guard(unsigned bits);
    ~precision_guard();
    precision_guard(const precision_guard&) = delete;
    precision_guard& operator=(const precision_guard&) = delete;
    /// Precision in bits that values created now actually get.
    static unsigned current_bits();

private:
    unsigned saved_real_;
    unsigned saved_interval_;
};

/// The exact value of an MPFR number (every finite one is a dyadic rational).
/// Requires: x is finite (throws std::domain_error otherwise).
exact exact_value(const real& x);

/// Interval helpers: lower and upper bound as exact rationals (every MPFR number is dyadic).
exact lower_exact(const interval& x);
exact upper_exact(const interval& x);
/// True iff the exact rational q lies in x.
bool encloses(const interval& x, const exact& q);

}  // namespace matbp
