// Tests for src/matbp/induction.hpp: every step of the induction, on random exact networks
// (depth 1…6, widths 1…6, random exact activations, rationals with many zeros so kinks occur),
// against derivative sources that share no code with the step functions:
//   AD   forward-mode AD of D16 (jacobian_by_definition of cost_as_function_of_potential), and of
//        the whole cost with respect to every parameter (support/reference.hpp);
//   KC   the literal Kronecker chain of Jacobians (support/reference.hpp).
//
// Test plan
//   D15 D15_backpropagated_errors_recursion    entrywise recomputation of δᵏ and δˡ
//   D16 D16_cost_as_function_of_potential_composes  c̃_l(zˡ) = c for every l; c̃_l = c̃_{l+1}∘(W f + b)
//   P1  P1_claim_holds_at_every_layer          (Dc̃_l(zˡ))ᵀ by AD == δˡ, every l
//       P1_at_kink_eq_conventional_derivative  a ReLU unit at exactly 0: AD and δ agree on D11's value
//       P1_kink_example_differs_from_true_derivative  spec/theorem.md's example
//       P1_precondition_layer
//   T1  T1_base_holds_exactly                  lhs == rhs == AD
//       T1_step_holds_exactly                  hypothesis (AD of c̃_{l+1}) == δˡ⁺¹; lhs == rhs == AD, every l
//       T1_step_rejects_false_hypothesis       a hypothesis ≠ δˡ⁺¹ is a T1.step precondition violation
//       T1_W_gradient_eq_delta_times_activation  lhs == rhs == AD == KC
//       T1_b_gradient_eq_delta                 lhs == rhs == AD == KC
//       T1_jac_jacobian_form_eq_vec_of_gradient
//       T1_backprop_by_induction_eq_ad         every recorded step holds; dW, db == AD == KC;
//                                              with the expensive contracts on
//       T1_interval_encloses_exact             the induction over 128-bit intervals contains the exact gradients
//       T1_preconditions
//       T1_postconditions_by_ad_can_fail       a (dc, δ) pair that meets the hypothesis but is not
//                                              the derivative: lhs == rhs (a tautology), and the
//                                              expensive AD postconditions of T1.W, T1.b, T1.step,
//                                              T1.base (inconsistent forward pass) raise
//       T1_holds_for_every_loss                every exact loss of the registry: every step holds,
//                                              gradients == AD of the cost == KC with that loss
//   usage_example_of_induction_hpp
#define BOOST_TEST_MODULE induction
#include "matbp/induction.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"
#include "support/reference.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace matbp;
using namespace matbp::testing;

namespace {
struct sample_case {
    mlp<exact> net;
    matrix<exact> x, y;
};
sample_case gen_sample_case() {
    auto net = gen_network();
    auto x = *gen_sparse_matrix(net.width(0), 1);
    auto y = *gen_matrix(net.width(net.depth()), 1);
    return {std::move(net), std::move(x), std::move(y)};
}
/// Dc̃_l(zˡ) by AD (a 1 × m_l row).
matrix<exact> dc_by_ad(const sample_case& c, const forward_values<exact>& fwd, Eigen::Index l) {
    return jacobian_by_definition(cost_as_function_of_potential(c.net, l, c.y), fwd.z[l]);
}
}  // namespace

RC_BOOST_PROP(D15_backpropagated_errors_recursion, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const auto delta = backpropagated_errors(c.net, fwd, c.y);
    const Eigen::Index k = c.net.depth();
    for (Eigen::Index i = 0; i < c.net.width(k); ++i)
        RC_ASSERT(delta[k](i, 0) == derivative(c.net.layers[k - 1].f, fwd.z[k](i, 0)) * (fwd.a[k](i, 0) - c.y(i, 0)));
    for (Eigen::Index l = k - 1; l >= 1; --l)
        for (Eigen::Index i = 0; i < c.net.width(l); ++i) {
            exact s = 0;
            for (Eigen::Index j = 0; j < c.net.width(l + 1); ++j) s += c.net.layers[l].W(j, i) * delta[l + 1](j, 0);
            RC_ASSERT(delta[l](i, 0) == derivative(c.net.layers[l - 1].f, fwd.z[l](i, 0)) * s);
        }
}

