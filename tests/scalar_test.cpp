// Tests for src/matbp/scalar.hpp.
//
// Test plan
//   concepts_classify_the_scalar_types     each type satisfies exactly the concepts it claims
//   precision_guard_sets_and_restores      bits requested ≤ bits obtained; restored afterwards
//   interval_bounds_are_exact              lower/upper as rationals bracket 1/3 tightly
//   exact_value_of_zero_and_dyadics        0 (MPFR's special exponent) and dyadic values come back exactly
//   encloses_decides_membership            including a degenerate interval and NaN
//   eigen_products_work_over_every_type    a 2×2 product over ℚ, real, interval, double
//   usage_example_of_scalar_hpp
//   double_product_within_gamma_k          mul<double> (OpenBLAS dgemm) within γ_k|A||B| of the
//                                          exact product, plain/transposed/block/expression operands
//   blas_product_edges_and_preconditions   empty sums are 0, empty results empty, a mismatched
//                                          inner dimension is refused
//   blas_product_into_reuses_and_refuses   mul_into / blas_product_into == mul (every op(·)), same
//                                          shape: the storage kept; a product into its own operand
//                                          (whole or a block) and mismatched inner dimensions are
//                                          refused; mul_into over ℚ == mul
//   blas_thread_scope_sets_and_restores
#define BOOST_TEST_MODULE scalar
#include "matbp/scalar.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <stdexcept>

using namespace matbp;

BOOST_AUTO_TEST_CASE(concepts_classify_the_scalar_types) {
    static_assert(exact_field<exact> && !real_field<exact> && !interval_type<exact>);
    static_assert(!transcendental_capable<exact>);
    static_assert(real_field<double> && real_field<real> && transcendental_capable<real>);
    static_assert(interval_type<interval> && transcendental_capable<interval>);
    static_assert(!scalar<float> && !scalar<int>);
    BOOST_TEST(scalar_name<exact>() == "exact");
    BOOST_TEST(scalar_name<interval>() == "interval");
}

BOOST_AUTO_TEST_CASE(precision_guard_sets_and_restores) {
    const unsigned before = precision_guard::current_bits();
    // Both types' defaults (current_bits probes real only; mutant scalar_3, a guard that restored
    // only real's, survived without the interval checks).
    const unsigned interval_before = interval::default_precision();
    {
        precision_guard g(300);
        BOOST_TEST(precision_guard::current_bits() >= 300u);
        BOOST_TEST(precision_guard::current_bits() < 320u);
        BOOST_TEST(interval::default_precision() != interval_before);
    }
    BOOST_TEST(precision_guard::current_bits() == before);
    BOOST_TEST(interval::default_precision() == interval_before);
}

BOOST_AUTO_TEST_CASE(interval_bounds_are_exact) {
    precision_guard g(64);
    interval x = interval(1) / 3;
    const exact third(1, 3);
    BOOST_TEST(lower_exact(x) < third);
    BOOST_TEST(third < upper_exact(x));
    // Width at most 2^-60 relative: the enclosure is tight, not merely correct.
    BOOST_TEST(upper_exact(x) - lower_exact(x) < exact(1, 1) / exact(bmp::mpz_int(1) << 60));
}

BOOST_AUTO_TEST_CASE(exact_value_of_zero_and_dyadics) {
    // 0 is special in MPFR (mpfr_get_z_2exp returns the least exponent): it must come back as 0,
    // at once, for real values and for interval bounds.
    precision_guard g(64);
    BOOST_TEST(exact_value(real(0)) == exact(0));
    BOOST_TEST(lower_exact(interval(0)) == exact(0));
    BOOST_TEST(upper_exact(interval(0)) == exact(0));
    BOOST_TEST(exact_value(real(-3) / 8) == exact(-3, 8));
    BOOST_TEST(exact_value(real(5) * 1024) == exact(5120));
}

BOOST_AUTO_TEST_CASE(encloses_decides_membership) {
    precision_guard g(64);
    interval x = interval(1) / 3;
    BOOST_TEST(encloses(x, exact(1, 3)));
    BOOST_TEST(!encloses(x, exact(1, 2)));
    BOOST_TEST(encloses(interval(2), exact(2)));
    BOOST_TEST(!encloses(interval(2), exact(2) + exact(1, 1000000)));
    interval nan_iv = interval(0) / interval(0);
    BOOST_TEST(!encloses(nan_iv, exact(0)));
}

