// Tests for src/matbp/activation.hpp.
//
// Test plan
//   D10 D10_derivative_matches_ad                derivative(f, x) = forward-mode AD of evaluate(f, ·), exact,
//                                                at random x, 0 and every kink of f
//       D10_hardtanh_is_pytorchs                 hardtanh value min(max(x, lo), hi) and derivative
//                                                [lo < x < hi] (PyTorch's hardtanh_backward), each
//                                                written here independently, exact
//       D10_transcendental_three_types           logistic/tanh/softplus: interval(128) contains a
//                                                512-bit MPFR value; double within 8ε of it; the
//                                                derivatives too
//       D10_derivative_eq_central_difference     every non-piecewise-linear member over MPFR (1024 bits):
//                                                logistic, tanh, softplus, softsign, polynomial;
//                                                derivative(f, x) within a proved bound of the central
//                                                difference (h = 2^-200) of evaluate(f, ·) at random x
//       D10_double_piecewise_is_rounded_exact    identity, ReLU, leaky ReLU, hardtanh (random ends)
//                                                over double: value and derivative == the exact ones
//                                                rounded, at random doubles, ±0, the breakpoints and
//                                                their neighbours; ±∞ and NaN as the pieces give them;
//                                                value_function/derivative_function == evaluate/derivative
//       D10_interval_encloses                    exact activations over intervals contain the exact
//                                                value and derivative, at a point and over a range
//       D10_registry                             every entry: unique names; exact entries build
//                                                over ℚ, the others only over intervals/reals;
//                                                parameters round-trip; defaults and checks
//       D10 compile-time rejection: tests/compile_fail/transcendental_over_exact.cpp (CTest)
//   D11 D11_kink_conventions                     ReLU′(0) = 0, leaky′(0) = s, hardtanh′(ends) = 0,
//                                                softsign′(0) = 1; is_kink; kink_points' one-sided slopes
//       D11_interval_kink_hull                   an enclosure around 0 gives the hull of both slopes
//   usage_example_of_activation_hpp, usage_example_of_registry_hpp
#define BOOST_TEST_MODULE activation
#include "matbp/activation.hpp"
#include "matbp/convert.hpp"
#include "matbp/jacobian.hpp"
#include "matbp/loss.hpp"
#include "matbp/registry.hpp"

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

