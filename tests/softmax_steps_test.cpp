// Tests for src/matbp/softmax_steps.hpp: the proof of C2, step by step, and C2 on random networks.
//
// Over intervals a step holds iff its two sides are the same real numbers; each side's
// enclosure contains its true value, so enclosures that are disjoint in some entry refute the
// step (overlaps). At 256 bits an enclosure is about 2^-240 wide: a wrong formula is off by far
// more at random points.
//
// Test plan (z, y random rational columns, m = 1 … 5; y ≥ 0, a probability vector where the step
// assumes one; interval arithmetic at 256 bits)
//   C2  C2_i_softmax_jacobian_eq_diag_minus_outer       C2 (i): AD of e^{zᵢ}/Σe^{zⱼ} meets diag(s) − s sᵀ
//       C2_ii_cross_entropy_derivative_eq_minus_ratio   C2 (ii): AD of −Σ yᵢ log aᵢ meets −y/a, a > 0
//       C2_iii_output_error_eq_chain                    C2 (iii): AD of the registry's cost on logits
//                                                       meets Ds(z)ᵀ Dℓ(s)ᵀ
//       C2_iv_softmax_chain_eq_softmax_minus_target     C2 (iv): (diag(s) − s sᵀ)(−y/s) meets
//                                                       softmax_cross_entropy_delta; for a probability
//                                                       y it also meets s − y
//       C2_v_backprop_eq_definition                     C2 (v): random networks (depth ≤ 3, widths
//                                                       ≤ 4, tanh/logistic/softplus/identity layers,
//                                                       1–3 samples, mean and sum): backprop's every
//                                                       ∇W, ∇b meets AD of the batch cost
//       C2_interval_gradient_encloses_ad_at_1024_bits   the same random networks: backprop over
//                                                       128-bit intervals contains (⊇) the cost and
//                                                       every ∇W, ∇b of the independent AD reference
//                                                       (support/reference.hpp) over 1024-bit intervals
//       C2_steps_preconditions                          shapes; a ≤ 0 in (ii)
//   usage_example_of_softmax_steps_hpp
#define BOOST_TEST_MODULE softmax_steps
#include "matbp/softmax_steps.hpp"

#include "support/expect.hpp"
#include "support/generators.hpp"
#include "support/reference.hpp"
#include "support/transcendental.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace matbp;
using namespace matbp::testing;

namespace {
constexpr unsigned step_bits = 256;

/// A random m × 1 rational column.
matrix<exact> gen_column(Eigen::Index m) { return *gen_matrix(m, 1); }

matrix<interval> as_interval(const matrix<exact>& M) { return from_exact<interval>(M); }

/// "" if every entry of outer contains the matching entry of inner, else the first that does not.
/// Except where an endpoint of outer lies in inner: inner cannot tell whether the truth is that
/// endpoint (an exact 0 is [0, 0] in outer and [−ε, ε] in inner), so there the two need only meet,
/// which they do.
std::string contains_all(const matrix<interval>& outer, const matrix<interval>& inner) {
    if (outer.rows() != inner.rows() || outer.cols() != inner.cols()) return "shape differs";
    auto in = [](const real& x, const interval& I) { return bmp::lower(I) <= x && x <= bmp::upper(I); };
    for (Eigen::Index i = 0; i < outer.size(); ++i)
        if (!(bmp::lower(outer(i)) <= bmp::lower(inner(i)) && bmp::upper(inner(i)) <= bmp::upper(outer(i))) &&
            !in(bmp::lower(outer(i)), inner(i)) && !in(bmp::upper(outer(i)), inner(i))) {
            std::ostringstream os;
            os << "entry " << i << ": " << outer(i) << " does not contain " << inner(i);
            return os.str();
        }
    return "";
}

std::string describe(const equation<matrix<interval>>& eq) {
    std::ostringstream os;
    os << eq.id << "\nlhs\n" << eq.lhs << "\nrhs\n" << eq.rhs;
    return os.str();
}
}  // namespace

RC_BOOST_PROP(C2_i_softmax_jacobian_eq_diag_minus_outer, ()) {
    const matrix<exact> z = gen_column(*rc::gen::inRange(1, 6));
    precision_guard g(step_bits);
    const auto eq = softmax_jacobian_eq_diag_minus_outer(as_interval(z));
    RC_ASSERT(overlaps(eq));
}

RC_BOOST_PROP(C2_ii_cross_entropy_derivative_eq_minus_ratio, ()) {
    const Eigen::Index m = *rc::gen::inRange(1, 6);
    // a > 0: |q| + 1/13 (gen_exact's denominators are ≤ 12).
    const matrix<exact> a = gen_column(m).unaryExpr([](const exact& v) { return exact(bmp::abs(v) + exact(1, 13)); });
    const matrix<exact> y = abs_of(gen_column(m));
    precision_guard g(step_bits);
    const auto eq = cross_entropy_derivative_eq_minus_ratio(as_interval(a), as_interval(y));
    RC_ASSERT(overlaps(eq));
}