template <class T>
void product_2x2() {
    matrix<T> A(2, 2), B(2, 2);
    A << T(1), T(2), T(3), T(4);
    B << T(0), T(1), T(1), T(0);
    matrix<T> C = A * B;
    // [[1,2],[3,4]]·[[0,1],[1,0]] swaps the columns: [[2,1],[4,3]].
    BOOST_TEST(C(0, 0) == T(2));
    BOOST_TEST(C(1, 1) == T(3));
}

BOOST_AUTO_TEST_CASE(eigen_products_work_over_every_type) {
    product_2x2<exact>();
    product_2x2<double>();
    precision_guard g(128);
    product_2x2<real>();
    matrix<interval> A(1, 1);
    A << interval(1) / 3;
    matrix<interval> B = A * A;
    BOOST_TEST(encloses(B(0, 0), exact(1, 9)));
}

BOOST_AUTO_TEST_CASE(usage_example_of_scalar_hpp) {
    matbp::precision_guard g(256);
    matbp::interval x = matbp::interval(1) / 3;
    static_assert(matbp::exact_field<matbp::exact>);
    BOOST_TEST(encloses(x, exact(1, 3)));
}

namespace {
// |C − A·B| ≤ γ_k·|A|·|B| entrywise, γ_k = k·u/(1 − k·u), u = 2⁻⁵³: the bound for a dot product of
// length k evaluated in any order, with or without FMA (Higham, 2nd ed., §3.1 and §3.5), in the
// standard model, which holds while no partial sum or product underflows. The operands here are
// in [−1, 1] with |x| ≥ 2⁻⁸ or x = 0 and k ≤ 200, so every product and partial sum is 0 or above
// 2⁻¹⁰²², far from the subnormal range. Checked exactly over ℚ.
void expect_within_gamma_k(const matrix<double>& C, const matrix<double>& A, const matrix<double>& B) {
    BOOST_REQUIRE_EQUAL(C.rows(), A.rows());
    BOOST_REQUIRE_EQUAL(C.cols(), B.cols());
    const long k = static_cast<long>(A.cols());
    const exact u = exact(1) / exact(bmp::mpz_int(1) << 53);
    const exact gamma = exact(k) * u / (exact(1) - exact(k) * u);
    const matrix<exact> Ae = A.cast<exact>(), Be = B.cast<exact>();
    const matrix<exact> P = Ae * Be, Pabs = Ae.cwiseAbs() * Be.cwiseAbs();
    long outside = 0;
    for (Eigen::Index j = 0; j < C.cols(); ++j)
        for (Eigen::Index i = 0; i < C.rows(); ++i)
            if (abs(exact(C(i, j)) - P(i, j)) > gamma * Pabs(i, j)) ++outside;
    BOOST_TEST(outside == 0);
}

matrix<double> random_matrix(Eigen::Index r, Eigen::Index c, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    matrix<double> M(r, c);
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) {
            const double x = d(rng);
            M(i, j) = std::abs(x) < 0x1p-8 ? 0.0 : x;
        }
    return M;
}
}  // namespace

BOOST_AUTO_TEST_CASE(double_product_within_gamma_k) {
    std::mt19937_64 rng(20261201);
    // Shapes of the benchmark's layers (a vector, a thin batch) and ones large enough for
    // OpenBLAS's blocked kernels; one and two threads.
    const int shapes[][3] = {{16, 16, 1}, {10, 32, 8}, {64, 64, 32}, {32, 200, 17}, {97, 130, 61}, {1, 150, 1}};
    for (unsigned threads : {1u, 2u}) {
        const blas_thread_scope scope(threads);
        for (const auto& s : shapes) {
            const Eigen::Index m = s[0], k = s[1], n = s[2];
            const matrix<double> A = random_matrix(m, k, rng), B = random_matrix(k, n, rng);
            const matrix<double> At = A.transpose(), Bt = B.transpose();
            expect_within_gamma_k(mul(A, B), A, B);
            expect_within_gamma_k(mul(At.transpose(), B), A, B);  // op(A) = Aᵀ read in place
            expect_within_gamma_k(mul(A, Bt.transpose()), A, B);  // op(B) = Bᵀ
            expect_within_gamma_k(mul(At.transpose(), Bt.transpose()), A, B);
            // A block of a larger matrix (outer stride > rows) and an expression (evaluated).
            matrix<double> big = random_matrix(m + 3, k + 2, rng);
            big.block(2, 1, m, k) = A;
            expect_within_gamma_k(mul(big.block(2, 1, m, k), B), A, B);
            expect_within_gamma_k(mul(A * 1.0, (B * 2.0) * 0.5), A, B);
        }
    }
}

