// Tests for src/matbp/dyadic.hpp (the exact fast path of C1).
//
// Test plan
//   dyadic_matrix_from_double_eq_to_exact     every entry == to_exact(d) (wide exponents, subnormals,
//                                             ±0, integers); the same representation as from_exact,
//                                             and as from_tensor on the doubles and on their rationals
//   dyadic_matrix_from_tensor_keeps_the_size_rule   33-limb width among zeros: refused by both
//                                             routes beyond 2²⁰ entries, taken by both below
//   dyadic_matrix_from_exact_refuses_non_dyadic   1/3 → nullopt; huge integers and 2^−1074 work; one
//                                             10⁵-bit integer among 4000 small ones → nullopt
//                                             (padding), and so for the network and dyadic_backprop
//   dyadic_matrix_canonical_eq_is_value_eq    values built along different routes compare ==, a
//                                             changed value compares !=; the form is canonical (some
//                                             magnitude odd, some top limb nonzero), from_double's by
//                                             construction and a product's whose sums all end in 0
//   dyadic_entries_eq_rational_route          scale·D's entries (1–3 limbs, ties, 2^±1200, scale 1/d)
//                                             read off the dyadic form: text, binary64/binary32
//                                             roundings in every direction, beyond-range == the
//                                             rationals' (to_string, to_double, to_float)
//   C1_dyadic_hardtanh_at_its_ends_eq_rational  potentials exactly at hardtanh's ends: kinks and
//                                             values == backprop<exact>
//   C1_dyadic_eq_rational_backprop            random float64-valued identity/ReLU/leaky/hardtanh nets (data with
//                                             zeros: kinks), mean and sum, squared_error and mse: cost,
//                                             every dW and db and the kinks == backprop<exact>
//   C1_dyadic_from_double_net_eq_from_exact_net   mlp<double> and its exact image give == results
//   C1_dyadic_independent_of_thread_count     1, 2, 3 and 8 threads give identical representations,
//                                             on products far above the threading threshold, with
//                                             1–2-limb and with 7+-limb magnitudes; == ℚ
//   (C1_dyadic_compile_fail_default_network: tests/compile_fail, no dyadic_network without layers)
//   C1_dyadic_carries_and_borrows_across_limbs   2¹²⁸ − 1 (a borrow through equal limbs), its
//                                             negative, and 64 terms near 2¹²⁸ that carry: == ℚ
//   (tests/mutants.md: the dyadic mutants this file must kill)
//   C1_dyadic_exact_over_wide_range           2^±1000 spread: 4001-bit potentials, still == ℚ
//   (the five C1_dyadic cases above run every product on each route: limbs, slices, automatic)
//   C1_dyadic_iv_slices_eq_limbs              dyadic_product by dgemm on slices == on limbs (==, canonical):
//                                             1–5-limb magnitudes (all-ones limbs, top bit only,
//                                             random), mixed signs, zeros, zero columns; inner
//                                             lengths 1 and 2^L − 1, 2^L, 2^L + 1 (where the slice
//                                             widths change); 1 and 2 threads
//   C1_dyadic_iv_slices_exact_at_the_bound_edge   all-ones magnitudes, odd inner lengths: each
//                                             slice product's sum is odd and just below 2⁵³, so a
//                                             slice one bit too wide (or an inexact dgemm) is seen;
//                                             == n(2^64a − 1)(2^64b − 1) and == the limb route
//   dyadic_refuses_what_it_cannot_do_exactly  softsign, a 1/3 slope, breakpoint or weight, l1 and
//                                             huber (gradient not c(a − y)), non-dyadic data: nullopt
//   size_observer_sees_every_stage_and_can_stop   stages in order; a throwing observer stops the run
//   preconditions_raise_contract_violations   NaN/Inf data, parameters and slopes; shapes; n = 0;
//                                             loss; threads = 0; entry and width indices; ill-formed nets
//   usage_example_of_dyadic_hpp
#define BOOST_TEST_MODULE dyadic
#include "matbp/dyadic.hpp"

#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"
#include "matbp/equation.hpp"

#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <limits>
#include <random>

using namespace matbp;
using matbp::testing::expect_violation;
using matbp::testing::gen_float64;