RC_BOOST_PROP(C2_iii_output_error_eq_chain, ()) {
    const Eigen::Index m = *rc::gen::inRange(1, 6);
    const matrix<exact> z = gen_column(m), y = abs_of(gen_column(m));
    precision_guard g(step_bits);
    const auto eq = output_error_eq_softmax_jacobian_times_loss_derivative(as_interval(z), as_interval(y));
    RC_ASSERT(overlaps(eq));
}

RC_BOOST_PROP(C2_iv_softmax_chain_eq_softmax_minus_target, ()) {
    const Eigen::Index m = *rc::gen::inRange(1, 6);
    const matrix<exact> z = gen_column(m), y = abs_of(gen_column(m)), p = probability_columns(gen_column(m));
    precision_guard g(step_bits);
    RC_ASSERT(overlaps(softmax_chain_eq_softmax_minus_target(as_interval(z), as_interval(y))));
    // With Σyᵢ = 1 the right side is s − y (the statement's form).
    const auto eq = softmax_chain_eq_softmax_minus_target(as_interval(z), as_interval(p));
    const matrix<interval> s_minus_y = softmax_columns(as_interval(z)) - as_interval(p);
    RC_ASSERT(overlaps({"C2 (iv)", eq.lhs, s_minus_y}));
}

namespace {
struct c2_case {
    mlp<exact> net;
    std::vector<int> kinds;
    matrix<exact> X, Y;
    reduction red;
};
c2_case gen_c2_case() {
    auto net = gen_network(3, 4);
    const auto kinds = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 4));
    const auto n = *rc::gen::inRange(1, 4);
    auto X = *gen_sparse_matrix(net.width(0), n);
    auto Y = probability_columns(*gen_matrix(net.width(net.depth()), n));
    const auto red = *rc::gen::element(reduction::mean, reduction::sum);
    return {std::move(net), kinds, std::move(X), std::move(Y), red};
}
}  // namespace

RC_BOOST_PROP(C2_v_backprop_eq_definition, ()) {
    const auto c = gen_c2_case();
    precision_guard g(step_bits);
    const auto net = with_transcendental<interval>(c.net, c.kinds);
    for (const auto& eq :
         backprop_with_softmax_cross_entropy_eq_definition(net, as_interval(c.X), as_interval(c.Y), c.red)) {
        RC_LOG() << describe(eq) << "\n";
        RC_ASSERT(overlaps(eq));
    }
}

// C2 by containment: the algorithm's 128-bit enclosure must contain the AD reference's 1024-bit
// enclosure of the same true gradient (the limit, computed another way). Each contains the truth;
// where the reference contains an endpoint of the algorithm's enclosure (exact zeros: [0, 0]
// against [−ε, ε]) it cannot resolve the question and the two need only meet (contains_all).
RC_BOOST_PROP(C2_interval_gradient_encloses_ad_at_1024_bits, ()) {
    const auto c = gen_c2_case();
    const loss_function<interval> ell = softmax_cross_entropy_loss{};
    precision_guard g1024(1024);
    const auto ref = reference_gradients_by_ad(with_transcendental<interval>(c.net, c.kinds), as_interval(c.X),
                                               as_interval(c.Y), ell, c.red);
    precision_guard g128(128);
    const auto gi =
        backprop(with_transcendental<interval>(c.net, c.kinds), as_interval(c.X), as_interval(c.Y), ell, c.red);
    matrix<interval> cost_alg(1, 1), cost_ref(1, 1);
    cost_alg << gi.cost;
    cost_ref << ref.cost;
    RC_ASSERT(contains_all(cost_alg, cost_ref) == "");
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(contains_all(gi.dW[l], ref.dW[l]) == "");
        RC_ASSERT(contains_all(gi.db[l], ref.db[l]) == "");
    }
}

BOOST_AUTO_TEST_CASE(C2_steps_preconditions) {
    precision_guard g(64);
    const matrix<interval> col = matrix<interval>::Ones(2, 1), row = matrix<interval>::Ones(1, 2);
    expect_violation("C2", [&] { softmax_jacobian_eq_diag_minus_outer(row); });
    expect_violation(
        "C2", [&] { cross_entropy_derivative_eq_minus_ratio(col, matrix<interval>(matrix<interval>::Ones(3, 1))); });
    expect_violation("C2", [&] { cross_entropy_derivative_eq_minus_ratio(matrix<interval>(-col), col); });
    expect_violation("C2", [&] { output_error_eq_softmax_jacobian_times_loss_derivative(col, row); });
    expect_violation("C2", [&] { softmax_chain_eq_softmax_minus_target(col, row); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_softmax_steps_hpp) {
    matbp::precision_guard g(256);
    matrix<interval> z(3, 1);
    z << interval(1), interval(-2), interval(1) / 3;
    auto eq = matbp::softmax_jacobian_eq_diag_minus_outer(z);
    BOOST_TEST(matbp::overlaps(eq));
    // A wrong right side (diag(s) alone) is refuted.
    eq.rhs = softmax_columns(z).col(0).asDiagonal();
    BOOST_TEST(!matbp::overlaps(eq));
}
