// Tests for src/matbp/loss.hpp, the loss registry.
//
// Test plan
//   D9  D9_losses_match_pytorch_definitions    sample_cost of every exact loss == its PyTorch
//                                              definition written here in its own loop, exact;
//                                              reduction_scale divides by n (squared_error) or
//                                              n·m (mse, huber, l1), as PyTorch's reduction="mean"
//       D9_registry                            names unique; exact entries build over ℚ, the
//                                              others only over reals/intervals; parameters
//                                              round-trip; huber's check δ > 0
//   L9  L9_loss_gradient_eq_ad                 jacobian_of_loss_eq_gradient holds exactly for every
//                                              exact loss at random a, y with zero residuals
//                                              (AD of sample_cost = loss_gradient, sign(0) = 0)
//       L9_gradients_are_pytorchs              huber: clamp(r, −δ, δ); l1: sign(r), sign(0) = 0,
//                                              each written here independently
//       L9_interval_encloses                   huber and l1 gradients over intervals contain the
//                                              exact ones, also on ranges across their breakpoints
//       L9_loss_preconditions
//   D11 D11_loss_kinks                         l1 has a kink exactly at a zero residual; find_loss_kinks
//   C2  C2_softmax_columns_rows_and_max        a 0-row input is a C2 precondition violation (never a
//                                              read of A(0, j)); over double the max is subtracted:
//                                              logits (1000, 1001), whose exp overflows, give
//                                              softmax(0, 1) = (1/(1+e), e/(1+e))
//   usage_example_of_loss_hpp
#define BOOST_TEST_MODULE loss
#include "matbp/elementary.hpp"
#include "matbp/loss.hpp"
#include "matbp/network.hpp"
#include "matbp/registry.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

using namespace matbp;
using namespace matbp::testing;

namespace {
exact abs_of(const exact& x) { return x < 0 ? exact(-x) : x; }

/// PyTorch's per-element definitions (torch.nn docs), summed over the entries of one sample.
exact pytorch_sample_cost(const std::string& name, const exact& delta, const matrix<exact>& a, const matrix<exact>& y) {
    exact c = 0;
    for (Eigen::Index j = 0; j < a.rows(); ++j) {
        const exact r = a(j, 0) - y(j, 0);
        if (name == "squared_error")
            c += r * r / 2;
        else if (name == "mse")
            c += r * r;
        else if (name == "huber")
            c += abs_of(r) < delta ? exact(r * r / 2) : exact(delta * (abs_of(r) - delta / 2));
        else if (name == "l1")
            c += abs_of(r);
    }
    return c;
}

/// a and y of one length m with about a third of the residuals exactly 0.
std::pair<matrix<exact>, matrix<exact>> gen_output_and_target() {
    const auto m = *rc::gen::inRange<Eigen::Index>(1, 6);
    const matrix<exact> a = *gen_matrix(m, 1);
    matrix<exact> y = *gen_matrix(m, 1);
    for (Eigen::Index j = 0; j < m; ++j)
        if (*rc::gen::inRange(0, 3) == 0) y(j, 0) = a(j, 0);
    return {a, y};
}
}  // namespace

RC_BOOST_PROP(D9_losses_match_pytorch_definitions, ()) {
    const auto ell = *gen_loss();
    const auto [a, y] = gen_output_and_target();
    const auto params = registry_parameters<exact>(ell);
    const std::string name = loss_name<exact>(ell);
    RC_ASSERT(sample_cost(ell, a, y) == pytorch_sample_cost(name, params.empty() ? exact(0) : params[0], a, y));
    // The mean's divisor: samples for squared_error, every entry for PyTorch's elementwise losses.
    const auto n = *rc::gen::inRange<Eigen::Index>(1, 5);
    const exact expected = name == "squared_error" ? exact(1, n) : exact(1, n * a.rows());
    RC_ASSERT(reduction_scale<exact>(ell, reduction::mean, n, a.rows()) == expected);
    RC_ASSERT(reduction_scale<exact>(ell, reduction::sum, n, a.rows()) == 1);
}

