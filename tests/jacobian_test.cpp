// Tests for src/matbp/jacobian.hpp.
//
// Test plan
//   D6  D6_definition_eq_differences_for_affine  AD Jacobian of X ↦ AXB + C equals exact differences
//       D6_transpose_has_commutation_jacobian    D(X ↦ Xᵀ) = K_{nq}: the entry formula agrees with D4
//       D6_entry_formula_hadamard_square         ∂(X∘X)_ij/∂X_rs = 2X_ij[i=r][j=s], entry by entry
//       D6_gradient_layout                       ∇ of X ↦ Σ C_rs X_rs is C
//       D6_preconditions
//   L5  L5_first_identification                  DF = A for F(X) = AXB + X∘X with A = Bᵀ⊗A + diag(2 vec X);
//       L5_hypothesis_checked                    a wrong A violates L5 at the expensive level; shapes
//   L6  L6_chain_rule                            exact, for G(Y) = (Y∘Y)P with F(X) = AXB; D(G∘F) by AD
//                                                == DG·DF by AD == the Jacobians by hand (Kronecker
//                                                forms, not AD)
//       L6_chain_rule_double                     same over double, within k·ε
//   usage_example_of_jacobian_hpp
#define BOOST_TEST_MODULE jacobian
#include "matbp/jacobian.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace matbp;
using matbp::testing::expect_violation;
using matbp::testing::gen_dim;
using matbp::testing::gen_matrix;

namespace {
template <class S, class T>
matrix<S> cast(const matrix<T>& M) {
    return M.template cast<S>();
}
}  // namespace

RC_BOOST_PROP(D6_definition_eq_differences_for_affine, ()) {
    const auto m = gen_dim(), n = gen_dim(), q = gen_dim(), p = gen_dim();
    const auto A = *gen_matrix(m, n), B = *gen_matrix(q, p), C = *gen_matrix(m, p);
    const auto X = *gen_matrix(n, q);
    auto F = [&](const auto& V) {
        using S = typename std::decay_t<decltype(V)>::Scalar;
        return matrix<S>(mul(mul(cast<S>(A), V), cast<S>(B)) + cast<S>(C));
    };
    RC_ASSERT(same_matrix(jacobian_by_definition(F, X), jacobian_of_affine_by_differences(F, X)));
}

RC_BOOST_PROP(D6_transpose_has_commutation_jacobian, ()) {
    const auto n = gen_dim(), q = gen_dim();
    const auto X = *gen_matrix(n, q);
    auto F = [](const auto& V) { return decltype(V.eval())(V.transpose()); };
    RC_ASSERT(same_matrix(jacobian_by_definition(F, X), commutation_matrix<exact>(n, q)));
}

RC_BOOST_PROP(D6_entry_formula_hadamard_square, ()) {
    const auto n = gen_dim(), q = gen_dim();
    const auto X = *gen_matrix(n, q);
    auto F = [](const auto& V) { return decltype(V.eval())(V.cwiseProduct(V)); };
    const auto J = jacobian_by_definition(F, X);
    RC_ASSERT(J.rows() == n * q && J.cols() == n * q);
    for (Eigen::Index j = 0; j < q; ++j)
        for (Eigen::Index i = 0; i < n; ++i)
            for (Eigen::Index s = 0; s < q; ++s)
                for (Eigen::Index r = 0; r < n; ++r) {
                    const exact want = (i == r && j == s) ? exact(2 * X(i, j)) : exact(0);
                    RC_ASSERT(J(i + j * n, r + s * n) == want);
                }
}

RC_BOOST_PROP(D6_gradient_layout, ()) {
    const auto n = gen_dim(), q = gen_dim();
    const auto C = *gen_matrix(n, q), X = *gen_matrix(n, q);
    auto f = [&](const auto& V) {
        using S = typename std::decay_t<decltype(V)>::Scalar;
        matrix<S> r(1, 1);
        r(0, 0) = cast<S>(C).cwiseProduct(V).sum();
        return r;
    };
    const auto J = jacobian_by_definition(f, X);
    RC_ASSERT(same_matrix(gradient_from_jacobian(J, n, q), C));
}

BOOST_AUTO_TEST_CASE(D6_preconditions) {
    auto id = [](const auto& V) { return V.eval(); };
    expect_violation("D6", [&] { jacobian_by_definition(id, matrix<exact>(0, 0)); });
    expect_violation("D6", [&] { jacobian_of_affine_by_differences(id, matrix<exact>(0, 3)); });
    expect_violation("D6", [] { gradient_from_jacobian(matrix<exact>(2, 4), 2, 2); });
    expect_violation("D6", [] { gradient_from_jacobian(matrix<exact>(1, 4), 3, 2); });
}

namespace {
struct l5_case {
    matrix<exact> A, B, X, dX;
    auto F() const {
        return [this](const auto& V) {
            using S = typename std::decay_t<decltype(V)>::Scalar;
            return matrix<S>(mul(mul(cast<S>(A), V), cast<S>(B)) + V.cwiseProduct(V));
        };
    }
    /// d vec(AXB + X∘X) = (Bᵀ⊗A + diag(2 vec X)) d vec X, worked out by hand.
    matrix<exact> differential_matrix() const {
        const matrix<exact> Bt = B.transpose();
        return kron<exact>(Bt, A) + diag<exact>(colvec<exact>(2 * vec<exact>(X)));
    }
};
l5_case gen_l5_case() {
    const auto n = gen_dim();
    return {*gen_matrix(n, n), *gen_matrix(n, n), *gen_matrix(n, n), *gen_matrix(n, n)};
}
}  // namespace

