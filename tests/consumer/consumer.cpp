// The oracle called from another project's test, through the installed package: a 2-layer exact
// network, backprop (C1) and backprop_by_induction (T1), every proof step checked exactly, and
// gradient entries compared with values worked out by hand; the JSON writer and version() linked
// from the installed library. Exit 0 iff everything agrees.
#include "matbp/backprop.hpp"
#include "matbp/dyadic.hpp"
#include "matbp/induction.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/version.hpp"

#include <iostream>

int main() {
    using matbp::exact;
    using matbp::matrix;
    // Widths 2-2-1: layer 1 ReLU, layer 2 identity; one sample.
    matrix<exact> W1(2, 2), b1(2, 1), W2(1, 2), b2(1, 1), x(2, 1), y(1, 1);
    W1 << 1, -1, exact(1, 2), 1;
    b1 << 0, exact(1, 4);
    W2 << 2, exact(1, 3);
    b2 << -1;
    x << 1, 2;
    y << exact(1, 2);
    matbp::mlp<exact> net;
    net.layers.push_back({W1, b1, matbp::relu_fn{}});
    net.layers.push_back({W2, b2, matbp::identity_fn{}});

    // By hand:
    //   z¹ = W¹x + b¹ = (1 − 2 + 0, 1/2 + 2 + 1/4) = (−1, 11/4),  a¹ = ReLU(z¹) = (0, 11/4)
    //   z² = 2·0 + (1/3)(11/4) − 1 = −1/12 = a²,  c = ½(−1/12 − 1/2)² = ½(−7/12)² = 49/288
    //   δ² = a² − y = −7/12
    //   δ¹ = diag(ReLU′(z¹)) (W²)ᵀ δ² = diag(0, 1) (2, 1/3)·(−7/12) = (0, −7/36)
    //   ∇_{W¹}c = δ¹xᵀ, entry (1, 1) (0-based) = (−7/36)·2 = −7/18
    //   ∇_{W²}c = δ²(a¹)ᵀ, entry (0, 1) = (−7/12)(11/4) = −77/48
    const exact dW1_11(-7, 18), dW2_01(-77, 48), cost(49, 288);

    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        if (!ok) {
            std::cerr << "consumer: FAILED " << what << "\n";
            ++failures;
        }
    };

    const auto proof = matbp::backprop_by_induction(net, x, y);
    check(!proof.steps.empty(), "the induction produced proof steps");
    for (const auto& s : proof.steps) check(matbp::holds_exactly(s.eq), s.function.c_str());
    check(proof.dW[1](1, 1) == dW1_11, "induction dW1(1,1) == -7/18");
    check(proof.dW[2](0, 1) == dW2_01, "induction dW2(0,1) == -77/48");

    const auto g = matbp::backprop(net, x, y);  // squared error, mean over the one sample
    check(g.cost == cost, "backprop cost == 49/288");
    check(g.dW[1](1, 1) == dW1_11, "backprop dW1(1,1) == -7/18");
    check(g.dW[2](0, 1) == dW2_01, "backprop dW2(0,1) == -77/48");
    for (Eigen::Index l = 1; l <= net.depth(); ++l)
        check(matbp::same_matrix(g.dW[l], proof.dW[l]) && matbp::same_matrix(g.db[l], proof.db[l]),
              "backprop == backprop_by_induction at every layer");

    // The exact fast path on doubles, by hand: W = (1/2, −1), b = 1/4, x = (1, 2), y = 1/2, identity:
    //   z = 1/2 − 2 + 1/4 = −5/4,  mse over one output and one sample: c = (−5/4 − 1/2)² = 49/16,
    //   ∂c/∂W = 2(z − y)xᵀ = (−7/2, −7),  ∂c/∂b = −7/2.
    matbp::mlp<double> dnet;
    matrix<double> W(1, 2), b(1, 1), xd(2, 1), yd(1, 1);
    W << 0.5, -1;
    b << 0.25;
    xd << 1, 2;
    yd << 0.5;
    dnet.layers.push_back({W, b, matbp::identity_fn{}});
    const auto fast = matbp::dyadic_network::from(dnet);
    check(fast.has_value(), "dyadic_network takes a float64 identity net");
    if (fast) {
        const auto d = fast->gradients(xd, yd, matbp::mse_loss{}, matbp::reduction::mean, 2);
        check(d.cost == exact(49, 16), "fast path cost == 49/16");
        check(d.scale * d.dW[1](0, 1) == -7, "fast path dW(0,1) == -7");
        check(d.to_exact().db[1](0) == exact(-7, 2), "fast path db == -7/2");
    }

    // The one JSON writer and the version, from the installed library.
    matbp::json::writer w;
    w.begin_array().number(-7.0).number(0.5).end_array();
    check(w.str() == "[-7, 0.5]\n", "json::writer writes [-7, 0.5]");
    check(!matbp::version().empty(), "matbp::version() is set");

    std::cout << "consumer: " << proof.steps.size() << " proof steps, "
              << (failures ? "FAILED" : "all hold exactly and match the hand computation") << "\n";
    return failures ? 1 : 0;
}
