#pragma once
// matbp/induction.hpp — the backpropagation theorem (T1) proved by downward induction over the
// layers, each proof step a function that computes both sides of its statement.
//
// Statements (spec/network.md, spec/theorem.md)
//   D15  δᵏ = diag(fᵏ′(zᵏ))∇ℓ_y(aᵏ) (= diag(fᵏ′(zᵏ))(aᵏ − y) for the squared error);
//        δˡ = diag(fˡ′(zˡ))(Wˡ⁺¹)ᵀδˡ⁺¹, l = k−1 … 1.
//   D16  c̃_l(z) = ℓ(f⃗ᵏ(Wᵏ ⋯ f⃗ˡ⁺¹(Wˡ⁺¹ f⃗ˡ(z) + bˡ⁺¹) ⋯ + bᵏ)), everything but z held fixed.
//   P1   P(l): (Dc̃_l(zˡ))ᵀ = δˡ.
//   T1   ∇_{Wˡ}c = δˡ(aˡ⁻¹)ᵀ and ∇_{bˡ}c = δˡ for every l; D_{vec Wˡ}c = (δˡ)ᵀ((aˡ⁻¹)ᵀ ⊗ I_{m_l}).
//        T1.base  P(k).               T1.step  P(l+1) ⇒ P(l).
//        T1.W     conclusion for Wˡ.  T1.b     conclusion for bˡ.
//        T1.jac   (δˡ)ᵀ((aˡ⁻¹)ᵀ ⊗ I) = (vec(δˡ(aˡ⁻¹)ᵀ))ᵀ.
//
// The left-hand side of each step is computed the way its proof computes it: the chain rule (L6)
// applied to the formula Jacobians of L7, L8, L9; the right-hand side is what the algorithm
// computes (backpropagated_errors, D15). Both use the same f′ and ∇ℓ, so lhs == rhs checks the
// algebra and the transcription, never the derivative formulas. At the expensive contract level
// each step (T1.base, T1.step, T1.W, T1.b, T1.jac) also re-derives its left side by definition —
// forward-mode AD of D16 (of c as a function of zˡ, Wˡ or bˡ; for T1.jac of V ↦ (δˡ)ᵀVaˡ⁻¹),
// over ℚ — as a postcondition: that check uses no f′ and can find a wrong derivative.
//
// Every function takes the loss ℓ (loss.hpp; default the squared error of D9): the proof uses only
// its gradient (L9), so it is carried out once for every loss of the registry.
//
// Notation → C++: ℓ ↦ ell, δˡ ↦ delta[l], Dc̃_l(zˡ) ↦ a 1 × m_l matrix `dc`, zˡ ↦ fwd.z[l],
// aˡ ↦ fwd.a[l], Wˡ ↦ net.layers[l−1].W.
//
// Usage (tests/induction_test.cpp, case usage_example_of_induction_hpp):
//   auto proof = matbp::backprop_by_induction(net, x, y);
//   for (auto& s : proof.steps) assert(matbp::holds_exactly(s.eq));   // every step, every layer
//   proof.dW[l], proof.db[l]                                           // ∇_{Wˡ}c, ∇_{bˡ}c

#include "matbp/contract.hpp"
#include "matbp/elementary.hpp"
#include "matbp/equation.hpp"
#include "matbp/jacobian.hpp"
#include "matbp/kron.hpp"
#include "matbp/network.hpp"

#include <string>
#include <vector>

