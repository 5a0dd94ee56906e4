#pragma once
// matbp/backprop.hpp — backpropagation as users call it: the batch matrix form of C1, written for
// speed (Eigen products, no per-entry Jacobians), over any scalar type; and C2.
//
// Statements (spec/theorem.md)
//   C1  Δᵏ = ρ · fᵏ′(Zᵏ) ⊙ G with G = ∇ℓ(Aᵏ) column by column (L9; Aᵏ − Y for the squared
//       error) and ρ the reduction's factor (D14), Δˡ = fˡ′(Zˡ) ⊙ ((Wˡ⁺¹)ᵀΔˡ⁺¹):
//       ∇_{Wˡ}C = Δˡ(Aˡ⁻¹)ᵀ, ∇_{bˡ}C = Δˡ1ₙ — ρ times the sum of the per-sample gradients of T1.
//   C2  Softmax output with cross-entropy: δᵏ = softmax(zᵏ)·Σⱼyⱼ − y (= softmax(zᵏ) − y for a
//       probability vector y). Real and interval types only (loss.hpp).
//
// The loss enters only through G and ρ (loss.hpp: loss_gradient, reduction_scale).
//
// Notation → C++: Δˡ ↦ Delta (ws.delta[l]), ∇_{Wˡ}C ↦ result.dW[l], ∇_{bˡ}C ↦ result.db[l].
//
// Usage (tests/backprop_test.cpp, case usage_example_of_backprop_hpp):
//   auto g = matbp::backprop(net, X, Y);               // squared error, mean over samples
//   g.cost; g.dW[1]; g.db[1]; g.kinks;
//   matbp::backprop_workspace<double> ws;              // repeated calls: storage kept in ws
//   const auto& h = matbp::backprop(ws, net, X, Y);    // the same values as backprop(net, X, Y)

#include "matbp/activation.hpp"
#include "matbp/contract.hpp"
#include "matbp/jacobian.hpp"
#include "matbp/network.hpp"

#include <vector>

