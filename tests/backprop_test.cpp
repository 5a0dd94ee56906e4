// Tests for src/matbp/backprop.hpp, the algorithm users call. This suite is also the mutation
// suite's judge: every deliberate bug of backprop.hpp in tests/mutants/ must make it fail.
//
// Test plan
//   C1  C1_backprop_eq_ad_of_batch_cost           cost and every ∇ == forward-mode AD of the batch
//                                                 cost (support/reference.hpp), every exact loss of
//                                                 the registry, mean and sum; kinks == find_kinks
//                                                 and find_loss_kinks
//       C1_l1_zero_residual_follows_convention    targets equal to the outputs: l1's sign(0) = 0,
//                                                 every output unit a loss kink, AD agrees
//       C1_backprop_eq_kronecker_chain            cost, every ∇W and ∇b (all columns) == the literal
//                                                 Kronecker chain of Jacobians (its Jacobians by AD
//                                                 of evaluate and sample_cost), every exact loss
//       C1_batch_gradient_eq_mean_of_sample_gradients  == ρ Σ of T1's per-sample gradients (induction)
//       C1_relu_kinks_follow_d11                  ReLU nets with zeros: kinks hit and D11 obeyed
//       C1_interval_encloses_exact                128-bit interval run contains the exact gradients
//       C1_transcendental_three_sources           tanh/logistic/softplus nets: interval(128) contains
//                                                 real(512) (cost, every ∇W and ∇b); real(512) agrees
//                                                 with central differences (h = 2^-100) to 2^-150
//                                                 relative
//       C1_workspace_gives_identical_results   doubles: backprop(ws, …) with one workspace reused
//                                                 across networks and batches of changing shapes ==
//                                                 backprop(net, …) == the plain formulation (fresh
//                                                 matrices, Eigen expressions: the code before the
//                                                 workspace), cost, every ∇ and the kinks, 1 and 2
//                                                 OpenBLAS threads
//       C1_preconditions                          of backprop(net, …) and of backprop(ws, net, …)
//   C2  C2_softmax_cross_entropy_delta            δᵏ = softmax(z) − y against central differences
//                                                 of the cost at 512 bits; every column of δ sums to
//                                                 0; interval encloses it
//       C2_precondition_shapes
//   usage_example_of_backprop_hpp
#define BOOST_TEST_MODULE backprop
#include "matbp/backprop.hpp"
#include "matbp/induction.hpp"

#include "support/compare.hpp"
#include "support/expect.hpp"
#include "support/generators.hpp"
#include "support/reference.hpp"
#include "support/transcendental.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <cmath>

using namespace matbp;
using namespace matbp::testing;

namespace {
struct batch_case {
    mlp<exact> net;
    matrix<exact> X, Y;
    reduction red;
};
batch_case gen_batch_case(int max_depth = 6, int max_width = 6) {
    auto net = gen_network(max_depth, max_width);
    const auto n = *rc::gen::inRange(1, 5);
    auto X = *gen_sparse_matrix(net.width(0), n);
    auto Y = *gen_matrix(net.width(net.depth()), n);
    const auto red = *rc::gen::element(reduction::mean, reduction::sum);
    return {std::move(net), std::move(X), std::move(Y), red};
}
}  // namespace

