#pragma once
// matbp/softmax_steps.hpp — the proof of C2 (softmax output with cross-entropy), each step
// (i)–(v) of proofs/backprop.md a function that computes both sides of its statement, as
// induction.hpp does for T1.
//
// Statement (spec/theorem.md)
//   C2  s = softmax(z), ℓ(a) = −Σᵢ yᵢ log aᵢ: Ds(z) = diag(s) − s sᵀ, δᵏ = (Ds(zᵏ))ᵀ(Dℓ(aᵏ))ᵀ
//       = softmax(zᵏ)·Σᵢyᵢ − y (= softmax(zᵏ) − y for a probability vector y), and T1, C1 hold
//       with this δᵏ.
//       C2 (i)   Ds(z) = diag(s) − s sᵀ.
//       C2 (ii)  Dℓ(a) = −(y₁/a₁, …, y_m/a_m) for a > 0.
//       C2 (iii) Dc̃_k(z) = Dℓ(s(z)) Ds(z) (L6), so δᵏ = (Ds(zᵏ))ᵀ(Dℓ(aᵏ))ᵀ.
//       C2 (iv)  (diag(s) − s sᵀ)(−u) = s Σᵢyᵢ − y, u = y/s.
//       C2 (v)   backprop's gradients with this δᵏ are the gradients of the batch cost (C1).
//
// Each left side is what the proof computes from the statement before it; each right side what
// the algorithm (or the step's conclusion) computes. "By definition" means forward-mode AD
// (jacobian.hpp) of a formula that uses no derivative: softmax as e^{zᵢ}/Σⱼe^{zⱼ}, ℓ as
// −Σ yᵢ log aᵢ, the registry's cost on logits (its log-sum-exp form, loss.hpp), the batch cost.
// Over intervals both sides enclose the same real number when the step holds, so disjoint
// enclosures refute it (tests/softmax_steps_test.cpp). Real and interval types only: exp and log
// do not map ℚ to ℚ.
//
// Notation → C++: s ↦ softmax_columns(z), Ds(z) ↦ an m × m matrix, Dℓ(a) ↦ a 1 × m matrix,
// δᵏ ↦ softmax_cross_entropy_delta(z, y) (loss.hpp).
//
// Usage (tests/softmax_steps_test.cpp, case usage_example_of_softmax_steps_hpp):
//   matbp::precision_guard g(256);
//   auto eq = matbp::softmax_jacobian_eq_diag_minus_outer(z);   // C2 (i), z an m × 1 interval column
//   matbp::overlaps(eq)                                          // both sides may be equal

#include "matbp/backprop.hpp"
#include "matbp/contract.hpp"
#include "matbp/equation.hpp"
#include "matbp/jacobian.hpp"
#include "matbp/loss.hpp"
#include "matbp/network.hpp"

#include <vector>