namespace matbp {

/// D15 the backpropagated errors δ¹ … δᵏ of one sample (delta[0] is empty).
/// Requires: fwd is forward(net, x) for one sample; y is m_k × 1.
template <scalar T>
std::vector<matrix<T>> backpropagated_errors(const mlp<T>& net, const forward_values<T>& fwd, const matrix<T>& y,
                                             const loss_function<T>& ell = squared_error_loss{}) {
    const Eigen::Index k = net.depth();
    MATBP_REQUIRE("D15", static_cast<Eigen::Index>(fwd.z.size()) == k + 1 && fwd.a.back().cols() == 1);
    MATBP_REQUIRE("D15", y.rows() == net.width(k) && y.cols() == 1);
    std::vector<matrix<T>> delta(k + 1);
    delta[k] = mul(diag_of_derivative(net.layers[k - 1].f, fwd.z[k]), loss_gradient(ell, fwd.a[k], y));
    for (Eigen::Index l = k - 1; l >= 1; --l)
        delta[l] =
            mul(diag_of_derivative(net.layers[l - 1].f, fwd.z[l]), mul(net.layers[l].W.transpose(), delta[l + 1]));
    return delta;
}

/// D16 c̃_l as a callable z ↦ 1×1 matrix, generic in the scalar (for forward-mode AD).
/// Requires: 1 ≤ l ≤ k; y is m_k × 1. The network and y are copied into the callable.
// T1.base (i), T1.step (i), T1.W (i), T1.b (i): c̃_l, the cost as a function of zˡ.
template <scalar T>
auto cost_as_function_of_potential(const mlp<T>& net, Eigen::Index l, const matrix<T>& y,
                                   const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("D16", l >= 1 && l <= net.depth());
    MATBP_REQUIRE("D16", y.rows() == net.width(net.depth()) && y.cols() == 1);
    return [net, l, y, ell](const auto& z) {
        using S = typename std::decay_t<decltype(z)>::Scalar;
        matrix<S> a = elementwise(net.layers[l - 1].f, matrix<S>(z));
        for (Eigen::Index j = l + 1; j <= net.depth(); ++j) {
            const auto& L = net.layers[j - 1];
            a = elementwise(L.f, affine_potential<S>(L.W.template cast<S>(), a, L.b.template cast<S>()));
        }
        matrix<S> c(1, 1);
        c(0, 0) = sample_cost(ell, a, matrix<S>(y.template cast<S>()));
        return c;
    };
}

/// (Dc̃_l(zˡ))ᵀ by definition: forward-mode AD of D16 at zˡ. Exact and double only.
template <scalar T>
matrix<T> potential_gradient_by_definition(const mlp<T>& net, const forward_values<T>& fwd, Eigen::Index l,
                                           const matrix<T>& y, const loss_function<T>& ell = squared_error_loss{}) {
    return jacobian_by_definition(cost_as_function_of_potential(net, l, y, ell), fwd.z[l]).transpose();
}

/// P1 the claim P(l): lhs = (Dc̃_l(zˡ))ᵀ by definition (AD of D16), rhs = δˡ (D15).
/// Requires: x is m₀ × 1, y is m_k × 1, 1 ≤ l ≤ k.
template <scalar T>
equation<matrix<T>> claim_potential_gradient_eq_delta(const mlp<T>& net, const matrix<T>& x, const matrix<T>& y,
                                                      Eigen::Index l,
                                                      const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("P1", l >= 1 && l <= net.depth());
    const auto fwd = forward(net, x);
    const auto delta = backpropagated_errors(net, fwd, y, ell);
    return {"P1", potential_gradient_by_definition(net, fwd, l, y, ell), delta[l]};
}

/// T1.base P(k): lhs = (Dc̃_k(zᵏ))ᵀ by the chain rule, rhs = δᵏ as backpropagated_errors computes it.
/// Requires: fwd is forward(net, x) for one sample; y is m_k × 1.
template <scalar T>
equation<matrix<T>> potential_gradient_at_output_eq_delta(const mlp<T>& net, const forward_values<T>& fwd,
                                                          const matrix<T>& y,
                                                          const loss_function<T>& ell = squared_error_loss{}) {
    const Eigen::Index k = net.depth();
    MATBP_REQUIRE("T1.base", static_cast<Eigen::Index>(fwd.z.size()) == k + 1 && fwd.a.back().cols() == 1);
    MATBP_REQUIRE("T1.base", y.rows() == net.width(k) && y.cols() == 1);
    const auto& f = net.layers[k - 1].f;
    // T1.base (i): c̃_k = ℓ ∘ f⃗ᵏ (D16).
    // T1.base (ii): chain rule (L6): Dc̃_k(zᵏ) = Dℓ(aᵏ) · Df⃗ᵏ(zᵏ).
    // T1.base (iii): L9 and L7: = ∇ℓ_y(aᵏ)ᵀ diag(fᵏ′(zᵏ)) (for the squared error (aᵏ − y)ᵀ diag(fᵏ′(zᵏ))).
    const matrix<T> dc = mul(d_loss(ell, fwd.a[k], y), diag_of_derivative(f, fwd.z[k]));
    // T1.base (iv): transpose (diag is symmetric): the right side is δᵏ of D15, as the algorithm
    // computes it. lhs == rhs is algebra (transpose, diag symmetric) on the same f′ and ∇ℓ: it
    // catches a transcription error of D15, never a wrong derivative; the AD postcondition does.
    const matrix<T> delta_k = backpropagated_errors(net, fwd, y, ell)[k];
    if constexpr (exact_field<T>)
        MATBP_ENSURE_EXPENSIVE("T1.base",
                               same_matrix(dc.transpose(), potential_gradient_by_definition(net, fwd, k, y, ell)));
    return {"T1.base", dc.transpose(), delta_k};
}

/// T1.step P(l+1) ⇒ P(l). Given the hypothesis — dc_next = Dc̃_{l+1}(zˡ⁺¹) (1 × m_{l+1}) equal to
/// (δˡ⁺¹)ᵀ — returns lhs = (Dc̃_l(zˡ))ᵀ by the chain rule, rhs = δˡ as backpropagated_errors
/// computes it (D15). delta_next enters only the hypothesis.
/// Requires: 1 ≤ l < k; dc_next is 1 × m_{l+1}; delta_next is m_{l+1} × 1; over ℚ the hypothesis
/// dc_nextᵀ = delta_next holds.
template <scalar T>
equation<matrix<T>> potential_gradient_step_eq_delta(const mlp<T>& net, const forward_values<T>& fwd,
                                                     const matrix<T>& y, Eigen::Index l, const matrix<T>& dc_next,
                                                     const matrix<T>& delta_next,
                                                     const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("T1.step", l >= 1 && l < net.depth());
    MATBP_REQUIRE("T1.step", static_cast<Eigen::Index>(fwd.z.size()) == net.depth() + 1);
    MATBP_REQUIRE("T1.step", dc_next.rows() == 1 && dc_next.cols() == net.width(l + 1));
    MATBP_REQUIRE("T1.step", delta_next.rows() == net.width(l + 1) && delta_next.cols() == 1);
    if constexpr (exact_field<T>) MATBP_REQUIRE("T1.step", same_matrix(dc_next.transpose(), delta_next));
    const auto& W_next = net.layers[l].W;
    const matrix<T> D = diag_of_derivative(net.layers[l - 1].f, fwd.z[l]);
    // T1.step (i): c̃_l(z) = c̃_{l+1}(Wˡ⁺¹ f⃗ˡ(z) + bˡ⁺¹) (D16).
    // T1.step (ii): chain rule (L6) with L8.a and L7: Dc̃_l(zˡ) = Dc̃_{l+1}(zˡ⁺¹) · Wˡ⁺¹ · diag(fˡ′(zˡ)).
    const matrix<T> dc = mul(mul(dc_next, W_next), D);
    // T1.step (iii): transpose and use P(l+1): = diag(fˡ′(zˡ)) (Wˡ⁺¹)ᵀ δˡ⁺¹ = δˡ (D15), the right
    // side as the algorithm computes it. Given the hypothesis, lhs == rhs is algebra on the same
    // f′ (a tautology unless backpropagated_errors mistranscribes D15); the AD postcondition is
    // the check that can find a wrong derivative.
    const matrix<T> delta_l = backpropagated_errors(net, fwd, y, ell)[l];
    if constexpr (exact_field<T>)
        MATBP_ENSURE_EXPENSIVE("T1.step",
                               same_matrix(dc.transpose(), potential_gradient_by_definition(net, fwd, l, y, ell)));
    return {"T1.step", dc.transpose(), delta_l};
}

/// T1.jac (δˡ)ᵀ((aˡ⁻¹)ᵀ ⊗ I_{m_l}) = (vec(δˡ(aˡ⁻¹)ᵀ))ᵀ: lhs the Jacobian form, rhs the transposed
/// vec of the gradient form.
/// Requires: delta and a_prev are columns.
// T1.W (iv): by T1.jac, D_{vec Wˡ} c = (vec(δˡ (aˡ⁻¹)ᵀ))ᵀ.
template <scalar T>
equation<matrix<T>> jacobian_form_eq_vec_of_gradient(const matrix<T>& delta, const matrix<T>& a_prev) {
    MATBP_REQUIRE("T1.jac", delta.cols() == 1 && a_prev.cols() == 1);
    const matrix<T> lhs = mul(delta.transpose(), d_potential_d_weights(a_prev, delta.rows()));
    // T1.jac: L1 with A = I, B = δˡ, C = (aˡ⁻¹)ᵀ gives vec(δˡ(aˡ⁻¹)ᵀ) = (aˡ⁻¹ ⊗ I)δˡ; L3 transposes it.
    const auto l1 = vec_of_product_eq_kron_vec<T>(identity<T>(delta.rows()), delta, a_prev.transpose());
    MATBP_ENSURE_EXPENSIVE("T1.jac", !exact_field<T> || same_matrix(l1.lhs, l1.rhs));
    // By definition: the left side is the Jacobian of the linear map V ↦ (δˡ)ᵀ V aˡ⁻¹ (D6, AD).
    if constexpr (exact_field<T>)
        if (current_contract_level() >= contract_level::expensive) {
            auto form = [&](const auto& V) {
                using S = typename std::decay_t<decltype(V)>::Scalar;
                return matrix<S>(mul(mul(delta.transpose().template cast<S>(), V), a_prev.template cast<S>()));
            };
            const matrix<T> at_zero = matrix<T>::Zero(delta.rows(), a_prev.rows());
            MATBP_ENSURE_EXPENSIVE("T1.jac", same_matrix(lhs, jacobian_by_definition(form, at_zero)));
        }
    return {"T1.jac", lhs, l1.lhs.transpose()};
}

/// c as a function of Wˡ (bias = false) or of bˡ (bias = true), everything else fixed: D16 after
/// D8, generic in the scalar (for forward-mode AD). Requires: 1 ≤ l ≤ k; y is m_k × 1.
template <scalar T>
auto cost_as_function_of_layer_parameter(const mlp<T>& net, const forward_values<T>& fwd, Eigen::Index l,
                                         const matrix<T>& y, const loss_function<T>& ell, bool bias) {
    MATBP_REQUIRE("D16", l >= 1 && l <= net.depth() && l < static_cast<Eigen::Index>(fwd.a.size()));
    const auto ct = cost_as_function_of_potential(net, l, y, ell);
    const matrix<T> a_prev = fwd.a[l - 1], W = net.layers[l - 1].W, b = net.layers[l - 1].b;
    return [ct, a_prev, W, b, bias](const auto& P) {
        using S = typename std::decay_t<decltype(P)>::Scalar;
        const matrix<S> Ws = bias ? matrix<S>(W.template cast<S>()) : matrix<S>(P);
        const matrix<S> bs = bias ? matrix<S>(P) : matrix<S>(b.template cast<S>());
        return ct(affine_potential<S>(Ws, a_prev.template cast<S>(), bs));
    };
}

/// T1.W the conclusion for Wˡ: lhs = ∇_{Wˡ}c read off (D6) the Jacobian the chain rule gives,
/// rhs = δˡ(aˡ⁻¹)ᵀ. At the expensive level over ℚ the left side is also ∇_{Wˡ}c by definition
/// (AD of c as a function of Wˡ).
/// Requires: 1 ≤ l ≤ k; fwd is forward(net, x); y is m_k × 1; dc = Dc̃_l(zˡ) is 1 × m_l; delta is
/// m_l × 1; over ℚ, P(l): dcᵀ = delta.
template <scalar T>
equation<matrix<T>> weight_gradient_eq_delta_times_activation(const mlp<T>& net, const forward_values<T>& fwd,
                                                              const matrix<T>& y, Eigen::Index l, const matrix<T>& dc,
                                                              const matrix<T>& delta,
                                                              const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("T1.W", l >= 1 && l < static_cast<Eigen::Index>(fwd.z.size()) && l <= net.depth());
    const Eigen::Index m = fwd.z[l].rows();
    MATBP_REQUIRE("T1.W", dc.rows() == 1 && dc.cols() == m && delta.rows() == m && delta.cols() == 1);
    if constexpr (exact_field<T>) MATBP_REQUIRE("T1.W", same_matrix(dc.transpose(), delta));
    const matrix<T>& a_prev = fwd.a[l - 1];
    // T1.W (i): c = c̃_l(Wˡaˡ⁻¹ + bˡ) as a function of Wˡ (D16).
    // T1.W (ii): chain rule (L6) with L8.W: D_{vec Wˡ}c = Dc̃_l(zˡ)((aˡ⁻¹)ᵀ ⊗ I).
    const matrix<T> jac = mul(dc, d_potential_d_weights(a_prev, m));
    // T1.W (iii)–(iv): P(l) and T1.jac: = (δˡ)ᵀ((aˡ⁻¹)ᵀ ⊗ I) = (vec(δˡ(aˡ⁻¹)ᵀ))ᵀ.
    // T1.W (v): gradient layout (D6): ∇_{Wˡ}c = unvec(D_{vec Wˡ}cᵀ) = δˡ(aˡ⁻¹)ᵀ.
    const matrix<T> grad = gradient_from_jacobian(jac, m, a_prev.rows());
    if constexpr (exact_field<T>)
        if (current_contract_level() >= contract_level::expensive) {
            const auto c_of_W = cost_as_function_of_layer_parameter(net, fwd, l, y, ell, false);
            MATBP_ENSURE_EXPENSIVE(
                "T1.W", same_matrix(grad, gradient_from_jacobian(jacobian_by_definition(c_of_W, net.layers[l - 1].W), m,
                                                                 a_prev.rows())));
        }
    // lhs == rhs given P(l) is algebra (L1, L3); the AD postcondition is independent of f′.
    return {"T1.W", grad, mul(delta, a_prev.transpose())};
}

/// T1.b the conclusion for bˡ: lhs = ∇_{bˡ}c from the chain rule, rhs = δˡ. At the expensive
/// level over ℚ the left side is also ∇_{bˡ}c by definition (AD of c as a function of bˡ).
/// Requires: as T1.W.
template <scalar T>
equation<matrix<T>> bias_gradient_eq_delta(const mlp<T>& net, const forward_values<T>& fwd, const matrix<T>& y,
                                           Eigen::Index l, const matrix<T>& dc, const matrix<T>& delta,
                                           const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("T1.b", l >= 1 && l < static_cast<Eigen::Index>(fwd.z.size()) && l <= net.depth());
    const Eigen::Index m = fwd.z[l].rows();
    MATBP_REQUIRE("T1.b", dc.rows() == 1 && dc.cols() == m && delta.rows() == m && delta.cols() == 1);
    if constexpr (exact_field<T>) MATBP_REQUIRE("T1.b", same_matrix(dc.transpose(), delta));
    // T1.b (i): c = c̃_l(Wˡaˡ⁻¹ + bˡ) as a function of bˡ (D16).
    // T1.b (ii): chain rule (L6) with L8.b: D_{bˡ}c = Dc̃_l(zˡ) · I.
    const matrix<T> jac = mul(dc, identity<T>(m));
    const matrix<T> grad = gradient_from_jacobian(jac, m, 1);
    if constexpr (exact_field<T>)
        if (current_contract_level() >= contract_level::expensive) {
            const auto c_of_b = cost_as_function_of_layer_parameter(net, fwd, l, y, ell, true);
            MATBP_ENSURE_EXPENSIVE(
                "T1.b",
                same_matrix(grad, gradient_from_jacobian(jacobian_by_definition(c_of_b, net.layers[l - 1].b), m, 1)));
        }
    // T1.b (iii): P(l): = (δˡ)ᵀ; the gradient is its transpose (D6). Given P(l) (a precondition
    // over ℚ) lhs == rhs is a tautology (multiplication by I, transposition): the AD
    // postcondition above is the check that can fail.
    return {"T1.b", grad, delta};
}

/// One proof step as carried out on numbers: which statement, at which layer, by which function.
template <scalar T>
struct proof_step {
    Eigen::Index layer;
    std::string function;
    equation<matrix<T>> eq;
};

template <scalar T>
struct induction_result {
    forward_values<T> fwd;
    std::vector<matrix<T>> delta;      ///< δˡ, l = 1 … k (delta[0] empty)
    std::vector<matrix<T>> dW, db;     ///< ∇_{Wˡ}c, ∇_{bˡ}c, l = 1 … k (index 0 empty)
    std::vector<proof_step<T>> steps;  ///< T1.base, T1.step (l = k−1 … 1), T1.W, T1.jac, T1.b per layer
};

/// T1 backpropagation by induction for one sample: P(k) by T1.base, P(l) from P(l+1) by T1.step,
/// then T1.W, T1.jac and T1.b at every layer. Returns every step's two sides.
/// Requires: x is m₀ × 1, y is m_k × 1.
template <scalar T>
induction_result<T> backprop_by_induction(const mlp<T>& net, const matrix<T>& x, const matrix<T>& y,
                                          const loss_function<T>& ell = squared_error_loss{}) {
    induction_result<T> r;
    r.fwd = forward(net, x);
    r.delta = backpropagated_errors(net, r.fwd, y, ell);
    const Eigen::Index k = net.depth();
    std::vector<matrix<T>> dc(k + 1);  // Dc̃_l(zˡ) as the proof derives it
    // T1 (base case): P(k).
    // T1 (i): P(k) by the base case, then P(l) from P(l+1) for l = k−1 … 1.
    auto base = potential_gradient_at_output_eq_delta(net, r.fwd, y, ell);
    dc[k] = base.lhs.transpose();
    r.steps.push_back({k, "potential_gradient_at_output_eq_delta", std::move(base)});
    // T1 (inductive step), downward: P(l+1) ⇒ P(l).
    for (Eigen::Index l = k - 1; l >= 1; --l) {
        auto step = potential_gradient_step_eq_delta(net, r.fwd, y, l, dc[l + 1], r.delta[l + 1], ell);
        dc[l] = step.lhs.transpose();
        r.steps.push_back({l, "potential_gradient_step_eq_delta", std::move(step)});
    }
    // T1 (conclusion) at every layer.
    // T1 (ii): T1.W and T1.b turn each P(l) into the gradients.
    r.dW.resize(k + 1);
    r.db.resize(k + 1);
    for (Eigen::Index l = 1; l <= k; ++l) {
        auto w = weight_gradient_eq_delta_times_activation(net, r.fwd, y, l, dc[l], r.delta[l], ell);
        auto j = jacobian_form_eq_vec_of_gradient(r.delta[l], r.fwd.a[l - 1]);
        auto b = bias_gradient_eq_delta(net, r.fwd, y, l, dc[l], r.delta[l], ell);
        r.dW[l] = w.lhs;
        r.db[l] = b.lhs;
        r.steps.push_back({l, "weight_gradient_eq_delta_times_activation", std::move(w)});
        r.steps.push_back({l, "jacobian_form_eq_vec_of_gradient", std::move(j)});
        r.steps.push_back({l, "bias_gradient_eq_delta", std::move(b)});
    }
    return r;
}

}  // namespace matbp