namespace {
/// C1 over doubles as backprop computed it before it had a workspace: fresh matrices, Eigen
/// expressions, the activation variant visited per entry. The same operations in the same order
/// as backprop(ws, …), so the same doubles.
gradient_result<double> plain_backprop(const mlp<double>& net, const matrix<double>& X, const matrix<double>& Y,
                                       const loss_function<double>& ell, reduction red) {
    const Eigen::Index k = net.depth(), n = X.cols();
    std::vector<matrix<double>> z(static_cast<std::size_t>(k) + 1), a(static_cast<std::size_t>(k) + 1);
    a[0] = X;
    for (Eigen::Index l = 1; l <= k; ++l) {
        const auto& L = net.layers[l - 1];
        matrix<double> Z = mul(L.W, a[l - 1]);
        Z.colwise() += L.b.col(0);
        a[l] = Z.unaryExpr([&](double v) { return evaluate(L.f, v); });
        z[l] = std::move(Z);
    }
    gradient_result<double> r;
    r.cost = cost_of_outputs(a[k], Y, ell, red);
    r.dW.resize(static_cast<std::size_t>(k) + 1);
    r.db.resize(static_cast<std::size_t>(k) + 1);
    const matrix<double> G = loss_gradient(ell, a[k], Y);
    const double scale = reduction_scale<double>(ell, red, n, net.width(k));
    matrix<double> Delta = derivative_at(net.layers[k - 1].f, z[k]).cwiseProduct(G) * scale;
    for (Eigen::Index l = k; l >= 1; --l) {
        r.dW[l] = mul(Delta, a[l - 1].transpose());
        r.db[l] = Delta.rowwise().sum();
        if (l == 1) break;
        const matrix<double> back = mul(net.layers[l - 1].W.transpose(), Delta);
        Delta = derivative_at(net.layers[l - 2].f, z[l - 1]).cwiseProduct(back);
    }
    return r;
}

/// The same double, a NaN counting as the same as a NaN.
bool same_double(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }
bool same_doubles(const matrix<double>& A, const matrix<double>& B) {
    if (A.rows() != B.rows() || A.cols() != B.cols()) return false;
    for (Eigen::Index i = 0; i < A.size(); ++i)
        if (!same_double(A(i), B(i))) return false;
    return true;
}
bool same_result(const gradient_result<double>& g, const gradient_result<double>& h) {
    if (!same_double(g.cost, h.cost) || g.dW.size() != h.dW.size()) return false;
    for (std::size_t l = 1; l < g.dW.size(); ++l)
        if (!same_doubles(g.dW[l], h.dW[l]) || !same_doubles(g.db[l], h.db[l])) return false;
    return true;
}
}  // namespace

RC_BOOST_PROP(C1_workspace_gives_identical_results, ()) {
    // Three networks and batches, run twice in turn through one workspace: every call finds the
    // workspace holding another shape (or, with equal shapes, other values).
    std::vector<batch_case> cases;
    for (int i = 0; i < 3; ++i) cases.push_back(gen_batch_case(4, 6));
    const auto ell = *rc::gen::element(loss_function<double>(squared_error_loss{}), loss_function<double>(mse_loss{}),
                                       loss_function<double>(l1_loss{}));
    const unsigned threads = *rc::gen::element(1u, 2u);
    const blas_thread_scope scope(threads);
    backprop_workspace<double> ws;
    for (int round = 0; round < 2; ++round)
        for (const auto& c : cases) {
            const mlp<double> net = convert_network<double>(c.net);
            const matrix<double> X = from_exact<double>(c.X), Y = from_exact<double>(c.Y);
            const gradient_result<double>& g = backprop(ws, net, X, Y, ell, c.red);
            const auto fresh = backprop(net, X, Y, ell, c.red);
            RC_ASSERT(same_result(g, fresh));
            RC_ASSERT(g.kinks == fresh.kinks);
            RC_ASSERT(same_result(g, plain_backprop(net, X, Y, ell, c.red)));
        }
}

RC_BOOST_PROP(C1_backprop_eq_ad_of_batch_cost, ()) {
    const auto c = gen_batch_case();
    const auto kind = *gen_loss();
    const auto g = backprop(c.net, c.X, c.Y, kind, c.red);
    const auto ref = reference_gradients_by_ad(c.net, c.X, c.Y, kind, c.red);
    RC_ASSERT(g.cost == ref.cost);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(same_matrix(g.dW[l], ref.dW[l]));
        RC_ASSERT(same_matrix(g.db[l], ref.db[l]));
    }
    const auto fwd = forward_batch(c.net, c.X);
    auto kinks = find_kinks(c.net, fwd);
    for (const auto& kk : find_loss_kinks(kind, fwd.a.back(), c.Y, c.net.depth())) kinks.push_back(kk);
    RC_ASSERT(g.kinks == kinks);
}

