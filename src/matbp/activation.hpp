#pragma once
// matbp/activation.hpp — the activation registry: every activation with its exact derivative (D10)
// and the convention at its points of non-differentiability (D11).
//
// Statements (spec/network.md)
//   D10  identity x; ReLU max(0, x); leaky ReLU x (x > 0), s·x (x ≤ 0); hardtanh
//        min(max(x, lo), hi); softsign x/(1+|x|) with derivative 1/(1+|x|)²; polynomial Σ c_j x^j;
//        for real and interval types only: logistic 1/(1+e^{−x}), tanh, softplus log(1+eˣ).
//   D11  At a point of non-differentiability (a kink) the derivative is PyTorch's one-sided
//        convention: ReLU′(0) := 0, leaky ReLU′(0) := s, hardtanh′(lo) := hardtanh′(hi) := 0.
//        A potential exactly at such a point is a kink; over intervals, an enclosure that may
//        contain it is a possible kink and the derivative is the hull of the values around it.
//
// The registry. Each activation is one struct below and nothing else: its `info` (name, aliases,
// parameters with exact defaults, exactness over ℚ, PyTorch counterpart; registry.hpp), its
// parameters as members, and either
//   - `pieces()`: a continuous piecewise-linear form (breakpoints, slope and intercept of each
//     piece, and which side's piece holds at each breakpoint, the D11 convention). Values,
//     derivatives, interval enclosures, kinks and their one-sided derivatives, and the exact fast
//     path (dyadic.cpp) all derive from it; or
//   - its own `evaluate` and `derivative` (smooth activations: no kinks).
// activation_types<T> lists them; activation<T> is the std::variant of those admissible for T.
// Adding an activation = one struct here, its name in activation_types, its spec row, its tests.
//
// Notation → C++: f ↦ activation<T>, f(x) ↦ evaluate(f, x), f′(x) ↦ derivative(f, x),
// "x is a kink of f" ↦ is_kink(f, x), the kinks of f with their one-sided derivatives ↦
// kink_points(f).
//
// activation<exact> cannot hold logistic_fn, tanh_fn or softplus_fn (info.exact_evaluation is false), so
// `matbp::activation<matbp::exact> f = matbp::tanh_fn{};` does not compile
// (tests/compile_fail/transcendental_over_exact.cpp checks this).
//
// evaluate() is generic in the argument type S (the scalar T, or a forward-mode dual number over T
// for the Jacobians of D6), so the definition-side derivative differentiates these very
// definitions, never derivative(). At a breakpoint evaluate() takes the piece on the convention's
// side, so AD through it yields exactly the D11 value.
//
// Usage (tests/activation_test.cpp, case usage_example_of_activation_hpp):
//   matbp::activation<matbp::exact> f = matbp::leaky_relu_fn<matbp::exact>{matbp::exact(1, 100)};
//   evaluate(f, matbp::exact(-3))    // −3/100
//   derivative(f, matbp::exact(0))   // 1/100, by D11
//   is_kink(f, matbp::exact(0))      // true

#include "matbp/contract.hpp"
#include "matbp/convert.hpp"
#include "matbp/dual.hpp"
#include "matbp/registry.hpp"
#include "matbp/scalar.hpp"

#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace matbp {

/// A continuous piecewise-linear map: breaks increasing breakpoints p_0 < … < p_{breaks−1};
/// piece i (slope[i]·x + intercept[i]) holds on (p_{i−1}, p_i) (p_{−1} = −∞, p_breaks = +∞). At
/// p_i the piece on the right holds iff right[i] (D11: the derivative there is that piece's slope).
template <class T>
struct piecewise_linear {
    static constexpr int capacity = 3;
    int breaks = 0;
    std::array<T, capacity> at{};
    std::array<bool, capacity> right{};
    std::array<T, capacity + 1> slope{}, intercept{};

