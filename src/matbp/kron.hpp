#pragma once
// matbp/kron.hpp — vec, Kronecker products, the commutation matrix, diag (D1–D5) and the
// Kronecker algebra the proof uses (L1–L4).
//
// Statements (spec/conventions.md, spec/calculus.md)
//   D1  vec X stacks the columns of X ∈ ℝ^{n×q} into ℝ^{nq}.
//   D2  unvec(v, n, q) is the inverse of vec on ℝ^{n×q}.
//   D3  A ⊗ B = [a_ij B] for A ∈ ℝ^{m×n}, B ∈ ℝ^{p×q}: an mp × nq matrix.
//   D4  K_{mn} ∈ ℝ^{mn×mn}: the permutation with K_{mn} vec A = vec Aᵀ for A ∈ ℝ^{m×n}; its
//       entry [i·n + j, j·m + i] (0-based, 0 ≤ i < m, 0 ≤ j < n) is 1, all others 0.
//   D5  diag(v) is the square matrix with v on its diagonal; I_m = diag(1, …, 1).
//   L1  vec(A B C) = (Cᵀ ⊗ A) vec B.
//   L2  (A ⊗ B)(C ⊗ D) = AC ⊗ BD.
//   L3  (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ.
//   L4  K_{mn} vec A = vec Aᵀ.
//
// Notation → C++: vec ↦ vec, vec⁻¹ ↦ unvec, ⊗ ↦ kron, K_{mn} ↦ commutation_matrix<T>(m, n),
// diag ↦ diag, I_m ↦ identity<T>(m).
//
// Usage (tests/kron_test.cpp, case usage_example_of_kron_hpp):
//   matbp::matrix<matbp::exact> A = …, B = …, C = …;
//   auto eq = matbp::vec_of_product_eq_kron_vec(A, B, C);  // eq.lhs = vec(ABC), eq.rhs = (Cᵀ⊗A) vec B
//   assert(matbp::holds_exactly(eq));

#include "matbp/contract.hpp"
#include "matbp/equation.hpp"
#include "matbp/scalar.hpp"

namespace matbp {

/// D1 vec: columns of X stacked, top to bottom, left to right.
template <class T>
colvec<T> vec(const matrix<T>& X) {
    colvec<T> v(X.size());
    Eigen::Index k = 0;
    for (Eigen::Index s = 0; s < X.cols(); ++s)
        for (Eigen::Index r = 0; r < X.rows(); ++r) v(k++) = X(r, s);
    return v;
}

/// D2 unvec: the n×q matrix whose vec is v.
/// Requires: v.size() == rows · cols.
template <class T>
matrix<T> unvec(const colvec<T>& v, Eigen::Index rows, Eigen::Index cols) {
    MATBP_REQUIRE("D2", rows >= 0 && cols >= 0 && v.size() == rows * cols);
    matrix<T> X(rows, cols);
    Eigen::Index k = 0;
    for (Eigen::Index s = 0; s < cols; ++s)
        for (Eigen::Index r = 0; r < rows; ++r) X(r, s) = v(k++);
    return X;
}

/// D3 Kronecker product A ⊗ B: block (i, j) is A(i, j)·B.
template <class T>
matrix<T> kron(const matrix<T>& A, const matrix<T>& B) {
    const Eigen::Index p = B.rows(), q = B.cols();
    matrix<T> K(A.rows() * p, A.cols() * q);
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j)
            for (Eigen::Index r = 0; r < p; ++r)
                for (Eigen::Index s = 0; s < q; ++s) K(i * p + r, j * q + s) = A(i, j) * B(r, s);
    return K;
}

/// D4 commutation matrix K_{mn}, by its entry formula.
/// Requires: m ≥ 0, n ≥ 0.
template <class T>
matrix<T> commutation_matrix(Eigen::Index m, Eigen::Index n) {
    MATBP_REQUIRE("D4", m >= 0 && n >= 0);
    matrix<T> K = matrix<T>::Zero(m * n, m * n);
    for (Eigen::Index i = 0; i < m; ++i)
        for (Eigen::Index j = 0; j < n; ++j) K(i * n + j, j * m + i) = T(1);
    return K;
}

/// D5 diag(v).
template <class T>
matrix<T> diag(const colvec<T>& v) {
    matrix<T> D = matrix<T>::Zero(v.size(), v.size());
    for (Eigen::Index i = 0; i < v.size(); ++i) D(i, i) = v(i);
    return D;
}

/// D5 identity I_m.
/// Requires: m ≥ 0.
template <class T>
matrix<T> identity(Eigen::Index m) {
    MATBP_REQUIRE("D5", m >= 0);
    return diag<T>(colvec<T>::Constant(m, T(1)));
}

/// L1 vec(A B C) = (Cᵀ ⊗ A) vec B.
/// Requires: A.cols() == B.rows(), B.cols() == C.rows().
// L1 (i)–(iii): column j of ABC and block j of (Cᵀ ⊗ A) vec B are both Σ_s c_sj A b_s.
template <class T>
equation<matrix<T>> vec_of_product_eq_kron_vec(const matrix<T>& A, const matrix<T>& B, const matrix<T>& C) {
    MATBP_REQUIRE("L1", A.cols() == B.rows());
    MATBP_REQUIRE("L1", B.cols() == C.rows());
    matrix<T> ABC = mul(mul(A, B), C);
    matrix<T> lhs = vec<T>(ABC);
    matrix<T> Ct = C.transpose();
    matrix<T> rhs = mul(kron<T>(Ct, A), vec<T>(B));
    return {"L1", lhs, rhs};
}

/// L2 mixed product (A ⊗ B)(C ⊗ D) = AC ⊗ BD.
/// Requires: A.cols() == C.rows(), B.cols() == D.rows().
// L2 (i)–(ii): block (i, j) of the product is Σ_h a_ih c_hj BD = (AC)_ij BD.
template <class T>
equation<matrix<T>> kron_mixed_product(const matrix<T>& A, const matrix<T>& B, const matrix<T>& C, const matrix<T>& D) {
    MATBP_REQUIRE("L2", A.cols() == C.rows());
    MATBP_REQUIRE("L2", B.cols() == D.rows());
    matrix<T> lhs = mul(kron<T>(A, B), kron<T>(C, D));
    matrix<T> AC = mul(A, C), BD = mul(B, D);
    return {"L2", lhs, kron<T>(AC, BD)};
}

/// L3 (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ.
// L3 (i)–(ii): block (j, i) of the transpose is (a_ij B)ᵀ = a_ij Bᵀ.
template <class T>
equation<matrix<T>> kron_transpose_eq_kron_of_transposes(const matrix<T>& A, const matrix<T>& B) {
    matrix<T> lhs = kron<T>(A, B).transpose();
    matrix<T> At = A.transpose(), Bt = B.transpose();
    return {"L3", lhs, kron<T>(At, Bt)};
}

/// L4 K_{mn} vec A = vec Aᵀ, A ∈ ℝ^{m×n}.
// L4 (i)–(iii): K_mn moves entry (i, j) of A from position j·m + i to i·n + j.
template <class T>
equation<matrix<T>> commutation_maps_vec_to_vec_transpose(const matrix<T>& A) {
    matrix<T> lhs = mul(commutation_matrix<T>(A.rows(), A.cols()), vec<T>(A));
    matrix<T> At = A.transpose();
    return {"L4", lhs, vec<T>(At)};
}

}  // namespace matbp
