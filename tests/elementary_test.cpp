// Tests for src/matbp/elementary.hpp.
//
// Test plan
//   D7  D7_elementwise_applies_f_per_entry     f⃗(Z)(i,j) = f(Z(i,j)) for a batch; hand values for ReLU
//   D8  D8_affine_potential                    W a + b against an explicit sum;  D8 preconditions
//   D9  D9_squared_error                       ½Σ(aᵢ−yᵢ)² against an explicit sum;  D9 preconditions
//   L7  L7_jacobian_of_elementwise_eq_diag     AD of f⃗ = diag(f′), every exact activation, zeros included
//       L7_interval_encloses                   diag(f′) over intervals contains the exact value
//       L7_precondition_column
//   L8  L8_W_jacobian_wrt_weights_eq_kron      AD = aᵀ⊗I = exact differences
//       L8_a_jacobian_wrt_input_eq_weights     AD = W = exact differences
//       L8_b_jacobian_wrt_bias_eq_identity     AD = I = exact differences
//       L8_preconditions
//   L9  L9_jacobian_of_squared_error           AD = (a−y)ᵀ;  L9 preconditions
//   usage_example_of_elementary_hpp
#define BOOST_TEST_MODULE elementary
#include "matbp/elementary.hpp"
#include "matbp/network.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace matbp;
using namespace matbp::testing;

RC_BOOST_PROP(D7_elementwise_applies_f_per_entry, ()) {
    const auto f = *gen_activation();
    const auto Z = *gen_matrix(gen_dim(), gen_dim());
    const auto R = elementwise(f, Z);
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
        for (Eigen::Index i = 0; i < Z.rows(); ++i) RC_ASSERT(R(i, j) == evaluate(f, Z(i, j)));
}

BOOST_AUTO_TEST_CASE(D7_relu_hand_values) {
    matrix<exact> z(3, 1);
    z << -1, 0, exact(5, 2);
    const auto r = elementwise(activation<exact>(relu_fn{}), z);
    BOOST_TEST(r(0, 0) == exact(0));
    BOOST_TEST(r(1, 0) == exact(0));
    BOOST_TEST(r(2, 0) == exact(5, 2));
}

RC_BOOST_PROP(D8_affine_potential, ()) {
    const auto m = gen_dim(), n = gen_dim();
    const auto W = *gen_matrix(m, n), a = *gen_matrix(n, 1), b = *gen_matrix(m, 1);
    const auto z = affine_potential<exact>(W, a, b);
    for (Eigen::Index i = 0; i < m; ++i) {
        exact s = b(i, 0);
        for (Eigen::Index j = 0; j < n; ++j) s += W(i, j) * a(j, 0);
        RC_ASSERT(z(i, 0) == s);
    }
}

BOOST_AUTO_TEST_CASE(D8_preconditions) {
    const matrix<exact> W = matrix<exact>::Zero(2, 3), a = matrix<exact>::Zero(3, 1), b = matrix<exact>::Zero(2, 1);
    expect_violation("D8", [&] { affine_potential<exact>(W, matrix<exact>::Zero(2, 1), b); });
    expect_violation("D8", [&] { affine_potential<exact>(W, a, matrix<exact>::Zero(3, 1)); });
    expect_violation("D8", [&] { affine_potential<exact>(W, matrix<exact>::Zero(3, 2), b); });
}

RC_BOOST_PROP(D9_squared_error, ()) {
    const auto m = gen_dim();
    const auto a = *gen_matrix(m, 1), y = *gen_matrix(m, 1);
    exact s = 0;
    for (Eigen::Index i = 0; i < m; ++i) s += (a(i, 0) - y(i, 0)) * (a(i, 0) - y(i, 0));
    RC_ASSERT(squared_error<exact>(a, y)(0, 0) == s / 2);
}

BOOST_AUTO_TEST_CASE(D9_preconditions) {
    expect_violation("D9", [] { squared_error<exact>(matrix<exact>::Zero(2, 1), matrix<exact>::Zero(3, 1)); });
    expect_violation("D9", [] { squared_error<exact>(matrix<exact>::Zero(2, 2), matrix<exact>::Zero(2, 2)); });
}

RC_BOOST_PROP(L7_jacobian_of_elementwise_eq_diag, ()) {
    const auto f = *gen_activation();
    const auto z = *gen_column_with_zeros(gen_dim());
    RC_ASSERT(holds_exactly(jacobian_of_elementwise_eq_diag(f, z)));
}