namespace matbp {

template <scalar T>
struct gradient_result {
    T cost;
    std::vector<matrix<T>> dW, db;  ///< index l = 1 … k (index 0 empty)
    std::vector<kink> kinks;        ///< D11: units whose potential hit a kink
};

/// fˡ′ applied entrywise to Z.
template <scalar T>
matrix<T> derivative_at(const activation<T>& f, const matrix<T>& Z) {
    return Z.unaryExpr([&](const T& z) { return derivative(f, z); });
}

/// D14 the batch cost C as a function of Wˡ (bias = false) or bˡ (bias = true), everything else
/// fixed; generic in the scalar, for forward-mode AD (C1's expensive postcondition). The callable
/// refers to net, X, Y and ell: it must not outlive them.
/// Requires: as backprop; 1 ≤ l ≤ k.
template <scalar T>
auto batch_cost_as_function_of_layer_parameter(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                                               const loss_function<T>& ell, reduction red, Eigen::Index l, bool bias) {
    MATBP_REQUIRE("C1", l >= 1 && l <= net.depth());
    const T scale = reduction_scale<T>(ell, red, X.cols(), Y.rows());
    return [&net, &X, &Y, &ell, scale, l, bias](const auto& P) {
        using S = typename std::decay_t<decltype(P)>::Scalar;
        matrix<S> c(1, 1);
        for (Eigen::Index i = 0; i < X.cols(); ++i) {
            matrix<S> a = matrix<T>(X.col(i)).template cast<S>();
            for (Eigen::Index j = 1; j <= net.depth(); ++j) {
                const auto& L = net.layers[j - 1];
                const matrix<S> W = j == l && !bias ? matrix<S>(P) : matrix<S>(L.W.template cast<S>());
                const matrix<S> b = j == l && bias ? matrix<S>(P) : matrix<S>(L.b.template cast<S>());
                a = elementwise(L.f, affine_potential<S>(W, a, b));
            }
            const S ci = sample_cost(ell, a, matrix<S>(matrix<T>(Y.col(i)).template cast<S>()));
            c(0, 0) = i == 0 ? ci : S(c(0, 0) + ci);
        }
        c(0, 0) = S(c(0, 0) * scale);
        return c;
    };
}

namespace detail {
/// out = (f′(Z) ⊙ G)·s entrywise, out resized only when its shape differs; f's alternative
/// visited once. The values of derivative_at(f, Z).cwiseProduct(G) * s.
template <scalar T>
void output_delta_into(const activation<T>& f, const matrix<T>& Z, const matrix<T>& G, const T& s, matrix<T>& out) {
    if (out.rows() != Z.rows() || out.cols() != Z.cols()) out.resize(Z.rows(), Z.cols());
    std::visit(
        [&](const auto& g) {
            const auto fprime = derivative_function<T>(g);
            for (Eigen::Index j = 0; j < Z.cols(); ++j)
                for (Eigen::Index i = 0; i < Z.rows(); ++i) out(i, j) = T(T(fprime(Z(i, j)) * G(i, j)) * s);
        },
        f);
}

/// M = f′(Z) ⊙ M in place (M has Z's shape); f's alternative visited once. The values of
/// derivative_at(f, Z).cwiseProduct(M).
template <scalar T>
void times_derivative_in_place(const activation<T>& f, const matrix<T>& Z, matrix<T>& M) {
    std::visit(
        [&](const auto& g) {
            const auto fprime = derivative_function<T>(g);
            for (Eigen::Index j = 0; j < Z.cols(); ++j)
                for (Eigen::Index i = 0; i < Z.rows(); ++i) M(i, j) = T(fprime(Z(i, j)) * M(i, j));
        },
        f);
}
}  // namespace detail

/// C1's storage between calls of backprop(ws, …): the forward pass, every Δˡ and the result. A call
/// on the network and batch shapes of the call before allocates no matrix of those shapes (Eigen
/// keeps the storage of a matrix whose size does not change), which for doubles saves the page
/// faults of fresh memory for every large matrix on every call. Any state is a valid start.
template <scalar T>
struct backprop_workspace {
    forward_values<T> fwd;         ///< the last call's forward pass (fwd.z[l], fwd.a[l])
    std::vector<matrix<T>> delta;  ///< delta[l] = Δˡ of the last call, l = 1 … k
    gradient_result<T> result;     ///< the last call's result
};

/// C1 the cost and every gradient of the batch cost, by backpropagation in matrix form, computed in
/// the workspace ws and returned as a reference to ws.result (valid until ws's next use). The same
/// operations in the same order as backprop(net, X, Y, …), which calls this with a fresh workspace,
/// so the same values (C1_workspace_gives_identical_results). At the expensive contract level over
/// ℚ every ∇_{Wˡ}C and ∇_{bˡ}C is also compared with forward-mode AD of the batch cost (D14) as a
/// function of that parameter: a postcondition that uses no f′.
/// Requires: as backprop(net, X, Y, …).
template <scalar T>
const gradient_result<T>& backprop(backprop_workspace<T>& ws, const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                                   const loss_function<T>& ell = squared_error_loss{}, reduction red = reduction::mean,
                                   const layer_observer<T>* observe = nullptr) {
    MATBP_REQUIRE("C1", well_formed(net));
    MATBP_REQUIRE("C1", X.rows() == net.width(0) && X.cols() >= 1);
    MATBP_REQUIRE("C1", Y.rows() == net.width(net.depth()) && Y.cols() == X.cols());
    const Eigen::Index k = net.depth(), n = X.cols();
    forward_batch_into(net, X, ws.fwd, observe);
    const auto& fwd = ws.fwd;
    gradient_result<T>& r = ws.result;
    r.cost = cost_of_outputs(fwd.a[k], Y, ell, red);
    r.kinks = find_kinks(net, fwd);
    for (const auto& kk : find_loss_kinks(ell, fwd.a[k], Y, k)) r.kinks.push_back(kk);
    r.dW.resize(k + 1);
    r.db.resize(k + 1);
    ws.delta.resize(k + 1);

    // Output gradient G = ∇ℓ(Aᵏ) per sample (L9), and the reduction's factor ρ (D14).
    const matrix<T> G = loss_gradient(ell, fwd.a[k], Y);
    const T scale = reduction_scale<T>(ell, red, n, net.width(k));

    // C1 (iii): Δᵏ = fᵏ′(Zᵏ) ⊙ G · ρ, whose column i is ρ δᵏᵢ; C2 (v): with softmax_cross_entropy,
    // G is softmax(Aᵏ) − Y (C2 (iv)).
    detail::output_delta_into(net.layers[k - 1].f, fwd.z[k], G, scale, ws.delta[k]);
    for (Eigen::Index l = k; l >= 1; --l) {
        const matrix<T>& Delta = ws.delta[l];
        if (observe) (*observe)("delta", l, Delta);
        // C1 (iv): ∇_{Wˡ}C = Δˡ(Aˡ⁻¹)ᵀ, ∇_{bˡ}C = Δˡ1ₙ.
        mul_into(r.dW[l], Delta, fwd.a[l - 1].transpose());
        r.db[l] = Delta.rowwise().sum();
        if (l == 1) break;
        // C1 (iii): Δˡ⁻¹ = fˡ⁻¹′(Zˡ⁻¹) ⊙ ((Wˡ)ᵀΔˡ).
        const auto& f_prev = net.layers[l - 2].f;
        matrix<T>& back = ws.delta[l - 1];
        mul_into(back, net.layers[l - 1].W.transpose(), Delta);
        detail::times_derivative_in_place(f_prev, fwd.z[l - 1], back);
    }
    if constexpr (exact_field<T>)
        if (current_contract_level() >= contract_level::expensive)
            for (Eigen::Index l = 1; l <= k; ++l) {
                const auto& L = net.layers[l - 1];
                const auto c_of_W = batch_cost_as_function_of_layer_parameter(net, X, Y, ell, red, l, false);
                const auto c_of_b = batch_cost_as_function_of_layer_parameter(net, X, Y, ell, red, l, true);
                MATBP_ENSURE_EXPENSIVE(
                    "C1", same_matrix(r.dW[l], gradient_from_jacobian(jacobian_by_definition(c_of_W, L.W), L.W.rows(),
                                                                      L.W.cols())));
                MATBP_ENSURE_EXPENSIVE(
                    "C1",
                    same_matrix(r.db[l], gradient_from_jacobian(jacobian_by_definition(c_of_b, L.b), L.b.rows(), 1)));
            }
    return r;
}

/// C1 the cost and every gradient of the batch cost, by backpropagation in matrix form (backprop
/// with a workspace of its own; its result moved out).
/// Requires: well_formed(net); X is m₀ × n, Y is m_k × n, n ≥ 1 (softmax_cross_entropy is not a
/// loss_function<T> for exact T, a compile-time condition).
/// `observe`, when given, sees every potential, activation and Δ as it is computed (network.hpp).
template <scalar T>
gradient_result<T> backprop(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                            const loss_function<T>& ell = squared_error_loss{}, reduction red = reduction::mean,
                            const layer_observer<T>* observe = nullptr) {
    backprop_workspace<T> ws;
    backprop(ws, net, X, Y, ell, red, observe);
    return std::move(ws.result);
}

/// C1 as an equation per parameter: lhs = the batch gradient by backprop, rhs = ρ times the sum of
/// the per-sample gradients of T1 (backprop_by_induction's conclusions are computed by the caller
/// and passed in as sample_dW / sample_db, one vector per sample). Entries: ∇W¹, ∇b¹, ∇W², …
/// Requires: one per-sample result per column of X.
template <scalar T>
std::vector<equation<matrix<T>>> batch_gradient_eq_mean_of_sample_gradients(
    const gradient_result<T>& batch, const std::vector<std::vector<matrix<T>>>& sample_dW,
    const std::vector<std::vector<matrix<T>>>& sample_db, reduction red,
    const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("C1", !sample_dW.empty() && sample_dW.size() == sample_db.size());
    const std::size_t k = batch.dW.size() - 1;
    // ρ of D14: the output width is the rows of the last layer's bias gradient.
    const T scale = reduction_scale<T>(ell, red, static_cast<Eigen::Index>(sample_dW.size()), batch.db[k].rows());
    std::vector<equation<matrix<T>>> out;
    for (std::size_t l = 1; l <= k; ++l) {
        matrix<T> sw = matrix<T>::Zero(batch.dW[l].rows(), batch.dW[l].cols());
        matrix<T> sb = matrix<T>::Zero(batch.db[l].rows(), 1);
        for (std::size_t i = 0; i < sample_dW.size(); ++i) {
            MATBP_REQUIRE("C1", sample_dW[i].size() == k + 1 && sample_db[i].size() == k + 1);
            sw += sample_dW[i][l];
            sb += sample_db[i][l];
        }
        // C1 (ii)–(iv): the batch gradient is ρ Σᵢ of the per-sample gradients.
        out.push_back({"C1", batch.dW[l], matrix<T>(sw * scale)});
        out.push_back({"C1", batch.db[l], matrix<T>(sb * scale)});
    }
    return out;
}

}  // namespace matbp