BOOST_AUTO_TEST_CASE(blas_product_edges_and_preconditions) {
    const matrix<double> A(3, 0), B(0, 4);
    const matrix<double> C = mul(A, B);  // k = 0: an empty sum
    BOOST_TEST(C.rows() == 3);
    BOOST_TEST(C.cols() == 4);
    BOOST_TEST((C.array() == 0.0).all());
    const matrix<double> E = mul(matrix<double>(0, 5), matrix<double>::Ones(5, 2));
    BOOST_TEST(E.rows() == 0);
    BOOST_TEST(E.cols() == 2);
    // Precondition: the inner dimensions agree.
    const matrix<double> X = matrix<double>::Ones(2, 3), Y = matrix<double>::Ones(2, 3);
    BOOST_CHECK_THROW(blas_product(X, false, Y, false), std::invalid_argument);
    BOOST_CHECK_THROW(blas_product(X, true, Y, true), std::invalid_argument);
    BOOST_TEST((blas_product(X, true, Y, false) == matrix<double>::Constant(3, 3, 2.0)));
    BOOST_TEST((blas_product(X, false, Y, true) == matrix<double>::Constant(2, 2, 3.0)));
}

BOOST_AUTO_TEST_CASE(blas_product_into_reuses_and_refuses) {
    std::mt19937_64 rng(20261202);
    const matrix<double> A = random_matrix(40, 30, rng), B = random_matrix(30, 20, rng);
    const matrix<double> At = A.transpose(), Bt = B.transpose();
    matrix<double> C;
    mul_into(C, A, B);
    BOOST_TEST((C == mul(A, B)));
    const double* storage = C.data();
    mul_into(C, At.transpose(), Bt.transpose());  // the same shape: written in place
    BOOST_TEST(C.data() == storage);
    BOOST_TEST((C == mul(At.transpose(), Bt.transpose())));
    mul_into(C, A, Bt.transpose());
    BOOST_TEST((C == mul(A, Bt.transpose())));
    mul_into(C, B.transpose(), A.transpose());  // another shape: resized
    BOOST_TEST((C == mul(B.transpose(), A.transpose())));
    matrix<double> E(3, 3);
    mul_into(E, matrix<double>(3, 0), matrix<double>(0, 4));  // an empty sum
    BOOST_TEST((E == matrix<double>::Zero(3, 4)));
    // Preconditions: the product is not written into an operand; the inner dimensions agree.
    matrix<double> S = random_matrix(8, 8, rng);
    BOOST_CHECK_THROW(mul_into(S, S, B.topRows(8)), std::invalid_argument);
    BOOST_CHECK_THROW(mul_into(S, A.topRows(8).leftCols(8), S.transpose()), std::invalid_argument);
    matrix<double> big = random_matrix(20, 20, rng);
    BOOST_CHECK_THROW(blas_product_into(big, big.block(2, 2, 8, 8), false, S, false), std::invalid_argument);
    BOOST_CHECK_THROW(mul_into(C, A, A), std::invalid_argument);
    BOOST_CHECK_THROW(blas_product_into(C, A, true, B, false), std::invalid_argument);
    // Over ℚ: the product assigned.
    matrix<exact> Q(2, 2), R;
    Q << exact(1, 3), 2, -1, exact(5, 7);
    mul_into(R, Q, Q.transpose());
    BOOST_TEST((R == mul(Q, Q.transpose())));
}

BOOST_AUTO_TEST_CASE(blas_thread_scope_sets_and_restores) {
    set_blas_threads(1);
    BOOST_TEST(blas_threads() == 1u);
    {
        const blas_thread_scope two(2);
        BOOST_TEST(blas_threads() == 2u);
        const blas_thread_scope keep(0);  // 0: left as it is
        BOOST_TEST(blas_threads() == 2u);
    }
    BOOST_TEST(blas_threads() == 1u);
    BOOST_TEST(blas_config().find("OpenBLAS") != std::string::npos);
}