RC_BOOST_PROP(D16_cost_as_function_of_potential_composes, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const exact cost = sample_cost(c.net, c.x, c.y);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        const auto ct = cost_as_function_of_potential(c.net, l, c.y);
        RC_ASSERT(ct(fwd.z[l])(0, 0) == cost);
        if (l < c.net.depth()) {
            const auto z = *gen_matrix(c.net.width(l), 1);
            const auto& L = c.net.layers[l];
            const auto next = cost_as_function_of_potential(c.net, l + 1, c.y);
            RC_ASSERT(ct(z)(0, 0) ==
                      next(affine_potential<exact>(L.W, elementwise(c.net.layers[l - 1].f, z), L.b))(0, 0));
        }
    }
}

RC_BOOST_PROP(P1_claim_holds_at_every_layer, ()) {
    const auto c = gen_sample_case();
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l)
        RC_ASSERT(holds_exactly(claim_potential_gradient_eq_delta(c.net, c.x, c.y, l)));
}

BOOST_AUTO_TEST_CASE(P1_at_kink_eq_conventional_derivative) {
    // One ReLU unit whose potential is exactly 0 (x = 0, b = 0): D11 gives δ¹ = 0; AD of D16
    // differentiates max at 0 the same way.
    mlp<exact> net;
    matrix<exact> W1(1, 1), b1(1, 1), W2(1, 1), b2(1, 1), x(1, 1), y(1, 1);
    W1 << 3;
    b1 << 0;
    W2 << 2;
    b2 << 1;
    x << 0;
    y << 5;
    net.layers.push_back({W1, b1, relu_fn{}});
    net.layers.push_back({W2, b2, identity_fn{}});
    const auto eq = claim_potential_gradient_eq_delta(net, x, y, 1);
    BOOST_TEST(holds_exactly(eq));
    BOOST_TEST(eq.rhs(0, 0) == exact(0));
    BOOST_TEST(find_kinks(net, forward(net, x)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(P1_kink_example_differs_from_true_derivative) {
    // spec/theorem.md, P1: widths (1, 1, 2, 1), ReLU in layer 2 with both potentials at 0.
    mlp<exact> net;
    matrix<exact> W1(1, 1), b1(1, 1), W2(2, 1), b2(2, 1), W3(1, 2), b3(1, 1), x(1, 1), y(1, 1);
    W1 << 1;
    b1 << 0;
    W2 << 1, -1;
    b2 << 0, 0;
    W3 << 1, -1;
    b3 << 0;
    x << 0;
    y << 1;
    net.layers.push_back({W1, b1, identity_fn{}});
    net.layers.push_back({W2, b2, relu_fn{}});
    net.layers.push_back({W3, b3, identity_fn{}});
    const auto ct = cost_as_function_of_potential(net, 1, y);
    // c̃_1(z) = ½(z − 1)², so the symmetric quotient is exact: (c̃_1(h) − c̃_1(−h))/(2h) = −1.
    matrix<exact> h(1, 1), mh(1, 1);
    h << exact(1, 7);
    mh << exact(-1, 7);
    BOOST_TEST((ct(h)(0, 0) - ct(mh)(0, 0)) / (2 * h(0, 0)) == exact(-1));
    const auto eq = claim_potential_gradient_eq_delta(net, x, y, 1);
    BOOST_TEST(eq.rhs(0, 0) == exact(0));                       // δ¹ = 0 under D11
    BOOST_TEST(holds_exactly(eq));                              // and AD computes the same conventional value
    BOOST_TEST(find_kinks(net, forward(net, x)).size() == 2u);  // both kinks are reported
}

BOOST_AUTO_TEST_CASE(P1_precondition_layer) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Ones(1, 1), matrix<exact>::Zero(1, 1), relu_fn{}});
    const matrix<exact> x = matrix<exact>::Ones(1, 1);
    expect_violation("P1", [&] { claim_potential_gradient_eq_delta(net, x, x, 0); });
    expect_violation("P1", [&] { claim_potential_gradient_eq_delta(net, x, x, 2); });
    expect_violation("D16", [&] { cost_as_function_of_potential(net, 2, x); });
}

