#pragma once
// matbp/jacobian.hpp — the Jacobian by its definition (D6), the first identification theorem
// (L5) and the chain rule (L6).
//
// Statements (spec/conventions.md, spec/calculus.md)
//   D6  For F : ℝ^{n×q} → ℝ^{m×p}, DF(X) = ∂ vec F(X) / ∂(vec X)ᵀ ∈ ℝ^{mp×nq}; 0-based entry
//       [i + j·m, r + s·n] = ∂F_ij/∂X_rs. A scalar function has a 1-row Jacobian; its gradient
//       is unvec(DF(X)ᵀ), shaped like X.
//   L5  If d vec F(X) = A(X) d vec X for every dX, then DF(X) = A(X).
//   L6  D(G∘F)(X) = DG(F(X)) · DF(X).
//
// The definition side is computed entrywise by forward-mode automatic differentiation (Eigen's
// AutoDiffScalar over T, one derivative direction per entry of vec X): it differentiates the
// callable's own arithmetic and shares no formula with the lemmas it checks. For affine F,
// jacobian_of_affine_by_differences gives the same matrix from exact differences.
//
// A "callable" here is generic in its scalar type, e.g.
//   auto F = [&](const auto& X) { using S = typename std::decay_t<decltype(X)>::Scalar; … };
// and is called with matrix<T> and with matrix<dual<T>>.
//
// Notation → C++: DF(X) ↦ jacobian_by_definition(F, X), ∇ ↦ gradient_from_jacobian.
//
// Usage (tests/jacobian_test.cpp, case usage_example_of_jacobian_hpp):
//   auto square = [](const auto& X) { return decltype(X.eval())(X.cwiseProduct(X)); };
//   matbp::matrix<matbp::exact> X(1, 1); X << 3;
//   matbp::jacobian_by_definition(square, X)   // [[6]]

#include "matbp/contract.hpp"
#include "matbp/equation.hpp"
#include "matbp/kron.hpp"
#include "matbp/scalar.hpp"

#include <unsupported/Eigen/AutoDiff>

