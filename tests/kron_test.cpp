// Tests for src/matbp/kron.hpp and src/matbp/equation.hpp.
//
// Test plan
//   D1  D1_vec_stacks_columns           vec X against Eigen's own column-major storage of X
//   D2  D2_unvec_inverts_vec            unvec(vec X) = X, vec(unvec v) = v;  D2 precondition
//   D3  D3_kron_matches_eigen_kronecker against Eigen's unsupported KroneckerProduct (independent)
//   D4  D4_commutation_is_permutation   K Kᵀ = I, K_{mn}ᵀ = K_{nm}, one 1 per row;  D4 precondition
//   D5  D5_diag_and_identity            I·M = M = M·I, diag(v)·1 = v;  D5 precondition
//   L1  L1_vec_of_product_eq_kron_vec   exact ==, double within k·ε, interval encloses;  L1 preconditions
//   L2  L2_kron_mixed_product           same three types;  L2 preconditions
//   L3  L3_kron_transpose_eq_kron_of_transposes
//   L4  L4_commutation_maps_vec_to_vec_transpose
//   usage_example_of_kron_hpp, usage_example_of_equation_hpp: the header usage examples.
#define BOOST_TEST_MODULE kron
#include "matbp/kron.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>
#include <unsupported/Eigen/KroneckerProduct>

using namespace matbp;
using matbp::testing::abs_of;
using matbp::testing::expect_violation;
using matbp::testing::gen_dim;
using matbp::testing::gen_matrix;

namespace {

/// Entrywise max of two exact matrices of one shape.
matrix<exact> emax(const matrix<exact>& a, const matrix<exact>& b) {
    return a.binaryExpr(b, [](const exact& x, const exact& y) { return x < y ? y : x; });
}

/// A lemma, given as a callable on matrices of one scalar type, checked over ℚ (==), double
/// (k·ε of the absolute-value evaluation) and 128-bit intervals (containment of the exact value).
template <class Lemma, class... M>
void check_over_all_types(Lemma lemma, double k, const M&... in) {
    const auto ex = lemma(in...);
    RC_ASSERT(holds_exactly(ex));
    const auto ab = lemma(abs_of(in)...);
    const matrix<exact> bound = emax(ab.lhs, ab.rhs);
    const auto d = lemma(matrix<double>(from_exact<double>(in))...);
    RC_ASSERT(matbp::testing::double_within(d.lhs, ex.rhs, bound, k) == "");
    RC_ASSERT(matbp::testing::double_within(d.rhs, ex.rhs, bound, k) == "");
    precision_guard g(128);
    const auto iv = lemma(matrix<interval>(from_exact<interval>(in))...);
    RC_ASSERT(matbp::testing::interval_encloses(iv.lhs, ex.rhs) == "");
    RC_ASSERT(matbp::testing::interval_encloses(iv.rhs, ex.rhs) == "");
}

}  // namespace

RC_BOOST_PROP(D1_vec_stacks_columns, ()) {
    const auto X = *gen_matrix(gen_dim(), gen_dim());
    const colvec<exact> v = vec<exact>(X);
    // Eigen stores a dynamic matrix column-major: its storage order is vec X by definition.
    const Eigen::Map<const colvec<exact>> storage(X.data(), X.size());
    RC_ASSERT(same_matrix(v, storage));
}

RC_BOOST_PROP(D2_unvec_inverts_vec, ()) {
    const auto n = gen_dim(), q = gen_dim();
    const auto X = *gen_matrix(n, q);
    RC_ASSERT(same_matrix(unvec<exact>(vec<exact>(X), n, q), X));
    const colvec<exact> v = *gen_matrix(n * q, 1);
    RC_ASSERT(same_matrix(vec<exact>(unvec<exact>(v, n, q)), v));
}

BOOST_AUTO_TEST_CASE(D2_precondition_size_matches) {
    expect_violation("D2", [] { unvec<exact>(colvec<exact>::Zero(5), 2, 3); });
    expect_violation("D2", [] { unvec<exact>(colvec<exact>::Zero(0), -1, 0); });
}

RC_BOOST_PROP(D3_kron_matches_eigen_kronecker, ()) {
    const auto A = *gen_matrix(gen_dim(), gen_dim());
    const auto B = *gen_matrix(gen_dim(), gen_dim());
    const matrix<exact> reference = Eigen::kroneckerProduct(A, B);
    RC_ASSERT(same_matrix(kron<exact>(A, B), reference));
}

RC_BOOST_PROP(D4_commutation_is_permutation, ()) {
    const auto m = gen_dim(), n = gen_dim();
    const auto K = commutation_matrix<exact>(m, n);
    RC_ASSERT(same_matrix(matrix<exact>(K * K.transpose()), identity<exact>(m * n)));
    RC_ASSERT(same_matrix(matrix<exact>(K.transpose()), commutation_matrix<exact>(n, m)));
    for (Eigen::Index i = 0; i < K.rows(); ++i) RC_ASSERT(K.row(i).sum() == exact(1));
}

