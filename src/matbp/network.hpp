#pragma once
// matbp/network.hpp — the multilayer perceptron (D12), its per-sample cost (D13) and its batch
// form and batch cost (D14).
//
// Statements (spec/network.md)
//   D12  Depth k ≥ 1, widths m₀ … m_k ≥ 1, Wˡ ∈ ℝ^{m_l×m_{l−1}} (row = output unit, PyTorch's
//        nn.Linear.weight layout), bˡ ∈ ℝ^{m_l}, activation fˡ. Forward pass a⁰ = x,
//        zˡ = Wˡaˡ⁻¹ + bˡ, aˡ = f⃗ˡ(zˡ), l = 1 … k.
//   D13  c = ℓ_y(aᵏ) with ℓ a loss of the registry (D9, loss.hpp); the paper's is the squared error.
//   D14  Samples as columns: A⁰ = X ∈ ℝ^{m₀×n}, Zˡ = WˡAˡ⁻¹ + bˡ1ₙᵀ, Aˡ = f⃗ˡ(Zˡ);
//        C = ρ Σᵢ ℓ_{yᵢ}(aᵏᵢ) with ρ = 1 (reduction sum) or, for mean, 1/n (losses averaged over
//        samples: squared_error, softmax_cross_entropy) or 1/(n·m_k) (averaged over entries,
//        as PyTorch does: mse, huber, l1).
//
// Notation → C++: Wˡ ↦ net.layers[l−1].W, bˡ ↦ net.layers[l−1].b (an m_l × 1 matrix),
// fˡ ↦ net.layers[l−1].f, zˡ ↦ fwd.z[l], aˡ ↦ fwd.a[l] (fwd.z[0] is empty), k ↦ net.depth().
//
// Usage (tests/network_test.cpp, case usage_example_of_network_hpp):
//   matbp::mlp<matbp::exact> net = …;                 // layers {W, b, f}
//   auto fwd = matbp::forward(net, x);                 // fwd.z[l], fwd.a[l]
//   matbp::exact c = matbp::sample_cost(net, x, y);    // ½‖aᵏ − y‖²

#include "matbp/activation.hpp"
#include "matbp/contract.hpp"
#include "matbp/convert.hpp"
#include "matbp/elementary.hpp"
#include "matbp/loss.hpp"
#include "matbp/scalar.hpp"

#include <functional>
#include <string>
#include <vector>

namespace matbp {

template <scalar T>
struct layer {
    matrix<T> W;  ///< m_l × m_{l−1}
    matrix<T> b;  ///< m_l × 1
    activation<T> f;
};

/// D12 a multilayer perceptron.
template <scalar T>
struct mlp {
    std::vector<layer<T>> layers;  ///< layers[l−1] holds Wˡ, bˡ, fˡ
    Eigen::Index depth() const { return static_cast<Eigen::Index>(layers.size()); }
    /// m_l, l = 0 … k.
    Eigen::Index width(Eigen::Index l) const { return l == 0 ? layers.front().W.cols() : layers[l - 1].W.rows(); }
};

/// D12 shape conditions: k ≥ 1, every width ≥ 1, Wˡ is m_l × m_{l−1}, bˡ is m_l × 1, polynomial
/// activations have at least one coefficient.
template <scalar T>
bool well_formed(const mlp<T>& net) {
    if (net.layers.empty()) return false;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const auto& L = net.layers[l];
        if (L.W.rows() < 1 || L.W.cols() < 1) return false;
        if (L.b.rows() != L.W.rows() || L.b.cols() != 1) return false;
        if (l > 0 && L.W.cols() != net.layers[l - 1].W.rows()) return false;
        if (auto* p = std::get_if<polynomial_fn<T>>(&L.f); p && p->coefficients.empty()) return false;
    }
    return true;
}

/// Called with each matrix a pass computes — stage "potential" (Zˡ, before fˡ is applied),
/// "activation" (Aˡ), "delta" (Δˡ) — and its layer l; it may throw to stop the computation
/// (the oracle's resource limits do). Observing changes nothing that is computed.
template <class T>
using layer_observer = std::function<void(const char* stage, Eigen::Index layer, const matrix<T>&)>;

/// Every potential and activation of a forward pass; one column per sample.
template <class T>
struct forward_values {
    std::vector<matrix<T>> z;  ///< z[l], l = 1 … k (z[0] is empty)
    std::vector<matrix<T>> a;  ///< a[l], l = 0 … k (a[0] = input)
};

/// D14 forward pass over a batch (samples as columns), written into fwd: every fwd.z[l] and fwd.a[l]
/// keeps its storage when its shape is the one of the call before (a workspace, backprop.hpp), so
/// repeated passes on one network and batch shape allocate no matrix. The same values as
/// forward_batch. Requires: as forward_batch (fwd may hold anything).
template <scalar T>
void forward_batch_into(const mlp<T>& net, const matrix<T>& X, forward_values<T>& fwd,
                        const layer_observer<T>* observe = nullptr) {
    MATBP_REQUIRE("D12", well_formed(net));
    MATBP_REQUIRE("D14", X.rows() == net.width(0) && X.cols() >= 1);
    const std::size_t k = net.layers.size();
    fwd.z.resize(k + 1);
    fwd.a.resize(k + 1);
    fwd.z[0].resize(0, 0);
    fwd.a[0] = X;
    for (std::size_t l = 1; l <= k; ++l) {
        const auto& L = net.layers[l - 1];
        matrix<T>& Z = fwd.z[l];
        // Zˡ = WˡAˡ⁻¹ + bˡ1ₙᵀ, Aˡ = f⃗ˡ(Zˡ)
        // C1 (i): column i of Zˡ and Aˡ is the forward pass of sample i.
        mul_into(Z, L.W, fwd.a[l - 1]);
        Z.colwise() += L.b.col(0);
        if (observe) (*observe)("potential", static_cast<Eigen::Index>(l), Z);
        elementwise_into(L.f, Z, fwd.a[l]);
        if (observe) (*observe)("activation", static_cast<Eigen::Index>(l), fwd.a[l]);
    }
}