namespace matbp {

namespace detail {
/// softmax of one column by its definition, s_i = e^{z_i}/Σ_j e^{z_j} (no shift), generic in the
/// number type (T, or a dual number over T, for AD).
template <class S>
matrix<S> softmax_by_definition(const matrix<S>& z) {
    using std::exp;
    matrix<S> e(z.rows(), 1);
    for (Eigen::Index i = 0; i < z.rows(); ++i) e(i, 0) = S(exp(z(i, 0)));
    S sum = e(0, 0);
    for (Eigen::Index i = 1; i < z.rows(); ++i) sum = S(sum + e(i, 0));
    for (Eigen::Index i = 0; i < z.rows(); ++i) e(i, 0) = S(e(i, 0) / sum);
    return e;
}
/// ℓ(a) = −Σᵢ yᵢ log aᵢ as a 1 × 1 matrix, generic in the number type of a.
template <class S, class T>
matrix<S> cross_entropy_of_probabilities(const matrix<S>& a, const matrix<T>& y) {
    using std::log;
    S c = detail::constant_like(a(0, 0), 0);
    for (Eigen::Index i = 0; i < a.rows(); ++i) c = S(c - S(S(log(a(i, 0))) * y(i, 0)));
    matrix<S> out(1, 1);
    out(0, 0) = c;
    return out;
}
}  // namespace detail

// C2 (i)
/// lhs = Ds(z) by definition (AD of e^{zᵢ}/Σⱼe^{zⱼ}), rhs = diag(s) − s sᵀ with s =
/// softmax_columns(z), the algorithm's softmax.
/// Requires: z is an m × 1 column, m ≥ 1.
template <scalar T>
    requires transcendental_capable<T>
equation<matrix<T>> softmax_jacobian_eq_diag_minus_outer(const matrix<T>& z) {
    MATBP_REQUIRE("C2", z.cols() == 1 && z.rows() >= 1);
    const auto s_of = [](const auto& Z) {
        return detail::softmax_by_definition(matrix<typename std::decay_t<decltype(Z)>::Scalar>(Z));
    };
    const matrix<T> s = softmax_columns(z);
    matrix<T> rhs = -s * s.transpose();
    rhs.diagonal() += s.col(0);
    return {"C2 (i)", jacobian_by_definition(s_of, z), rhs};
}

// C2 (ii)
/// lhs = Dℓ(a) by definition (AD of −Σᵢ yᵢ log aᵢ, a 1 × m matrix), rhs = −(y₁/a₁, …, y_m/a_m).
/// Requires: a and y are columns of one length ≥ 1; a > 0 (log's domain).
template <scalar T>
    requires transcendental_capable<T>
equation<matrix<T>> cross_entropy_derivative_eq_minus_ratio(const matrix<T>& a, const matrix<T>& y) {
    MATBP_REQUIRE("C2", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows() && a.rows() >= 1);
    for (Eigen::Index i = 0; i < a.rows(); ++i) MATBP_REQUIRE("C2", a(i, 0) > 0);
    const auto ell = [&y](const auto& A) {
        using S = typename std::decay_t<decltype(A)>::Scalar;
        return detail::cross_entropy_of_probabilities(matrix<S>(A), y);
    };
    matrix<T> rhs(1, a.rows());
    for (Eigen::Index i = 0; i < a.rows(); ++i) rhs(0, i) = T(-T(y(i, 0) / a(i, 0)));
    return {"C2 (ii)", jacobian_by_definition(ell, a), rhs};
}

// C2 (iii)
/// lhs = (Dc̃_k(z))ᵀ by definition: AD of the registry's cost on the logits z (loss.hpp, the
/// log-sum-exp form −Σⱼ yⱼ(zⱼ − log Σᵢ e^{zᵢ}), no softmax and no log of a ratio); rhs =
/// (Ds(z))ᵀ(Dℓ(s(z)))ᵀ, the chain rule (L6) on the right sides of C2 (i) and C2 (ii).
/// Requires: z and y are columns of one length ≥ 1.
template <scalar T>
    requires transcendental_capable<T>
equation<matrix<T>> output_error_eq_softmax_jacobian_times_loss_derivative(const matrix<T>& z, const matrix<T>& y) {
    MATBP_REQUIRE("C2", z.cols() == 1 && y.cols() == 1 && z.rows() == y.rows() && z.rows() >= 1);
    const auto cost = [&y](const auto& Z) {
        using S = typename std::decay_t<decltype(Z)>::Scalar;
        matrix<S> yS(y.rows(), 1);
        for (Eigen::Index i = 0; i < y.rows(); ++i) yS(i, 0) = detail::constant_like(Z(0, 0), y(i, 0));
        matrix<S> out(1, 1);
        out(0, 0) = softmax_cross_entropy_loss{}.sample_cost(matrix<S>(Z), yS);
        return out;
    };
    const matrix<T> Ds = softmax_jacobian_eq_diag_minus_outer(z).rhs;
    const matrix<T> Dl = cross_entropy_derivative_eq_minus_ratio(matrix<T>(softmax_columns(z)), y).rhs;
    return {"C2 (iii)", matrix<T>(jacobian_by_definition(cost, z).transpose()),
            matrix<T>(mul(matrix<T>(Ds.transpose()), matrix<T>(Dl.transpose())))};
}

// C2 (iv)
/// lhs = (diag(s) − s sᵀ)(−u) with u = y/s (the product C2 (iii) forms, written out), rhs =
/// softmax_cross_entropy_delta(z, y) = s·Σᵢyᵢ − y, what backprop uses. Algebra only: both sides
/// use the same s, so this checks the simplification, not softmax.
/// Requires: z and y are columns of one length ≥ 1.
template <scalar T>
    requires transcendental_capable<T>
equation<matrix<T>> softmax_chain_eq_softmax_minus_target(const matrix<T>& z, const matrix<T>& y) {
    MATBP_REQUIRE("C2", z.cols() == 1 && y.cols() == 1 && z.rows() == y.rows() && z.rows() >= 1);
    const matrix<T> s = softmax_columns(z);
    matrix<T> u(s.rows(), 1);
    for (Eigen::Index i = 0; i < s.rows(); ++i) u(i, 0) = T(y(i, 0) / s(i, 0));
    matrix<T> Ds = -s * s.transpose();
    Ds.diagonal() += s.col(0);
    return {"C2 (iv)", matrix<T>(mul(Ds, matrix<T>(-u))), softmax_cross_entropy_delta(z, y)};
}

// C2 (v)
/// lhs = backprop's ∇_{Wˡ}C and ∇_{bˡ}C with the loss softmax_cross_entropy (the δᵏ of C2 (iv)
/// in C1's recursion), rhs = the same gradients by definition: AD of the batch cost (D14) as a
/// function of that parameter (batch_cost_as_function_of_layer_parameter). Entries ∇W¹, ∇b¹,
/// ∇W², … Requires: as backprop.
template <scalar T>
    requires transcendental_capable<T>
std::vector<equation<matrix<T>>> backprop_with_softmax_cross_entropy_eq_definition(const mlp<T>& net,
                                                                                   const matrix<T>& X,
                                                                                   const matrix<T>& Y, reduction red) {
    const loss_function<T> ell = softmax_cross_entropy_loss{};
    const auto g = backprop(net, X, Y, ell, red);
    std::vector<equation<matrix<T>>> out;
    for (Eigen::Index l = 1; l <= net.depth(); ++l) {
        const auto& L = net.layers[l - 1];
        const auto c_of_W = batch_cost_as_function_of_layer_parameter(net, X, Y, ell, red, l, false);
        const auto c_of_b = batch_cost_as_function_of_layer_parameter(net, X, Y, ell, red, l, true);
        out.push_back(
            {"C2 (v)", g.dW[l], gradient_from_jacobian(jacobian_by_definition(c_of_W, L.W), L.W.rows(), L.W.cols())});
        out.push_back({"C2 (v)", g.db[l], gradient_from_jacobian(jacobian_by_definition(c_of_b, L.b), L.b.rows(), 1)});
    }
    return out;
}

/// Over intervals: every entry of lhs and rhs may be the same real number (the enclosures meet).
/// A statement whose sides are disjoint somewhere is refuted.
inline bool overlaps(const equation<matrix<interval>>& eq) {
    if (eq.lhs.rows() != eq.rhs.rows() || eq.lhs.cols() != eq.rhs.cols()) return false;
    for (Eigen::Index i = 0; i < eq.lhs.size(); ++i)
        if (bmp::upper(eq.lhs(i)) < bmp::lower(eq.rhs(i)) || bmp::upper(eq.rhs(i)) < bmp::lower(eq.lhs(i)))
            return false;
    return true;
}

}  // namespace matbp