RC_BOOST_PROP(L9_loss_gradient_eq_ad, ()) {
    const auto ell = *gen_loss();
    const auto [a, y] = gen_output_and_target();
    RC_ASSERT(holds_exactly(jacobian_of_loss_eq_gradient(ell, a, y)));
}

RC_BOOST_PROP(L9_gradients_are_pytorchs, ()) {
    const auto [a, y] = gen_output_and_target();
    const exact delta = abs_of(*gen_exact()) + exact(1, 7);
    const matrix<exact> gh = loss_gradient<exact>(huber_loss<exact>{delta}, a, y);
    const matrix<exact> g1 = loss_gradient<exact>(l1_loss{}, a, y);
    for (Eigen::Index j = 0; j < a.rows(); ++j) {
        const exact r = a(j, 0) - y(j, 0);
        RC_ASSERT(gh(j, 0) == (r > delta ? delta : r < -delta ? exact(-delta) : r));  // huber_loss_backward
        RC_ASSERT(g1(j, 0) == (r > 0 ? exact(1) : r < 0 ? exact(-1) : exact(0)));     // torch.sign
    }
    RC_ASSERT(same_matrix(loss_gradient<exact>(mse_loss{}, a, y), matrix<exact>(2 * (a - y))));
    RC_ASSERT(same_matrix(loss_gradient<exact>(squared_error_loss{}, a, y), matrix<exact>(a - y)));
}

RC_BOOST_PROP(L9_interval_encloses, ()) {
    const exact delta = abs_of(*gen_exact()) + exact(1, 7);
    const exact r0 = *gen_exact(), w = abs_of(*gen_exact());
    precision_guard g(128);
    // A residual range [r0, r0 + w]: the enclosure holds the gradient at both ends and at every
    // breakpoint between (huber: ±δ; l1: 0).
    std::vector<exact> points{r0, exact(r0 + w)};
    for (const exact& p : {exact(-delta), exact(0), delta})
        if (r0 <= p && p <= r0 + w) points.push_back(p);
    matrix<interval> A(1, 1), Y(1, 1);
    A(0, 0) = detail::hull(from_exact<interval>(r0), from_exact<interval>(exact(r0 + w)));
    Y(0, 0) = interval(0);
    const loss_function<interval> hi = huber_loss<interval>{from_exact<interval>(delta)};
    const matrix<interval> gh = loss_gradient(hi, A, Y), g1 = loss_gradient<interval>(l1_loss{}, A, Y);
    for (const exact& p : points) {
        matrix<exact> a(1, 1), y(1, 1);
        a << p;
        y << 0;
        RC_ASSERT(encloses(gh(0, 0), loss_gradient<exact>(huber_loss<exact>{delta}, a, y)(0, 0)));
        RC_ASSERT(encloses(g1(0, 0), loss_gradient<exact>(l1_loss{}, a, y)(0, 0)));
    }
}

BOOST_AUTO_TEST_CASE(L9_loss_preconditions) {
    const loss_function<exact> l = mse_loss{};
    expect_violation("L9", [&] { loss_gradient<exact>(l, matrix<exact>::Zero(2, 1), matrix<exact>::Zero(3, 1)); });
    expect_violation("L9", [&] { d_loss<exact>(l, matrix<exact>::Zero(2, 2), matrix<exact>::Zero(2, 2)); });
    expect_violation("D9", [&] {
        sample_cost(l, matrix<exact>(matrix<exact>::Zero(2, 1)), matrix<exact>(matrix<exact>::Zero(3, 1)));
    });
    expect_violation("D9", [&] { sample_cost(l, matrix<exact>(0, 1), matrix<exact>(0, 1)); });
}

