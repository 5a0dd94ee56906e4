#pragma once
// matbp/elementary.hpp — the three maps a layer is built from (D7–D9) and their Jacobians
// (L7–L9).
//
// Statements (spec/calculus.md)
//   D7  f⃗(z) = (f(z₁), …, f(z_m))ᵀ.
//   D8  z = W a + b, W ∈ ℝ^{m×n}, a ∈ ℝⁿ, b ∈ ℝ^m.
//   D9  ℓ(a) = ½ (a − y)ᵀ(a − y) (the paper's loss; the registry's others are in loss.hpp).
//   L7  Df⃗(z) = diag(f′(z₁), …, f′(z_m))  (f differentiable at each zᵢ; at a kink, the D11 value).
//   L8  L8.W D_W z = aᵀ ⊗ I_m (m × mn);  L8.a D_a z = W;  L8.b D_b z = I_m.
//   L9  Dℓ(a) = ∇ℓ(a)ᵀ for every loss of the registry (loss.hpp); for the squared error (a − y)ᵀ.
//
// Each lemma has a formula function (the right-hand side, used by the proof of T1) and an
// equation function that also computes the left-hand side by definition (D6).
//
// Notation → C++: f⃗ ↦ elementwise, z = Wa + b ↦ affine_potential, ℓ ↦ squared_error,
// diag(f′(z)) ↦ diag_of_derivative, aᵀ ⊗ I_m ↦ d_potential_d_weights, (a − y)ᵀ ↦ d_squared_error,
// ∇ℓ(a)ᵀ ↦ d_loss.
//
// Usage (tests/elementary_test.cpp, case usage_example_of_elementary_hpp):
//   auto eq = matbp::jacobian_of_potential_wrt_weights(W, a, b);   // L8.W
//   matbp::holds_exactly(eq)                                        // DW z by AD == aᵀ ⊗ I

#include "matbp/activation.hpp"
#include "matbp/contract.hpp"
#include "matbp/equation.hpp"
#include "matbp/jacobian.hpp"
#include "matbp/kron.hpp"
#include "matbp/loss.hpp"

#include <variant>