RC_BOOST_PROP(C1_l1_zero_residual_follows_convention, ()) {
    const auto c = gen_batch_case(3, 4);
    const auto fwd = forward_batch(c.net, c.X);
    matrix<exact> Y = fwd.a.back();
    Y(0, 0) += 1;  // one nonzero residual, the rest exactly 0
    const loss_function<exact> l1 = l1_loss{};
    const auto g = backprop(c.net, c.X, Y, l1, c.red);
    const auto ref = reference_gradients_by_ad(c.net, c.X, Y, l1, c.red);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(same_matrix(g.dW[l], ref.dW[l]));
        RC_ASSERT(same_matrix(g.db[l], ref.db[l]));
    }
    std::size_t loss_kinks = 0;
    for (const auto& kk : g.kinks) loss_kinks += kk.site == kink_site::loss;
    RC_ASSERT(loss_kinks == static_cast<std::size_t>(Y.size() - 1));
    // Only sample 0, unit 0 has a nonzero residual: sign(0) = 0 elsewhere, so with one sample the
    // last layer's bias gradient is ρ·f′(z)·(−1) at unit 0 and 0 at every other unit.
    if (c.X.cols() == 1) {
        const auto k = c.net.depth();
        for (Eigen::Index i = 1; i < Y.rows(); ++i) RC_ASSERT(g.db[k](i, 0) == 0);
    }
}

RC_BOOST_PROP(C1_backprop_eq_kronecker_chain, ()) {
    const auto c = gen_batch_case();
    const auto ell = *gen_loss();
    const auto g = backprop(c.net, c.X, c.Y, ell, c.red);
    const auto kc = kronecker_chain_gradients(c.net, c.X, c.Y, ell, c.red);
    RC_ASSERT(g.cost == kc.cost);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(same_matrix(g.dW[l], kc.dW[l]));
        RC_ASSERT(same_matrix(g.db[l], kc.db[l]));
    }
}

RC_BOOST_PROP(C1_batch_gradient_eq_mean_of_sample_gradients, ()) {
    const auto c = gen_batch_case();
    const auto g = backprop(c.net, c.X, c.Y, squared_error_loss{}, c.red);
    std::vector<std::vector<matrix<exact>>> dW, db;
    for (Eigen::Index i = 0; i < c.X.cols(); ++i) {
        const auto proof = backprop_by_induction(c.net, matrix<exact>(c.X.col(i)), matrix<exact>(c.Y.col(i)));
        dW.push_back(proof.dW);
        db.push_back(proof.db);
    }
    for (const auto& eq : batch_gradient_eq_mean_of_sample_gradients(g, dW, db, c.red)) RC_ASSERT(holds_exactly(eq));
}

BOOST_AUTO_TEST_CASE(C1_relu_kinks_follow_d11) {
    // Two ReLU layers, x = 0 and b = 0: every hidden potential is 0, so D11 gives δ = 0 below the
    // output and the first layer's gradients vanish; the kinks are reported.
    mlp<exact> net;
    matrix<exact> W1(2, 1), b1 = matrix<exact>::Zero(2, 1), W2(2, 2), b2 = matrix<exact>::Zero(2, 1), W3(1, 2),
                            b3(1, 1);
    W1 << 1, -2;
    W2 << 1, 2, 3, 4;
    W3 << 1, 1;
    b3 << exact(1, 2);
    net.layers.push_back({W1, b1, relu_fn{}});
    net.layers.push_back({W2, b2, relu_fn{}});
    net.layers.push_back({W3, b3, identity_fn{}});
    const matrix<exact> X = matrix<exact>::Zero(1, 1), Y = matrix<exact>::Ones(1, 1);
    const auto g = backprop(net, X, Y);
    BOOST_TEST(g.kinks.size() == 4u);
    BOOST_TEST(g.db[1].isZero());
    BOOST_TEST(g.db[3](0, 0) == exact(-1, 2));  // a³ − y = ½ − 1
    const auto ref = reference_gradients_by_ad(net, X, Y, squared_error_loss{}, reduction::mean);
    BOOST_TEST(same_matrix(g.db[2], ref.db[2]));
}

RC_BOOST_PROP(C1_interval_encloses_exact, ()) {
    const auto c = gen_batch_case();
    const auto g = backprop(c.net, c.X, c.Y, squared_error_loss{}, c.red);
    precision_guard pg(128);
    const auto gi = backprop(convert_network<interval>(c.net), matrix<interval>(from_exact<interval>(c.X)),
                             matrix<interval>(from_exact<interval>(c.Y)), squared_error_loss{}, c.red);
    RC_ASSERT(encloses(gi.cost, g.cost));
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        RC_ASSERT(interval_encloses(gi.dW[l], g.dW[l]) == "");
        RC_ASSERT(interval_encloses(gi.db[l], g.db[l]) == "");
    }
}