namespace {

/// gen_float64(s), exactly 0 one time in six (so kinks are hit).
rc::Gen<double> gen_double(int s = 30) {
    return rc::gen::map(rc::gen::pair(gen_float64(s), rc::gen::inRange(0, 6)),
                        [](const std::pair<double, int>& p) { return p.second == 0 ? 0.0 : p.first; });
}

matrix<double> gen_doubles(Eigen::Index r, Eigen::Index c, int s = 30) {
    matrix<double> M(r, c);
    for (Eigen::Index t = 0; t < M.size(); ++t) M(t) = *gen_double(s);
    return M;
}

matrix<exact> exact_of(const matrix<double>& M) {
    matrix<exact> E(M.rows(), M.cols());
    for (Eigen::Index t = 0; t < M.size(); ++t) E(t) = to_exact(M(t));
    return E;
}

mlp<exact> exact_of(const mlp<double>& net) {
    mlp<exact> e;
    for (const auto& L : net.layers) {
        std::vector<exact> p;
        for (double v : parameters_of<double>(L.f)) p.push_back(to_exact(v));
        e.layers.push_back({exact_of(L.W), exact_of(L.b), *make_activation<exact>(activation_name<double>(L.f), p)});
    }
    return e;
}

/// A random float64-valued piecewise-linear network with widths in 1…6 and depth 1…4, entries
/// spread over 2^±s.
mlp<double> gen_net(int s) {
    const int k = *rc::gen::inRange(1, 5);
    std::vector<Eigen::Index> m;
    for (int l = 0; l <= k; ++l) m.push_back(*rc::gen::inRange(1, 7));
    mlp<double> net;
    for (int l = 1; l <= k; ++l) {
        const int which = *rc::gen::inRange(0, 6);
        const double lo = *gen_double(4), hi = lo + std::abs(*gen_double(4)) + 0.25;
        activation<double> f = which == 0   ? activation<double>(identity_fn{})
                               : which == 1 ? activation<double>(relu_fn{})
                               : which == 2 ? activation<double>(leaky_relu_fn<double>{0.01})
                               : which == 3 ? activation<double>(leaky_relu_fn<double>{*gen_double(4)})
                               : which == 4 ? activation<double>(hardtanh_fn<double>{})
                                            : activation<double>(hardtanh_fn<double>{lo, hi});
        net.layers.push_back({gen_doubles(m[l], m[l - 1], s), gen_doubles(m[l], 1, s), f});
    }
    return net;
}

void require_same(const dyadic_gradients& d, const gradient_result<exact>& g) {
    const auto e = d.to_exact();
    RC_ASSERT(e.cost == g.cost);
    RC_ASSERT(e.kinks == g.kinks);
    for (std::size_t l = 1; l < g.dW.size(); ++l) {
        RC_ASSERT(same_matrix(e.dW[l], g.dW[l]));
        RC_ASSERT(same_matrix(e.db[l], g.db[l]));
    }
}

bool same_representation(const dyadic_gradients& a, const dyadic_gradients& b) {
    return a.scale == b.scale && a.cost == b.cost && a.dW == b.dW && a.db == b.db && a.kinks == b.kinks;
}

constexpr dyadic_route every_route[] = {dyadic_route::limbs, dyadic_route::slices, dyadic_route::automatic};

const char* route_name(dyadic_route r) {
    return r == dyadic_route::limbs ? "limbs" : r == dyadic_route::slices ? "slices" : "automatic";
}

/// An n × c matrix of integers with magnitudes of up to `limbs` 64-bit limbs: all-ones limbs
/// (2^64·limbs − 1), the top bit alone, random limbs, 1, or 0, each sign random; column 0 is zero
/// when zero_column.
dyadic_matrix adversarial(Eigen::Index n, Eigen::Index c, int limbs, bool zero_column, std::mt19937_64& rng) {
    matrix<exact> M(n, c);
    const bmp::mpz_int ones = (bmp::mpz_int(1) << (64 * limbs)) - 1;
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < n; ++i) {
            bmp::mpz_int m;
            switch (rng() % 6) {
                case 0:
                    m = 0;
                    break;
                case 1:
                    m = 1;
                    break;
                case 2:
                    m = bmp::mpz_int(1) << (64 * limbs - 1);
                    break;
                case 3:
                    for (int k = 0; k < limbs; ++k) m = (m << 64) + rng();
                    break;
                default:
                    m = ones;
            }
            M(i, j) = exact(zero_column && j == 0 ? bmp::mpz_int(0) : rng() % 2 ? m : bmp::mpz_int(-m));
        }
    return *dyadic_matrix::from_exact(M);
}

}  // namespace

RC_BOOST_PROP(dyadic_matrix_from_double_eq_to_exact, ()) {
    const auto r = *rc::gen::inRange(1, 5), c = *rc::gen::inRange(1, 5);
    matrix<double> M = gen_doubles(r, c, 1020);  // far beyond one limb of exponent spread, all finite
    const int special = *rc::gen::inRange(0, 5);
    if (special == 1) M(0) = std::numeric_limits<double>::denorm_min();
    if (special == 2) M(0) = -std::numeric_limits<double>::max();
    if (special == 3) M(0) = -0.0;
    if (special == 4) M(0) = 12345678.0;  // an integer with trailing zero bits
    const auto D = dyadic_matrix::from_double(M);
    RC_ASSERT(D.rows() == r && D.cols() == c);
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) RC_ASSERT(D(i, j) == to_exact(M(i, j)));
    RC_ASSERT(same_matrix(D.to_exact(), exact_of(M)));
    const auto E = dyadic_matrix::from_exact(exact_of(M));
    RC_ASSERT(E.has_value());
    RC_ASSERT(*E == D);
    // from_tensor: the same from the doubles held as doubles and as rationals.
    RC_ASSERT(dyadic_matrix::from_tensor(exact_tensor::of_doubles(M)) == E);
    RC_ASSERT(dyadic_matrix::from_tensor(exact_tensor(exact_of(M))) == E);
}

BOOST_AUTO_TEST_CASE(dyadic_matrix_from_tensor_keeps_the_size_rule) {
    // Mostly zeros (2 limbs of rational each) with 2^−1074 and the largest double: a 33-limb shared
    // width, which from_exact's rule refuses beyond 2²⁰ entries; from_tensor on the doubles decides
    // the same without making a rational, on either side of that size.
    for (const Eigen::Index cols : {1000, 1100}) {
        matrix<double> M = matrix<double>::Zero(1000, cols);
        M(0, 0) = std::numeric_limits<double>::denorm_min();
        M(1, 0) = std::numeric_limits<double>::max();
        const auto from_doubles = dyadic_matrix::from_tensor(exact_tensor::of_doubles(M));
        BOOST_TEST(from_doubles.has_value() == (cols == 1000));
        BOOST_TEST((from_doubles == dyadic_matrix::from_exact(exact_of(M))));
    }
}