BOOST_AUTO_TEST_CASE(D9_registry) {
    std::vector<std::string_view> names;
    for (const auto* f : loss_registry()) {
        names.push_back(f->name);
        BOOST_TEST(find_loss(f->name) == f);
        const std::vector<exact> p =
            f->with_defaults(std::vector<std::optional<std::vector<exact>>>(f->parameters.size()));
        const auto e = make_loss<exact>(f->name, p);
        BOOST_TEST(e.has_value() == f->exact_evaluation, f->name);
        std::vector<real> pr;
        for (const auto& v : p) pr.push_back(from_exact<real>(v));
        BOOST_TEST(make_loss<real>(f->name, pr).has_value(), f->name);
        if (e) BOOST_TEST((registry_parameters<exact>(*e) == p), f->name);
    }
    std::sort(names.begin(), names.end());
    BOOST_TEST((std::adjacent_find(names.begin(), names.end()) == names.end()));
    BOOST_TEST(!find_loss("cross_entropy"));
    const auto* h = find_loss("huber");
    BOOST_TEST(h->with_defaults({std::nullopt}).at(0) == 1);
    BOOST_TEST(!h->check({exact(1, 2)}).has_value());
    BOOST_TEST(h->check({exact(0)}).has_value());
    BOOST_TEST(h->check({exact(-1)}).has_value());
    // The exact fast path runs exactly the losses whose gradient is c(a − y).
    BOOST_TEST(linear_gradient_factor(loss_function<exact>(squared_error_loss{})) == 1);
    BOOST_TEST(linear_gradient_factor(loss_function<exact>(mse_loss{})) == 2);
    BOOST_TEST(linear_gradient_factor(loss_function<exact>(l1_loss{})) == 0);
    BOOST_TEST(linear_gradient_factor(loss_function<exact>(huber_loss<exact>{})) == 0);
}

BOOST_AUTO_TEST_CASE(D11_loss_kinks) {
    const loss_function<exact> l1 = l1_loss{}, mse = mse_loss{};
    BOOST_TEST(loss_kink_at<exact>(l1, exact(1, 3), exact(1, 3)));
    BOOST_TEST(!loss_kink_at<exact>(l1, exact(1, 3), exact(1, 4)));
    BOOST_TEST(!loss_kink_at<exact>(mse, exact(1, 3), exact(1, 3)));
    matrix<exact> A(2, 2), Y(2, 2);
    A << 1, 2, 3, 4;
    Y << 1, 0, 0, 4;
    const auto k = find_loss_kinks(l1, A, Y, 3);
    BOOST_TEST(k.size() == 2u);
    BOOST_TEST((k[0] == kink{3, 0, 0, kink_site::loss}));
    BOOST_TEST((k[1] == kink{3, 1, 1, kink_site::loss}));
    BOOST_TEST(find_loss_kinks(mse, A, Y, 3).empty());
    precision_guard g(64);
    BOOST_TEST(loss_kink_at<interval>(convert_loss<interval>(l1), interval(-1, 1), interval(0)));
    BOOST_TEST(!loss_kink_at<interval>(convert_loss<interval>(l1), interval(1, 2), interval(0)));
}

BOOST_AUTO_TEST_CASE(C2_softmax_columns_rows_and_max) {
    expect_violation("C2", [] { softmax_columns<double>(matrix<double>(0, 2)); });
    expect_violation("C2", [] { softmax_cross_entropy_delta<double>(matrix<double>(0, 2), matrix<double>(0, 2)); });
    matrix<double> A(2, 1);
    A << 1000, 1001;  // exp(1000) is +inf in double: without the max subtracted this is inf/inf = NaN
    const matrix<double> S = softmax_columns<double>(A);
    const double e = std::exp(1.0);
    BOOST_TEST(S(0, 0) == 1 / (1 + e), boost::test_tools::tolerance(4 * std::numeric_limits<double>::epsilon()));
    BOOST_TEST(S(1, 0) == e / (1 + e), boost::test_tools::tolerance(4 * std::numeric_limits<double>::epsilon()));
}

BOOST_AUTO_TEST_CASE(usage_example_of_loss_hpp) {
    matrix<exact> a(2, 1), y(2, 1);
    a << 2, exact(1, 4);
    y << 0, 0;
    matbp::loss_function<matbp::exact> l = matbp::huber_loss<matbp::exact>{matbp::exact(1, 2)};
    // h(2) = ½(2 − ¼) = 7/8 and h(¼) = 1/32.
    BOOST_TEST(matbp::sample_cost(l, a, y) == exact(7, 8) + exact(1, 32));
    BOOST_TEST(
        (matbp::loss_gradient(l, a, y) == matrix<exact>((matrix<exact>(2, 1) << exact(1, 2), exact(1, 4)).finished())));
}
