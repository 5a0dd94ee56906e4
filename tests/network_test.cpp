// Tests for src/matbp/network.hpp.
//
// Test plan
//   D12 D12_forward_pass_by_layer              zˡ = Wˡaˡ⁻¹ + bˡ, aˡ = f⃗ˡ(zˡ), checked entry by entry
//       D12_forward_records_kinks              find_kinks lists exactly the units at a ReLU/leaky 0
//       D12_preconditions_shapes               widths that don't chain, bad bias, empty net, wrong x
//   D13 D13_sample_cost                        = ½‖aᵏ − y‖² by an explicit sum
//       D13_precondition                       wrong y; a network with no layers or a wrong bias
//                                              (D12, checked before width() reads the layers)
//   D14 D14_forward_batch_columns_eq_forward   column i of the batch pass = forward of sample i
//       D14_forward_batch_into_reuses          forward_batch_into, one forward_values reused across
//                                              networks of changing shapes == forward_batch (exact
//                                              and double); same-shape calls keep the storage
//       D14_batch_cost_reductions              mean = (1/n)Σ sample costs, sum = Σ sample costs;
//                                              mse = Σ(a−y)² / (n·m_k)
//       D14_preconditions                      wrong Y; outputs ≠ targets; a network with no layers;
//                                              forward_batch_into's: ill-formed net, wrong X, no samples
//   usage_example_of_network_hpp
#define BOOST_TEST_MODULE network
#include "matbp/network.hpp"

#include "support/expect.hpp"
#include "support/generators.hpp"
#include "support/reference.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <rapidcheck/boost_test.h>

using namespace matbp;
using namespace matbp::testing;

RC_BOOST_PROP(D12_forward_pass_by_layer, ()) {
    const auto net = gen_network();
    const auto x = *gen_matrix(net.width(0), 1);
    const auto fwd = forward(net, x);
    RC_ASSERT(same_matrix(fwd.a[0], x));
    for (Eigen::Index l = 1; l <= net.depth(); ++l) {
        const auto& L = net.layers[l - 1];
        for (Eigen::Index i = 0; i < L.W.rows(); ++i) {
            exact z = L.b(i, 0);
            for (Eigen::Index j = 0; j < L.W.cols(); ++j) z += L.W(i, j) * fwd.a[l - 1](j, 0);
            RC_ASSERT(fwd.z[l](i, 0) == z);
            RC_ASSERT(fwd.a[l](i, 0) == evaluate(L.f, z));
        }
    }
}

RC_BOOST_PROP(D12_forward_records_kinks, ()) {
    const auto net = gen_network();
    const auto X = *gen_sparse_matrix(net.width(0), *rc::gen::inRange(1, 4));
    const auto fwd = forward_batch(net, X);
    const auto kinks = find_kinks(net, fwd);
    std::vector<kink> want;
    for (Eigen::Index l = 1; l <= net.depth(); ++l) {
        // The points of non-differentiability, from each activation's own parameters (D11).
        const auto& f = net.layers[l - 1].f;
        std::vector<exact> at;
        if (std::holds_alternative<relu_fn>(f) || std::holds_alternative<leaky_relu_fn<exact>>(f)) at = {exact(0)};
        if (const auto* h = std::get_if<hardtanh_fn<exact>>(&f)) at = {h->min_val, h->max_val};
        for (Eigen::Index j = 0; j < X.cols(); ++j)
            for (Eigen::Index i = 0; i < fwd.z[l].rows(); ++i)
                if (std::find(at.begin(), at.end(), fwd.z[l](i, j)) != at.end()) want.push_back({l, j, i});
    }
    RC_ASSERT(kinks == want);
}