BOOST_AUTO_TEST_CASE(dyadic_matrix_from_exact_refuses_non_dyadic) {
    matrix<exact> M(1, 3);
    M << exact(1, 3), 0, 1;
    BOOST_TEST(!dyadic_matrix::from_exact(M).has_value());
    // A 3000-bit integer, 2^−1074 and −5/8 in one block: 4000-odd bits of spread, exact.
    M << exact(bmp::mpz_int(1) << 3000) + 1, to_exact(std::numeric_limits<double>::denorm_min()), exact(-5, 8);
    const auto D = dyadic_matrix::from_exact(M);
    BOOST_REQUIRE(D.has_value());
    BOOST_TEST(same_matrix(D->to_exact(), M));
    BOOST_TEST(D->exponent() == -1074);
    BOOST_TEST(D->bits_bound() >= 3001u + 1074u);
    // One 10⁵-bit integer among 4000 small entries: padding all to its width would take about
    // 6·10⁶ limbs against 10⁴ of their own, so rationals serve better (nullopt).
    matrix<exact> wide = matrix<exact>::Ones(1, 4000);
    wide(0, 17) = exact(bmp::mpz_int(1) << 100000);
    BOOST_TEST(!dyadic_matrix::from_exact(wide).has_value());
    mlp<exact> net;
    net.layers.push_back({wide, matrix<exact>::Zero(1, 1), relu_fn{}});
    BOOST_TEST(!dyadic_network::from(net).has_value());
    BOOST_TEST(
        !dyadic_backprop(net, matrix<exact>::Ones(4000, 1), matrix<exact>::Ones(1, 1), mse_loss{}, reduction::sum)
             .has_value());
    // The same integer in a short row is taken: the padding is small in absolute terms.
    matrix<exact> short_row = wide.leftCols(20);
    const auto S = dyadic_matrix::from_exact(short_row);
    BOOST_REQUIRE(S.has_value());
    BOOST_TEST(same_matrix(S->to_exact(), short_row));
}

RC_BOOST_PROP(dyadic_matrix_canonical_eq_is_value_eq, ()) {
    const auto r = *rc::gen::inRange(1, 5), c = *rc::gen::inRange(1, 5);
    const matrix<double> M = gen_doubles(r, c, 200);
    const auto D = dyadic_matrix::from_double(M);
    // The same values, scaled by 2^s and back inside ℚ: another route to the same matrix.
    const int s = *rc::gen::inRange(-70, 70);
    const exact two_s = s >= 0 ? exact(bmp::mpz_int(1) << s) : exact(bmp::mpz_int(1), bmp::mpz_int(1) << -s);
    matrix<exact> scaled = exact_of(M) * two_s;
    scaled /= two_s;
    RC_ASSERT(*dyadic_matrix::from_exact(scaled) == D);
    // Canonical: all zero ⇔ width 0; otherwise some magnitude is odd and some top limb is nonzero,
    // which bits_bound reflects: it is exact for the entry of largest magnitude when e ≥ 0.
    const bool all_zero = (M.array() == 0).all();
    RC_ASSERT(all_zero == (D.width() == 0));
    if (!all_zero) {
        bool some_odd = false;
        for (Eigen::Index t = 0; t < M.size(); ++t) {
            const exact q =
                D(t % r, t / r) / (D.exponent() >= 0 ? exact(bmp::mpz_int(1) << D.exponent())
                                                     : exact(bmp::mpz_int(1), bmp::mpz_int(1) << -D.exponent()));
            RC_ASSERT(bmp::denominator(q) == 1);  // every magnitude an integer at this exponent
            some_odd = some_odd || bmp::numerator(q) % 2 != 0;
        }
        RC_ASSERT(some_odd);  // and no larger exponent would do
    }
    // A changed value is a different matrix.
    matrix<double> M2 = M;
    M2(0) = M(0) == 1.0 ? 2.0 : 1.0;
    RC_ASSERT(!(dyadic_matrix::from_double(M2) == D));
    // A product whose sums all end in a zero bit (1·1 + 1·1 = 2, 3·1 + 1·1 = 4, times 2^k) is
    // brought to the canonical form too: == from_exact of its values.
    const int k = *rc::gen::inRange(-60, 60);
    matrix<double> P(2, 2), Q = matrix<double>::Ones(2, 1);
    P << 1, 1, 3, 1;
    const dyadic_matrix C =
        dyadic_product(dyadic_matrix::from_double(std::ldexp(1.0, k) * P), dyadic_matrix::from_double(Q));
    RC_ASSERT(*dyadic_matrix::from_exact(C.to_exact()) == C);
    RC_ASSERT(C.exponent() == k + 1);
}

namespace {

/// A dyadic value m·2^e: m up to 2¹³⁰ (one to three limbs) or a tie-maker (2^p + 1)·2^k, e over
/// ±1200 (beyond the double range and below the subnormals), 0 one time in eight.
exact gen_dyadic_value() {
    const int kind = *rc::gen::inRange(0, 8);
    if (kind == 0) return 0;
    bmp::mpz_int m;
    if (kind == 1) {
        m = (bmp::mpz_int(1) << *rc::gen::element(24, 25, 53, 54)) + 1;  // halfway once rounded to p bits
        m <<= *rc::gen::inRange(0, 70);
    } else {
        const int bits = *rc::gen::inRange(1, 131);
        for (int b = 0; b < bits; b += 30) m = (m << 30) + *rc::gen::inRange(0, 1 << 30);
        m = m + 1;
    }
    if (*rc::gen::arbitrary<bool>()) m = -m;
    const int e = *rc::gen::inRange(-1200, 1200);
    return e >= 0 ? exact(m << e) : exact(m, bmp::mpz_int(1) << -e);
}

/// The rational route's rounding (oracle.cpp's round_directed): nearest-even, or the largest
/// (least) format value ≤ q (≥ q), ±Inf beyond the range on that side.
double reference_rounded(const exact& q, int direction, bool single) {
    double d = single ? static_cast<double>(to_float(q)) : to_double(q);
    const auto step = [&](double x, double toward) {
        return single ? static_cast<double>(std::nextafter(static_cast<float>(x), static_cast<float>(toward)))
                      : std::nextafter(x, toward);
    };
    if (direction == 0) return d;
    const bool up = direction > 0;
    if (std::isinf(d)) return (d > 0) != up ? step(d, 0.0) : d;
    const exact e = to_exact(d);
    if (up ? e < q : e > q) d = step(d, up ? INFINITY : -INFINITY);
    return d;
}

}  // namespace