namespace {
/// ∂C/∂θ by central differences at the current (high) precision, for every weight and bias.
std::vector<matrix<real>> central_differences(mlp<real> net, const matrix<real>& X, const matrix<real>& Y,
                                              const loss_function<real>& kind, reduction red, bool weights,
                                              const real& h) {
    std::vector<matrix<real>> out(net.layers.size() + 1);
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        matrix<real>& P = weights ? net.layers[l].W : net.layers[l].b;
        out[l + 1].resize(P.rows(), P.cols());
        for (Eigen::Index j = 0; j < P.cols(); ++j)
            for (Eigen::Index i = 0; i < P.rows(); ++i) {
                const real keep = P(i, j);
                P(i, j) = keep + h;
                const real up = batch_cost(net, X, Y, red, kind);
                P(i, j) = keep - h;
                const real down = batch_cost(net, X, Y, red, kind);
                P(i, j) = keep;
                out[l + 1](i, j) = (up - down) / (2 * h);
            }
    }
    return out;
}
bool close(const real& a, const real& b, const real& rel) { return bmp::abs(a - b) <= rel * (1 + bmp::abs(b)); }
}  // namespace

RC_BOOST_PROP(C1_transcendental_three_sources, ()) {
    const auto c = gen_batch_case(3, 3);
    const auto kinds = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 4));
    const auto kind = *rc::gen::element(loss_function<real>(squared_error_loss{}), loss_function<real>(mse_loss{}),
                                        loss_function<real>(softmax_cross_entropy_loss{}));
    matrix<exact> Y = c.Y;
    if (std::holds_alternative<softmax_cross_entropy_loss>(kind))
        Y = Y.cwiseAbs();  // nonnegative targets (any total mass)
    precision_guard pg(512);
    const auto net_r = with_transcendental<real>(c.net, kinds);
    const matrix<real> Xr = from_exact<real>(c.X), Yr = from_exact<real>(Y);
    const auto gr = backprop(net_r, Xr, Yr, kind, c.red);
    // Third source: central differences, truncation error O(h²) = 2^-200 ≪ the 2^-150 tolerance.
    const real h = bmp::pow(real(2), -100);
    const real rel = bmp::pow(real(2), -150);
    const auto cdW = central_differences(net_r, Xr, Yr, kind, c.red, true, h);
    const auto cdb = central_differences(net_r, Xr, Yr, kind, c.red, false, h);
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        for (Eigen::Index j = 0; j < gr.dW[l].cols(); ++j)
            for (Eigen::Index i = 0; i < gr.dW[l].rows(); ++i) RC_ASSERT(close(gr.dW[l](i, j), cdW[l](i, j), rel));
        for (Eigen::Index i = 0; i < gr.db[l].rows(); ++i) RC_ASSERT(close(gr.db[l](i, 0), cdb[l](i, 0), rel));
    }
    // Certified: the 128-bit enclosure contains the 512-bit value (2^-500 from the truth).
    precision_guard pg2(128);
    const auto gi =
        backprop(with_transcendental<interval>(c.net, kinds), matrix<interval>(from_exact<interval>(c.X)),
                 matrix<interval>(from_exact<interval>(Y)), *make_loss<interval>(loss_name<real>(kind), {}), c.red);
    auto inside = [](const interval& iv, const real& v) { return bmp::lower(iv) <= v && v <= bmp::upper(iv); };
    for (Eigen::Index l = 1; l <= c.net.depth(); ++l) {
        for (Eigen::Index j = 0; j < gr.dW[l].cols(); ++j)
            for (Eigen::Index i = 0; i < gr.dW[l].rows(); ++i) RC_ASSERT(inside(gi.dW[l](i, j), gr.dW[l](i, j)));
        for (Eigen::Index i = 0; i < gr.db[l].rows(); ++i) RC_ASSERT(inside(gi.db[l](i, 0), gr.db[l](i, 0)));
    }
    RC_ASSERT(inside(gi.cost, gr.cost));
}

