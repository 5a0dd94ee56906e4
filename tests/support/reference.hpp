#pragma once
// Two derivative sources that share no code with matbp's algorithm (backprop.hpp) or its proof
// steps (induction.hpp):
//
//  1. reference_gradients_by_ad: forward-mode AD (Eigen AutoDiffScalar over T, one direction per
//     parameter) through a forward pass written here with plain loops. Only the registries'
//     defining formulas are shared — the activations' evaluate (D10) and the losses'
//     sample_cost (D9): they *are* the function being differentiated, and AD never calls
//     derivative() or loss_gradient().
//  2. kronecker_chain_gradients: the literal chain of full Jacobians per sample,
//     D_{vec Wˡ}c = Dℓ(aᵏ)·diag(fᵏ′(zᵏ))·Wᵏ ⋯ Wˡ⁺¹·diag(fˡ′(zˡ))·((aˡ⁻¹)ᵀ ⊗ I),
//     multiplied out, then averaged (or summed) over samples.
// Plus a generator of random exact networks.

#include "matbp/elementary.hpp"
#include "matbp/kron.hpp"
#include "matbp/network.hpp"

#include "support/generators.hpp"

#include <unsupported/Eigen/AutoDiff>

#include <rapidcheck.h>

#include <vector>

namespace matbp {
/// RapidCheck prints these in counterexamples (found by argument-dependent lookup).
inline void showValue(reduction r, std::ostream& os) { os << to_string(r); }
inline void showValue(const loss_function<exact>& l, std::ostream& os) {
    os << loss_name<exact>(l);
    for (const auto& p : registry_parameters<exact>(l)) os << " " << p;
}
}  // namespace matbp

