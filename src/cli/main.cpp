// matbp — the command line. This session's commands:
//   matbp demo      narrate the induction proof of backpropagation on an embedded network,
//                   every step checked exactly over ℚ
//   matbp --help
// Exit codes: 0 success, 1 a check failed, 2 bad usage or input.
#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"
#include "matbp/induction.hpp"

#include <exception>
#include <iostream>
#include <string>

namespace {

using namespace matbp;

const char* usage =
    "usage: matbp <command>\n"
    "\n"
    "commands:\n"
    "  demo    run backpropagation on an embedded network (rational weights, ReLU,\n"
    "          leaky ReLU, softsign; one ReLU potential exactly 0) and narrate the induction proof:\n"
    "          forward values, every delta, every gradient, and each proof step with its\n"
    "          statement ID, the C++ function that carries it, and whether it holds exactly\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n";

std::string show(const matrix<exact>& M) {
    std::string s = "[";
    for (Eigen::Index i = 0; i < M.rows(); ++i) {
        if (i) s += "; ";
        for (Eigen::Index j = 0; j < M.cols(); ++j) s += (j ? ", " : "") + to_string(M(i, j));
    }
    return s + "]";
}

/// The embedded example: widths 2-3-2-1, four activations, one sample hitting a ReLU kink.
struct example {
    mlp<exact> net;
    matrix<exact> X, Y;
};

example embedded_example() {
    example e;
    matrix<exact> W1(3, 2), b1(3, 1), W2(2, 3), b2(2, 1), W3(1, 2), b3(1, 1);
    W1 << exact(1, 2), -1, 2, exact(1, 3), -exact(3, 4), exact(1, 4);
    b1 << 0, exact(-1, 6), exact(1, 8);
    W2 << 1, exact(-2, 5), exact(3, 2), exact(1, 7), 1, -1;
    b2 << exact(1, 10), 0;
    W3 << exact(2, 3), exact(-5, 4);
    b3 << exact(1, 2);
    e.net.layers.push_back({W1, b1, relu_fn{}});
    e.net.layers.push_back({W2, b2, leaky_relu_fn<exact>{exact(1, 100)}});
    e.net.layers.push_back({W3, b3, softsign_fn{}});
    e.X.resize(2, 2);
    e.X << 2, 0, 1, 0;  // two samples as columns: (2, 1) and (0, 0)
    e.Y.resize(1, 2);
    e.Y << exact(1, 4), exact(-1, 3);
    return e;
}

int demo() {
    contract_level_guard level(contract_level::expensive);  // every step re-derives its left side
    const auto e = embedded_example();
    const Eigen::Index k = e.net.depth();
    std::cout << "matbp demo — backpropagation as an induction over the layers, checked exactly over Q\n\n"
              << "Network (D12): widths";
    for (Eigen::Index l = 0; l <= k; ++l) std::cout << (l ? "-" : " ") << e.net.width(l);
    std::cout << ", activations";
    for (const auto& L : e.net.layers) std::cout << " " << activation_name<exact>(L.f);
    std::cout << "\n";
    for (Eigen::Index l = 1; l <= k; ++l)
        std::cout << "  W" << l << " = " << show(e.net.layers[l - 1].W) << "   b" << l << " = "
                  << show(matrix<exact>(e.net.layers[l - 1].b.transpose())) << "^T\n";
    bool all = true;
    std::vector<std::vector<matrix<exact>>> sdW, sdb;
    for (Eigen::Index i = 0; i < e.X.cols(); ++i) {
        const matrix<exact> x = e.X.col(i), y = e.Y.col(i);
        std::cout << "\nSample " << i << ": x = " << show(matrix<exact>(x.transpose())) << "^T, y = "
                  << show(matrix<exact>(y.transpose())) << "^T\n";
        const auto proof = backprop_by_induction(e.net, x, y);
        std::cout << "  Forward pass (D12):\n";
        for (Eigen::Index l = 1; l <= k; ++l)
            std::cout << "    z" << l << " = " << show(matrix<exact>(proof.fwd.z[l].transpose())) << "^T   a" << l
                      << " = " << show(matrix<exact>(proof.fwd.a[l].transpose())) << "^T\n";
        std::cout << "  Cost (D13): c = " << to_string(sample_cost(e.net, x, y)) << "\n";
        for (const auto& kk : find_kinks(e.net, proof.fwd))
            std::cout << "  Kink (D11): layer " << kk.layer << ", unit " << kk.unit
                      << " has potential exactly 0; the derivative there is the convention ("
                      << activation_name<exact>(e.net.layers[kk.layer - 1].f) << "'(0) = "
                      << to_string(derivative(e.net.layers[kk.layer - 1].f, exact(0))) << ")\n";
        std::cout << "  Backpropagated errors (D15):\n";
        for (Eigen::Index l = k; l >= 1; --l)
            std::cout << "    delta" << l << " = " << show(matrix<exact>(proof.delta[l].transpose())) << "^T\n";
        std::cout << "  Proof steps:\n";
        for (const auto& s : proof.steps) {
            const bool ok = holds_exactly(s.eq);
            all = all && ok;
            std::cout << "    " << s.eq.id << std::string(8 - std::min<std::size_t>(8, s.eq.id.size()), ' ') << " l="
                      << s.layer << "  " << s.function << "  " << (ok ? "holds exactly" : "FAILS") << "\n";
        }
        std::cout << "  Gradients (T1):\n";
        for (Eigen::Index l = 1; l <= k; ++l)
            std::cout << "    grad W" << l << " = " << show(proof.dW[l]) << "   grad b" << l << " = "
                      << show(matrix<exact>(proof.db[l].transpose())) << "^T\n";
        sdW.push_back(proof.dW);
        sdb.push_back(proof.db);
    }
    const auto g = backprop(e.net, e.X, e.Y, loss::squared_error, reduction::mean);
    std::cout << "\nBatch (C1, reduction mean): C = " << to_string(g.cost) << "\n";
    for (Eigen::Index l = 1; l <= k; ++l)
        std::cout << "  grad W" << l << " = " << show(g.dW[l]) << "   grad b" << l << " = "
                  << show(matrix<exact>(g.db[l].transpose())) << "^T\n";
    for (const auto& eq : batch_gradient_eq_mean_of_sample_gradients(g, sdW, sdb, reduction::mean)) {
        const bool ok = holds_exactly(eq);
        all = all && ok;
        if (!ok) std::cout << "  C1 FAILS\n";
    }
    std::cout << "  C1 batch_gradient_eq_mean_of_sample_gradients  "
              << (all ? "holds exactly" : "FAILS") << "\n\n"
              << (all ? "Every step of the induction holds exactly.\n" : "Some step FAILED.\n");
    return all ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string cmd = argc > 1 ? argv[1] : "";
        if (cmd == "-h" || cmd == "--help" || cmd == "help") {
            std::cout << usage;
            return 0;
        }
        if (cmd == "demo") {
            if (argc > 2) {
                std::cerr << "matbp demo: takes no arguments\n";
                return 2;
            }
            return demo();
        }
        std::cerr << (cmd.empty() ? "matbp: no command given\n" : "matbp: unknown command '" + cmd + "'\n") << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "matbp: " << e.what() << "\n";
        return 2;
    }
}