BOOST_AUTO_TEST_CASE(D12_preconditions_shapes) {
    mlp<exact> net;
    const matrix<exact> x = matrix<exact>::Zero(2, 1);
    expect_violation("D12", [&] { forward(net, x); });  // no layers
    net.layers.push_back({matrix<exact>::Zero(3, 2), matrix<exact>::Zero(3, 1), relu_fn{}});
    net.layers.push_back({matrix<exact>::Zero(1, 4), matrix<exact>::Zero(1, 1), relu_fn{}});
    expect_violation("D12", [&] { forward(net, x); });  // widths 3 → 4 don't chain
    net.layers[1].W = matrix<exact>::Zero(1, 3);
    net.layers[1].b = matrix<exact>::Zero(2, 1);
    expect_violation("D12", [&] { forward(net, x); });  // bias length
    net.layers[1].b = matrix<exact>::Zero(1, 1);
    net.layers[1].f = polynomial_fn<exact>{};
    expect_violation("D12", [&] { forward(net, x); });  // polynomial without coefficients
    net.layers[1].f = relu_fn{};
    expect_violation("D12", [&] { forward(net, matrix<exact>(matrix<exact>::Zero(2, 2))); });  // not one sample
    expect_violation("D14", [&] { forward_batch(net, matrix<exact>(matrix<exact>::Zero(3, 1))); });
}

RC_BOOST_PROP(D13_sample_cost, ()) {
    const auto net = gen_network();
    const auto x = *gen_matrix(net.width(0), 1), y = *gen_matrix(net.width(net.depth()), 1);
    const auto a = forward(net, x).a.back();
    exact s = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i) s += (a(i, 0) - y(i, 0)) * (a(i, 0) - y(i, 0));
    RC_ASSERT(sample_cost(net, x, y) == s / 2);
}

BOOST_AUTO_TEST_CASE(D13_precondition) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Zero(3, 2), matrix<exact>::Zero(3, 1), relu_fn{}});
    expect_violation("D13", [&] {
        sample_cost(net, matrix<exact>(matrix<exact>::Zero(2, 1)), matrix<exact>(matrix<exact>::Zero(2, 1)));
    });
    // A network with no layers: the D12 precondition, before anything reads layers.front() (an
    // empty vector's front() is undefined behaviour; the sanitizer build would report it).
    const mlp<exact> empty;
    const matrix<exact> one = matrix<exact>::Zero(1, 1);
    expect_violation("D12", [&] { sample_cost(empty, one, one); });
    mlp<exact> ragged = net;  // well_formed is false: the bias has the wrong height
    ragged.layers[0].b = matrix<exact>::Zero(2, 1);
    expect_violation("D12", [&] {
        sample_cost(ragged, matrix<exact>(matrix<exact>::Zero(2, 1)), matrix<exact>(matrix<exact>::Zero(3, 1)));
    });
}

RC_BOOST_PROP(D14_forward_batch_columns_eq_forward, ()) {
    const auto net = gen_network();
    const auto n = *rc::gen::inRange(1, 5);
    const auto X = *gen_sparse_matrix(net.width(0), n);
    const auto fwd = forward_batch(net, X);
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto one = forward(net, matrix<exact>(X.col(i)));
        for (Eigen::Index l = 1; l <= net.depth(); ++l) {
            RC_ASSERT(same_matrix(matrix<exact>(fwd.z[l].col(i)), one.z[l]));
            RC_ASSERT(same_matrix(matrix<exact>(fwd.a[l].col(i)), one.a[l]));
        }
    }
}