namespace matbp {

/// Forward-mode dual number over T with a dynamic number of derivative directions.
template <class T>
using dual = Eigen::AutoDiffScalar<colvec<T>>;

/// D6 the Jacobian of F at X by definition: entry [i + j·m, r + s·n] = ∂F_ij/∂X_rs, each partial
/// derivative taken by forward-mode differentiation of F's own arithmetic.
/// Requires: F maps matrix<dual<T>> to a matrix<dual<T>>; X non-empty.
template <class T, class F>
matrix<T> jacobian_by_definition(F&& f, const matrix<T>& X) {
    MATBP_REQUIRE("D6", X.size() > 0);
    const Eigen::Index n = X.rows(), q = X.cols(), N = n * q;
    matrix<dual<T>> Xd(n, q);
    for (Eigen::Index s = 0; s < q; ++s)
        for (Eigen::Index r = 0; r < n; ++r) {
            // Seed direction r + s·n: ∂X_rs/∂X_rs = 1, every other partial 0.
            colvec<T> seed = colvec<T>::Zero(N);
            seed(r + s * n) = T(1);
            Xd(r, s) = dual<T>(X(r, s), seed);
        }
    const matrix<dual<T>> Y = f(Xd);
    const Eigen::Index m = Y.rows(), p = Y.cols();
    matrix<T> J = matrix<T>::Zero(m * p, N);
    for (Eigen::Index j = 0; j < p; ++j)
        for (Eigen::Index i = 0; i < m; ++i) {
            const auto& d = Y(i, j).derivatives();
            if (d.size() == 0) continue;  // a constant: all partials 0
            MATBP_ENSURE("D6", d.size() == N);
            for (Eigen::Index k = 0; k < N; ++k) J(i + j * m, k) = d(k);
        }
    return J;
}

/// D6 for affine F (F(X) = L(X) + c): column r + s·n is vec(F(X + E_rs) − F(X)), exact over ℚ.
/// Requires: X non-empty. (Affinity is the caller's claim; tests compare with the definition.)
template <class T, class F>
matrix<T> jacobian_of_affine_by_differences(F&& f, const matrix<T>& X) {
    MATBP_REQUIRE("D6", X.size() > 0);
    const matrix<T> F0 = f(X);
    const colvec<T> v0 = vec<T>(F0);
    matrix<T> J(v0.size(), X.size());
    for (Eigen::Index s = 0; s < X.cols(); ++s)
        for (Eigen::Index r = 0; r < X.rows(); ++r) {
            matrix<T> Xe = X;
            Xe(r, s) += T(1);
            const matrix<T> Fe = f(Xe);
            J.col(r + s * X.rows()) = vec<T>(Fe) - v0;
        }
    return J;
}

/// D6 gradient layout: ∇F(X) = unvec(DF(X)ᵀ), shaped like X.
/// Requires: J has one row and rows·cols columns.
template <class T>
matrix<T> gradient_from_jacobian(const matrix<T>& J, Eigen::Index rows, Eigen::Index cols) {
    MATBP_REQUIRE("D6", J.rows() == 1 && J.cols() == rows * cols);
    return unvec<T>(colvec<T>(J.row(0).transpose()), rows, cols);
}

/// L5 first identification theorem. Hypothesis: d vec F(X) = A d vec X for all dX. The
/// hypothesis is checked (expensive level) along the direction dX: the directional derivative of
/// F, by forward-mode differentiation along dX alone, equals A vec dX.
/// Returns lhs = DF(X) by definition (D6), rhs = A.
/// Requires: A has (size of F(X)) rows and X.size() columns; dX has X's shape.
// L5 (i)–(iii): dvec F = A vec dX identifies A as DF(X), entry by entry.
template <class T, class F>
equation<matrix<T>> first_identification(F&& f, const matrix<T>& X, const matrix<T>& A, const matrix<T>& dX) {
    const matrix<T> FX = f(X);
    MATBP_REQUIRE("L5", A.rows() == FX.size() && A.cols() == X.size());
    MATBP_REQUIRE("L5", dX.rows() == X.rows() && dX.cols() == X.cols());
    if (current_contract_level() >= contract_level::expensive) {
        // One-direction dual numbers: value X, derivative dX.
        matrix<dual<T>> Xd(X.rows(), X.cols());
        for (Eigen::Index s = 0; s < X.cols(); ++s)
            for (Eigen::Index r = 0; r < X.rows(); ++r) Xd(r, s) = dual<T>(X(r, s), colvec<T>::Constant(1, dX(r, s)));
        const matrix<dual<T>> Y = f(Xd);
        colvec<T> dvecF = colvec<T>::Zero(Y.size());
        for (Eigen::Index j = 0; j < Y.cols(); ++j)
            for (Eigen::Index i = 0; i < Y.rows(); ++i)
                if (Y(i, j).derivatives().size() == 1) dvecF(i + j * Y.rows()) = Y(i, j).derivatives()(0);
        const colvec<T> predicted = mul(A, vec<T>(dX));
        MATBP_ENSURE_EXPENSIVE("L5", same_matrix(dvecF, predicted));
    }
    return {"L5", jacobian_by_definition(f, X), A};
}

/// L6 chain rule: lhs = D(G∘F)(X) by definition, rhs = DG(F(X)) · DF(X), each by definition.
// L6 (i)–(iv): D(G∘F)(X) = DG(F(X)) · DF(X), compared as two Jacobians.
template <class T, class G, class F>
equation<matrix<T>> chain_rule(G&& g, F&& f, const matrix<T>& X) {
    auto composite = [&](const auto& Y) { return g(f(Y)); };
    const matrix<T> FX = f(X);
    const matrix<T> lhs = jacobian_by_definition(composite, X);
    const matrix<T> rhs = mul(jacobian_by_definition(g, FX), jacobian_by_definition(f, X));
    return {"L6", lhs, rhs};
}

}  // namespace matbp