RC_BOOST_PROP(T1_base_holds_exactly, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const auto eq = potential_gradient_at_output_eq_delta(c.net, fwd, c.y);
    RC_ASSERT(holds_exactly(eq));
    RC_ASSERT(same_matrix(eq.lhs, matrix<exact>(dc_by_ad(c, fwd, c.net.depth()).transpose())));
}

RC_BOOST_PROP(T1_step_holds_exactly, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const auto delta = backpropagated_errors(c.net, fwd, c.y);
    for (Eigen::Index l = c.net.depth() - 1; l >= 1; --l) {
        const matrix<exact> hyp = dc_by_ad(c, fwd, l + 1);
        RC_ASSERT(same_matrix(matrix<exact>(hyp.transpose()), delta[l + 1]));  // P(l+1), independently
        const auto eq = potential_gradient_step_eq_delta(c.net, fwd, c.y, l, hyp, delta[l + 1]);
        RC_ASSERT(holds_exactly(eq));
        RC_ASSERT(same_matrix(eq.lhs, matrix<exact>(dc_by_ad(c, fwd, l).transpose())));
    }
}

BOOST_AUTO_TEST_CASE(T1_step_rejects_false_hypothesis) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Ones(2, 1), matrix<exact>::Zero(2, 1), softsign_fn{}});
    net.layers.push_back({matrix<exact>::Ones(1, 2), matrix<exact>::Zero(1, 1), identity_fn{}});
    const matrix<exact> x = matrix<exact>::Ones(1, 1), y = matrix<exact>::Zero(1, 1);
    const auto fwd = forward(net, x);
    const auto delta = backpropagated_errors(net, fwd, y);
    const matrix<exact> wrong = matrix<exact>(delta[2].transpose()) + matrix<exact>::Ones(1, 1);
    expect_violation("T1.step", [&] { potential_gradient_step_eq_delta(net, fwd, y, 1, wrong, delta[2]); });
    expect_violation("T1.step", [&] { potential_gradient_step_eq_delta(net, fwd, y, 2, wrong, delta[2]); });
    expect_violation("T1.step", [&] {
        potential_gradient_step_eq_delta(net, fwd, y, 1, matrix<exact>(matrix<exact>::Zero(1, 3)), delta[2]);
    });
}

namespace {
struct conclusion_sources {
    reference_result<exact> ad, kc;
};
conclusion_sources sources(const sample_case& c, const matrix<exact>& y,
                           const loss_function<exact>& ell = squared_error_loss{}) {
    return {reference_gradients_by_ad(c.net, c.x, y, ell, reduction::sum),
            kronecker_chain_gradients(c.net, c.x, y, ell, reduction::sum)};
}
conclusion_sources sources(const sample_case& c) { return sources(c, c.y); }
}  // namespace

RC_BOOST_PROP(T1_W_gradient_eq_delta_times_activation, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const auto delta = backpropagated_errors(c.net, fwd, c.y);
    const auto src = sources(c);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        const auto eq = weight_gradient_eq_delta_times_activation(c.net, fwd, c.y, l, dc_by_ad(c, fwd, l), delta[l]);
        RC_ASSERT(holds_exactly(eq));
        RC_ASSERT(same_matrix(eq.lhs, src.ad.dW[l]));
        RC_ASSERT(same_matrix(eq.lhs, src.kc.dW[l]));
    }
}

RC_BOOST_PROP(T1_b_gradient_eq_delta, ()) {
    const auto c = gen_sample_case();
    const auto fwd = forward(c.net, c.x);
    const auto delta = backpropagated_errors(c.net, fwd, c.y);
    const auto src = sources(c);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        const auto eq = bias_gradient_eq_delta(c.net, fwd, c.y, l, dc_by_ad(c, fwd, l), delta[l]);
        RC_ASSERT(holds_exactly(eq));
        RC_ASSERT(same_matrix(eq.lhs, src.ad.db[l]));
        RC_ASSERT(same_matrix(eq.lhs, src.kc.db[l]));
    }
}