RC_BOOST_PROP(D14_forward_batch_into_reuses, ()) {
    std::vector<std::pair<mlp<exact>, matrix<exact>>> cases;
    for (int i = 0; i < 3; ++i) {
        auto net = gen_network();
        const auto n = *rc::gen::inRange(1, 5);
        auto X = *gen_sparse_matrix(net.width(0), n);
        cases.emplace_back(std::move(net), std::move(X));
    }
    forward_values<exact> fe;
    forward_values<double> fd;
    for (int round = 0; round < 2; ++round)
        for (const auto& [net, X] : cases) {
            forward_batch_into(net, X, fe);
            const auto ref = forward_batch(net, X);
            RC_ASSERT(fe.z.size() == ref.z.size() && fe.a.size() == ref.a.size());
            for (std::size_t l = 0; l < ref.a.size(); ++l) {
                RC_ASSERT(same_matrix(fe.z[l], ref.z[l]));
                RC_ASSERT(same_matrix(fe.a[l], ref.a[l]));
            }
            const mlp<double> dnet = convert_network<double>(net);
            const matrix<double> dX = from_exact<double>(X);
            forward_batch_into(dnet, dX, fd);
            const double* kept = fd.a.back().data();
            forward_batch_into(dnet, dX, fd);  // the same shapes again: the storage is kept
            RC_ASSERT(fd.a.back().data() == kept);
            const auto dref = forward_batch(dnet, dX);
            for (std::size_t l = 0; l < dref.a.size(); ++l) {
                // The same operations on the same doubles (NaN only where both have one).
                RC_ASSERT(
                    ((fd.z[l].array() == dref.z[l].array()) || (fd.z[l].array().isNaN() && dref.z[l].array().isNaN()))
                        .all());
                RC_ASSERT(
                    ((fd.a[l].array() == dref.a[l].array()) || (fd.a[l].array().isNaN() && dref.a[l].array().isNaN()))
                        .all());
            }
        }
}

RC_BOOST_PROP(D14_batch_cost_reductions, ()) {
    const auto net = gen_network();
    const auto n = *rc::gen::inRange(1, 5);
    const auto X = *gen_matrix(net.width(0), n), Y = *gen_matrix(net.width(net.depth()), n);
    exact sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) sum += sample_cost(net, matrix<exact>(X.col(i)), matrix<exact>(Y.col(i)));
    RC_ASSERT(batch_cost(net, X, Y, reduction::sum) == sum);
    RC_ASSERT(batch_cost(net, X, Y, reduction::mean) == sum / n);
    // mse: Σ(a−y)² = 2·(sum of ½‖a−y‖²), averaged over n·m_k entries.
    const exact mk = net.width(net.depth());
    RC_ASSERT(batch_cost(net, X, Y, reduction::mean, mse_loss{}) == 2 * sum / (n * mk));
    RC_ASSERT(batch_cost(net, X, Y, reduction::sum, mse_loss{}) == 2 * sum);
}

BOOST_AUTO_TEST_CASE(D14_preconditions) {
    mlp<exact> net;
    net.layers.push_back({matrix<exact>::Zero(3, 2), matrix<exact>::Zero(3, 1), relu_fn{}});
    const matrix<exact> X = matrix<exact>::Zero(2, 2);
    expect_violation("D14", [&] { batch_cost(net, X, matrix<exact>(matrix<exact>::Zero(3, 1)), reduction::mean); });
    expect_violation("D14", [&] {
        cost_of_outputs<exact>(matrix<exact>::Zero(3, 2), matrix<exact>::Zero(3, 1), mse_loss{}, reduction::sum);
    });
    const mlp<exact> empty;  // no layers: refused before width() reads layers.front()
    expect_violation("D14", [&] { batch_cost(empty, X, X, reduction::mean); });
    forward_values<exact> fwd;
    expect_violation("D12", [&] { forward_batch_into(empty, X, fwd); });
    expect_violation("D14", [&] { forward_batch_into(net, matrix<exact>(matrix<exact>::Zero(3, 2)), fwd); });
    expect_violation("D14", [&] { forward_batch_into(net, matrix<exact>(2, 0), fwd); });
}

BOOST_AUTO_TEST_CASE(usage_example_of_network_hpp) {
    matbp::mlp<matbp::exact> net;
    matrix<exact> W(1, 1), b(1, 1), x(1, 1), y(1, 1);
    W << 2;
    b << -1;
    x << 3;
    y << 4;
    net.layers.push_back({W, b, relu_fn{}});
    auto fwd = matbp::forward(net, x);
    BOOST_TEST(fwd.z[1](0, 0) == exact(5));                    // 2·3 − 1
    BOOST_TEST(matbp::sample_cost(net, x, y) == exact(1, 2));  // ½(5 − 4)²
}
