#pragma once
// matbp/blas.hpp — the double path's matrix products on BLAS (Debian's OpenBLAS), and the number
// of threads they use.
//
// mul (scalar.hpp) sends every product of doubles here: C = op(A)·op(B) by one dgemm call, op(X)
// being X or Xᵀ, so a transposed operand is read in place. OpenBLAS picks its kernels for the CPU
// at run time (Debian builds it with DYNAMIC_ARCH), so the portable build gets AVX2/AVX-512 GEMM.
// Only doubles take this route: the exact, real and interval products stay Eigen's, unchanged —
// except the exact fast path (dyadic.hpp), which may run its integer products as dgemm calls on
// integer slices that this file's dgemm computes exactly (C1.dyadic (iv), spec/theorem.md).
//
// Accuracy: each entry of a dgemm result is a dot product of length k in some order, with or
// without FMA, so |C − op(A)op(B)| ≤ γ_k |op(A)||op(B)| entrywise, γ_k = k·u/(1 − k·u), u = 2⁻⁵³
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.5), whatever the blocking
// and thread count. scalar_test's double_product_within_gamma_k checks that bound exactly (the
// true product over ℚ) for plain, transposed, block and empty operands.
//
// Usage:
//   matbp::matrix<double> C = matbp::mul(A, B.transpose());   // one dgemm, B read in place
//   matbp::mul_into(C, A, B.transpose());                      // the same, into C's storage
//   matbp::blas_thread_scope one(1);                          // OpenBLAS on one thread here

#include <Eigen/Core>

#include <string>

namespace matbp {

/// A column-major operand BLAS reads in place (a plain matrix or a block of one); any other
/// expression is evaluated into a temporary first.
using blas_operand = Eigen::Ref<const Eigen::MatrixXd, 0, Eigen::OuterStride<>>;

/// op(a)·op(b) by dgemm, op(x) = xᵀ when its flag is set. Requires the inner dimensions to agree
/// (std::invalid_argument otherwise) and every dimension to fit BLAS's int (std::length_error).
Eigen::MatrixXd blas_product(const blas_operand& a, bool transpose_a, const blas_operand& b, bool transpose_b);

/// The same product written into c, which is resized only when its shape differs (Eigen keeps the
/// storage of a matrix whose size does not change): the same dgemm call as blas_product, so the
/// same values; repeated products of one shape allocate nothing. Requires what blas_product
/// requires, and that c's storage is not read as a or b (std::invalid_argument otherwise: dgemm
/// would overwrite its own operand).
void blas_product_into(Eigen::MatrixXd& c, const blas_operand& a, bool transpose_a, const blas_operand& b,
                       bool transpose_b);

/// OpenBLAS's thread count for the products that follow, process-wide: n ≥ 1 threads, 0 every
/// core (OpenBLAS's default). OpenBLAS gives one thread to a product too small to split.
void set_blas_threads(unsigned n);
/// The thread count OpenBLAS uses now.
unsigned blas_threads();
/// OpenBLAS's build and the CPU kernel it chose, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
/// SkylakeX MAX_THREADS=64".
std::string blas_config();

/// set_blas_threads(n) for the scope's lifetime (n = 0: left as it is); restores the count before.
class blas_thread_scope {
public:
    explicit blas_thread_scope(unsigned n);
    ~blas_thread_scope();
    blas_thread_scope(const blas_thread_scope&) = delete;
    blas_thread_scope& operator=(const blas_thread_scope&) = delete;

private:
    unsigned saved_;
    bool changed_;
};

}  // namespace matbp