    /// The piece that holds at x (a value, not an enclosure): the number of breakpoints x is past
    /// (x > p_b, or x = p_b where the right piece holds), as the breakpoints increase; a NaN is past
    /// all of them. Counted without a branch on x: the batch passes meet entries in random pieces.
    template <class V>
    int piece_of(const V& x) const {
        int i = 0;
        for (int b = 0; b < breaks; ++b) i += static_cast<int>(!((x < at[b]) | ((x == at[b]) & !right[b])));
        return i;
    }
};

/// D11 a point where an activation is not differentiable: its one-sided derivatives there, and
/// the value derivative() takes (the convention).
template <class T>
struct kink_point {
    T at, left, right, convention;
};

namespace detail {
template <class T>
T parameter_default(const parameter_info& p) {
    return from_exact<T>(parse_exact(p.default_text));
}
}  // namespace detail

// ---- The registry's members ------------------------------------------------------------------

inline constexpr parameter_info leaky_relu_parameters[] = {
    {"negative_slope", "negative_slope", "0x1.47ae147ae147bp-7", false,
     "slope for x <= 0; the default is the double 0.01 (PyTorch's), taken exactly"}};
inline constexpr parameter_info hardtanh_parameters[] = {
    {"min_val", "min_val", "-1", false, "lower end of the linear region"},
    {"max_val", "max_val", "1", false, "upper end of the linear region"}};
inline constexpr parameter_info polynomial_parameters[] = {{"coefficients", "", "", true, "c0, c1, ..., at least one"}};

/// hardtanh's parameters: min_val < max_val (reported on max_val).
inline std::optional<parameter_problem> check_hardtanh(const std::vector<exact>& p) {
    if (p.size() == 2 && !(p[0] < p[1]))
        return parameter_problem{
            1, "max_val (" + to_string(p[1]) + ") must be greater than min_val (" + to_string(p[0]) + ")"};
    return std::nullopt;
}

struct identity_fn {
    static constexpr function_info info{"identity", {}, {}, true, "torch.nn.Identity", "x"};
    template <class T>
    static piecewise_linear<T> pieces() {
        piecewise_linear<T> f;
        f.slope[0] = T(1);
        f.intercept[0] = T(0);
        return f;
    }
};

struct relu_fn {
    static constexpr function_info info{"relu", {}, {}, true, "torch.nn.ReLU", "max(0, x); relu'(0) = 0"};
    template <class T>
    static piecewise_linear<T> pieces() {
        piecewise_linear<T> f;
        f.breaks = 1;
        f.at[0] = T(0);
        f.right[0] = false;  // D11: ReLU′(0) := 0, the left slope
        f.slope = {T(0), T(1)};
        f.intercept = {T(0), T(0)};
        return f;
    }
};

template <class T>
struct leaky_relu_fn {
    static constexpr function_info info{
        "leaky_relu",          {},
        leaky_relu_parameters, true,
        "torch.nn.LeakyReLU",  "x if x > 0 else negative_slope*x; leaky_relu'(0) = negative_slope"};
    T negative_slope = detail::parameter_default<T>(leaky_relu_parameters[0]);
    static leaky_relu_fn from_params(const std::vector<T>& p) { return {p.at(0)}; }
    std::vector<T> params() const { return {negative_slope}; }
    piecewise_linear<T> pieces() const {
        piecewise_linear<T> f;
        f.breaks = 1;
        f.at[0] = T(0);
        f.right[0] = false;  // D11: leaky′(0) := s, the left slope
        f.slope = {negative_slope, T(1)};
        f.intercept = {T(0), T(0)};
        return f;
    }
};

