// w_exact_bench — issue #15's "exact fast path on W ≤ 30× the double path", measured side by side
// in one process on a model file (W: tests/bench/whole_job.py --prepare DIR writes DIR/W.json and
// DIR/W.safetensors).
//
//   w_exact_bench MODEL [ROUNDS]
//
// The model must be float64-valued with relu or identity layers and loss mse or squared_error
// (W is). Its parameters and data are read (read_model_file) and taken as doubles, exactly (every
// number of W is a double). Then, ROUNDS times (default 2): the double path (backprop<double> with
// a workspace, OpenBLAS on one thread: median of 7 calls, CPU time), the exact fast path
// (dyadic_network prepared once from the mlp<double>, gradients(X, Y, ℓ, red, 1): median of 3, CPU
// time) on the automatic route and with every product forced onto the limb route (the products as
// before C1.dyadic (iv)), and both on two threads (wall-clock). Prints each time and ratio and
// MET/MISSED for ≤ 30× (one thread). A benchmark, not a test: exit 0 whatever the ratio; 1 on a
// model it does not apply to. The machine may be shared: read the load average it prints.

#include "matbp/blas.hpp"
#include "matbp/convert.hpp"
#include "matbp/dyadic.hpp"
#include "matbp/loss.hpp"
#include "matbp/model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace matbp;

double clock_of(clockid_t id) {
    timespec t{};
    clock_gettime(id, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// The median over `reps` calls of f, by the clock `id`.
double median_time(int reps, clockid_t id, const std::function<void()>& f) {
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        const double t0 = clock_of(id);
        f();
        t.push_back(clock_of(id) - t0);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

std::string load() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: w_exact_bench MODEL [ROUNDS]\n");
        return 1;
    }
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
    const model_spec m = read_model_file(argv[1]);
    mlp<double> net;
    for (const auto& L : m.layers) {
        if (L.activation.name != "relu" && L.activation.name != "identity") {
            std::fprintf(stderr, "w_exact_bench: activation %s (relu or identity only)\n", L.activation.name.c_str());
            return 1;
        }
        const activation<double> f =
            L.activation.name == "relu" ? activation<double>(relu_fn{}) : activation<double>(identity_fn{});
        net.layers.push_back({from_exact<double>(L.weights), from_exact<double>(L.bias), f});
    }
    if (m.loss_kind.name != "mse" && m.loss_kind.name != "squared_error") {
        std::fprintf(stderr, "w_exact_bench: loss %s (mse or squared_error only)\n", m.loss_kind.name.c_str());
        return 1;
    }
    const loss_function<exact> ell = *make_loss<exact>(m.loss_kind.name, {});
    const loss_function<double> dell = *make_loss<double>(m.loss_kind.name, {});
    const matrix<double> X = from_exact<double>(m.inputs), Y = from_exact<double>(m.targets);
    const auto fast = dyadic_network::from(net);
    if (!fast) {
        std::fprintf(stderr, "w_exact_bench: the exact fast path does not apply to this model\n");
        return 1;
    }
    std::printf("model %s: %zu layers, batch %ld, loss %s; load average %s\n", argv[1], m.layers.size(),
                static_cast<long>(X.cols()), m.loss_kind.name.c_str(), load().c_str());
    for (int r = 0; r < rounds; ++r) {
        backprop_workspace<double> ws;
        set_blas_threads(1);
        const auto dbl = [&] { backprop(ws, net, X, Y, dell, m.red); };
        dbl();
        const double d1 = median_time(7, CLOCK_PROCESS_CPUTIME_ID, dbl);
        const double e1 = median_time(3, CLOCK_PROCESS_CPUTIME_ID, [&] { fast->gradients(X, Y, ell, m.red, 1); });
        double l1 = 0;
        {
            const dyadic_route_scope limbs(dyadic_route::limbs);
            l1 = median_time(3, CLOCK_PROCESS_CPUTIME_ID, [&] { fast->gradients(X, Y, ell, m.red, 1); });
        }
        set_blas_threads(2);
        const double d2 = median_time(7, CLOCK_MONOTONIC, dbl);
        set_blas_threads(1);
        const double e2 = median_time(3, CLOCK_MONOTONIC, [&] { fast->gradients(X, Y, ell, m.red, 2); });
        std::printf(
            "round %d (load %s): one thread, CPU: double %.4f s, exact fast %.3f s = %.1fx the double path "
            "(limb route only: %.3f s = %.1fx); two threads, wall: double %.4f s, exact fast %.3f s = %.1fx\n",
            r + 1, load().c_str(), d1, e1, e1 / d1, l1, l1 / d1, d2, e2, e2 / d2);
        std::printf("target exact fast path <= 30x the double path (one thread): %s\n",
                    e1 / d1 <= 30 ? "MET" : "MISSED");
    }
    return 0;
}