namespace matbp::testing {

template <class T>
struct reference_result {
    T cost;
    std::vector<matrix<T>> dW, db;  // index l = 1 … k
};

/// Source 1: forward-mode AD of the batch cost with respect to every parameter.
template <class T>
reference_result<T> reference_gradients_by_ad(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                                              const loss_function<T>& ell, reduction red) {
    using D = Eigen::AutoDiffScalar<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
    const std::size_t k = net.layers.size();
    Eigen::Index P = 0;
    for (const auto& L : net.layers) P += L.W.size() + L.b.size();
    // Parameters as dual numbers, direction index = position in (vec W¹, b¹, vec W², b², …).
    std::vector<std::vector<std::vector<D>>> W(k);
    std::vector<std::vector<D>> b(k);
    Eigen::Index dir = 0;
    auto seed = [&](const T& v) { return D(v, P, dir++); };
    for (std::size_t l = 0; l < k; ++l) {
        const auto& L = net.layers[l];
        W[l].assign(L.W.rows(), std::vector<D>(L.W.cols()));
        for (Eigen::Index s = 0; s < L.W.cols(); ++s)
            for (Eigen::Index r = 0; r < L.W.rows(); ++r) W[l][r][s] = seed(L.W(r, s));
        for (Eigen::Index r = 0; r < L.b.rows(); ++r) b[l].push_back(seed(L.b(r, 0)));
    }
    D total(T(0), P, 0);
    total.derivatives().setZero();
    const Eigen::Index n = X.cols();
    for (Eigen::Index i = 0; i < n; ++i) {
        std::vector<D> a;
        for (Eigen::Index r = 0; r < X.rows(); ++r) a.push_back(D(X(r, i), Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(P)));
        for (std::size_t l = 0; l < k; ++l) {
            std::vector<D> next;
            for (std::size_t r = 0; r < W[l].size(); ++r) {
                D z = b[l][r];
                for (std::size_t s = 0; s < a.size(); ++s) z = D(z + W[l][r][s] * a[s]);
                next.push_back(evaluate(net.layers[l].f, z));
            }
            a = std::move(next);
        }
        matrix<D> av(static_cast<Eigen::Index>(a.size()), 1), yv(static_cast<Eigen::Index>(a.size()), 1);
        for (std::size_t r = 0; r < a.size(); ++r) {
            av(static_cast<Eigen::Index>(r), 0) = a[r];
            yv(static_cast<Eigen::Index>(r), 0) = D(Y(static_cast<Eigen::Index>(r), i), Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(P));
        }
        total = D(total + sample_cost(ell, av, yv));
    }
    total = D(total * reduction_scale<T>(ell, red, n, Y.rows()));
    reference_result<T> out;
    out.cost = total.value();
    out.dW.resize(k + 1);
    out.db.resize(k + 1);
    dir = 0;
    for (std::size_t l = 0; l < k; ++l) {
        const auto& L = net.layers[l];
        out.dW[l + 1].resize(L.W.rows(), L.W.cols());
        for (Eigen::Index s = 0; s < L.W.cols(); ++s)
            for (Eigen::Index r = 0; r < L.W.rows(); ++r) out.dW[l + 1](r, s) = total.derivatives()(dir++);
        out.db[l + 1].resize(L.b.rows(), 1);
        for (Eigen::Index r = 0; r < L.b.rows(); ++r) out.db[l + 1](r, 0) = total.derivatives()(dir++);
    }
    return out;
}

/// Source 2: the literal Kronecker chain of Jacobians, per sample, squared error.
template <scalar T>
reference_result<T> kronecker_chain_gradients(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                                              reduction red) {
    const Eigen::Index k = net.depth(), n = X.cols();
    reference_result<T> out;
    out.cost = T(0);
    out.dW.assign(k + 1, matrix<T>());
    out.db.assign(k + 1, matrix<T>());
    for (Eigen::Index l = 1; l <= k; ++l) {
        out.dW[l] = matrix<T>::Zero(net.layers[l - 1].W.rows(), net.layers[l - 1].W.cols());
        out.db[l] = matrix<T>::Zero(net.layers[l - 1].W.rows(), 1);
    }
    for (Eigen::Index i = 0; i < n; ++i) {
        // Forward values, by D8 and D7.
        std::vector<matrix<T>> z(k + 1), a(k + 1);
        a[0] = X.col(i);
        for (Eigen::Index l = 1; l <= k; ++l) {
            const auto& L = net.layers[l - 1];
            z[l] = affine_potential<T>(L.W, a[l - 1], L.b);
            a[l] = elementwise(L.f, z[l]);
        }
        const matrix<T> y = Y.col(i);
        out.cost += squared_error<T>(a[k], y)(0, 0);
        // J = Dc̃_l(zˡ) as a full product of Jacobians, extended one layer at a time downwards.
        matrix<T> J = mul(d_squared_error(a[k], y), diag_of_derivative(net.layers[k - 1].f, z[k]));
        for (Eigen::Index l = k; l >= 1; --l) {
            const matrix<T> dvecW = mul(J, d_potential_d_weights(a[l - 1], z[l].rows()));
            out.dW[l] += unvec<T>(colvec<T>(dvecW.transpose()), z[l].rows(), a[l - 1].rows());
            out.db[l] += mul(J, identity<T>(z[l].rows())).transpose();
            if (l > 1) J = mul(mul(J, net.layers[l - 1].W), diag_of_derivative(net.layers[l - 2].f, z[l - 1]));
        }
    }
    if (red == reduction::mean) {
        const T nn(static_cast<long>(n));
        out.cost = T(out.cost / nn);
        for (Eigen::Index l = 1; l <= k; ++l) {
            out.dW[l] /= nn;
            out.db[l] /= nn;
        }
    }
    return out;
}

/// A rational that is 0 about a third of the time, so potentials hit ReLU kinks (D11).
inline rc::Gen<exact> gen_sparse_exact() {
    return rc::gen::weightedOneOf<exact>({{1, rc::gen::just(exact(0))}, {2, gen_exact()}});
}

inline rc::Gen<matrix<exact>> gen_sparse_matrix(Eigen::Index rows, Eigen::Index cols) {
    return gen_matrix(rows, cols, gen_sparse_exact());
}

/// A random exact network: depth 1 … max_depth, widths 1 … max_width, random activations.
inline mlp<exact> gen_network(int max_depth = 6, int max_width = 6) {
    const int k = *rc::gen::inRange(1, max_depth + 1);
    std::vector<Eigen::Index> m;
    for (int l = 0; l <= k; ++l) m.push_back(*rc::gen::inRange(1, max_width + 1));
    mlp<exact> net;
    for (int l = 1; l <= k; ++l)
        net.layers.push_back({*gen_sparse_matrix(m[l], m[l - 1]), *gen_sparse_matrix(m[l], 1), *gen_activation()});
    return net;
}

}  // namespace matbp::testing