template <class T>
struct hardtanh_fn {
    static constexpr function_info info{
        "hardtanh",          {},
        hardtanh_parameters, true,
        "torch.nn.Hardtanh", "min(max(x, min_val), max_val); hardtanh'(min_val) = hardtanh'(max_val) = 0",
        &check_hardtanh};
    T min_val = detail::parameter_default<T>(hardtanh_parameters[0]);
    T max_val = detail::parameter_default<T>(hardtanh_parameters[1]);
    static hardtanh_fn from_params(const std::vector<T>& p) { return {p.at(0), p.at(1)}; }
    std::vector<T> params() const { return {min_val, max_val}; }
    /// Requires: min_val < max_val (check_hardtanh; the reader refuses other models).
    piecewise_linear<T> pieces() const {
        piecewise_linear<T> f;
        f.breaks = 2;
        f.at = {min_val, max_val, T(0)};
        // D11, PyTorch's hardtanh_backward: the gradient is 0 unless min_val < x < max_val, so
        // the flat piece holds at both ends.
        f.right = {false, true, false};
        f.slope = {T(0), T(1), T(0), T(0)};
        f.intercept = {min_val, T(0), max_val, T(0)};
        return f;
    }
};

struct softsign_fn {
    static constexpr function_info info{"softsign", {}, {}, true, "torch.nn.Softsign", "x / (1 + |x|)"};
    /// An exact evaluation at most doubles the bits of its argument (x and 1 + |x|).
    static std::size_t growth() { return 2; }
};

/// Σ_j coefficients[j]·x^j.
template <class T>
struct polynomial_fn {
    static constexpr function_info info{"polynomial", {}, polynomial_parameters,
                                        true,         "", "sum_j coefficients[j] * x^j"};
    std::vector<T> coefficients;
    static polynomial_fn from_params(const std::vector<T>& p) { return {p}; }
    std::vector<T> params() const { return coefficients; }
    /// An exact evaluation multiplies the bits of its argument by at most the degree.
    std::size_t growth() const { return coefficients.size() > 2 ? coefficients.size() - 1 : 1; }
};

struct logistic_fn {
    static constexpr function_info info{"logistic", {"sigmoid"}, {}, false, "torch.nn.Sigmoid", "1 / (1 + exp(-x))"};
};
struct tanh_fn {
    static constexpr function_info info{"tanh", {}, {}, false, "torch.nn.Tanh", "tanh(x)"};
};
struct softplus_fn {
    // PyTorch's nn.Softplus() has beta = 1 and threshold = 20, above which it returns x: not this
    // function, so there is no counterpart.
    static constexpr function_info info{"softplus", {}, {}, false, "", "log(1 + exp(x))"};
};

/// D10 every activation, in registry order (activation_registry() lists their infos so).
template <class T>
using activation_types = type_list<identity_fn, relu_fn, leaky_relu_fn<T>, hardtanh_fn<T>, softsign_fn,
                                   polynomial_fn<T>, logistic_fn, tanh_fn, softplus_fn>;

namespace detail {
template <class G>
concept has_pieces_member = requires(const G& g) { g.pieces(); };
}  // namespace detail

/// D10 the activations a scalar type may use: for exact types only those with info.exact_evaluation.
template <scalar T>
using activation = admissible_variant_t<T, activation_types<T>>;

/// True iff G has a piecewise-linear form.
template <class G>
concept piecewise_linear_activation = requires { G::template pieces<double>(); } || detail::has_pieces_member<G>;

/// The piecewise-linear form of g over T.
template <class T, class G>
    requires piecewise_linear_activation<G>
piecewise_linear<T> pieces_of(const G& g) {
    if constexpr (detail::has_pieces_member<G>)
        return g.pieces();
    else
        return G::template pieces<T>();
}

/// The name the model format and reports use.
template <scalar T>
std::string activation_name(const activation<T>& f) {
    return std::string(info_of(f).name);
}

/// f's parameter values, in info.parameters order (a list parameter's values last).
template <scalar T>
std::vector<T> parameters_of(const activation<T>& f) {
    return registry_parameters<T>(f);
}

/// The activation named `name` (canonical or alias) over T with the given parameter values (in
/// info.parameters order, as function_info::with_defaults returns them); nullopt when the name is
/// unknown or the activation is not admissible for T (not exact, for exact T).
/// Requires: as many values as the activation takes (any number ≥ 1 for a list parameter).
template <scalar T>
std::optional<activation<T>> make_activation(std::string_view name, const std::vector<T>& params) {
    return make_registry_member<activation<T>, T>("D10", activation_types<T>{}, name, params);
}