RC_BOOST_PROP(T1_jac_jacobian_form_eq_vec_of_gradient, ()) {
    const auto delta = *gen_matrix(gen_dim(), 1), a = *gen_matrix(gen_dim(), 1);
    contract_level_guard g(contract_level::expensive);
    RC_ASSERT(holds_exactly(jacobian_form_eq_vec_of_gradient(delta, a)));
}

RC_BOOST_PROP(T1_backprop_by_induction_eq_ad, ()) {
    contract_level_guard g(contract_level::expensive);  // every step re-derives its left side by AD
    const auto c = gen_sample_case();
    const auto proof = backprop_by_induction(c.net, c.x, c.y);
    const Eigen::Index k = c.net.depth();
    RC_ASSERT(proof.steps.size() == static_cast<std::size_t>(k + 3 * k));
    for (const auto& s : proof.steps) RC_ASSERT(holds_exactly(s.eq));
    const auto src = sources(c);
    for (Eigen::Index l = 1; l <= k; ++l) {
        RC_ASSERT(same_matrix(proof.dW[l], src.ad.dW[l]));
        RC_ASSERT(same_matrix(proof.db[l], src.ad.db[l]));
        RC_ASSERT(same_matrix(proof.dW[l], src.kc.dW[l]));
        RC_ASSERT(same_matrix(proof.db[l], src.kc.db[l]));
    }
}

RC_BOOST_PROP(T1_holds_for_every_loss, ()) {
    // The proof uses only ∇ℓ (L9): for every exact loss of the registry every step holds (with
    // the expensive AD postconditions on), and the gradients are the AD Jacobian of the cost.
    contract_level_guard g(contract_level::expensive);
    const auto c = gen_sample_case();
    const auto ell = *gen_loss();
    matrix<exact> y = c.y;
    if (*rc::gen::arbitrary<bool>()) y = forward(c.net, c.x).a.back();  // zero residuals: l1's kinks
    const auto proof = backprop_by_induction(c.net, c.x, y, ell);
    for (const auto& s : proof.steps) RC_ASSERT(holds_exactly(s.eq));
    const auto src = sources(c, y, ell);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(same_matrix(proof.dW[l], src.ad.dW[l]));
        RC_ASSERT(same_matrix(proof.db[l], src.ad.db[l]));
        RC_ASSERT(same_matrix(proof.dW[l], src.kc.dW[l]));
        RC_ASSERT(same_matrix(proof.db[l], src.kc.db[l]));
    }
}

RC_BOOST_PROP(T1_interval_encloses_exact, ()) {
    const auto c = gen_sample_case();
    const auto proof = backprop_by_induction(c.net, c.x, c.y);
    precision_guard g(128);
    const auto net_i = convert_network<interval>(c.net);
    const auto proof_i = backprop_by_induction(net_i, matrix<interval>(from_exact<interval>(c.x)),
                                               matrix<interval>(from_exact<interval>(c.y)));
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(interval_encloses(proof_i.dW[l], proof.dW[l]) == "");
        RC_ASSERT(interval_encloses(proof_i.db[l], proof.db[l]) == "");
    }
}

