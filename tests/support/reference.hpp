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
//     D_{vec Wˡ}c = Dℓ(aᵏ)·Jᵏ·Wᵏ ⋯ Wˡ⁺¹·Jˡ·((aˡ⁻¹)ᵀ ⊗ I), Jˡ = Df⃗ˡ(zˡ),
//     multiplied out, then scaled by ρ (D14). Its elementwise Jacobians Jˡ and the loss's Dℓ come
//     from forward-mode AD of evaluate and sample_cost (never derivative() or loss_gradient()),
//     its Kronecker products and matrix products from its own loops.
// The two share only the registries' definitions (evaluate, sample_cost, reduction_scale) and
// Eigen's AutoDiffScalar; they differ in what they differentiate (the whole cost per parameter vs.
// one layer's map at a time) and in how the pieces are combined.
// Plus a generator of random exact networks.

#include "matbp/activation.hpp"
#include "matbp/loss.hpp"
#include "matbp/network.hpp"  // mlp (D12); it includes elementary.hpp, whose helpers this file never names

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
        for (Eigen::Index r = 0; r < X.rows(); ++r)
            a.push_back(D(X(r, i), Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(P)));
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
            yv(static_cast<Eigen::Index>(r), 0) =
                D(Y(static_cast<Eigen::Index>(r), i), Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(P));
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

/// Source 2, pieces of its own: the literal Kronecker product (D3: block (i, j) is A(i, j)·B), the
/// matrix product by its sum, and Jacobians read off forward-mode dual numbers (Eigen's
/// AutoDiffScalar, seeded here, not matbp's jacobian.hpp).
namespace chain_detail {
template <class T>
matrix<T> kronecker(const matrix<T>& A, const matrix<T>& B) {
    matrix<T> K(A.rows() * B.rows(), A.cols() * B.cols());
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j)
            for (Eigen::Index r = 0; r < B.rows(); ++r)
                for (Eigen::Index s = 0; s < B.cols(); ++s)
                    K(i * B.rows() + r, j * B.cols() + s) = T(A(i, j) * B(r, s));
    return K;
}
template <class T>
matrix<T> product(const matrix<T>& A, const matrix<T>& B) {
    matrix<T> C(A.rows(), B.cols());
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < B.cols(); ++j) {
            T s(0);
            for (Eigen::Index t = 0; t < A.cols(); ++t) s = T(s + A(i, t) * B(t, j));
            C(i, j) = s;
        }
    return C;
}
template <class T>
using ad = Eigen::AutoDiffScalar<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
/// The column v as dual numbers seeded with the unit directions 0 … v.rows()−1.
template <class T>
matrix<ad<T>> seeded(const matrix<T>& v) {
    matrix<ad<T>> d(v.rows(), 1);
    for (Eigen::Index i = 0; i < v.rows(); ++i) d(i, 0) = ad<T>(v(i, 0), v.rows(), i);
    return d;
}
/// Row i of the Jacobian: the partials of a dual number over N directions (a constant has none).
template <class T>
void jacobian_row(matrix<T>& J, Eigen::Index i, const ad<T>& v, Eigen::Index N) {
    for (Eigen::Index j = 0; j < N; ++j) J(i, j) = v.derivatives().size() == 0 ? T(0) : T(v.derivatives()(j));
}
/// The full m × m Jacobian of z ↦ (f(z₁), …, f(z_m)) at z by AD of the registry's evaluate (D10):
/// diagonal because each output reads one input, which this does not assume.
template <class T, class F>
matrix<T> elementwise_jacobian(const F& f, const matrix<T>& z) {
    const Eigen::Index m = z.rows();
    const matrix<ad<T>> zd = seeded(z);
    matrix<T> J(m, m);
    for (Eigen::Index i = 0; i < m; ++i) jacobian_row(J, i, ad<T>(evaluate(f, zd(i, 0))), m);
    return J;
}
/// The 1 × m Jacobian of a ↦ ℓ_y(a) at a by AD of the loss's value (D9 sample_cost).
template <class T, class L>
matrix<T> loss_jacobian(const L& ell, const matrix<T>& a, const matrix<T>& y) {
    const Eigen::Index m = a.rows();
    matrix<ad<T>> yd(m, 1);
    for (Eigen::Index i = 0; i < m; ++i) yd(i, 0) = ad<T>(y(i, 0), Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(m));
    matrix<T> J(1, m);
    jacobian_row(J, 0, ad<T>(sample_cost(ell, seeded(a), yd)), m);
    return J;
}
}  // namespace chain_detail