namespace detail {
inline interval hull(const interval& a, const interval& b) {
    interval r;
    mpfi_union(r.backend().data(), a.backend().data(), b.backend().data());
    return r;
}
inline bool surely_positive(const interval& x) { return mpfr_sgn(bmp::lower(x).backend().data()) > 0; }
inline bool surely_nonpositive(const interval& x) { return mpfr_sgn(bmp::upper(x).backend().data()) <= 0; }

/// Over intervals: may x and p (enclosures) share a point?
inline bool may_meet(const interval& x, const interval& p) {
    return bmp::lower(x) <= bmp::upper(p) && bmp::upper(x) >= bmp::lower(p);
}

/// [lo, hi] from MPFR bounds (lo ≤ hi).
inline interval make_interval(const real& lo, const real& hi) {
    interval r;
    mpfi_interv_fr(r.backend().data(), lo.backend().data(), hi.backend().data());
    return r;
}

/// Over intervals: the pieces of f that may hold somewhere in X, each with X restricted to its
/// closed domain, and the breakpoints X may contain (where the convention side's piece holds).
/// Calls visit(piece, X restricted) for each.
template <class V>
void for_each_piece_meeting(const piecewise_linear<interval>& f, const interval& X, V visit) {
    for (int i = 0; i <= f.breaks; ++i) {
        const bool above_left = i == 0 || bmp::upper(X) > bmp::lower(f.at[i - 1]);
        const bool below_right = i == f.breaks || bmp::lower(X) < bmp::upper(f.at[i]);
        if (!above_left || !below_right) continue;
        real lo = bmp::lower(X), hi = bmp::upper(X);
        if (i > 0 && bmp::lower(f.at[i - 1]) > lo) lo = bmp::lower(f.at[i - 1]);
        if (i < f.breaks && bmp::upper(f.at[i]) < hi) hi = bmp::upper(f.at[i]);
        visit(i, make_interval(lo, hi));
    }
    for (int b = 0; b < f.breaks; ++b)
        if (may_meet(X, f.at[b])) visit(f.right[b] ? b + 1 : b, f.at[b]);
}
}  // namespace detail

// ---- D10: values ---------------------------------------------------------------------------

/// A piecewise-linear activation, from its pieces: over intervals the hull of every piece's image
/// of its part of X (exact for a continuous map), else the convention side's piece.
template <class B, class S>
S evaluate_pieces(const piecewise_linear<B>& f, const S& x) {
    if constexpr (interval_type<S>) {
        std::optional<S> r;
        detail::for_each_piece_meeting(f, x, [&](int i, const S& part) {
            const S v = S(S(f.slope[i] * part) + f.intercept[i]);
            r = r ? detail::hull(*r, v) : v;
        });
        return *r;
    } else {
        const int i = f.piece_of(detail::value_of(x));
        if constexpr (std::same_as<S, double>) {
            // The four cases below, chosen by an index rather than a branch on x (see piece_of).
            const double s = f.slope[i], c = f.intercept[i], xs = x * s;
            const int zero = s == 0, one = (s == 1) & (c == 0), no_c = c == 0;
            const int k = (1 - zero) * (one + (1 - one) * (3 - no_c));
            const double cases[4] = {c, x, xs, xs + c};
            return cases[k];
        }
        if (f.slope[i] == 0) return detail::constant_like(x, f.intercept[i]);
        if (f.slope[i] == 1 && f.intercept[i] == 0) return x;
        if (f.intercept[i] == 0) return S(x * f.slope[i]);
        return S(x * f.slope[i] + detail::constant_like(x, f.intercept[i]));
    }
}

/// A piecewise-linear activation's value, from its pieces (evaluate_pieces).
template <class G, class S>
    requires piecewise_linear_activation<G>