RC_BOOST_PROP(D10_derivative_matches_ad, ()) {
    const auto f = *gen_activation();
    std::vector<exact> points{exact(0)};
    for (const auto& k : kink_points<exact>(f)) points.push_back(k.at);
    const exact x = *rc::gen::weightedOneOf<exact>({{1, rc::gen::elementOf(points)}, {3, gen_exact()}});
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

namespace {
/// A non-piecewise-linear activation over real, its name, and M₃ ≥ sup |f‴| on [x − h, x + h]
/// (∞ when f is not three times differentiable there), and the sums Σ|c_j|(|x| + h)^j and
/// Σ j|c_j|(|x| + h)^{j−1} bounding a polynomial's Horner rounding in f and f′ (0 for the others).
struct smooth_case {
    activation<real> f;
    const char* name;
    real third;
    real horner, horner_d;
};
/// Proved bounds on |f‴| (p = f′ where it appears):
///   logistic σ‴ = p(1 − 6p), p = σ(1 − σ) ∈ (0, ¼]: |σ‴| ≤ ¼·½ = 1/8;
///   tanh‴ = q(4 − 6q), q = 1 − tanh² ∈ (0, 1]: |tanh‴| ≤ 2;
///   softplus‴ = σ″ = p(1 − 2σ): ≤ ¼;
///   softsign‴(y) = 6/(1 + |y|)⁴ ≤ 6 for y ≠ 0 (at 0 f″ jumps from 2 to −2: no f‴);
///   polynomial Σ_j c_j y^j: |f‴(y)| ≤ Σ_{j≥3} j(j−1)(j−2)|c_j|(|x| + h)^{j−3}.
smooth_case smooth_activation(int kind, const std::vector<exact>& c, const real& x, const real& h) {
    const real inf = std::numeric_limits<real>::infinity();
    switch (kind) {
        case 0:
            return {logistic_fn{}, "logistic", real(1) / 8, 0, 0};
        case 1:
            return {tanh_fn{}, "tanh", real(2), 0, 0};
        case 2:
            return {softplus_fn{}, "softplus", real(1) / 4, 0, 0};
        case 3:
            return {softsign_fn{}, "softsign", bmp::abs(x) > h ? real(6) : inf, 0, 0};
        default: {
            polynomial_fn<real> p;
            real third = 0, horner = 0, horner_d = 0, r = bmp::abs(x) + h;
            for (std::size_t j = 0; j < c.size(); ++j) {
                p.coefficients.push_back(from_exact<real>(c[j]));
                const real a = bmp::abs(from_exact<real>(c[j]));
                horner += a * bmp::pow(r, static_cast<int>(j));
                if (j >= 1) horner_d += real(j) * a * bmp::pow(r, static_cast<int>(j - 1));
                if (j >= 3) third += real(j * (j - 1) * (j - 2)) * a * bmp::pow(r, static_cast<int>(j - 3));
            }
            return {p, "polynomial", third, horner, horner_d};
        }
    }
}
}  // namespace

// D10 by a second source: the central difference of the definition (evaluate), never derivative().
// Tolerance, each term proved:
//   truncation  |(f(x+h) − f(x−h))/(2h) − f′(x)| ≤ h²/6 · M₃ (Taylor with remainder, f ∈ C³ on
//               [x − h, x + h]); for softsign with |x| ≤ h, where f″ jumps, ≤ h·sup|f″|/2 = h
//               (f′ is 2-Lipschitz, so the mean of f′ − f′(x) over [x − h, x + h] is ≤ 2·h/2);
//   rounding    p = 1024 bits, u = 2^{1−p}. x is a double, |x| < 32 with 31 significant bits,
//               and h = 2^-200, so x ± h is exact at p bits. Each evaluate is ≤ 4 correctly rounded MPFR operations
//               (exp, +, /, log, tanh, |·|): error ≤ 8u·(1 + |f|) (a factor 2 over γ₄); Horner of
//               degree ≤ 3 adds ≤ 8u·Σ|c_j|(|x|+h)^j (Higham, Thm 3.5). The difference is one more
//               rounding, the division by 2h (a power of 2) exact: the quotient is off by
//               ≤ (e₊ + e₋)/(2h) + u·|quotient|; derivative() is ≤ 4 operations too: 8u·(1 + |f′|)
//               (+ 8u·Σ j|c_j|(|x|+h)^{j−1} for a polynomial).
// A wrong formula is off by a quantity of order 1 at most x; the tolerance is about 2^-400.
RC_BOOST_PROP(D10_derivative_eq_central_difference, ()) {
    const int kind = *rc::gen::element(0, 1, 2, 3, 4);
    const double xd = *gen_float64(5);
    const auto coeffs =
        *rc::gen::container<std::vector<exact>>(static_cast<std::size_t>(*rc::gen::inRange(1, 5)), gen_exact());
    precision_guard g(1024);
    const real x = xd, h = bmp::pow(real(2), -200), u = bmp::pow(real(2), 1 - 1024);
    const smooth_case sc = smooth_activation(kind, coeffs, x, h);
    RC_TAG(sc.name);
    const real up = evaluate(sc.f, real(x + h)), down = evaluate(sc.f, real(x - h));
    const real cd = (up - down) / (2 * h);
    const real d = derivative(sc.f, x);
    const real truncation = bmp::isinf(sc.third) ? h : h * h / 6 * sc.third;
    const real rounding = 8 * u * (2 + bmp::abs(up) + bmp::abs(down) + 2 * sc.horner) / (2 * h) + u * bmp::abs(cd) +
                          8 * u * (1 + bmp::abs(d) + sc.horner_d);
    RC_ASSERT(bmp::abs(d - cd) <= truncation + rounding);
}

RC_BOOST_PROP(D10_hardtanh_is_pytorchs, ()) {
    const exact a = *gen_exact(), b = *gen_exact();
    RC_PRE(a != b);
    const exact lo = a < b ? a : b, hi = a < b ? b : a;
    const activation<exact> f = hardtanh_fn<exact>{lo, hi};
    for (const exact& x : {exact(lo - 1), lo, exact((lo + hi) / 2), hi, exact(hi + 1), *gen_exact()}) {
        const exact value = x < lo ? lo : x > hi ? hi : x;           // torch.clamp(x, lo, hi)
        const exact slope = lo < x && x < hi ? exact(1) : exact(0);  // hardtanh_backward's mask
        RC_ASSERT(evaluate(f, x) == value);
        RC_ASSERT(derivative(f, x) == slope);
        RC_ASSERT(is_kink(f, x) == (x == lo || x == hi));
    }
}

RC_BOOST_PROP(D10_interval_encloses, ()) {
    const exact x = *gen_exact();
    const exact s = *gen_exact();
    // Every exact activation, over a point enclosure and over [x, x + w]: the enclosure holds the
    // value and the derivative at x, at x + w and at every kink in between.
    const auto f = *gen_activation();
    const exact w = *rc::gen::map(gen_exact(), [](const exact& v) { return v < 0 ? exact(-v) : v; });
    {
        precision_guard g(128);
        const activation<interval> fi = convert_activation<interval>(f);
        const interval range = detail::hull(from_exact<interval>(x), from_exact<interval>(exact(x + w)));
        std::vector<exact> inside{x, exact(x + w)};
        for (const auto& k : kink_points<exact>(f))
            if (x <= k.at && k.at <= x + w) inside.push_back(k.at);
        for (const exact& p : inside) {
            RC_ASSERT(encloses(evaluate(fi, range), evaluate(f, p)));
            RC_ASSERT(encloses(derivative(fi, range), derivative(f, p)));
        }
        RC_ASSERT(encloses(evaluate(fi, from_exact<interval>(x)), evaluate(f, x)));
        RC_ASSERT(encloses(derivative(fi, from_exact<interval>(x)), derivative(f, x)));
    }
    precision_guard g(128);
    const interval xi = from_exact<interval>(x);
    RC_ASSERT(encloses(evaluate(relu_fn{}, xi), evaluate(relu_fn{}, x)));
    RC_ASSERT(
        encloses(evaluate(leaky_relu_fn<interval>{from_exact<interval>(s)}, xi), evaluate(leaky_relu_fn<exact>{s}, x)));
    RC_ASSERT(encloses(evaluate(softsign_fn{}, xi), evaluate(softsign_fn{}, x)));
    RC_ASSERT(encloses(derivative(softsign_fn{}, xi), derivative<exact>(softsign_fn{}, x)));
    polynomial_fn<exact> p{{s, x, exact(1, 3)}};
    polynomial_fn<interval> pi{{from_exact<interval>(s), xi, interval(1) / 3}};
    RC_ASSERT(encloses(evaluate(pi, xi), evaluate(p, x)));
    RC_ASSERT(encloses(derivative(pi, xi), derivative(p, x)));
}

RC_BOOST_PROP(D10_double_piecewise_is_rounded_exact, ()) {
    // Ends of hardtanh: doubles, so that the double activation has the exact one's breakpoints.
    const double e1 = std::ldexp(static_cast<double>(*rc::gen::inRange(-64, 64)), -3);
    const double e2 = e1 + std::ldexp(static_cast<double>(*rc::gen::inRange(1, 64)), -2);
    const std::vector<std::pair<activation<exact>, activation<double>>> fs = {
        {identity_fn{}, identity_fn{}},
        {relu_fn{}, relu_fn{}},
        {leaky_relu_fn<exact>{}, leaky_relu_fn<double>{}},  // the default slope, the double 0.01
        {hardtanh_fn<exact>{to_exact(e1), to_exact(e2)}, hardtanh_fn<double>{e1, e2}}};
    std::vector<double> xs = {0.0,
                              -0.0,
                              1.0,
                              -1.0,
                              e1,
                              e2,
                              std::nextafter(e1, -1e9),
                              std::nextafter(e1, 1e9),
                              std::nextafter(e2, -1e9),
                              std::nextafter(e2, 1e9),
                              1e300,
                              -1e300,
                              0x1p-1074,
                              -0x1p-1074};
    for (int i = 0; i < 20; ++i) xs.push_back(std::ldexp(static_cast<double>(*rc::gen::inRange(-1000, 1000)), -6));
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [fe, fd] : fs) {
        const auto check = [&, &fe = fe, &fd = fd](const auto& g) {
            const auto value = value_function<double>(g);
            const auto slope = derivative_function<double>(g);
            for (double x : xs) {
                const double v = evaluate(fd, x), d = derivative(fd, x);
                RC_ASSERT(v == to_double(evaluate(fe, to_exact(x))));
                RC_ASSERT(d == to_double(derivative(fe, to_exact(x))));
                RC_ASSERT(value(x) == v);
                RC_ASSERT(slope(x) == d);
            }
            // ±∞ fall in the outer pieces, NaN in the last (it is past every breakpoint).
            const auto p = pieces_of<double>(g);
            RC_ASSERT(derivative(fd, inf) == p.slope[p.breaks]);
            RC_ASSERT(derivative(fd, -inf) == p.slope[0]);
            RC_ASSERT(derivative(fd, nan) == p.slope[p.breaks]);
            const double hi = evaluate(fd, inf), lo = evaluate(fd, -inf);
            RC_ASSERT(hi == (p.slope[p.breaks] == 0 ? p.intercept[p.breaks] : p.slope[p.breaks] * inf));
            RC_ASSERT(lo == (p.slope[0] == 0 ? p.intercept[0] : p.slope[0] * -inf));
            RC_ASSERT(std::isnan(evaluate(fd, nan)) == (p.slope[p.breaks] != 0));
        };
        std::visit(
            [&](const auto& g) {
                if constexpr (piecewise_linear_activation<std::decay_t<decltype(g)>>) check(g);
            },
            fd);
    }
    RC_ASSERT(!std::signbit(evaluate(activation<double>(relu_fn{}), -0.0)));  // the constant piece's +0
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
    // Default slope: the double 0.01 (PyTorch's), taken exactly: the registry's one default.
    BOOST_TEST(leaky_relu_fn<exact>{}.negative_slope == to_exact(0.01));
    // hardtanh: PyTorch's hardtanh_backward is 0 at both ends; defaults −1 and 1.
    const activation<exact> ht = hardtanh_fn<exact>{};
    BOOST_TEST(derivative(ht, exact(-1)) == exact(0));
    BOOST_TEST(derivative(ht, exact(1)) == exact(0));
    BOOST_TEST(derivative(ht, exact(0)) == exact(1));
    BOOST_TEST(is_kink(ht, exact(-1)));
    BOOST_TEST(is_kink(ht, exact(1)));
    BOOST_TEST(!is_kink(ht, exact(0)));
    // kink_points: the one-sided derivatives and the convention at each breakpoint.
    const auto kr = kink_points<exact>(relu);
    BOOST_TEST(kr.size() == 1u);
    BOOST_TEST((kr[0].at == 0 && kr[0].left == 0 && kr[0].right == 1 && kr[0].convention == 0));
    const auto kl = kink_points<exact>(leaky);
    BOOST_TEST(
        (kl.size() == 1 && kl[0].left == exact(1, 100) && kl[0].right == 1 && kl[0].convention == exact(1, 100)));
    const auto kh = kink_points<exact>(ht);
    BOOST_TEST(kh.size() == 2u);
    BOOST_TEST((kh[0].at == -1 && kh[0].left == 0 && kh[0].right == 1 && kh[0].convention == 0));
    BOOST_TEST((kh[1].at == 1 && kh[1].left == 1 && kh[1].right == 0 && kh[1].convention == 0));
    BOOST_TEST(kink_points<exact>(soft).empty());
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

BOOST_AUTO_TEST_CASE(D10_registry) {
    // Names and aliases are unique across the registry, and find_activation finds each.
    std::vector<std::string_view> names;
    for (const auto* f : activation_registry()) {
        names.push_back(f->name);
        for (auto a : f->aliases)
            if (!a.empty()) names.push_back(a);
        BOOST_TEST(find_activation(f->name) == f);
        // Every parameter but a list has a default; a list parameter comes last.
        for (std::size_t i = 0; i < f->parameters.size(); ++i)
            BOOST_TEST(
                (f->parameters[i].list ? i + 1 == f->parameters.size() : !f->parameters[i].default_text.empty()));
    }
    auto sorted = names;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST((std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()));
    BOOST_TEST(find_activation("sigmoid") == find_activation("logistic"));
    BOOST_TEST(find_activation("Relu") == nullptr);  // names are case-sensitive
    // Each entry builds over ℚ iff it is exact, and always over intervals; its parameters
    // round-trip through parameters_of and make_activation.
    for (const auto* f : activation_registry()) {
        std::vector<std::optional<std::vector<exact>>> given(f->parameters.size());
        if (!f->parameters.empty() && f->parameters.back().list)
            given.back() = std::vector<exact>{exact(1, 3), exact(2)};
        const std::vector<exact> p = f->with_defaults(given);
        const auto e = make_activation<exact>(f->name, p);
        BOOST_TEST(e.has_value() == f->exact_evaluation, f->name);
        precision_guard g(64);
        std::vector<interval> pi;
        for (const auto& v : p) pi.push_back(from_exact<interval>(v));
        BOOST_TEST(make_activation<interval>(f->name, pi).has_value(), f->name);
        if (e) {
            BOOST_TEST(activation_name<exact>(*e) == f->name);
            BOOST_TEST((parameters_of<exact>(*e) == p), f->name);
        }
    }
    BOOST_TEST(!make_activation<exact>("frobnicate", {}).has_value());
    // hardtanh's check: min_val < max_val, reported on max_val.
    const auto* ht = find_activation("hardtanh");
    BOOST_TEST(!ht->check({exact(-1), exact(1)}).has_value());
    const auto bad = ht->check({exact(1), exact(1)});
    BOOST_TEST((bad.has_value() && bad->parameter == 1u));
    BOOST_TEST(ht->check({exact(2), exact(1)}).has_value());
    // The leaky default is the one the C++ struct uses.
    BOOST_TEST(find_activation("leaky_relu")->with_defaults({std::nullopt}).at(0) ==
               leaky_relu_fn<exact>{}.negative_slope);
}

BOOST_AUTO_TEST_CASE(usage_example_of_registry_hpp) {
    const matbp::function_info* f = matbp::find_activation("sigmoid");
    BOOST_TEST(f->name == "logistic");
    BOOST_TEST(f->parameters.size() == 0u);
    BOOST_TEST(matbp::find_loss("huber")->parameters[0].default_text == "1");
}

BOOST_AUTO_TEST_CASE(usage_example_of_activation_hpp) {
    matbp::activation<matbp::exact> f = matbp::leaky_relu_fn<matbp::exact>{matbp::exact(1, 100)};
    BOOST_TEST(evaluate(f, matbp::exact(-3)) == exact(-3, 100));
    BOOST_TEST(derivative(f, matbp::exact(0)) == exact(1, 100));
    BOOST_TEST(is_kink(f, matbp::exact(0)));
}