/// Source 2: the literal Kronecker chain of full Jacobians per sample, for any loss,
///   D_{vec Wˡ}c = Dℓ(aᵏ)·Jᵏ·Wᵏ·Jᵏ⁻¹ ⋯ Wˡ⁺¹·Jˡ·((aˡ⁻¹)ᵀ ⊗ I),  D_{bˡ}c = Dℓ(aᵏ)·Jᵏ ⋯ Jˡ·I,
/// Jˡ the Jacobian of f⃗ˡ at zˡ and Dℓ the loss's, both by AD of the definitions (evaluate,
/// sample_cost), never derivative() or loss_gradient(); the forward pass is its own loops. Then
/// scaled by the reduction's ρ (D14). Nothing from elementary.hpp, jacobian.hpp, kron.hpp,
/// induction.hpp or backprop.hpp: CTest's reference_independence (tests/CMakeLists.txt) fails
/// if this file names one of their helpers. Exact, double and real.
template <scalar T>
reference_result<T> kronecker_chain_gradients(const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                                              const loss_function<T>& ell, reduction red) {
    using namespace chain_detail;
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
        // Forward values zˡ = Wˡaˡ⁻¹ + bˡ, aˡ = f⃗ˡ(zˡ), by the definitions (D12).
        std::vector<matrix<T>> z(k + 1), a(k + 1);
        a[0] = X.col(i);
        for (Eigen::Index l = 1; l <= k; ++l) {
            const auto& L = net.layers[l - 1];
            z[l] = product(L.W, a[l - 1]) + L.b;
            a[l].resize(z[l].rows(), 1);
            for (Eigen::Index r = 0; r < z[l].rows(); ++r) a[l](r, 0) = evaluate(L.f, z[l](r, 0));
        }
        const matrix<T> y = Y.col(i);
        out.cost = T(out.cost + sample_cost(ell, a[k], y));
        // J = Dc̃_l(zˡ) as a full product of Jacobians, extended one layer at a time downwards.
        matrix<T> J = product(loss_jacobian(ell, a[k], y), elementwise_jacobian(net.layers[k - 1].f, z[k]));
        for (Eigen::Index l = k; l >= 1; --l) {
            const Eigen::Index m = z[l].rows(), q = a[l - 1].rows();
            const matrix<T> I = matrix<T>::Identity(m, m);
            const matrix<T> dvecW = product(J, kronecker<T>(a[l - 1].transpose(), I));  // 1 × m·q
            for (Eigen::Index s = 0; s < q; ++s)
                for (Eigen::Index r = 0; r < m; ++r) out.dW[l](r, s) = T(out.dW[l](r, s) + dvecW(0, r + s * m));
            const matrix<T> dbias = product(J, I);  // 1 × m
            for (Eigen::Index r = 0; r < m; ++r) out.db[l](r, 0) = T(out.db[l](r, 0) + dbias(0, r));
            if (l > 1)
                J = product(product(J, net.layers[l - 1].W), elementwise_jacobian(net.layers[l - 2].f, z[l - 1]));
        }
    }
    const T rho = reduction_scale<T>(ell, red, n, Y.rows());
    out.cost = T(out.cost * rho);
    for (Eigen::Index l = 1; l <= k; ++l) {
        out.dW[l] *= rho;
        out.db[l] *= rho;
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
