#pragma once
// matbp/dyadic.hpp — the exact fast path of C1 for float64-valued piecewise-linear networks.
//
// Every double is a dyadic rational m·2^e. With identity, ReLU and leaky ReLU (dyadic slope)
// activations and the squared-error or mse loss under reduction sum, backpropagation uses only
// +, − and ×, so every number it computes is dyadic too. This engine stores each matrix as GMP
// integers with one shared binary exponent (block floating point): products are integer products
// (mpz_addmul, no temporaries), sums align exponents by shifting, nothing is ever rounded and no
// gcd is ever taken. The mean's 1/n (or 1/(n·m_k)) is applied at the end, in ℚ.
//
// It is a second implementation of C1 (backprop.hpp is the first): tests/dyadic_test.cpp checks
// it against the rational algorithm for equality on random float64-valued networks.
//
// Usage (tests/dyadic_test.cpp, case usage_example_of_dyadic_hpp):
//   if (auto g = matbp::dyadic_backprop(net, X, Y, loss::mse, reduction::mean)) use(*g);
//   // nullopt: the network or data is not of the kind above (use backprop<exact>)

#include "matbp/backprop.hpp"
#include "matbp/network.hpp"

#include <optional>

namespace matbp {

/// True iff q's denominator is a power of two.
bool is_dyadic(const exact& q);

/// Called with each stage ("potential", "activation", "delta"), its layer, and a bound on the
/// bits of any numerator or denominator it holds; may throw to stop (resource limits).
using size_observer = std::function<void(const char* stage, Eigen::Index layer, std::size_t bits)>;

/// C1 by exact dyadic arithmetic; the same values as backprop<exact>. nullopt unless every
/// parameter, input and target is dyadic, every activation is identity, ReLU or leaky ReLU with a
/// dyadic slope, and the loss is squared_error or mse.
std::optional<gradient_result<exact>> dyadic_backprop(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, loss kind, reduction red,
                                                      const size_observer* observe = nullptr);

}  // namespace matbp
