#include "matbp/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <stdexcept>

// OpenBLAS's own entry points (cblas.h declares them too; repeated here so that a cblas.h of
// another BLAS fails at link time, naming the symbol, rather than compiling a different library).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
int openblas_get_num_procs(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace matbp {

namespace {
int blas_int(Eigen::Index n) {
    if (n > INT_MAX) throw std::length_error("matbp: a matrix dimension exceeds BLAS's int range");
    return static_cast<int>(n);
}

/// Do c's entries and the entries x reads (columns of outerStride apart) overlap in memory?
bool shares_storage(const Eigen::MatrixXd& c, const blas_operand& x) {
    if (x.size() == 0) return false;
    const double* x_end = x.data() + (x.cols() - 1) * x.outerStride() + x.rows();
    const double* c_end = c.data() + c.size();
    const std::less<const double*> before;  // a total order on pointers into different objects
    return before(x.data(), c_end) && before(c.data(), x_end);
}
}  // namespace

void blas_product_into(Eigen::MatrixXd& c, const blas_operand& a, bool transpose_a, const blas_operand& b,
                       bool transpose_b) {
    const Eigen::Index m = transpose_a ? a.cols() : a.rows(), k = transpose_a ? a.rows() : a.cols();
    const Eigen::Index kb = transpose_b ? b.cols() : b.rows(), n = transpose_b ? b.rows() : b.cols();
    if (k != kb) throw std::invalid_argument("matbp: a matrix product of mismatched inner dimensions");
    if (c.size() > 0 && (shares_storage(c, a) || shares_storage(c, b)))
        throw std::invalid_argument("matbp: a matrix product written into one of its own operands");
    if (c.rows() != m || c.cols() != n) c.resize(m, n);
    if (m == 0 || n == 0) return;
    if (k == 0) {  // an empty sum; dgemm would leave c unset
        c.setZero();
        return;
    }
    // Leading dimensions: the stored rows' stride, at least max(1, stored rows) as BLAS requires.
    const int lda = blas_int(std::max<Eigen::Index>({1, a.rows(), a.outerStride()}));
    const int ldb = blas_int(std::max<Eigen::Index>({1, b.rows(), b.outerStride()}));
    cblas_dgemm(CblasColMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
                blas_int(m), blas_int(n), blas_int(k), 1.0, a.data(), lda, b.data(), ldb, 0.0, c.data(), blas_int(m));
}

Eigen::MatrixXd blas_product(const blas_operand& a, bool transpose_a, const blas_operand& b, bool transpose_b) {
    Eigen::MatrixXd c;
    blas_product_into(c, a, transpose_a, b, transpose_b);
    return c;
}

void set_blas_threads(unsigned n) {
    // OpenBLAS ignores a count below 1, so "every core" is asked for by number.
    openblas_set_num_threads(n == 0 ? std::max(1, openblas_get_num_procs())
                                    : static_cast<int>(std::min<unsigned>(n, 256)));
}

unsigned blas_threads() { return static_cast<unsigned>(std::max(1, openblas_get_num_threads())); }

std::string blas_config() {
    std::string s = openblas_get_config();
    if (const char* core = openblas_get_corename()) s += std::string(" core=") + core;
    return s;
}

blas_thread_scope::blas_thread_scope(unsigned n) : saved_(blas_threads()), changed_(n != 0) {
    if (changed_) set_blas_threads(n);
}

blas_thread_scope::~blas_thread_scope() {
    if (changed_) set_blas_threads(saved_);
}

}  // namespace matbp