RC_BOOST_PROP(L7_interval_encloses, ()) {
    const auto f = *gen_activation();
    const auto z = *gen_column_with_zeros(gen_dim());
    const auto exact_diag = diag_of_derivative(f, z);
    precision_guard g(128);
    const activation<interval> fi = convert_activation<interval>(f);
    RC_ASSERT(interval_encloses(diag_of_derivative(fi, matrix<interval>(from_exact<interval>(z))), exact_diag) == "");
}

BOOST_AUTO_TEST_CASE(L7_precondition_column) {
    expect_violation(
        "L7", [] { diag_of_derivative(activation<exact>(relu_fn{}), matrix<exact>(matrix<exact>::Zero(2, 2))); });
    expect_violation("L7", [] {
        jacobian_of_elementwise_eq_diag(activation<exact>(relu_fn{}), matrix<exact>(matrix<exact>::Zero(2, 2)));
    });
}

namespace {
struct potential_case {
    matrix<exact> W, a, b;
};
potential_case gen_potential_case() {
    const auto m = gen_dim(), n = gen_dim();
    return {*gen_matrix(m, n), *gen_matrix(n, 1), *gen_matrix(m, 1)};
}
}  // namespace

RC_BOOST_PROP(L8_W_jacobian_wrt_weights_eq_kron, ()) {
    const auto c = gen_potential_case();
    const auto eq = jacobian_of_potential_wrt_weights(c.W, c.a, c.b);
    RC_ASSERT(holds_exactly(eq));
    auto z_of_W = [&](const matrix<exact>& V) { return affine_potential<exact>(V, c.a, c.b); };
    RC_ASSERT(same_matrix(eq.rhs, jacobian_of_affine_by_differences(z_of_W, c.W)));
}

RC_BOOST_PROP(L8_a_jacobian_wrt_input_eq_weights, ()) {
    const auto c = gen_potential_case();
    const auto eq = jacobian_of_potential_wrt_input(c.W, c.a, c.b);
    RC_ASSERT(holds_exactly(eq));
    auto z_of_a = [&](const matrix<exact>& x) { return affine_potential<exact>(c.W, x, c.b); };
    RC_ASSERT(same_matrix(eq.rhs, jacobian_of_affine_by_differences(z_of_a, c.a)));
}

RC_BOOST_PROP(L8_b_jacobian_wrt_bias_eq_identity, ()) {
    const auto c = gen_potential_case();
    const auto eq = jacobian_of_potential_wrt_bias(c.W, c.a, c.b);
    RC_ASSERT(holds_exactly(eq));
    auto z_of_b = [&](const matrix<exact>& v) { return affine_potential<exact>(c.W, c.a, v); };
    RC_ASSERT(same_matrix(eq.rhs, jacobian_of_affine_by_differences(z_of_b, c.b)));
}

BOOST_AUTO_TEST_CASE(L8_preconditions) {
    const matrix<exact> W = matrix<exact>::Zero(2, 3), a = matrix<exact>::Zero(3, 1), b = matrix<exact>::Zero(2, 1);
    const matrix<exact> bad = matrix<exact>::Zero(4, 1);
    expect_violation("L8.W", [&] { jacobian_of_potential_wrt_weights<exact>(W, bad, b); });
    expect_violation("L8.W", [&] { d_potential_d_weights<exact>(matrix<exact>::Zero(3, 2), 2); });
    expect_violation("L8.a", [&] { jacobian_of_potential_wrt_input<exact>(W, a, bad); });
    expect_violation("L8.b", [&] { jacobian_of_potential_wrt_bias<exact>(W, bad, b); });
}

RC_BOOST_PROP(L9_jacobian_of_squared_error, ()) {
    const auto m = gen_dim();
    RC_ASSERT(holds_exactly(jacobian_of_squared_error<exact>(*gen_matrix(m, 1), *gen_matrix(m, 1))));
}

BOOST_AUTO_TEST_CASE(L9_preconditions) {
    expect_violation("L9", [] { d_squared_error<exact>(matrix<exact>::Zero(2, 1), matrix<exact>::Zero(3, 1)); });
    expect_violation("L9",
                     [] { jacobian_of_squared_error<exact>(matrix<exact>::Zero(2, 2), matrix<exact>::Zero(2, 2)); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_elementary_hpp) {
    matrix<exact> W(1, 2), a(2, 1), b(1, 1);
    W << 1, 2;
    a << exact(1, 2), -3;
    b << 7;
    auto eq = matbp::jacobian_of_potential_wrt_weights(W, a, b);
    BOOST_TEST(matbp::holds_exactly(eq));
    // aᵀ ⊗ I₁ = aᵀ = [1/2, −3]
    BOOST_TEST(eq.rhs(0, 0) == exact(1, 2));
    BOOST_TEST(eq.rhs(0, 1) == exact(-3));
}
