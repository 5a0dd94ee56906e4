// Tests for src/matbp/exact_tensor.hpp (an exact tensor held as rationals, doubles or scale·D).
//
// Test plan
//   exact_tensor_double_form_eq_rational_form   doubles (wide exponents, subnormals, ±0) held as
//                                             doubles and the same values held as rationals: ==
//                                             entry by entry (against to_exact of each double), as
//                                             matrices and by ==, in both orders; a changed entry is
//                                             !=; middle_cols keeps the form and the values; a copy
//                                             shares them
//   exact_tensor_edit_copies_before_changing  edit() changes the tensor only: a copy made before
//                                             keeps its values (and its form); resizing through
//                                             edit() changes rows() and cols()
//   (the dyadic form: oracle_test's exact_tensor_dyadic_form_eq_rational_form)
//   exact_tensor_preconditions                non-finite doubles; an entry or a column range outside
//                                             the shape; a dyadic form's scale ≤ 0: each raises
//                                             contract_violation "exact_tensor"
//   usage_example_of_exact_tensor_hpp
#define BOOST_TEST_MODULE exact_tensor
#include "matbp/exact_tensor.hpp"

#include "matbp/convert.hpp"
#include "matbp/dyadic.hpp"
#include "matbp/equation.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>
#include <limits>

using namespace matbp;

namespace {

/// Doubles over a wide exponent range, with a special value (subnormal, −0, the largest) at 0.
matrix<double> gen_doubles(Eigen::Index r, Eigen::Index c) {
    matrix<double> M(r, c);
    for (Eigen::Index k = 0; k < M.size(); ++k) {
        const double m = *rc::gen::inRange(-(1 << 20), 1 << 20) / 1048576.0;
        M(k) = std::ldexp(m + (m < 0 ? -1.0 : 1.0) * std::ldexp(*rc::gen::inRange(0, 1 << 30), -52),
                          *rc::gen::inRange(-1000, 1000));
    }
    switch (*rc::gen::inRange(0, 4)) {
        case 1:
            M(0) = std::numeric_limits<double>::denorm_min();
            break;
        case 2:
            M(0) = -0.0;
            break;
        case 3:
            M(0) = -std::numeric_limits<double>::max();
            break;
        default:
            break;
    }
    return M;
}

matrix<exact> exact_of(const matrix<double>& M) {
    return M.unaryExpr([](double d) { return to_exact(d); });
}

}  // namespace

RC_BOOST_PROP(exact_tensor_double_form_eq_rational_form, ()) {
    const auto r = *rc::gen::inRange(1, 5), c = *rc::gen::inRange(1, 5);
    const matrix<double> M = gen_doubles(r, c);
    const matrix<exact> Q = exact_of(M);  // the rationals, made without the tensor
    const exact_tensor d = exact_tensor::of_doubles(M), q(Q);
    RC_ASSERT(d.doubles() != nullptr && q.doubles() == nullptr && d.dyadic() == nullptr && d.scale() == 1);
    RC_ASSERT(d.rows() == r && d.cols() == c && d.size() == r * c);
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) RC_ASSERT(d(i, j) == Q(i, j) && d(i + j * r) == Q(i, j));
    RC_ASSERT(same_matrix(d.rational(), Q));
    RC_ASSERT(d == q && q == d);
    const exact_tensor d2 = exact_tensor::of_doubles(M);
    RC_ASSERT(d == d2);  // both as doubles
    matrix<double> N = M;
    N(N.size() - 1) = N(N.size() - 1) == 1.0 ? 2.0 : 1.0;
    RC_ASSERT(!(exact_tensor::of_doubles(N) == d) && !(exact_tensor(exact_of(N)) == d));
    const auto start = *rc::gen::inRange<Eigen::Index>(0, c), n = *rc::gen::inRange<Eigen::Index>(0, c - start + 1);
    const exact_tensor part = d.middle_cols(start, n), qpart = q.middle_cols(start, n);
    RC_ASSERT(part.doubles() != nullptr && qpart.doubles() == nullptr);
    RC_ASSERT(part.rows() == r && part.cols() == n);
    RC_ASSERT(same_matrix(part.rational(), Q.middleCols(start, n)) && part == qpart);
    const exact_tensor copy = d;  // shares the values
    RC_ASSERT(copy.doubles() == d.doubles());
}

BOOST_AUTO_TEST_CASE(exact_tensor_edit_copies_before_changing) {
    matrix<double> M(2, 2);
    M << 0.5, -1, 3, 0.1;
    exact_tensor t = exact_tensor::of_doubles(M);
    const exact_tensor before = t;
    t.edit()(0, 1) = exact(1, 3);
    BOOST_TEST(t(0, 1) == exact(1, 3));
    BOOST_TEST(t.doubles() == nullptr);  // rationals from now on
    BOOST_TEST(before(0, 1) == exact(-1));
    BOOST_TEST(before.doubles() != nullptr);
    BOOST_TEST(t(1, 1) == to_exact(0.1));
    BOOST_TEST(!(t == before));
    t.edit().conservativeResize(2, 3);
    t.edit().col(2).setConstant(exact(7));
    BOOST_TEST(t.rows() == 2);
    BOOST_TEST(t.cols() == 3);
    BOOST_TEST(t(1, 2) == exact(7));
    BOOST_TEST(before.cols() == 2);
}

BOOST_AUTO_TEST_CASE(exact_tensor_preconditions) {
    using matbp::testing::expect_violation;
    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        matrix<double> M = matrix<double>::Zero(2, 1);
        M(1) = bad;
        expect_violation("exact_tensor", [&] { (void)exact_tensor::of_doubles(M); });
    }
    const exact_tensor t = exact_tensor::of_doubles(matrix<double>::Ones(2, 3));
    expect_violation("exact_tensor", [&] { (void)t(2, 0); });
    expect_violation("exact_tensor", [&] { (void)t(0, -1); });
    expect_violation("exact_tensor", [&] { (void)t(6); });
    expect_violation("exact_tensor", [&] { (void)t.middle_cols(2, 2); });
    expect_violation("exact_tensor", [&] { (void)t.middle_cols(-1, 1); });
    const dyadic_matrix D = dyadic_matrix::from_double(matrix<double>::Ones(1, 1));
    expect_violation("exact_tensor", [&] { (void)exact_tensor(D, exact(0)); });
    expect_violation("exact_tensor", [&] { (void)exact_tensor(D, exact(-1, 2)); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_exact_tensor_hpp) {
    matrix<double> D(1, 2);
    D << 0.1, -2;
    matbp::exact_tensor t = matbp::exact_tensor::of_doubles(D);
    BOOST_TEST(t.doubles() != nullptr);
    BOOST_TEST(t(0, 0) == matbp::to_exact(D(0, 0)));
    BOOST_TEST(!(t(0, 0) == exact(1, 10)));
    const matbp::matrix<exact>& Q = t;
    BOOST_TEST(Q(0, 1) == exact(-2));
    BOOST_TEST(&t.rational() == &Q);  // made once, then kept
}
