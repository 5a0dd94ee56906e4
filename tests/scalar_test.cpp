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
#define BOOST_TEST_MODULE scalar
#include "matbp/scalar.hpp"

#include <boost/test/unit_test.hpp>

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
