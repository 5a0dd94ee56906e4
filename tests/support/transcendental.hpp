#pragma once
// Networks with transcendental activations for property tests over real and interval types: an
// exact random network (support/reference.hpp) converted, with each layer's activation replaced.
// And probability targets (C2): nonnegative columns that sum to 1.

#include "matbp/activation.hpp"
#include "matbp/network.hpp"

#include <vector>

namespace matbp::testing {

/// net converted to T, layer l's activation by kinds[l mod size]: 0 tanh, 1 logistic,
/// 2 softplus, anything else identity.
template <scalar T>
mlp<T> with_transcendental(const mlp<exact>& net, const std::vector<int>& kinds) {
    mlp<T> out = convert_network<T>(net);
    for (std::size_t l = 0; l < out.layers.size(); ++l) {
        const int kind = kinds[l % kinds.size()];
        if (kind == 0)
            out.layers[l].f = tanh_fn{};
        else if (kind == 1)
            out.layers[l].f = logistic_fn{};
        else if (kind == 2)
            out.layers[l].f = softplus_fn{};
        else
            out.layers[l].f = identity_fn{};
    }
    return out;
}

/// Each column of |Y| divided by its sum (a column of zeros becomes uniform): probability targets.
inline matrix<exact> probability_columns(const matrix<exact>& Y) {
    matrix<exact> P = Y.unaryExpr([](const exact& v) { return exact(bmp::abs(v)); });
    for (Eigen::Index j = 0; j < P.cols(); ++j) {
        const exact s = P.col(j).sum();
        for (Eigen::Index i = 0; i < P.rows(); ++i)
            P(i, j) = s == 0 ? exact(1) / exact(static_cast<long>(P.rows())) : exact(P(i, j) / s);
    }
    return P;
}

}  // namespace matbp::testing