RC_BOOST_PROP(dyadic_entries_eq_rational_route, ()) {
    // Entry by entry, scale·D read off the dyadic form gives what the rationals give: its text
    // (to_string), its roundings to binary64 and binary32 in every direction (to_double,
    // to_float, the directed roundings of ULP ranges; signed zeros too) and whether it is beyond
    // the double range. Scales 1/d with d up to 2⁴⁰ (even, odd, sharing factors with the values).
    const auto r = *rc::gen::inRange(1, 4), c = *rc::gen::inRange(1, 4);
    matrix<exact> M(r, c);
    for (Eigen::Index t = 0; t < M.size(); ++t) M(t) = gen_dyadic_value();
    const std::uint64_t d =
        *rc::gen::element<std::uint64_t>(1, 2, 3, 6, 10, 12, 1000, 3u << 20) +
        (*rc::gen::arbitrary<bool>() ? 0 : *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 40));
    const exact scale(1, bmp::mpz_int(d));
    const auto D = dyadic_matrix::from_exact(M);
    RC_ASSERT(D.has_value());
    const auto E = dyadic_entries::of(*D, scale);
    RC_ASSERT(E.has_value() && E->divisor() == d);
    static const exact largest = to_exact(std::numeric_limits<double>::max());
    for (Eigen::Index t = 0; t < M.size(); ++t) {
        const exact q = M(t) * scale;
        const auto k = static_cast<std::size_t>(t);
        std::string text = "x";
        E->append_text(k, text);
        RC_ASSERT(text == "x" + to_string(q));
        for (const bool single : {false, true})
            for (const int dir : {-1, 0, 1}) {
                const double want = reference_rounded(q, dir, single), got = E->rounded(k, dir, single);
                RC_LOG() << "q " << to_string(q) << " dir " << dir << " single " << single << " got " << got << " want "
                         << want << "\n";
                RC_ASSERT((got == want && std::signbit(got) == std::signbit(want)));
            }
        RC_ASSERT(E->beyond_double(k) == (q > largest || q < -largest));
    }
    // Only scales 1/d with d < 2⁶⁴ are read this way.
    RC_ASSERT(!dyadic_entries::of(*D, exact(2, 3)).has_value());
    RC_ASSERT(!dyadic_entries::of(*D, exact(bmp::mpz_int(1), bmp::mpz_int(1) << 70)).has_value());
}

RC_BOOST_PROP(C1_dyadic_eq_rational_backprop, ()) {
    const int s = *rc::gen::element(30, 200);  // magnitudes of 1–2 limbs, or of many
    const mlp<double> dnet = gen_net(s);
    const mlp<exact> net = exact_of(dnet);
    const auto n = *rc::gen::inRange(1, 6);
    const matrix<double> X = gen_doubles(net.width(0), n, s), Y = gen_doubles(net.width(net.depth()), n, s);
    const auto red = *rc::gen::element(reduction::mean, reduction::sum);
    const auto kind = *rc::gen::element(loss_function<exact>(squared_error_loss{}), loss_function<exact>(mse_loss{}));
    const auto fast = dyadic_network::from(net);
    RC_ASSERT(fast.has_value());
    const dyadic_route_scope route(
        *rc::gen::element(dyadic_route::limbs, dyadic_route::slices, dyadic_route::automatic));
    const auto g = backprop(net, exact_of(X), exact_of(Y), kind, red);  // the rational algorithm
    // These nets are below the threading threshold, so the thread count must not matter at all.
    require_same(fast->gradients(X, Y, kind, red, *rc::gen::inRange(1u, 4u)), g);
    const auto via = dyadic_backprop(net, exact_of(X), exact_of(Y), kind, red);
    RC_ASSERT(via.has_value());
    require_same(fast->gradients(X, Y, kind, red), *via);
}