namespace matbp {

namespace detail {
template <class F>
struct is_variant : std::false_type {};
template <class... Fs>
struct is_variant<std::variant<Fs...>> : std::true_type {};

/// g(f's alternative) for a variant f (visited once, not once per entry), else g(f).
template <class F, class G>
decltype(auto) with_alternative(const F& f, G&& g) {
    if constexpr (is_variant<F>::value)
        return std::visit(std::forward<G>(g), f);
    else
        return std::forward<G>(g)(f);
}
}  // namespace detail

/// D7 f⃗(Z) written into R (resized only when its shape differs; R may be Z): evaluate() per
/// entry, an activation variant visited once per matrix (value_function, activation.hpp).
template <class F, class M>
void elementwise_into(const F& f, const M& Z, M& R) {
    using S = typename M::Scalar;
    if (R.rows() != Z.rows() || R.cols() != Z.cols()) R.resize(Z.rows(), Z.cols());
    detail::with_alternative(f, [&](const auto& g) {
        const auto fg = value_function<S>(g);
        for (Eigen::Index j = 0; j < Z.cols(); ++j)
            for (Eigen::Index i = 0; i < Z.rows(); ++i) R(i, j) = fg(S(Z(i, j)));
    });
}

/// D7 f⃗(Z), entrywise (Z may have several columns: the batch form).
template <class F, class M>
M elementwise(const F& f, const M& Z) {
    M R(Z.rows(), Z.cols());
    elementwise_into(f, Z, R);
    return R;
}

/// D8 z = W a + b.
/// Requires: W.cols() == a.rows(), W.rows() == b.rows(), a and b are columns.
template <class S>
matrix<S> affine_potential(const matrix<S>& W, const matrix<S>& a, const matrix<S>& b) {
    MATBP_REQUIRE("D8", a.cols() == 1 && b.cols() == 1);
    MATBP_REQUIRE("D8", W.cols() == a.rows() && W.rows() == b.rows());
    return matrix<S>(mul(W, a) + b);
}

/// D9 ℓ(a) = ½ (a − y)ᵀ(a − y), as a 1×1 matrix.
/// Requires: a and y are columns of one length.
template <class S>
matrix<S> squared_error(const matrix<S>& a, const matrix<S>& y) {
    MATBP_REQUIRE("D9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows());
    const matrix<S> e = a - y;
    matrix<S> c(1, 1);
    c(0, 0) = S(mul(e.transpose(), e)(0, 0) / S(2));
    return c;
}

/// L7 formula: diag(f′(z₁), …, f′(z_m)).
/// Requires: z is a column.
template <scalar T>
matrix<T> diag_of_derivative(const activation<T>& f, const matrix<T>& z) {
    MATBP_REQUIRE("L7", z.cols() == 1);
    colvec<T> d(z.rows());
    for (Eigen::Index i = 0; i < z.rows(); ++i) d(i) = derivative(f, z(i, 0));
    return diag<T>(d);
}

/// L7 Df⃗(z) (by definition) = diag(f′(z)).
// L7 (i)–(iii): ∂f(z_i)/∂z_j = δ_ij f′(z_i), so Df⃗(z) = diag(f′(z)).
template <scalar T>
equation<matrix<T>> jacobian_of_elementwise_eq_diag(const activation<T>& f, const matrix<T>& z) {
    MATBP_REQUIRE("L7", z.cols() == 1);
    auto fz = [&](const auto& Z) { return elementwise(f, Z); };
    return {"L7", jacobian_by_definition(fz, z), diag_of_derivative(f, z)};
}

/// L8.W formula: aᵀ ⊗ I_m.
/// Requires: a is a column, m ≥ 1.
template <class T>
matrix<T> d_potential_d_weights(const matrix<T>& a, Eigen::Index m) {
    MATBP_REQUIRE("L8.W", a.cols() == 1 && m >= 1);
    const matrix<T> at = a.transpose();
    return kron<T>(at, identity<T>(m));
}

/// L8.W D_W z = aᵀ ⊗ I_m, the left side by definition with W the variable.
// L8.W (i)–(iii): dz = dW a = (aᵀ ⊗ I_m) vec dW (L1), so Dz(W) = aᵀ ⊗ I_m.
template <class T>
equation<matrix<T>> jacobian_of_potential_wrt_weights(const matrix<T>& W, const matrix<T>& a, const matrix<T>& b) {
    MATBP_REQUIRE("L8.W", W.cols() == a.rows() && W.rows() == b.rows() && a.cols() == 1 && b.cols() == 1);
    auto z_of_W = [&](const auto& V) {
        using S = typename std::decay_t<decltype(V)>::Scalar;
        return affine_potential<S>(V, a.template cast<S>(), b.template cast<S>());
    };
    return {"L8.W", jacobian_by_definition(z_of_W, W), d_potential_d_weights(a, W.rows())};
}

/// L8.a D_a z = W.
template <class T>
equation<matrix<T>> jacobian_of_potential_wrt_input(const matrix<T>& W, const matrix<T>& a, const matrix<T>& b) {
    MATBP_REQUIRE("L8.a", W.cols() == a.rows() && W.rows() == b.rows() && a.cols() == 1 && b.cols() == 1);
    auto z_of_a = [&](const auto& x) {
        using S = typename std::decay_t<decltype(x)>::Scalar;
        return affine_potential<S>(W.template cast<S>(), x, b.template cast<S>());
    };
    return {"L8.a", jacobian_by_definition(z_of_a, a), W};
}

/// L8.b D_b z = I_m.
template <class T>
equation<matrix<T>> jacobian_of_potential_wrt_bias(const matrix<T>& W, const matrix<T>& a, const matrix<T>& b) {
    MATBP_REQUIRE("L8.b", W.cols() == a.rows() && W.rows() == b.rows() && a.cols() == 1 && b.cols() == 1);
    auto z_of_b = [&](const auto& c) {
        using S = typename std::decay_t<decltype(c)>::Scalar;
        return affine_potential<S>(W.template cast<S>(), a.template cast<S>(), c);
    };
    return {"L8.b", jacobian_by_definition(z_of_b, b), identity<T>(W.rows())};
}

/// L9 formula: (a − y)ᵀ.
/// Requires: a and y are columns of one length.
template <class T>
matrix<T> d_squared_error(const matrix<T>& a, const matrix<T>& y) {
    MATBP_REQUIRE("L9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows());
    return (a - y).transpose();
}

/// L9 Dℓ(a) (by definition) = (a − y)ᵀ.
template <class T>
equation<matrix<T>> jacobian_of_squared_error(const matrix<T>& a, const matrix<T>& y) {
    MATBP_REQUIRE("L9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows());
    auto ell = [&](const auto& x) {
        using S = typename std::decay_t<decltype(x)>::Scalar;
        return squared_error<S>(x, y.template cast<S>());
    };
    return {"L9", jacobian_by_definition(ell, a), d_squared_error(a, y)};
}

/// L9 formula for a loss of the registry: ∇ℓ_y(a)ᵀ (loss_gradient, a row).
/// Requires: a and y are columns of one length.
template <scalar T>
matrix<T> d_loss(const loss_function<T>& ell, const matrix<T>& a, const matrix<T>& y) {
    MATBP_REQUIRE("L9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows());
    return loss_gradient(ell, a, y).transpose();
}

/// L9 for a loss of the registry: Dℓ_y(a) by definition (AD of sample_cost) = ∇ℓ_y(a)ᵀ. At a
/// kink of ℓ (l1 at a zero residual) both sides are the convention, sign(0) = 0.
// L9 (i)–(v): Dℓ(a) is the transposed gradient of every loss of the registry.
template <scalar T>
equation<matrix<T>> jacobian_of_loss_eq_gradient(const loss_function<T>& ell, const matrix<T>& a, const matrix<T>& y) {
    MATBP_REQUIRE("L9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows());
    auto c = [&](const auto& x) {
        using S = typename std::decay_t<decltype(x)>::Scalar;
        matrix<S> r(1, 1);
        r(0, 0) = sample_cost(ell, matrix<S>(x), matrix<S>(y.template cast<S>()));
        return r;
    };
    return {"L9", jacobian_by_definition(c, a), d_loss(ell, a, y)};
}

}  // namespace matbp