/// D14 forward pass over a batch (samples as columns); with one column it is D12's.
/// Requires: well_formed(net), X.rows() == m₀, X.cols() ≥ 1.
template <scalar T>
forward_values<T> forward_batch(const mlp<T>& net, const matrix<T>& X, const layer_observer<T>* observe = nullptr) {
    forward_values<T> fwd;
    forward_batch_into(net, X, fwd, observe);
    return fwd;
}

/// D12 forward pass for one sample.
/// Requires: well_formed(net), x is an m₀ × 1 column.
template <scalar T>
forward_values<T> forward(const mlp<T>& net, const matrix<T>& x) {
    MATBP_REQUIRE("D12", x.cols() == 1);
    return forward_batch(net, x);
}

/// D13 c = ℓ_y(aᵏ) (by default the squared error ½‖aᵏ − y‖², D9).
/// Requires: well_formed(net), x is m₀ × 1, y is m_k × 1.
template <scalar T>
T sample_cost(const mlp<T>& net, const matrix<T>& x, const matrix<T>& y,
              const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("D12", well_formed(net));  // first: width() reads the layers
    MATBP_REQUIRE("D13", y.cols() == 1 && y.rows() == net.width(net.depth()));
    const auto fwd = forward(net, x);
    return sample_cost(ell, fwd.a.back(), y);
}

/// D14 the batch cost ρ Σᵢ ℓ_{yᵢ}(aᵢ) of output activations A (m_k × n) against targets Y.
/// Requires: A and Y have one shape with n ≥ 1 columns.
template <scalar T>
T cost_of_outputs(const matrix<T>& A, const matrix<T>& Y, const loss_function<T>& ell, reduction red) {
    MATBP_REQUIRE("D14", A.rows() == Y.rows() && A.cols() == Y.cols() && A.cols() >= 1);
    T c(0);
    for (Eigen::Index j = 0; j < A.cols(); ++j) c += sample_cost(ell, matrix<T>(A.col(j)), matrix<T>(Y.col(j)));
    return T(c * reduction_scale<T>(ell, red, A.cols(), A.rows()));
}

/// D14 batch cost C.
/// Requires: X is m₀ × n, Y is m_k × n, n ≥ 1.
template <scalar T>
T batch_cost(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y, reduction red,
             const loss_function<T>& ell = squared_error_loss{}) {
    MATBP_REQUIRE("D14", well_formed(net));  // first: width() reads the layers
    MATBP_REQUIRE("D14", Y.rows() == net.width(net.depth()) && Y.cols() == X.cols());
    return cost_of_outputs(forward_batch(net, X).a.back(), Y, ell, red);
}

/// D11 a unit whose potential is at a kink of its activation (site activation), or an output
/// unit at a kink of the loss (site loss, l1 at a zero residual; layer k): layer l (1-based, as in
/// the statements), sample (column), unit (row), all as the JSON arrays index them except layer.
enum class kink_site { activation, loss };
struct kink {
    Eigen::Index layer, sample, unit;
    kink_site site = kink_site::activation;
    friend bool operator==(const kink&, const kink&) = default;
};

/// D11 every (layer, sample, unit) of a forward pass whose potential is (may be) at a kink.
template <scalar T>
std::vector<kink> find_kinks(const mlp<T>& net, const forward_values<T>& fwd) {
    std::vector<kink> out;
    for (Eigen::Index l = 1; l <= net.depth(); ++l) {
        const auto& Z = fwd.z[l];
        for (Eigen::Index j = 0; j < Z.cols(); ++j)
            for (Eigen::Index i = 0; i < Z.rows(); ++i)
                if (is_kink(net.layers[l - 1].f, Z(i, j))) out.push_back({l, j, i});
    }
    return out;
}

/// D11 for the loss: every (sample, output unit) whose value is (may be) at a kink of ℓ, as kinks
/// of site loss at layer k. Requires: A and Y have one shape.
template <scalar T>
std::vector<kink> find_loss_kinks(const loss_function<T>& ell, const matrix<T>& A, const matrix<T>& Y, Eigen::Index k) {
    MATBP_REQUIRE("D11", A.rows() == Y.rows() && A.cols() == Y.cols());
    std::vector<kink> out;
    for (Eigen::Index j = 0; j < A.cols(); ++j)
        for (Eigen::Index i = 0; i < A.rows(); ++i)
            if (loss_kink_at(ell, A(i, j), Y(i, j))) out.push_back({k, j, i, kink_site::loss});
    return out;
}

/// An exact network with every parameter converted to U (rounded, or enclosed for intervals).
template <scalar U>
mlp<U> convert_network(const mlp<exact>& net) {
    mlp<U> out;
    for (const auto& L : net.layers)
        out.layers.push_back({from_exact<U>(L.W), from_exact<U>(L.b), convert_activation<U>(L.f)});
    return out;
}

}  // namespace matbp