BOOST_AUTO_TEST_CASE(C1_dyadic_hardtanh_at_its_ends_eq_rational) {
    // Potentials exactly at both ends of hardtanh(−1/2, 3/4) and of the default (−1, 1), between
    // and beyond them, in two layers: the kinks and PyTorch's convention (0 at both ends) must
    // agree with the rational algorithm, whose hardtanh is checked in activation_test.
    for (const auto& [lo, hi] : {std::pair<double, double>{-0.5, 0.75}, std::pair<double, double>{-1, 1}}) {
        mlp<double> net;
        net.layers.push_back({matrix<double>::Identity(3, 3), matrix<double>::Zero(3, 1), hardtanh_fn<double>{lo, hi}});
        net.layers.push_back({matrix<double>::Constant(2, 3, 0.5), matrix<double>::Constant(2, 1, hi - 0.5 * (3 * lo)),
                              hardtanh_fn<double>{lo, hi}});
        matrix<double> X(3, 4), Y(2, 4);
        X << lo, hi, 0.125, -3, hi, lo, 2, lo, lo, lo, 0.25, hi;
        Y << 0.5, -0.25, 1, 0, 0.125, 0.375, -1, 2;
        const auto d = dyadic_network::from(net)->gradients(X, Y, mse_loss{}, reduction::mean).to_exact();
        const auto g = backprop(exact_of(net), exact_of(X), exact_of(Y), mse_loss{}, reduction::mean);
        BOOST_TEST(d.cost == g.cost);
        for (Eigen::Index l = 1; l <= 2; ++l) {
            BOOST_TEST(same_matrix(d.dW[l], g.dW[l]));
            BOOST_TEST(same_matrix(d.db[l], g.db[l]));
        }
        BOOST_TEST(d.kinks.size() >= 6u);
        BOOST_TEST((d.kinks == g.kinks));
    }
}

RC_BOOST_PROP(C1_dyadic_from_double_net_eq_from_exact_net, ()) {
    const mlp<double> dnet = gen_net(30);
    const auto n = *rc::gen::inRange(1, 6);
    const matrix<double> X = gen_doubles(dnet.width(0), n), Y = gen_doubles(dnet.width(dnet.depth()), n);
    const auto a = dyadic_network::from(dnet), b = dyadic_network::from(exact_of(dnet));
    RC_ASSERT(a.has_value() && b.has_value());
    const dyadic_route_scope route(
        *rc::gen::element(dyadic_route::limbs, dyadic_route::slices, dyadic_route::automatic));
    RC_ASSERT(same_representation(a->gradients(X, Y, mse_loss{}, reduction::mean),
                                  b->gradients(*dyadic_matrix::from_exact(exact_of(X)),
                                               *dyadic_matrix::from_exact(exact_of(Y)), mse_loss{}, reduction::mean)));
}

BOOST_AUTO_TEST_CASE(C1_dyadic_independent_of_thread_count) {
    // 128-128-10 at batch 32 with entries in (−1, 1): Z¹ alone is 128·32 entries × 128 terms, about
    // 2¹⁹ limb products, so every product but the smallest is split over as many threads as
    // allowed (threshold: 2¹⁶ limb products per thread). 48-48-4 at batch 16 with entries spread
    // over 2^±200: magnitudes of 7 or more limbs, the kernel's generic (run-time width) form.
    for (const int spread : {0, 200}) {
        std::mt19937_64 rng(20261126 + spread);
        std::uniform_real_distribution<double> u(-1, 1);
        std::uniform_int_distribution<int> e(-spread, spread);
        auto random = [&](Eigen::Index r, Eigen::Index c) {
            matrix<double> M(r, c);
            for (Eigen::Index t = 0; t < M.size(); ++t) M(t) = std::ldexp(u(rng), e(rng));
            return M;
        };
        const Eigen::Index m0 = spread ? 48 : 128, m2 = spread ? 4 : 10, n = spread ? 16 : 32;
        mlp<double> net;
        net.layers.push_back({random(m0, m0), random(m0, 1), leaky_relu_fn<double>{0.01}});
        net.layers.push_back({random(m2, m0), random(m2, 1), identity_fn{}});
        const matrix<double> X = random(m0, n), Y = random(m2, n);
        const auto fast = dyadic_network::from(net);
        BOOST_REQUIRE(fast.has_value());
        const auto one = [&] {
            const dyadic_route_scope limbs(dyadic_route::limbs);
            return fast->gradients(X, Y, mse_loss{}, reduction::mean, 1);
        }();
        BOOST_TEST((spread == 0 || one.dW[1].width() > 4u), "widths beyond the specialised kernels");
        // Every route (the slice route's dgemm on 1–8 OpenBLAS threads) gives the same representation.
        for (const dyadic_route r : every_route) {
            const dyadic_route_scope route(r);
            for (unsigned t : {1u, 2u, 3u, 8u})
                BOOST_TEST(same_representation(fast->gradients(X, Y, mse_loss{}, reduction::mean, t), one),
                           route_name(r) << ", " << t << " threads, spread " << spread);
        }
        // And the values are the rational algorithm's. backprop is the reference here, at the cheap
        // level: its expensive postcondition (AD of the batch cost with respect to each of the
        // 128·128 weights, C1) would take hours at this size; backprop_test checks it on small nets.
        const auto g = [&] {
            contract_level_guard cheap(contract_level::cheap);
            return backprop(exact_of(net), exact_of(X), exact_of(Y), mse_loss{}, reduction::mean);
        }();
        const auto ex = one.to_exact();
        BOOST_TEST(ex.cost == g.cost);
        for (Eigen::Index l = 1; l <= 2; ++l) {
            BOOST_TEST(same_matrix(ex.dW[l], g.dW[l]));
            BOOST_TEST(same_matrix(ex.db[l], g.db[l]));
        }
    }
}