BOOST_AUTO_TEST_CASE(D4_precondition_nonnegative) {
    expect_violation("D4", [] { commutation_matrix<exact>(-1, 2); });
}

RC_BOOST_PROP(D5_diag_and_identity, ()) {
    const auto m = gen_dim(), n = gen_dim();
    const auto M = *gen_matrix(m, n);
    RC_ASSERT(same_matrix(matrix<exact>(identity<exact>(m) * M), M));
    RC_ASSERT(same_matrix(matrix<exact>(M * identity<exact>(n)), M));
    const colvec<exact> v = *gen_matrix(m, 1);
    RC_ASSERT(same_matrix(colvec<exact>(diag<exact>(v) * colvec<exact>::Ones(m)), v));
}

BOOST_AUTO_TEST_CASE(D5_precondition_nonnegative) {
    expect_violation("D5", [] { identity<exact>(-3); });
}

RC_BOOST_PROP(L1_vec_of_product_eq_kron_vec, ()) {
    const auto m = gen_dim(), n = gen_dim(), p = gen_dim(), q = gen_dim();
    const auto A = *gen_matrix(m, n), B = *gen_matrix(n, p), C = *gen_matrix(p, q);
    // k: at most n·p products summed per entry on either side, 3 rounded inputs, 2 spare.
    check_over_all_types([](const auto&... M) { return vec_of_product_eq_kron_vec(M...); }, double(n * p + 5), A, B, C);
}

BOOST_AUTO_TEST_CASE(L1_preconditions_conformable) {
    const matrix<exact> A = matrix<exact>::Zero(2, 3), B = matrix<exact>::Zero(2, 2);
    expect_violation("L1", [&] { vec_of_product_eq_kron_vec<exact>(A, B, B); });
    const matrix<exact> B3 = matrix<exact>::Zero(3, 4);
    expect_violation("L1", [&] { vec_of_product_eq_kron_vec<exact>(A, B3, B); });
}

RC_BOOST_PROP(L2_kron_mixed_product, ()) {
    const auto m = gen_dim(), n = gen_dim(), p = gen_dim(), q = gen_dim(), r = gen_dim(), s = gen_dim();
    const auto A = *gen_matrix(m, n), C = *gen_matrix(n, r);
    const auto B = *gen_matrix(p, q), D = *gen_matrix(q, s);
    // k: n·q products per entry, 4 rounded inputs, 2 spare.
    check_over_all_types([](const auto&... M) { return kron_mixed_product(M...); }, double(n * q + 6), A, B, C, D);
}

BOOST_AUTO_TEST_CASE(L2_preconditions_conformable) {
    const matrix<exact> A = matrix<exact>::Zero(2, 3), B = matrix<exact>::Zero(2, 2);
    expect_violation("L2", [&] { kron_mixed_product<exact>(A, B, B, B); });
    expect_violation("L2", [&] { kron_mixed_product<exact>(B, A, B, B); });
}

RC_BOOST_PROP(L3_kron_transpose_eq_kron_of_transposes, ()) {
    const auto A = *gen_matrix(gen_dim(), gen_dim());
    const auto B = *gen_matrix(gen_dim(), gen_dim());
    // k: one product per entry and 2 rounded inputs.
    check_over_all_types([](const auto&... M) { return kron_transpose_eq_kron_of_transposes(M...); }, 3.0, A, B);
}

RC_BOOST_PROP(L4_commutation_maps_vec_to_vec_transpose, ()) {
    const auto m = gen_dim(), n = gen_dim();
    const auto A = *gen_matrix(m, n);
    // k: a permutation product sums one nonzero term per entry, 1 rounded input.
    check_over_all_types([](const auto&... M) { return commutation_maps_vec_to_vec_transpose(M...); },
                         double(m * n + 2), A);
}

BOOST_AUTO_TEST_CASE(usage_example_of_kron_hpp) {
    matrix<exact> A(1, 2), B(2, 1), C(1, 1);
    A << 1, 2;
    B << exact(1, 3), exact(-1, 2);
    C << 6;
    auto eq = vec_of_product_eq_kron_vec(A, B, C);
    BOOST_TEST(holds_exactly(eq));
    // A·B·C = (1/3 − 1)·6 = −4, worked by hand.
    BOOST_TEST(eq.lhs(0, 0) == exact(-4));
}

BOOST_AUTO_TEST_CASE(usage_example_of_equation_hpp) {
    matrix<exact> A = identity<exact>(2), B = identity<exact>(2);
    BOOST_TEST(holds_exactly(kron_transpose_eq_kron_of_transposes(A, B)));
    equation<matrix<exact>> wrong{"L3", A, matrix<exact>::Zero(2, 2)};
    BOOST_TEST(!holds_exactly(wrong));
    // Two sides that differ in the last entry only (mutant equation_1, a comparison that skipped
    // the last row, survived the case above, whose sides differ in the first entry).
    matrix<exact> last = A;
    last(1, 1) = exact(2);
    BOOST_TEST(!holds_exactly(equation<matrix<exact>>{"L3", A, last}));
}