BOOST_AUTO_TEST_CASE(C1_preconditions) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Ones(2, 1), matrix<exact>::Zero(2, 1), relu_fn{}});
    const matrix<exact> X = matrix<exact>::Ones(1, 2), Y = matrix<exact>::Zero(2, 2);
    expect_violation("C1", [&] { backprop(net, matrix<exact>(matrix<exact>::Ones(3, 2)), Y); });
    expect_violation("C1", [&] { backprop(net, X, matrix<exact>(matrix<exact>::Zero(2, 3))); });
    expect_violation("C1", [&] { backprop(net, matrix<exact>(1, 0), matrix<exact>(2, 0)); });
    expect_violation("C1", [&] { backprop(mlp<exact>{}, X, Y); });
    backprop_workspace<exact> ws;
    expect_violation("C1", [&] { backprop(ws, net, matrix<exact>(matrix<exact>::Ones(3, 2)), Y); });
    expect_violation("C1", [&] { backprop(ws, net, X, matrix<exact>(matrix<exact>::Zero(2, 3))); });
    expect_violation("C1", [&] { backprop(ws, net, matrix<exact>(1, 0), matrix<exact>(2, 0)); });
    expect_violation("C1", [&] { backprop(ws, mlp<exact>{}, X, Y); });
    const auto g = backprop(net, X, Y);
    expect_violation("C1", [&] { batch_gradient_eq_mean_of_sample_gradients<exact>(g, {}, {}, reduction::mean); });
}

BOOST_AUTO_TEST_CASE(C2_softmax_cross_entropy_delta) {
    precision_guard pg(512);
    matrix<real> Z(3, 2), Y(3, 2);
    Z << real(1) / 3, -2, real(5) / 4, 0, -real(1) / 7, 3;
    Y << real(1) / 2, 0, real(1) / 4, 1, real(1) / 4, 0;
    const matrix<real> delta = softmax_cross_entropy_delta(Z, Y);
    // Central differences of the per-sample cross-entropy in z (sum reduction).
    const real h = bmp::pow(real(2), -100), rel = bmp::pow(real(2), -150);
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
        for (Eigen::Index i = 0; i < Z.rows(); ++i) {
            matrix<real> Zp = Z, Zm = Z;
            Zp(i, j) += h;
            Zm(i, j) -= h;
            const real cd = (cost_of_outputs(Zp, Y, softmax_cross_entropy_loss{}, reduction::sum) -
                             cost_of_outputs(Zm, Y, softmax_cross_entropy_loss{}, reduction::sum)) /
                            (2 * h);
            BOOST_TEST(close(delta(i, j), cd, rel), "entry " << i << "," << j);
        }
    // For probability targets δ = softmax(z) − y: every column of δ sums to 0.
    for (Eigen::Index j = 0; j < Z.cols(); ++j) BOOST_TEST(bmp::abs(delta.col(j).sum()) < rel, "column " << j);
    precision_guard pg2(128);
    const matrix<interval> di =
        softmax_cross_entropy_delta(matrix<interval>(Z.cast<interval>()), matrix<interval>(Y.cast<interval>()));
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
        for (Eigen::Index i = 0; i < Z.rows(); ++i) {
            BOOST_TEST(bmp::lower(di(i, j)) <= delta(i, j));
            BOOST_TEST(delta(i, j) <= bmp::upper(di(i, j)));
        }
}

BOOST_AUTO_TEST_CASE(C2_precondition_shapes) {
    expect_violation(
        "C2", [] { softmax_cross_entropy_delta<double>(matrix<double>::Zero(3, 2), matrix<double>::Zero(2, 2)); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_backprop_hpp) {
    mlp<exact> net;
    matrix<exact> W(1, 2), b(1, 1), X(2, 2), Y(1, 2);
    W << 1, -1;
    b << 0;
    X << 1, 0, 0, 1;  // samples e₁ and e₂
    Y << 0, 0;
    net.layers.push_back({W, b, identity_fn{}});
    auto g = matbp::backprop(net, X, Y);
    // Outputs 1 and −1, cost ½·(½·1 + ½·1) = ½; ∇W = ½(1·e₁ᵀ + (−1)·e₂ᵀ) = (½, −½), by hand.
    BOOST_TEST(g.cost == exact(1, 2));
    BOOST_TEST(g.dW[1](0, 0) == exact(1, 2));
    BOOST_TEST(g.dW[1](0, 1) == exact(-1, 2));
    BOOST_TEST(g.db[1](0, 0) == exact(0));
    matbp::backprop_workspace<exact> ws;  // repeated calls: storage kept in ws
    const auto& h = matbp::backprop(ws, net, X, Y);
    BOOST_TEST((h.dW[1] == g.dW[1]));
}