BOOST_AUTO_TEST_CASE(C1_dyadic_carries_and_borrows_across_limbs) {
    for (const dyadic_route r : every_route) {  // each product on each route
        const dyadic_route_scope route(r);
        // z = 2¹⁰⁰·2²⁸ − 1·1 = 2¹²⁸ − 1: positive terms [0, 0, 1], negative [1, 0, 0] in 64-bit limbs,
        // so the subtraction borrows through a limb where both are equal. The sign flipped: −(2¹²⁸ − 1).
        // Then 1 + 64 terms of (2⁶⁴ − 2¹¹)², whose sum carries across limbs into a third.
        for (double sign : {1.0, -1.0}) {
            mlp<double> net;
            matrix<double> W(1, 2), X(2, 1);
            W << sign * std::ldexp(1.0, 100), 1;
            X << std::ldexp(1.0, 28), -sign;
            net.layers.push_back({W, matrix<double>::Zero(1, 1), identity_fn{}});
            const matrix<double> Y = matrix<double>::Zero(1, 1);
            const auto d = dyadic_network::from(net)->gradients(X, Y, squared_error_loss{}, reduction::sum).to_exact();
            const auto g = backprop(exact_of(net), exact_of(X), exact_of(Y), squared_error_loss{}, reduction::sum);
            BOOST_TEST(g.db[1](0) == sign * (exact(bmp::mpz_int(1) << 128) - 1));  // ∂ℓ/∂b = z − y = z
            BOOST_TEST(d.cost == g.cost);
            BOOST_TEST(same_matrix(d.dW[1], g.dW[1]));
            BOOST_TEST(same_matrix(d.db[1], g.db[1]));
        }
        // With a 1 beside them the magnitudes of 2⁶⁴ − 2¹¹ (the largest double below 2⁶⁴) fill a whole
        // limb at exponent 0: each product fills two, and the sum of 65 needs ⌈log₂ 65⌉ = 7 bits more.
        const double big = std::ldexp(1.0, 64) - std::ldexp(1.0, 11);
        matrix<double> W = matrix<double>::Constant(1, 65, big), X = matrix<double>::Constant(65, 1, big);
        W(0) = 1;
        X(0) = 1;
        mlp<double> net;
        net.layers.push_back({W, matrix<double>::Zero(1, 1), relu_fn{}});
        const matrix<double> Y = matrix<double>::Zero(1, 1);
        const auto d = dyadic_network::from(net)->gradients(X, Y, squared_error_loss{}, reduction::sum).to_exact();
        const auto g = backprop(exact_of(net), exact_of(X), exact_of(Y), squared_error_loss{}, reduction::sum);
        BOOST_TEST(g.db[1](0) == 1 + 64 * to_exact(big) * to_exact(big));
        BOOST_TEST(d.cost == g.cost);
        BOOST_TEST(same_matrix(d.dW[1], g.dW[1]));
        BOOST_TEST(same_matrix(d.db[1], g.db[1]));
    }
}

BOOST_AUTO_TEST_CASE(C1_dyadic_exact_over_wide_range) {
    for (const dyadic_route r : every_route) {  // each product on each route
        const dyadic_route_scope route(r);
        // z¹ = 2¹⁰⁰⁰·2¹⁰⁰⁰ + 2⁻¹⁰⁰⁰·2⁻¹⁰⁰⁰ needs 4001 bits, the cost about 8000.
        mlp<double> net;
        matrix<double> W(1, 2), b = matrix<double>::Zero(1, 1), X(2, 1), Y = matrix<double>::Ones(1, 1);
        W << std::ldexp(1.0, 1000), std::ldexp(1.0, -1000);
        X << std::ldexp(1.0, 1000), std::ldexp(1.0, -1000);
        net.layers.push_back({W, b, identity_fn{}});
        const auto d = dyadic_network::from(net)->gradients(X, Y, squared_error_loss{}, reduction::mean);
        const auto g = backprop(exact_of(net), exact_of(X), exact_of(Y));
        const auto e = d.to_exact();
        BOOST_TEST(e.cost == g.cost);
        BOOST_TEST(same_matrix(e.dW[1], g.dW[1]));
        BOOST_TEST(same_matrix(e.db[1], g.db[1]));
        BOOST_TEST(d.dW[1].bits_bound() >= 4001u);
    }
}

BOOST_AUTO_TEST_CASE(C1_dyadic_iv_slices_eq_limbs) {
    // The slice widths depend on n: s_P + s_Q ≤ 53 − L at n = 2^L, one less at 2^L + 1. Around each
    // such change, and at n = 1, the dgemm route must give the limb route's canonical matrix.
    std::mt19937_64 rng(20261201);
    std::vector<Eigen::Index> lengths{1, 2, 3};
    for (const int L : {3, 5, 8, 10, 12})
        for (const Eigen::Index d : {-1, 0, 1}) lengths.push_back((Eigen::Index{1} << L) + d);
    int cases = 0;
    for (const Eigen::Index n : lengths)
        for (int a = 1; a <= 5; ++a) {
            const int b = 1 + static_cast<int>(rng() % 5);
            const dyadic_matrix P = adversarial(n, 3, a, a % 2 == 0, rng), Q = adversarial(n, 4, b, a == 3, rng);
            const dyadic_matrix limbs = dyadic_product(P, Q, 1, dyadic_route::limbs);
            BOOST_TEST_REQUIRE(limbs.width() >= static_cast<std::size_t>(a + b - 1));  // not reduced by zeros
            for (const unsigned t : {1u, 2u}) {
                BOOST_TEST((dyadic_product(P, Q, t, dyadic_route::slices) == limbs),
                           "n = " << n << ", " << a << " × " << b << " limbs, " << t << " threads");
                BOOST_TEST((dyadic_product(P, Q, t) == limbs), "automatic, n = " << n);
            }
            ++cases;
        }
    // The limb route is itself checked against ℚ (C1_dyadic_eq_rational_backprop); here once more
    // directly, on one case with every kind of entry.
    const dyadic_matrix P = adversarial(9, 3, 3, true, rng), Q = adversarial(9, 2, 2, false, rng);
    const matrix<exact> want = P.to_exact().transpose() * Q.to_exact();
    BOOST_TEST(same_matrix(dyadic_product(P, Q, 2, dyadic_route::slices).to_exact(), want));
    BOOST_TEST(cases == 90);
}

