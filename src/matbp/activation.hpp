#pragma once
// matbp/activation.hpp — the activation catalogue with exact derivatives (D10) and the
// convention at points of non-differentiability (D11).
//
// Statements (spec/network.md)
//   D10  identity x; ReLU max(0, x); leaky ReLU x (x > 0), s·x (x ≤ 0); softsign x/(1+|x|) with
//        derivative 1/(1+|x|)²; polynomial Σ c_j x^j; for real and interval types only:
//        logistic 1/(1+e^{−x}), tanh, softplus log(1+eˣ).
//   D11  ReLU′(0) := 0, leaky ReLU′(0) := s (PyTorch's conventions). A potential exactly at such
//        a point is a kink; over intervals, an enclosure that contains it is a possible kink and
//        the derivative is the hull of both one-sided values.
//
// Notation → C++: f ↦ activation<T> (a std::variant), f(x) ↦ evaluate(f, x), f′(x) ↦
// derivative(f, x), "x is a kink of f" ↦ is_kink(f, x).
//
// activation<exact> cannot hold logistic_fn, tanh_fn or softplus_fn: they are not in its variant,
// so `matbp::activation<matbp::exact> f = matbp::tanh_fn{};` does not compile
// (tests/compile_fail/transcendental_over_exact.cpp checks this).
//
// evaluate() is generic in the argument type S (the scalar T, or a forward-mode dual number over T
// for the Jacobians of D6), so the definition-side derivative differentiates these very
// definitions, never derivative().
//
// Usage (tests/activation_test.cpp, case usage_example_of_activation_hpp):
//   matbp::activation<matbp::exact> f = matbp::leaky_relu_fn<matbp::exact>{matbp::exact(1, 100)};
//   evaluate(f, matbp::exact(-3))       // −3/100
//   derivative(f, matbp::exact(0))   // 1/100, by D11
//   is_kink(f, matbp::exact(0))      // true

#include "matbp/contract.hpp"
#include "matbp/scalar.hpp"

#include <unsupported/Eigen/AutoDiff>

#include <cmath>
#include <string>
#include <variant>
#include <vector>

