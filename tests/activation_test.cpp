// Tests for src/matbp/activation.hpp.
//
// Test plan
//   D10 D10_derivative_matches_ad                derivative(f, x) = forward-mode AD of evaluate(f, ·), exact
//       D10_transcendental_three_types           logistic/tanh/softplus: interval(128) contains a
//                                                512-bit MPFR value; double within 8ε of it; the
//                                                derivatives too
//       D10_interval_encloses                    exact activations over intervals contain the exact value
//       D10 compile-time rejection: tests/compile_fail/transcendental_over_exact.cpp (CTest)
//   D11 D11_kink_conventions                     ReLU′(0) = 0, leaky′(0) = s, softsign′(0) = 1; is_kink
//       D11_interval_kink_hull                   an enclosure around 0 gives the hull of both slopes
//   usage_example_of_activation_hpp
#define BOOST_TEST_MODULE activation
#include "matbp/activation.hpp"
#include "matbp/convert.hpp"
#include "matbp/jacobian.hpp"

#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <limits>

using namespace matbp;
using namespace matbp::testing;

RC_BOOST_PROP(D10_derivative_matches_ad, ()) {
    const auto f = *gen_activation();
    const exact x = *rc::gen::weightedOneOf<exact>({{1, rc::gen::just(exact(0))}, {3, gen_exact()}});
    matrix<exact> X(1, 1);
    X << x;
    auto F = [&](const auto& V) {
        using S = typename std::decay_t<decltype(V)>::Scalar;
        matrix<S> R(1, 1);
        R(0, 0) = evaluate(f, S(V(0, 0)));
        return R;
    };
    RC_ASSERT(jacobian_by_definition(F, X)(0, 0) == derivative(f, x));
}

namespace {
template <class F>
void check_transcendental(const F& f, double xd) {
    const exact x = to_exact(xd);
    real truth, dtruth;
    {
        precision_guard g(512);
        truth = evaluate(f, from_exact<real>(x));
        dtruth = derivative(f, from_exact<real>(x));
    }
    precision_guard g(128);
    const interval iv = evaluate(f, from_exact<interval>(x));
    const interval div = derivative(f, from_exact<interval>(x));
    // 512-bit values are within 2^-500 relative of the truth; a 128-bit enclosure is ≥ 2^-128 wide
    // unless degenerate, so containing the 512-bit value is what certification predicts.
    BOOST_TEST(bmp::lower(iv) <= truth);
    BOOST_TEST(truth <= bmp::upper(iv));
    BOOST_TEST(bmp::lower(div) <= dtruth);
    BOOST_TEST(dtruth <= bmp::upper(div));
    // double: one libm call plus ≤ 3 roundings; 8ε relative with a floor of 8·DBL_MIN covers it.
    const double eps = std::numeric_limits<double>::epsilon();
    const double d = evaluate(f, xd), dd = derivative(f, xd);
    BOOST_TEST(std::abs(d - truth.convert_to<double>()) <= 8 * eps * std::abs(truth.convert_to<double>()) + 1e-300);
    BOOST_TEST(std::abs(dd - dtruth.convert_to<double>()) <= 8 * eps * std::abs(dtruth.convert_to<double>()) + 1e-300);
}
}  // namespace

BOOST_AUTO_TEST_CASE(D10_transcendental_three_types) {
    for (double x : {-30.0, -2.5, -0.125, 0.0, 1.0 / 3.0, 0.75, 4.0, 25.0}) {
        check_transcendental(logistic_fn{}, x);
        check_transcendental(tanh_fn{}, x);
        check_transcendental(softplus_fn{}, x);
    }
}

RC_BOOST_PROP(D10_interval_encloses, ()) {
    const exact x = *gen_exact();
    const exact s = *gen_exact();
    precision_guard g(128);
    const interval xi = from_exact<interval>(x);
    RC_ASSERT(encloses(evaluate(relu_fn{}, xi), evaluate(relu_fn{}, x)));
    RC_ASSERT(encloses(evaluate(leaky_relu_fn<interval>{from_exact<interval>(s)}, xi), evaluate(leaky_relu_fn<exact>{s}, x)));
    RC_ASSERT(encloses(evaluate(softsign_fn{}, xi), evaluate(softsign_fn{}, x)));
    RC_ASSERT(encloses(derivative(softsign_fn{}, xi), derivative<exact>(softsign_fn{}, x)));
    polynomial_fn<exact> p{{s, x, exact(1, 3)}};
    polynomial_fn<interval> pi{{from_exact<interval>(s), xi, interval(1) / 3}};
    RC_ASSERT(encloses(evaluate(pi, xi), evaluate(p, x)));
    RC_ASSERT(encloses(derivative(pi, xi), derivative(p, x)));
}

BOOST_AUTO_TEST_CASE(D11_kink_conventions) {
    const activation<exact> relu = relu_fn{}, leaky = leaky_relu_fn<exact>{exact(1, 100)}, soft = softsign_fn{};
    BOOST_TEST(derivative(relu, exact(0)) == exact(0));
    BOOST_TEST(derivative(leaky, exact(0)) == exact(1, 100));
    BOOST_TEST(derivative(soft, exact(0)) == exact(1));
    BOOST_TEST(is_kink(relu, exact(0)));
    BOOST_TEST(is_kink(leaky, exact(0)));
    BOOST_TEST(!is_kink(relu, exact(1, 1000)));
    BOOST_TEST(!is_kink(soft, exact(0)));
    // Default slope: 1/100 exactly.
    BOOST_TEST(leaky_relu_fn<exact>{}.negative_slope == exact(1, 100));
    // Same convention over double.
    const activation<double> relu_d = relu_fn{};
    BOOST_TEST(derivative(relu_d, 0.0) == 0.0);
    BOOST_TEST(derivative(relu_d, -0.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(D11_interval_kink_hull) {
    precision_guard g(64);
    const activation<interval> relu = relu_fn{}, leaky = leaky_relu_fn<interval>{interval(1) / 4};
    const interval around(-1, 1);
    const interval d = derivative(relu, around);
    BOOST_TEST(encloses(d, exact(0)));
    BOOST_TEST(encloses(d, exact(1)));
    BOOST_TEST(is_kink(relu, around));
    BOOST_TEST(!is_kink(relu, interval(1, 2)));
    BOOST_TEST(is_kink(relu, interval(0)));
    BOOST_TEST(encloses(derivative(relu, interval(0)), exact(0)));
    BOOST_TEST(!encloses(derivative(relu, interval(0)), exact(1)));
    const interval dl = derivative(leaky, around);
    BOOST_TEST(encloses(dl, exact(1, 4)));
    BOOST_TEST(encloses(dl, exact(1)));
}

BOOST_AUTO_TEST_CASE(usage_example_of_activation_hpp) {
    matbp::activation<matbp::exact> f = matbp::leaky_relu_fn<matbp::exact>{matbp::exact(1, 100)};
    BOOST_TEST(evaluate(f, matbp::exact(-3)) == exact(-3, 100));
    BOOST_TEST(derivative(f, matbp::exact(0)) == exact(1, 100));
    BOOST_TEST(is_kink(f, matbp::exact(0)));
}