BOOST_AUTO_TEST_CASE(C1_dyadic_iv_slices_exact_at_the_bound_edge) {
    // Every magnitude all ones (2^(64a) − 1): every slice but the top one is all ones, so each entry
    // of a full slice product is n(2^s_P − 1)(2^s_Q − 1): odd for odd n, and at least 2⁵² because the
    // widths are the widest allowed. A slice one bit wider makes it an odd integer ≥ 2⁵³, which no
    // double holds; so does any dgemm that is not exact on these integers.
    for (const Eigen::Index n : {1, 3, 255, 257, 1023, 1025, 4097})
        for (const auto& [a, b] : {std::pair<int, int>{1, 1}, {1, 3}, {3, 2}, {5, 5}}) {
            const bmp::mpz_int pa = (bmp::mpz_int(1) << (64 * a)) - 1, qb = (bmp::mpz_int(1) << (64 * b)) - 1;
            matrix<exact> P = matrix<exact>::Constant(n, 2, exact(pa)), Q = matrix<exact>::Constant(n, 2, exact(qb));
            Q.col(1) *= -1;
            const auto dp = *dyadic_matrix::from_exact(P), dq = *dyadic_matrix::from_exact(Q);
            const exact entry = exact(n) * exact(pa) * exact(qb);
            matrix<exact> want(2, 2);
            want << entry, -entry, entry, -entry;
            for (const unsigned t : {1u, 2u}) {
                const dyadic_matrix C = dyadic_product(dp, dq, t, dyadic_route::slices);
                BOOST_TEST(same_matrix(C.to_exact(), want), "n = " << n << ", " << a << " × " << b << " limbs");
                BOOST_TEST((C == dyadic_product(dp, dq, t, dyadic_route::limbs)));
            }
        }
}

BOOST_AUTO_TEST_CASE(dyadic_refuses_what_it_cannot_do_exactly) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Ones(2, 2), matrix<exact>::Zero(2, 1), relu_fn{}});
    const matrix<exact> X = matrix<exact>::Ones(2, 1), Y = matrix<exact>::Ones(2, 1);
    BOOST_TEST(dyadic_network::from(net).has_value());
    BOOST_TEST(dyadic_backprop(net, X, Y, mse_loss{}, reduction::mean).has_value());
    // Losses whose gradient is not c(a − y) go to the rationals.
    BOOST_TEST(!dyadic_backprop(net, X, Y, l1_loss{}, reduction::mean).has_value());
    BOOST_TEST(!dyadic_backprop(net, X, Y, huber_loss<exact>{}, reduction::mean).has_value());
    matrix<exact> third = X;
    third(0) = exact(1, 3);
    BOOST_TEST(!dyadic_backprop(net, third, Y, mse_loss{}, reduction::mean).has_value());
    BOOST_TEST(!dyadic_backprop(net, X, third, mse_loss{}, reduction::mean).has_value());
    auto w = net;
    w.layers[0].W(1, 1) = exact(1, 3);
    BOOST_TEST(!dyadic_network::from(w).has_value());
    auto bias = net;
    bias.layers[0].b(1) = exact(1, 3);
    BOOST_TEST(!dyadic_network::from(bias).has_value());
    auto slope = net;
    slope.layers[0].f = leaky_relu_fn<exact>{exact(1, 3)};
    BOOST_TEST(!dyadic_network::from(slope).has_value());
    slope.layers[0].f = leaky_relu_fn<exact>{exact(1, 4)};
    BOOST_TEST(dyadic_network::from(slope).has_value());
    slope.layers[0].f = hardtanh_fn<exact>{exact(-1, 3), exact(1)};  // a non-dyadic breakpoint
    BOOST_TEST(!dyadic_network::from(slope).has_value());
    auto smooth = net;
    smooth.layers[0].f = softsign_fn{};
    BOOST_TEST(!dyadic_network::from(smooth).has_value());
    mlp<double> dsmooth;
    dsmooth.layers.push_back({matrix<double>::Ones(2, 2), matrix<double>::Zero(2, 1), softsign_fn{}});
    BOOST_TEST(!dyadic_network::from(dsmooth).has_value());
}

BOOST_AUTO_TEST_CASE(size_observer_sees_every_stage_and_can_stop) {
    mlp<double> net;
    net.layers.push_back({matrix<double>::Constant(3, 2, 0.5), matrix<double>::Zero(3, 1), relu_fn{}});
    net.layers.push_back({matrix<double>::Constant(1, 3, 0.25), matrix<double>::Zero(1, 1), identity_fn{}});
    const matrix<double> X = matrix<double>::Ones(2, 2), Y = matrix<double>::Zero(1, 2);
    const auto fast = dyadic_network::from(net);
    std::vector<std::string> seen;
    const size_observer log = [&](const char* stage, Eigen::Index l, std::size_t bits) {
        seen.push_back(std::string(stage) + std::to_string(l));
        BOOST_TEST(bits >= 1u);
    };
    fast->gradients(X, Y, mse_loss{}, reduction::sum, 1, &log);
    const std::vector<std::string> want{"potential1", "activation1", "potential2", "activation2", "delta2", "delta1"};
    BOOST_TEST(seen == want, boost::test_tools::per_element());
    struct stop {};
    const size_observer stopper = [](const char* stage, Eigen::Index, std::size_t) {
        if (std::string(stage) == "delta") throw stop{};
    };
    BOOST_CHECK_THROW(fast->gradients(X, Y, mse_loss{}, reduction::sum, 2, &stopper), stop);
}