RC_BOOST_PROP(L5_first_identification, ()) {
    contract_level_guard g(contract_level::expensive);
    const auto c = gen_l5_case();
    RC_ASSERT(holds_exactly(first_identification(c.F(), c.X, c.differential_matrix(), c.dX)));
}

BOOST_AUTO_TEST_CASE(L5_hypothesis_checked) {
    contract_level_guard g(contract_level::expensive);
    l5_case c{identity<exact>(2), identity<exact>(2), identity<exact>(2), matrix<exact>::Ones(2, 2)};
    matrix<exact> wrong = c.differential_matrix();
    wrong(0, 0) += 1;
    expect_violation("L5", [&] { first_identification(c.F(), c.X, wrong, c.dX); });
    expect_violation("L5", [&] { first_identification(c.F(), c.X, matrix<exact>(3, 4), c.dX); });
    expect_violation("L5", [&] { first_identification(c.F(), c.X, c.differential_matrix(), matrix<exact>(1, 2)); });
}

namespace {
template <class T>
auto chain_inputs(const matrix<T>& A, const matrix<T>& B, const matrix<T>& P) {
    auto F = [=](const auto& V) {
        using S = typename std::decay_t<decltype(V)>::Scalar;
        return matrix<S>(mul(mul(cast<S>(A), V), cast<S>(B)));
    };
    auto G = [=](const auto& Y) {
        using S = typename std::decay_t<decltype(Y)>::Scalar;
        return matrix<S>(mul(matrix<S>(Y.cwiseProduct(Y)), cast<S>(P)));
    };
    return std::pair(G, F);
}
}  // namespace

RC_BOOST_PROP(L6_chain_rule, ()) {
    const auto m = gen_dim(), n = gen_dim(), q = gen_dim(), p = gen_dim(), r = gen_dim();
    const auto A = *gen_matrix(m, n), B = *gen_matrix(q, p), P = *gen_matrix(p, r), X = *gen_matrix(n, q);
    auto [G, F] = chain_inputs(A, B, P);
    const auto eq = chain_rule(G, F, X);
    RC_ASSERT(holds_exactly(eq));
    // Both sides above come from the same AD (jacobian_by_definition); the Jacobians by hand do
    // not: DF(X) = Bᵀ ⊗ A (L1), DG(Y) = (Pᵀ ⊗ I_m)·diag(2 vec Y) at Y = F(X) (L1 and D6 of Y∘Y).
    const matrix<exact> Y = mul(mul(A, X), B);
    const matrix<exact> Bt = B.transpose(), Pt = P.transpose();
    const matrix<exact> dF = kron<exact>(Bt, A);
    const matrix<exact> dG =
        mul(kron<exact>(Pt, identity<exact>(m)), diag<exact>(colvec<exact>(vec<exact>(Y) * exact(2))));
    RC_ASSERT(same_matrix(eq.lhs, mul(dG, dF)));
}

RC_BOOST_PROP(L6_chain_rule_double, ()) {
    const auto m = gen_dim(), n = gen_dim(), q = gen_dim(), p = gen_dim(), r = gen_dim();
    const auto A = *gen_matrix(m, n), B = *gen_matrix(q, p), P = *gen_matrix(p, r), X = *gen_matrix(n, q);
    auto [G, F] = chain_inputs(A, B, P);
    const auto ex = chain_rule(G, F, X);
    auto [Gd, Fd] = chain_inputs(from_exact<double>(A), from_exact<double>(B), from_exact<double>(P));
    const auto d = chain_rule(Gd, Fd, matrix<double>(from_exact<double>(X)));
    // Bound: the same Jacobians on |inputs|. k: the longest sum is n·q·p·m terms deep in products of
    // at most 5 rounded factors; 4·(n·q + p·m) + 10 covers γ for every dot product involved.
    auto [Ga, Fa] = chain_inputs(matbp::testing::abs_of(A), matbp::testing::abs_of(B), matbp::testing::abs_of(P));
    const auto ab = chain_rule(Ga, Fa, matbp::testing::abs_of(X));
    const matrix<exact> bound = ab.rhs.cwiseAbs();
    const double k = 4.0 * double(n * q + p * m) + 10.0;
    RC_ASSERT(matbp::testing::double_within(d.lhs, ex.lhs, bound, k) == "");
    RC_ASSERT(matbp::testing::double_within(d.rhs, ex.rhs, bound, k) == "");
}

BOOST_AUTO_TEST_CASE(usage_example_of_jacobian_hpp) {
    auto square = [](const auto& X) { return decltype(X.eval())(X.cwiseProduct(X)); };
    matbp::matrix<matbp::exact> X(1, 1);
    X << 3;
    const auto J = matbp::jacobian_by_definition(square, X);
    BOOST_TEST(J(0, 0) == exact(6));  // d(x²)/dx = 2x = 6 at x = 3
}