namespace matbp {

struct identity_fn {};
struct relu_fn {};
template <class T>
struct leaky_relu_fn {
    T negative_slope = T(1) / T(100);  // PyTorch's default 0.01, here exactly 1/100
};
struct softsign_fn {};
/// Σ_j coefficients[j]·x^j.
template <class T>
struct polynomial_fn {
    std::vector<T> coefficients;
};
struct logistic_fn {};
struct softplus_fn {};
struct tanh_fn {};

/// D10: the activations a scalar type may use. Exact types get the rational-closed ones only.
template <scalar T>
using activation = std::conditional_t<
    exact_field<T>,
    std::variant<identity_fn, relu_fn, leaky_relu_fn<T>, softsign_fn, polynomial_fn<T>>,
    std::variant<identity_fn, relu_fn, leaky_relu_fn<T>, softsign_fn, polynomial_fn<T>, logistic_fn,
                 tanh_fn, softplus_fn>>;

/// The name the model format and reports use.
template <scalar T>
std::string activation_name(const activation<T>& f) {
    return std::visit(
        [](const auto& g) -> std::string {
            using G = std::decay_t<decltype(g)>;
            if constexpr (std::same_as<G, identity_fn>) return "identity";
            else if constexpr (std::same_as<G, relu_fn>) return "relu";
            else if constexpr (std::same_as<G, leaky_relu_fn<T>>) return "leaky_relu";
            else if constexpr (std::same_as<G, softsign_fn>) return "softsign";
            else if constexpr (std::same_as<G, polynomial_fn<T>>) return "polynomial";
            else if constexpr (std::same_as<G, logistic_fn>) return "logistic";
            else if constexpr (std::same_as<G, tanh_fn>) return "tanh";
            else return "softplus";
        },
        f);
}

namespace detail {
/// The value part of a number: itself, or the value of a forward-mode dual number.
template <class S>
const S& value_of(const S& x) {
    return x;
}
template <class D>
const auto& value_of(const Eigen::AutoDiffScalar<D>& x) {
    return x.value();
}

/// The constant c shaped like x: for a dual number, derivatives of x's size, all 0. (Eigen's
/// AutoDiff cannot combine an empty derivative vector with a non-empty expression.)
template <class S, class C>
S constant_like(const S&, const C& c) {
    return S(c);
}
template <class D, class C>
Eigen::AutoDiffScalar<D> constant_like(const Eigen::AutoDiffScalar<D>& x, const C& c) {
    return Eigen::AutoDiffScalar<D>(c, D::Zero(x.derivatives().size()));
}

inline interval hull(const interval& a, const interval& b) {
    interval r;
    mpfi_union(r.backend().data(), a.backend().data(), b.backend().data());
    return r;
}
inline bool surely_positive(const interval& x) { return mpfr_sgn(bmp::lower(x).backend().data()) > 0; }
inline bool surely_nonpositive(const interval& x) { return mpfr_sgn(bmp::upper(x).backend().data()) <= 0; }
}  // namespace detail

// ---- D10: values ---------------------------------------------------------------------------

template <class S>
S evaluate(const identity_fn&, const S& x) {
    return x;
}

template <class S>
S evaluate(const relu_fn&, const S& x) {
    if constexpr (interval_type<S>) {
        if (detail::surely_positive(x)) return x;
        if (detail::surely_nonpositive(x)) return S(0);
        return detail::hull(S(0), x);  // x straddles 0: image is [0, upper]
    } else {
        return detail::value_of(x) > 0 ? x : detail::constant_like(x, 0);
    }
}

template <class T, class S>
S evaluate(const leaky_relu_fn<T>& f, const S& x) {
    if constexpr (interval_type<S>) {
        if (detail::surely_positive(x)) return x;
        const S neg = S(f.negative_slope) * x;
        if (detail::surely_nonpositive(x)) return neg;
        return detail::hull(detail::hull(neg, x), S(0));
    } else {
        return detail::value_of(x) > 0 ? x : S(x * f.negative_slope);
    }
}

template <class S>
S evaluate(const softsign_fn&, const S& x) {
    if constexpr (interval_type<S>) {
        return S(x / S(S(1) + S(bmp::abs(x))));
    } else {
        // |x| by cases (Eigen's AutoDiff abs does not compile over mpq_rational).
        const S ax = detail::value_of(x) < 0 ? S(-x) : x;
        return S(x / S(detail::constant_like(x, 1) + ax));
    }
}

template <class T, class S>
S evaluate(const polynomial_fn<T>& f, const S& x) {
    S r = detail::constant_like(x, 0);
    for (auto c = f.coefficients.rbegin(); c != f.coefficients.rend(); ++c)
        r = S(r * x + detail::constant_like(x, *c));
    return r;
}

template <class S>
    requires(!exact_field<S>)
S evaluate(const logistic_fn&, const S& x) {
    using std::exp;
    return S(S(1) / S(S(1) + S(exp(S(-x)))));
}

template <class S>
    requires(!exact_field<S>)
S evaluate(const tanh_fn&, const S& x) {
    using std::tanh;
    return S(tanh(x));
}

template <class S>
    requires(!exact_field<S>)
S evaluate(const softplus_fn&, const S& x) {
    using std::exp;
    using std::log;
    using std::log1p;
    if constexpr (std::same_as<S, double>) {
        // max(x, 0) + log1p(e^{−|x|}): the same function, without overflow of e^x.
        return std::max(x, 0.0) + log1p(exp(-std::abs(x)));
    } else {
        return S(log(S(S(1) + S(exp(x)))));
    }
}

template <class... Fs, class S>
S evaluate(const std::variant<Fs...>& f, const S& x) {
    return std::visit([&](const auto& g) { return evaluate(g, x); }, f);
}

// ---- D10 derivatives, with the D11 convention at kinks -------------------------------------

template <scalar T>
T derivative(const identity_fn&, const T&) {
    return T(1);
}

template <scalar T>
T derivative(const relu_fn&, const T& x) {
    if constexpr (interval_type<T>) {
        if (detail::surely_positive(x)) return T(1);
        if (detail::surely_nonpositive(x)) return T(0);  // includes x = 0: ReLU′(0) := 0
        return detail::hull(T(0), T(1));
    } else {
        return x > 0 ? T(1) : T(0);  // D11: ReLU′(0) := 0
    }
}

template <scalar T>
T derivative(const leaky_relu_fn<T>& f, const T& x) {
    if constexpr (interval_type<T>) {
        if (detail::surely_positive(x)) return T(1);
        if (detail::surely_nonpositive(x)) return f.negative_slope;
        return detail::hull(f.negative_slope, T(1));
    } else {
        return x > 0 ? T(1) : f.negative_slope;  // D11: leaky′(0) := s
    }
}

template <scalar T>
T derivative(const softsign_fn&, const T& x) {
    using std::abs;
    const T d = T(1) + T(abs(x));
    return T(T(1) / T(d * d));
}

template <scalar T>
T derivative(const polynomial_fn<T>& f, const T& x) {
    T r(0);
    for (std::size_t j = f.coefficients.size(); j-- > 1;) r = T(r * x + T(j) * f.coefficients[j]);
    return r;
}

template <scalar T>
    requires transcendental_capable<T>
T derivative(const logistic_fn& f, const T& x) {
    // σ′(x) = σ(x)(1 − σ(x)) = σ(x)σ(−x): the second form has no cancellation for large |x|.
    return T(evaluate(f, x) * evaluate(f, T(-x)));
}

template <scalar T>
    requires transcendental_capable<T>
T derivative(const tanh_fn&, const T& x) {
    // tanh′(x) = 1 − tanh²(x) = 1/cosh²(x): the second form has no cancellation for large |x|.
    using std::cosh;
    const T c = cosh(x);
    return T(T(1) / T(c * c));
}

template <scalar T>
    requires transcendental_capable<T>
T derivative(const softplus_fn&, const T& x) {
    return evaluate(logistic_fn{}, x);
}

template <class... Fs, scalar T>
T derivative(const std::variant<Fs...>& f, const T& x) {
    return std::visit([&](const auto& g) { return derivative<T>(g, x); }, f);
}

// ---- D11: kinks ---------------------------------------------------------------------------

/// True iff x is (over intervals: may be) a point where f is not differentiable.
template <class... Fs, scalar T>
bool is_kink(const std::variant<Fs...>& f, const T& x) {
    const bool piecewise = std::holds_alternative<relu_fn>(f) ||
                           std::holds_alternative<leaky_relu_fn<T>>(f);
    if (!piecewise) return false;
    if constexpr (interval_type<T>)
        return !detail::surely_positive(x) && mpfr_sgn(bmp::upper(x).backend().data()) >= 0;
    else
        return x == 0;
}

}  // namespace matbp