BOOST_AUTO_TEST_CASE(preconditions_raise_contract_violations) {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    matrix<double> bad = matrix<double>::Ones(2, 1);
    bad(1) = nan;
    expect_violation("C1", [&] { dyadic_matrix::from_double(bad); });
    bad(1) = -inf;
    expect_violation("C1", [&] { dyadic_matrix::from_double(bad); });
    mlp<double> net;
    net.layers.push_back({matrix<double>::Ones(2, 2), matrix<double>::Zero(2, 1), relu_fn{}});
    const auto fast = dyadic_network::from(net);
    BOOST_REQUIRE(fast.has_value());
    const matrix<double> X = matrix<double>::Ones(2, 3), Y = matrix<double>::Ones(2, 3);
    expect_violation("C1", [&] { fast->gradients(bad, matrix<double>::Ones(2, 1), mse_loss{}, reduction::sum); });
    expect_violation("C1", [&] { fast->gradients(X, matrix<double>::Ones(2, 3) * inf, mse_loss{}, reduction::sum); });
    expect_violation("C1", [&] { fast->gradients(matrix<double>::Ones(3, 3), Y, mse_loss{}, reduction::sum); });  // m₀
    expect_violation("C1", [&] { fast->gradients(X, matrix<double>::Ones(1, 3), mse_loss{}, reduction::sum); });  // m_k
    expect_violation("C1", [&] { fast->gradients(X, matrix<double>::Ones(2, 2), mse_loss{}, reduction::sum); });  // n
    expect_violation("C1",
                     [&] { fast->gradients(matrix<double>(2, 0), matrix<double>(2, 0), mse_loss{}, reduction::sum); });
    expect_violation("C1", [&] { fast->gradients(X, Y, l1_loss{}, reduction::sum); });
    expect_violation("C1", [&] { fast->gradients(X, Y, mse_loss{}, reduction::sum, 0); });
    expect_violation("C1", [&] { fast->width(2); });
    expect_violation("C1", [&] { fast->width(-1); });
    const auto D = dyadic_matrix::from_double(X);
    for (const dyadic_route r : every_route) {
        expect_violation("C1",
                         [&] { dyadic_product(D, dyadic_matrix::from_double(matrix<double>::Ones(3, 2)), 1, r); });
        expect_violation("C1", [&] { dyadic_product(D, D, 0, r); });
        expect_violation("C1", [&] { dyadic_product(dyadic_matrix{}, dyadic_matrix{}, 1, r); });  // n = 0
    }
    expect_violation("C1", [&] { D(2, 0); });
    expect_violation("C1", [&] { D(0, 3); });
    expect_violation("C1", [&] { D(-1, 0); });
    auto nan_weight = net;
    nan_weight.layers[0].W(0, 1) = nan;
    expect_violation("C1", [&] { dyadic_network::from(nan_weight); });
    auto inf_bias = net;
    inf_bias.layers[0].b(1) = inf;
    expect_violation("C1", [&] { dyadic_network::from(inf_bias); });
    auto nan_slope = net;
    nan_slope.layers[0].f = leaky_relu_fn<double>{nan};
    expect_violation("C1", [&] { dyadic_network::from(nan_slope); });
    auto ill = net;
    ill.layers.push_back({matrix<double>::Ones(1, 5), matrix<double>::Zero(1, 1), relu_fn{}});  // 5 ≠ m₁ = 2
    expect_violation("C1", [&] { dyadic_network::from(ill); });
    expect_violation("C1", [&] { dyadic_network::from(mlp<double>{}); });  // no layers
    const mlp<exact> enet = exact_of(net);
    const matrix<exact> EX = exact_of(X), EY = exact_of(Y);
    expect_violation("C1", [&] { dyadic_backprop(exact_of(ill), EX, EY, mse_loss{}, reduction::sum); });
    expect_violation(
        "C1", [&] { dyadic_backprop(enet, exact_of(matrix<double>::Ones(3, 3)), EY, mse_loss{}, reduction::sum); });
    expect_violation(
        "C1", [&] { dyadic_backprop(enet, EX, exact_of(matrix<double>::Ones(2, 2)), mse_loss{}, reduction::sum); });
    expect_violation("C1", [&] { dyadic_backprop(enet, EX, EY, mse_loss{}, reduction::sum, nullptr, 0); });
    expect_violation(
        "C1", [&] { dyadic_backprop(enet, matrix<exact>(2, 0), matrix<exact>(2, 0), mse_loss{}, reduction::sum); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_dyadic_hpp) {
    mlp<double> net;
    net.layers.push_back({matrix<double>::Constant(2, 2, 0.5), matrix<double>::Zero(2, 1), relu_fn{}});
    const matrix<double> X = matrix<double>::Ones(2, 1), Y = matrix<double>::Zero(2, 1);
    if (auto fast = matbp::dyadic_network::from(net)) {
        const matbp::dyadic_gradients g = fast->gradients(X, Y, mse_loss{}, reduction::mean, 2);
        // z = (1, 1), a = z, mse over 2 outputs: cost (1 + 1)/2 = 1, ∂/∂W = (2/2)(a − y)xᵀ = all ones.
        BOOST_TEST(g.to_exact().cost == 1);
        BOOST_TEST(same_matrix(g.to_exact().dW[1], matrix<exact>::Ones(2, 2)));
    } else {
        BOOST_FAIL("a ReLU net of doubles takes the fast path");
    }
}