S evaluate(const G& g, const S& x) {
    return evaluate_pieces(pieces_of<detail::base_t<S>>(g), x);
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
    for (auto c = f.coefficients.rbegin(); c != f.coefficients.rend(); ++c) r = S(r * x + detail::constant_like(x, *c));
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

/// A piecewise-linear activation: the slope of the piece that holds at x (D11 at a breakpoint);
/// over intervals the hull of the slopes of every piece that may hold in X.
template <scalar T>
T derivative_pieces(const piecewise_linear<T>& f, const T& x) {
    if constexpr (interval_type<T>) {
        std::optional<T> r;
        detail::for_each_piece_meeting(f, x,
                                       [&](int i, const T&) { r = r ? detail::hull(*r, f.slope[i]) : f.slope[i]; });
        return *r;
    } else {
        return f.slope[f.piece_of(x)];
    }
}

/// A piecewise-linear activation's derivative, from its pieces (derivative_pieces).
template <scalar T, class G>
    requires piecewise_linear_activation<G>
T derivative(const G& g, const T& x) {
    return derivative_pieces(pieces_of<T>(g), x);
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

/// x ↦ evaluate(g, x) and x ↦ derivative<T>(g, x) for one activation g (an alternative, not the
/// variant) applied to many entries: the same values, a piecewise-linear g's pieces built once
/// rather than on every call (the batch passes of network.hpp and backprop.hpp).
template <class S, class G>
auto value_function(const G& g) {
    if constexpr (piecewise_linear_activation<G>)
        return [f = pieces_of<detail::base_t<S>>(g)](const S& x) { return evaluate_pieces(f, x); };
    else
        return [&g](const S& x) { return evaluate(g, x); };
}
template <scalar T, class G>
auto derivative_function(const G& g) {
    if constexpr (piecewise_linear_activation<G>)
        return [f = pieces_of<T>(g)](const T& x) { return derivative_pieces(f, x); };
    else
        return [&g](const T& x) { return derivative<T>(g, x); };
}

// ---- D11: kinks ---------------------------------------------------------------------------

/// D11 the points where f is not differentiable, with the one-sided derivatives there and the
/// convention derivative() uses: the breakpoints of a piecewise-linear activation whose two
/// slopes differ (none for the others).
template <scalar T>
std::vector<kink_point<T>> kink_points(const activation<T>& f) {
    return std::visit(
        [](const auto& g) {
            std::vector<kink_point<T>> out;
            if constexpr (piecewise_linear_activation<std::decay_t<decltype(g)>>) {
                const auto p = pieces_of<T>(g);
                for (int b = 0; b < p.breaks; ++b)
                    out.push_back({p.at[b], p.slope[b], p.slope[b + 1], p.right[b] ? p.slope[b + 1] : p.slope[b]});
            }
            return out;
        },
        f);
}

/// True iff x is (over intervals: may be) a breakpoint of a piecewise-linear f. (Leaky ReLU with
/// slope 1 is the identity; its 0 is still reported, and the convention is then the derivative.)
template <class... Fs, scalar T>
bool is_kink(const std::variant<Fs...>& f, const T& x) {
    return std::visit(
        [&](const auto& g) {
            if constexpr (piecewise_linear_activation<std::decay_t<decltype(g)>>) {
                const auto p = pieces_of<T>(g);
                for (int b = 0; b < p.breaks; ++b) {
                    if constexpr (interval_type<T>) {
                        if (detail::may_meet(x, p.at[b])) return true;
                    } else if (x == p.at[b]) {
                        return true;
                    }
                }
            }
            return false;
        },
        f);
}

/// How many times an exact evaluation of f can multiply the bits of its argument (the oracle's
/// --max-bits prediction): the degree of a polynomial, 2 for softsign, else 1.
template <scalar T>
std::size_t growth_of(const activation<T>& f) {
    return std::visit(
        [](const auto& g) -> std::size_t {
            if constexpr (requires { g.growth(); })
                return g.growth();
            else
                return 1;
        },
        f);
}

/// An exact activation with its parameters converted to U (rounded, or enclosed for intervals).
template <scalar U>
activation<U> convert_activation(const activation<exact>& f) {
    return convert_registry_member<activation<U>, U>(f);
}

}  // namespace matbp