BOOST_AUTO_TEST_CASE(T1_preconditions) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Ones(2, 1), matrix<exact>::Zero(2, 1), relu_fn{}});
    const matrix<exact> x = matrix<exact>::Ones(1, 1), y = matrix<exact>::Zero(2, 1);
    const auto fwd = forward(net, x);
    const auto delta = backpropagated_errors(net, fwd, y);
    expect_violation(
        "T1.base", [&] { potential_gradient_at_output_eq_delta(net, fwd, matrix<exact>(matrix<exact>::Zero(3, 1))); });
    const matrix<exact> dc = delta[1].transpose();
    expect_violation("T1.W", [&] { weight_gradient_eq_delta_times_activation(net, fwd, y, 2, dc, delta[1]); });
    expect_violation("T1.W", [&] {
        weight_gradient_eq_delta_times_activation(net, fwd, y, 1, matrix<exact>(dc + matrix<exact>::Ones(1, 2)),
                                                  delta[1]);
    });
    expect_violation("T1.b", [&] { bias_gradient_eq_delta(net, fwd, y, 0, dc, delta[1]); });
    expect_violation("T1.b", [&] {
        bias_gradient_eq_delta(net, fwd, y, 1, matrix<exact>(dc + matrix<exact>::Ones(1, 2)), delta[1]);
    });
    expect_violation("T1.jac", [&] { jacobian_form_eq_vec_of_gradient(matrix<exact>(matrix<exact>::Zero(2, 2)), x); });
    expect_violation("D15", [&] { backpropagated_errors(net, fwd, matrix<exact>(matrix<exact>::Zero(1, 1))); });
}

BOOST_AUTO_TEST_CASE(T1_postconditions_by_ad_can_fail) {
    // A pair (dc, δ) that satisfies every step's hypothesis dcᵀ = δ but is not the derivative
    // (here δ + 1 in every entry): lhs == rhs still holds — it is algebra given the hypothesis —
    // and only the expensive AD postcondition sees the error. Likewise a forward pass whose
    // activation is not f(z) for T1.base. At the cheap level none of them is raised.
    mlp<exact> net;
    matrix<exact> W1(2, 1), b1(2, 1), W2(1, 2), b2(1, 1), x(1, 1), y(1, 1);
    W1 << 1, -2;
    b1 << exact(1, 2), 0;
    W2 << 3, 1;
    b2 << 0;
    x << 1;
    y << 0;
    net.layers.push_back({W1, b1, softsign_fn{}});
    net.layers.push_back({W2, b2, softsign_fn{}});
    const auto fwd = forward(net, x);
    const auto delta = backpropagated_errors(net, fwd, y);
    const matrix<exact> wrong1 = delta[1] + matrix<exact>::Ones(2, 1), wrong2 = delta[2] + matrix<exact>::Ones(1, 1);
    auto bad_fwd = fwd;
    bad_fwd.a[2](0, 0) += 1;  // a² ≠ f(z²): not forward(net, x)
    auto w = [&] {
        return weight_gradient_eq_delta_times_activation(net, fwd, y, 1, matrix<exact>(wrong1.transpose()), wrong1);
    };
    auto b = [&] { return bias_gradient_eq_delta(net, fwd, y, 1, matrix<exact>(wrong1.transpose()), wrong1); };
    auto st = [&] {
        return potential_gradient_step_eq_delta(net, fwd, y, 1, matrix<exact>(wrong2.transpose()), wrong2);
    };
    auto base = [&] { return potential_gradient_at_output_eq_delta(net, bad_fwd, y); };
    {
        contract_level_guard g(contract_level::cheap);
        BOOST_TEST(holds_exactly(w()));  // the tautology: lhs == rhs although both are wrong
        BOOST_TEST(holds_exactly(b()));
        BOOST_TEST(!holds_exactly(st()));  // rhs is the algorithm's δ¹, lhs from the wrong hypothesis
        base();
    }
    contract_level_guard g(contract_level::expensive);
    expect_violation("T1.W", w);
    expect_violation("T1.b", b);
    expect_violation("T1.step", st);
    expect_violation("T1.base", base);
}

BOOST_AUTO_TEST_CASE(usage_example_of_induction_hpp) {
    mlp<exact> net;
    matrix<exact> W(1, 1), b(1, 1), x(1, 1), y(1, 1);
    W << 2;
    b << 0;
    x << 3;
    y << 1;
    net.layers.push_back({W, b, identity_fn{}});
    auto proof = matbp::backprop_by_induction(net, x, y);
    for (auto& s : proof.steps) BOOST_TEST(matbp::holds_exactly(s.eq));
    // c = ½(2·3 − 1)², ∂c/∂W = (6 − 1)·3 = 15 by hand.
    BOOST_TEST(proof.dW[1](0, 0) == exact(15));
    BOOST_TEST(proof.db[1](0, 0) == exact(5));
}
