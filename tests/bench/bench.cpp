// tests/bench/bench.cpp — matbp_bench: how fast each arithmetic computes the gradients of C1, as
// ratios measured in one run (tests/bench/RESULTS.md has a run and the commands).
//
// Per workload (a random network, batch and targets):
//   double        matbp::backprop<double>(ws, net, X, Y) on an mlp<double> with one
//                 backprop_workspace for every call (as a training loop or a repeated check
//                 would keep it): the double path proper; its products are OpenBLAS dgemm calls
//                 (blas.hpp) on one thread (set_blas_threads(1))
//   double-2t     the same with OpenBLAS on two threads (compared by wall-clock time)
//   double-fresh  backprop(net, X, Y) without a workspace, one thread: every matrix allocated anew on
//                 each call (glibc's defaults give each one over 128 KiB fresh pages): a diagnostic
//                 of what the workspace saves
//   oracle-double matbp::compute_gradients(model, double): the oracle entry point (adds the kink
//                 dependence marks and the conversion of every result to an exact rational)
//   exact         compute_gradients(model, exact)
//   exact-check   compute_gradients(model, exact) and check_gradients of the double path's
//                 gradients against it (normwise rule; the reported values read as a JSON file's
//                 numbers are: doubles taken exactly, made outside the timing), timed together
//   real:256, interval:256   compute_gradients(model, real:256 / interval:256)
//   exact-alg     matbp::backprop<exact> on an mlp<exact>: the algorithm over ℚ, no oracle around it
//   exact-dyadic  matbp::dyadic_backprop on an mlp<exact>: the exact fast path's engine (dyadic.hpp),
//                 which compute_gradients(exact) uses on these nets, rationals in and out
//   exact-fast    the library's exact fast path: dyadic_network::from(mlp<double>) once, then
//                 gradients(X, Y) on the doubles, results in dyadic form (one thread); its values
//                 are compared with exact-alg's
//   exact-fast-2t the same with two threads (compared by wall-clock time)
//   kron          matbp::testing::kronecker_chain_gradients (tests/support/reference.hpp): the literal
//                 chain of Kronecker-form Jacobians, exact; its result is compared with exact-alg
//   pytorch       forward+backward of the same-shaped float64 net (tests/bench/torch_time.py, one
//                 Python process for the whole run), on one thread (torch.set_num_threads(1) and
//                 OpenBLAS's threads 1: Debian's PyTorch calls libblas.so.3, OpenBLAS once
//                 libopenblas-dev is installed) and on two (compared with double-2t by wall time)
// Plus the double GEMM rate (1024×1024 by 1024×256) of OpenBLAS through matbp::mul and of Eigen's
// own kernels in the same run, the smooth rational softsign nets of depth 1…6 with the largest
// numerator and denominator bit length of their exact gradients, `compute_gradients(exact) +
// check_gradients` against torch.autograd.gradcheck, and two sections of their own:
//   whole     issue #15's whole-process comparison on W (1024-1024-1024-10 × 256, mse mean):
//             `matbp check W --gradients torch` as a subprocess against PyTorch's whole job in one
//             Python process (tests/bench/whole_job.py), from JSON and from safetensors; wall time
//             and peak RSS of each process (wait4)
//   tightness issue #13's item 5: PyTorch's float64 and float32 gradients against the exact ones
//             and the rounding bound T2 (rounding_bounds, oracle_bounds.hpp): the ratio of the
//             actual error to the bound, and which single-entry errors the bound catches
//
// Timing: the first call is a warm-up and calibration; a call slower than --slow seconds is the
// measurement (one repetition). Otherwise each repetition runs the call often enough to take
// ≥ --min-time seconds, and the result is the median over --reps repetitions (fewer when a
// measurement would exceed --cap seconds). Seconds are CPU seconds of the measuring process
// (CLOCK_PROCESS_CPUTIME_ID; PyTorch: time.process_time): on a shared machine wall-clock time also
// counts the time slices other processes get, which made repeated wall-clock runs differ by up to
// 3×. Everything runs on one thread, so CPU time is the time the work takes. Wall-clock medians are
// in the CSV (wall_seconds).
//
// Memory: every measurement runs in its own forked child that builds its workload itself, so peak
// RSS (wait4's ru_maxrss of that child) is per arithmetic and workload and peaks never mix. A forked
// child starts with the parent's resident pages; the parent stays small (no workload data of its
// own, malloc_trim before each fork) and the empty child's peak is printed as the baseline.
//
// Usage: matbp_bench [--quick] [--csv FILE] [--min-time S] [--reps N] [--only SUBSTRING]
//                    [--no-torch] [--python PATH] [--torch-script PATH] [--no-large] [--no-kron]
//                    [--no-smooth] [--no-relu] [--no-whole] [--no-tightness] [--matbp PATH]
//                    [--tight-batch N]

#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"
#include "matbp/dyadic.hpp"
#include "matbp/json.hpp"
#include "matbp/model.hpp"
#include "matbp/oracle.hpp"
#include "matbp/oracle_bounds.hpp"
#include "matbp/rounding_bound.hpp"
#include "matbp/safetensors.hpp"

#include "support/reference.hpp"

#include <gmp.h>
#include <malloc.h>
#include <mpfr.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#ifndef MATBP_BENCH_DIR
#define MATBP_BENCH_DIR "tests/bench"
#endif
#ifndef MATBP_BENCH_BUILD
#define MATBP_BENCH_BUILD "unknown build type"
#endif

namespace {

using namespace matbp;
using clk = std::chrono::steady_clock;

double since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

/// CPU seconds of this process (all threads; matbp runs on one).
double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

volatile double g_sink = 0;  // keeps results observable

// ---- options ------------------------------------------------------------------------------------

struct options {
    bool quick = false;
    std::string csv;
    double min_time = 0.2;  ///< seconds per repetition
    int reps = 5;
    double slow = 2.0;  ///< a first call this slow is the measurement
    double cap = 6.0;   ///< seconds one measurement may take (fewer repetitions beyond)
    std::string python = "/usr/bin/python3";
    std::string torch_script = MATBP_BENCH_DIR "/torch_time.py";
    bool torch = true, large = true, kron = true, smooth = true;
    bool relu = true, whole = true, tightness = true;
    long tight_batch = 8;  ///< batch of the 1024-wide net in the tightness section (0: left out)
    std::string matbp;     ///< the CLI for the whole-process section (default: ../matbp from this binary)
    std::string only;
};

[[noreturn]] void usage(int code) {
    (code ? std::cerr : std::cout)
        << "usage: matbp_bench [--quick] [--csv FILE] [--min-time S] [--reps N] [--only SUBSTRING]\n"
           "                   [--no-torch] [--python PATH] [--torch-script PATH] [--no-large] [--no-kron]\n"
           "                   [--no-smooth] [--no-relu] [--no-whole] [--no-tightness] [--matbp PATH]\n"
           "                   [--tight-batch N]\n"
           "  --quick   the small ReLU workloads at batch 8 only, and the smooth nets to depth 4\n"
           "  --csv     also write every measurement as CSV (tests/bench/plot.py draws it)\n"
           "  --no-relu the ReLU timing workloads and the gradcheck comparison left out\n"
           "  --no-whole, --no-tightness   the whole-process or the rounding-bound section left out\n"
           "  --matbp   the matbp CLI the whole-process section runs (default: the build's)\n"
           "  --tight-batch N   batch of 1024-1024-1024-10 in the tightness section (default 8; 0: none)\n";
    std::exit(code);
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(2);
            return argv[++i];
        };
        if (a == "--quick")
            o.quick = true;
        else if (a == "--csv")
            o.csv = value();
        else if (a == "--min-time")
            o.min_time = std::stod(value());
        else if (a == "--reps")
            o.reps = std::max(1, std::stoi(value()));
        else if (a == "--only")
            o.only = value();
        else if (a == "--no-torch")
            o.torch = false;
        else if (a == "--python")
            o.python = value();
        else if (a == "--torch-script")
            o.torch_script = value();
        else if (a == "--no-large")
            o.large = false;
        else if (a == "--no-kron")
            o.kron = false;
        else if (a == "--no-smooth")
            o.smooth = false;
        else if (a == "--no-relu")
            o.relu = false;
        else if (a == "--no-whole")
            o.whole = false;
        else if (a == "--no-tightness")
            o.tightness = false;
        else if (a == "--matbp")
            o.matbp = value();
        else if (a == "--tight-batch")
            o.tight_batch = std::max(0L, std::stol(value()));
        else if (a == "--help" || a == "-h")
            usage(0);
        else
            usage(2);
    }
    if (o.quick) o.large = false, o.whole = false;
    if (o.matbp.empty()) {
        // build/tests/matbp_bench → build/matbp
        char buf[4096];
        const ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
        std::string exe = len > 0 ? std::string(buf, static_cast<std::size_t>(len)) : "";
        const auto cut = exe.rfind("/tests/");
        o.matbp = cut == std::string::npos ? "matbp" : exe.substr(0, cut) + "/matbp";
    }
    return o;
}

// ---- output helpers -------------------------------------------------------------------------------

std::string fmt(const char* f, double x) {
    if (!std::isfinite(x)) return "–";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, x);
    return buf;
}

// ---- measurements in forked children ------------------------------------------------------------

struct measurement {
    bool ok = false;
    double seconds = NAN;       ///< CPU seconds per call (median)
    double wall_seconds = NAN;  ///< wall-clock seconds per call (median)
    int reps = 0;
    long iters = 0;
    long peak_kib = -1;
    std::string error;
    std::map<std::string, std::string> extra;  ///< facts the child reports (bit lengths, checks)
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Times f: warm-up/calibration call, then the median of the repetitions (see the header). CPU
/// time decides (calibration and result); wall-clock time is recorded alongside.
template <class F>
void time_into(measurement& m, F&& f, const options& o) {
    auto t0 = clk::now();
    double c0 = cpu_now();
    f();
    const double first = cpu_now() - c0;
    if (first >= o.slow) {
        m.seconds = first;
        m.wall_seconds = since(t0);
        m.reps = 1;
        m.iters = 1;
        return;
    }
    const long iters = first >= o.min_time ? 1 : static_cast<long>(std::ceil(o.min_time / std::max(first, 1e-9)));
    const double per_rep = static_cast<double>(iters) * first;
    int reps = o.reps;
    if (reps * per_rep > o.cap) reps = std::max(1, static_cast<int>(o.cap / per_rep));
    std::vector<double> cpu, wall;
    for (int r = 0; r < reps; ++r) {
        t0 = clk::now();
        c0 = cpu_now();
        for (long i = 0; i < iters; ++i) f();
        cpu.push_back((cpu_now() - c0) / static_cast<double>(iters));
        wall.push_back(since(t0) / static_cast<double>(iters));
    }
    m.seconds = median(cpu);
    m.wall_seconds = median(wall);
    m.reps = reps;
    m.iters = iters;
}

std::string serialize(const measurement& m) {
    std::ostringstream s;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", m.seconds);
    s << "ok " << (m.ok ? 1 : 0) << "\nseconds " << buf;
    std::snprintf(buf, sizeof buf, "%a", m.wall_seconds);
    s << "\nwall " << buf << "\nreps " << m.reps << "\niters " << m.iters << "\n";
    for (const auto& [k, v] : m.extra) s << "x " << k << " " << v << "\n";
    if (!m.error.empty()) {
        std::string e = m.error;
        std::replace(e.begin(), e.end(), '\n', ' ');
        s << "error " << e << "\n";
    }
    return s.str();
}

measurement deserialize(const std::string& text) {
    measurement m;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto sp = line.find(' ');
        const std::string key = line.substr(0, sp), rest = sp == std::string::npos ? "" : line.substr(sp + 1);
        if (key == "ok")
            m.ok = rest == "1";
        else if (key == "seconds")
            m.seconds = std::strtod(rest.c_str(), nullptr);
        else if (key == "wall")
            m.wall_seconds = std::strtod(rest.c_str(), nullptr);
        else if (key == "reps")
            m.reps = std::atoi(rest.c_str());
        else if (key == "iters")
            m.iters = std::atol(rest.c_str());
        else if (key == "error")
            m.error = rest;
        else if (key == "x") {
            const auto sp2 = rest.find(' ');
            m.extra[rest.substr(0, sp2)] = sp2 == std::string::npos ? "" : rest.substr(sp2 + 1);
        }
    }
    return m;
}

/// Runs body in a forked child; returns what it measured and the child's own peak RSS.
measurement in_child(const std::function<void(measurement&)>& body) {
    std::fflush(stdout);
    std::fflush(stderr);
    malloc_trim(0);
    int fd[2];
    if (pipe(fd) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(fd[0]);
        measurement m;
        try {
            set_blas_threads(1);  // one thread unless the measurement asks for more
            body(m);
            m.ok = true;
        } catch (const std::exception& e) {
            m.ok = false;
            m.error = e.what();
        }
        const std::string out = serialize(m);
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t w = write(fd[1], out.data() + done, out.size() - done);
            if (w <= 0) break;
            done += static_cast<std::size_t>(w);
        }
        close(fd[1]);
        _exit(0);
    }
    close(fd[1]);
    std::string text;
    char buf[4096];
    for (ssize_t r; (r = read(fd[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(r));
    close(fd[0]);
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    measurement m = deserialize(text);
    m.peak_kib = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        m.ok = false;
        m.error = WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                      : "child exited with " + std::to_string(WEXITSTATUS(status));
    }
    return m;
}

// ---- workloads ----------------------------------------------------------------------------------

enum class wl_kind { relu_f64, softsign_q };

struct workload {
    std::string name;
    std::vector<Eigen::Index> widths;
    Eigen::Index batch;
    wl_kind kind;
    std::uint64_t seed;
    bool large = false;
    long long params() const {
        long long p = 0;
        for (std::size_t l = 1; l < widths.size(); ++l) p += widths[l] * (widths[l - 1] + 1);
        return p;
    }
    std::string widths_text() const {
        std::string s;
        for (auto w : widths) s += (s.empty() ? "" : "-") + std::to_string(w);
        return s;
    }
};

struct workload_data {
    model_spec spec;   ///< every number exact (only when asked for; ReLU nets: held as doubles)
    mlp<double> dnet;  ///< the same network in double (the doubles the spec holds exactly)
    matrix<double> X, Y;
};

activation_spec activation_named(const std::string& name) {
    activation_spec a;
    a.name = name;
    return a;
}

/// ReLU nets: parameters U(−1/√fan_in, 1/√fan_in) (PyTorch's nn.Linear init) as doubles, taken
/// exactly; inputs and targets U(−1, 1). Softsign nets: every parameter, input and target p/q with
/// p ∈ [−24, 24], q ∈ [1, 12]; softsign on every layer.
workload_data make_data(const workload& w, bool need_spec) {
    std::mt19937_64 rng(w.seed);
    workload_data d;
    const std::size_t k = w.widths.size() - 1;
    if (w.kind == wl_kind::relu_f64) {
        auto uniform = [&](Eigen::Index r, Eigen::Index c, double bound) {
            std::uniform_real_distribution<double> u(-bound, bound);
            matrix<double> M(r, c);
            for (Eigen::Index j = 0; j < c; ++j)
                for (Eigen::Index i = 0; i < r; ++i) M(i, j) = u(rng);
            return M;
        };
        for (std::size_t l = 1; l <= k; ++l) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(w.widths[l - 1]));
            matrix<double> W = uniform(w.widths[l], w.widths[l - 1], bound), b = uniform(w.widths[l], 1, bound);
            activation<double> f = l < k ? activation<double>(relu_fn{}) : activation<double>(identity_fn{});
            d.dnet.layers.push_back({std::move(W), std::move(b), f});
        }
        d.X = uniform(w.widths[0], w.batch, 1.0);
        d.Y = uniform(w.widths[k], w.batch, 1.0);
        if (need_spec) {
            // Held as the doubles, as a model read from a file holds them (exact_tensor.hpp).
            auto ex = [](const matrix<double>& M) { return exact_tensor::of_doubles(M); };
            for (std::size_t l = 1; l <= k; ++l)
                d.spec.layers.push_back({ex(d.dnet.layers[l - 1].W), ex(d.dnet.layers[l - 1].b),
                                         activation_named(l < k ? "relu" : "identity")});
            d.spec.inputs = ex(d.X);
            d.spec.targets = ex(d.Y);
        }
    } else {
        std::uniform_int_distribution<int> num(-24, 24), den(1, 12);
        auto rational = [&](Eigen::Index r, Eigen::Index c) {
            matrix<exact> M(r, c);
            for (Eigen::Index j = 0; j < c; ++j)
                for (Eigen::Index i = 0; i < r; ++i) {
                    const int p = num(rng), q = den(rng);
                    M(i, j) = exact(p) / exact(q);
                }
            return M;
        };
        for (std::size_t l = 1; l <= k; ++l) {
            matrix<exact> W = rational(w.widths[l], w.widths[l - 1]), b = rational(w.widths[l], 1);
            d.spec.layers.push_back({std::move(W), std::move(b), activation_named("softsign")});
        }
        d.spec.inputs = rational(w.widths[0], w.batch);
        d.spec.targets = rational(w.widths[k], w.batch);
        for (const auto& L : d.spec.layers)
            d.dnet.layers.push_back({from_exact<double>(L.weights), from_exact<double>(L.bias), softsign_fn{}});
        d.X = from_exact<double>(d.spec.inputs);
        d.Y = from_exact<double>(d.spec.targets);
    }
    d.spec.loss_kind = {"squared_error", {}};
    d.spec.red = reduction::mean;
    return d;
}

mlp<exact> exact_network(const model_spec& s) {
    mlp<exact> net;
    for (const auto& L : s.layers) {
        activation<exact> f = identity_fn{};
        if (L.activation.name == "relu")
            f = relu_fn{};
        else if (L.activation.name == "softsign")
            f = softsign_fn{};
        net.layers.push_back({L.weights, L.bias, f});
    }
    return net;
}

resource_limits bench_limits() {
    resource_limits r;
    r.max_bits = std::size_t{1} << 40;  // the smooth nets are meant to grow; no limit is the point
    r.max_seconds = 0;
    r.threads = 1;  // CPU time compares one thread with one thread
    return r;
}

reported_gradients as_reported(const gradient_result<double>& g) {
    reported_gradients out;
    auto ex = [](const matrix<double>& M) {
        matrix<exact> E(M.rows(), M.cols());
        for (Eigen::Index j = 0; j < M.cols(); ++j)
            for (Eigen::Index i = 0; i < M.rows(); ++i) E(i, j) = to_exact(M(i, j));
        return E;
    };
    for (std::size_t l = 1; l < g.dW.size(); ++l) out.emplace_back(ex(g.dW[l]), ex(g.db[l]));
    return out;
}

std::size_t bits(const bmp::mpz_int& z) { return z == 0 ? 0 : bmp::msb(bmp::abs(z)) + 1; }

/// Times the exact oracle's whole job on the workload (compute_gradients(exact), then
/// check_gradients of the double path's gradients, made outside the timing); true iff they pass.
bool time_exact_check(measurement& m, const workload_data& d, const options& o) {
    const auto reported = as_reported(backprop(d.dnet, d.X, d.Y, squared_error_loss{}, reduction::mean));
    bool pass = false;
    time_into(
        m,
        [&] {
            const auto ref = compute_gradients(d.spec, parse_arith("exact"), bench_limits());
            pass = check_gradients(ref, reported, {}).pass;
        },
        o);
    return pass;
}

// ---- one measurement per arithmetic ------------------------------------------------------------

measurement measure(const workload& w, const std::string& arith, const options& o) {
    return in_child([&](measurement& m) {
        if (arith == "double" || arith == "double-2t" || arith == "double-fresh") {
            const workload_data d = make_data(w, false);
            set_blas_threads(arith == "double-2t" ? 2 : 1);
            backprop_workspace<double> ws;
            if (arith == "double-fresh")
                time_into(
                    m,
                    [&] { g_sink = g_sink + backprop(d.dnet, d.X, d.Y, squared_error_loss{}, reduction::mean).cost; },
                    o);
            else
                time_into(
                    m,
                    [&] {
                        g_sink = g_sink + backprop(ws, d.dnet, d.X, d.Y, squared_error_loss{}, reduction::mean).cost;
                    },
                    o);
        } else if (arith == "exact-alg") {
            const workload_data d = make_data(w, true);
            const mlp<exact> net = exact_network(d.spec);
            time_into(
                m,
                [&] {
                    g_sink = g_sink + static_cast<double>(
                                          backprop(net, d.spec.inputs.rational(), d.spec.targets.rational()).dW.size());
                },
                o);
        } else if (arith == "exact-dyadic") {
            const workload_data d = make_data(w, true);
            const mlp<exact> net = exact_network(d.spec);
            if (!dyadic_backprop(net, d.spec.inputs, d.spec.targets, squared_error_loss{}, reduction::mean))
                throw std::runtime_error("dyadic_backprop does not apply to this network");
            time_into(
                m,
                [&] {
                    g_sink = g_sink + static_cast<double>(dyadic_backprop(net, d.spec.inputs, d.spec.targets,
                                                                          squared_error_loss{}, reduction::mean)
                                                              ->dW.size());
                },
                o);
        } else if (arith == "exact-fast" || arith == "exact-fast-2t") {
            // The library's exact fast path: the network prepared once (as mlp<double> is for the
            // double path), the doubles X, Y converted inside the call, dyadic results.
            const workload_data d = make_data(w, true);
            const auto fast = dyadic_network::from(d.dnet);
            if (!fast) throw std::runtime_error("dyadic_network does not apply to this network");
            const unsigned threads = arith == "exact-fast" ? 1 : 2;
            time_into(
                m,
                [&] {
                    g_sink = g_sink +
                             static_cast<double>(
                                 fast->gradients(d.X, d.Y, squared_error_loss{}, reduction::mean, threads).dW.size());
                },
                o);
            // The same values as the rational algorithm (outside the timing; not on the large net).
            if (w.large) {
                m.extra["fast_equals_alg"] = "not compared";
                return;
            }
            const auto g = fast->gradients(d.X, d.Y, squared_error_loss{}, reduction::mean, threads).to_exact();
            const auto a = backprop(exact_network(d.spec), d.spec.inputs.rational(), d.spec.targets.rational());
            bool same = g.cost == a.cost;
            for (std::size_t l = 1; l < a.dW.size(); ++l) same = same && g.dW[l] == a.dW[l] && g.db[l] == a.db[l];
            m.extra["fast_equals_alg"] = same ? "yes" : "NO";
        } else if (arith == "exact-check") {
            m.extra["double_passes_check"] = time_exact_check(m, make_data(w, true), o) ? "yes" : "NO";
        } else if (arith == "kron") {
            const workload_data d = make_data(w, true);
            const mlp<exact> net = exact_network(d.spec);
            testing::reference_result<exact> r;
            time_into(
                m,
                [&] {
                    r = testing::kronecker_chain_gradients(net, d.spec.inputs.rational(), d.spec.targets.rational(),
                                                           squared_error_loss{}, reduction::mean);
                },
                o);
            const auto g = backprop(net, d.spec.inputs.rational(), d.spec.targets.rational());
            bool same = g.cost == r.cost;
            for (std::size_t l = 1; l < g.dW.size(); ++l) same = same && g.dW[l] == r.dW[l] && g.db[l] == r.db[l];
            m.extra["kron_equals_alg"] = same ? "yes" : "NO";
        } else {
            const workload_data d = make_data(w, true);
            const arith_spec a = arith == "oracle-double" ? parse_arith("double") : parse_arith(arith);
            std::optional<gradient_reference> ref;
            time_into(
                m, [&] { ref = compute_gradients(d.spec, a, bench_limits()); }, o);
            if (arith == "exact") {
                const auto t_check = clk::now();
                // The double path against the exact reference: `matbp check`'s verdict.
                const auto g = backprop(d.dnet, d.X, d.Y, squared_error_loss{}, reduction::mean);
                const auto rep = check_gradients(*ref, as_reported(g), {});
                m.extra["double_passes_check"] = rep.pass ? "yes" : "NO";
                std::size_t nb = 0, db = 0;
                for (const auto* ts : {&ref->weights, &ref->bias})
                    for (const auto& t : *ts) {
                        const matrix<exact>& v = t.lo.rational();
                        for (Eigen::Index i = 0; i < v.size(); ++i) {
                            nb = std::max(nb, bits(bmp::numerator(v(i))));
                            db = std::max(db, bits(bmp::denominator(v(i))));
                        }
                    }
                m.extra["num_bits"] = std::to_string(nb);
                m.extra["den_bits"] = std::to_string(db);
                m.extra["check_seconds"] = fmt("%.3g", since(t_check));
            }
        }
    });
}

// ---- PyTorch, one Python process for the run ------------------------------------------------

class torch_process {
public:
    bool start(const options& o) {
        if (access(o.python.c_str(), X_OK) != 0) return fail(o.python + " not found");
        if (access(o.torch_script.c_str(), R_OK) != 0) return fail(o.torch_script + " not found (--torch-script)");
        int to[2], from[2];
        if (pipe(to) != 0 || pipe(from) != 0) return fail("pipe failed");
        std::fflush(stdout);
        pid_ = fork();
        if (pid_ < 0) return fail("fork failed");
        if (pid_ == 0) {
            dup2(to[0], 0);
            dup2(from[1], 1);
            close(to[0]), close(to[1]), close(from[0]), close(from[1]);
            execl(o.python.c_str(), o.python.c_str(), o.torch_script.c_str(), "--serve", static_cast<char*>(nullptr));
            _exit(127);
        }
        close(to[0]);
        close(from[1]);
        in_ = fdopen(to[1], "w");
        out_ = fdopen(from[0], "r");
        return true;
    }
    bool ok() const { return in_ != nullptr && error_.empty(); }
    const std::string& error() const { return error_; }
    /// One request; the response object, or nothing (and error() says why).
    std::optional<json::value> ask(const std::string& request) {
        if (!ok()) return std::nullopt;
        std::fputs((request + "\n").c_str(), in_);
        std::fflush(in_);
        std::string line;
        for (int c; (c = std::fgetc(out_)) != EOF && c != '\n';) line.push_back(static_cast<char>(c));
        if (line.empty()) {
            fail("the PyTorch helper ended without an answer (is torch importable by the interpreter?)");
            return std::nullopt;
        }
        json::value v = json::parse(line);
        if (const auto* e = v.find("error")) {
            // "no torch" ends the helper; another error concerns this request only.
            if (e->text.rfind("no torch", 0) == 0)
                fail(e->text);
            else
                last_request_error_ = e->text;
            return std::nullopt;
        }
        return v;
    }
    void stop() {
        if (in_) std::fclose(in_);
        if (out_) std::fclose(out_);
        in_ = out_ = nullptr;
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    ~torch_process() { stop(); }

private:
    bool fail(const std::string& why) {
        if (error_.empty()) error_ = why;
        return false;
    }
    pid_t pid_ = -1;
    FILE* in_ = nullptr;
    FILE* out_ = nullptr;
    std::string error_, last_request_error_;
};

double number_of(const json::value& v, const char* key) {
    const auto* x = v.find(key);
    return x && x->kind == json::kind::number ? std::strtod(x->text.c_str(), nullptr) : NAN;
}

std::string json_array(const std::vector<Eigen::Index>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

std::string json_double(double x) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return buf;
}

/// Rows of M (PyTorch's layout: a weight matrix as rows, a batch as n rows of m values).
std::string json_rows(const matrix<double>& M, bool transpose) {
    const Eigen::Index R = transpose ? M.cols() : M.rows(), C = transpose ? M.rows() : M.cols();
    std::string s = "[";
    for (Eigen::Index i = 0; i < R; ++i) {
        s += i ? ",[" : "[";
        for (Eigen::Index j = 0; j < C; ++j) s += (j ? "," : "") + json_double(transpose ? M(j, i) : M(i, j));
        s += "]";
    }
    return s + "]";
}

std::string json_vector(const matrix<double>& b) {
    std::string s = "[";
    for (Eigen::Index i = 0; i < b.rows(); ++i) s += (i ? "," : "") + json_double(b(i, 0));
    return s + "]";
}

// ---- machine ------------------------------------------------------------------------------------

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto c = line.find(':');
            return c == std::string::npos ? line : line.substr(c + 2);
        }
    return "unknown";
}

std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string now_text() {
    const std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
    return buf;
}

std::string ratio_text(double num, double den) {
    if (!std::isfinite(num) || !std::isfinite(den) || den <= 0) return "–";
    const double r = num / den;
    return fmt(r >= 100 ? "%.0f×" : r >= 10 ? "%.1f×" : "%.2f×", r);
}

struct row {
    workload w;
    std::map<std::string, measurement> m;    ///< by arithmetic
    double torch_s = NAN, torch_wall = NAN;  ///< CPU and wall seconds per call, one thread
    double torch2_wall = NAN;                ///< wall seconds per call, two threads
    long torch_iters = 0;
};

std::string mib(long kib) { return kib < 0 ? "–" : fmt("%.1f", static_cast<double>(kib) / 1024.0); }

double secs(const row& r, const std::string& a) {
    const auto it = r.m.find(a);
    return it != r.m.end() && it->second.ok ? it->second.seconds : NAN;
}

double wall_secs(const row& r, const std::string& a) {
    const auto it = r.m.find(a);
    return it != r.m.end() && it->second.ok ? it->second.wall_seconds : NAN;
}

// ---- whole processes (issue #15) ------------------------------------------------------------

struct process_result {
    bool ok = false;  ///< started and exited (any exit code)
    int exit_code = -1;
    double wall = NAN;  ///< seconds, fork to exit
    long peak_kib = -1;
    std::string error;
};

/// Runs argv as a process (stdout to out_path, stderr kept in err_path), with `env` added to the
/// environment; its wall-clock time and its own peak RSS (wait4's ru_maxrss).
process_result run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                           const std::string& out_path, const std::string& err_path) {
    process_result r;
    std::fflush(stdout);
    std::fflush(stderr);
    malloc_trim(0);
    const auto t0 = clk::now();
    const pid_t pid = fork();
    if (pid < 0) {
        r.error = "fork failed";
        return r;
    }
    if (pid == 0) {
        if (!freopen(out_path.c_str(), "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(126);
        for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    r.wall = since(t0);
    r.peak_kib = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
        r.ok = r.exit_code < 126;
        if (!r.ok) r.error = "exit " + std::to_string(r.exit_code) + " (could not start " + argv[0] + ")";
    } else {
        r.error = "killed by signal " + std::to_string(WTERMSIG(status));
    }
    return r;
}

std::string first_line_of(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// ---- tightness of the rounding bound T2 (issue #13, item 5) ------------------------------------

struct tightness_row {
    workload w;
    std::string precision;
    double rel = NAN;            ///< the single-entry relative error asked about (1e-9, 1e-3)
    double exact_seconds = NAN;  ///< compute_gradients(exact)
    double bound_seconds = NAN;  ///< rounding_bounds(model, precision): L12's float64 evaluation
    double mpfi_seconds = NAN;   ///< the same by MPFI (bound_evaluation::mpfi), where run
    double fast_over_mpfi_lo = NAN, fast_over_mpfi_hi = NAN;  ///< min, max of B_fast / B_MPFI (B_MPFI > 0)
    bool claimed = true;                                      ///< no unit near a kink
    long entries = 0, zero_g = 0, outside = 0, b_below = 0, caught = 0;
    double median_ratio = NAN, worst_ratio = NAN;
    /// The same PyTorch evaluation with every operation rounded upward (fesetround; a D17
    /// evaluation at 2u, since |δ| < 2u): how far inside B a less benign arithmetic lands.
    double median_ratio_up = NAN, worst_ratio_up = NAN;
    long outside_up = 0;
    std::string error;
};

/// The workload as a safetensors file of F64 tensors (torch_time.py's "gradients" request).
std::string model_safetensors(const workload_data& d) {
    std::vector<safetensors::tensor_out> t;
    auto rows = [](const matrix<double>& M, bool transpose) {
        const Eigen::Index R = transpose ? M.cols() : M.rows(), C = transpose ? M.rows() : M.cols();
        std::vector<double> v;
        v.reserve(static_cast<std::size_t>(R * C));
        for (Eigen::Index i = 0; i < R; ++i)
            for (Eigen::Index j = 0; j < C; ++j) v.push_back(transpose ? M(j, i) : M(i, j));
        return safetensors::tensor_out{
            "", safetensors::dtype::f64, {static_cast<std::uint64_t>(R), static_cast<std::uint64_t>(C)}, v};
    };
    for (std::size_t l = 0; l < d.dnet.layers.size(); ++l) {
        auto W = rows(d.dnet.layers[l].W, false), b = rows(d.dnet.layers[l].b, false);
        W.name = "layers." + std::to_string(l) + ".weights";
        b.name = "layers." + std::to_string(l) + ".bias";
        b.shape = {b.shape[0]};
        t.push_back(std::move(W));
        t.push_back(std::move(b));
    }
    auto X = rows(d.X, true), Y = rows(d.Y, true);
    X.name = "inputs";
    Y.name = "targets";
    t.push_back(std::move(X));
    t.push_back(std::move(Y));
    return safetensors::write(t);
}

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Compares PyTorch's gradients (file `torch_out`, F64 tensors) with the exact ones and the bound.
void tightness_stats(tightness_row& t, const gradient_reference& ref, const tensor_bounds& B,
                     const std::string& torch_out) {
    const safetensors::file f = safetensors::parse(read_file_bytes(torch_out));
    const exact rel = t.precision == "float64" ? exact(1, 1000000000) : exact(1, 1000);
    std::vector<double> ratios;
    for (std::size_t l = 0; l < ref.weights.size(); ++l)
        for (int which = 0; which < 2; ++which) {
            const matrix<exact>& g = which == 0 ? ref.weights[l].lo : ref.bias[l].lo;
            const exact_tensor& bm = which == 0 ? B.weights[l] : B.bias[l];
            const std::string name = "layers." + std::to_string(l) + (which == 0 ? ".weights" : ".bias");
            const auto* tt = f.find(name);
            if (!tt || tt->elements() != static_cast<std::size_t>(g.size()))
                throw std::runtime_error("PyTorch's gradients: " + name + " missing or of the wrong size");
            for (Eigen::Index i = 0; i < g.rows(); ++i)
                for (Eigen::Index j = 0; j < g.cols(); ++j) {
                    const exact gh = f.value(*tt, static_cast<std::size_t>(i * g.cols() + j));
                    const exact err = abs(gh - g(i, j)), ag = abs(g(i, j)), bij = bm(i, j);
                    ++t.entries;
                    if (err > bij) ++t.outside;
                    ratios.push_back(bij == 0 ? (err == 0 ? 0.0 : INFINITY) : exact(err / bij).convert_to<double>());
                    if (ag == 0) {
                        ++t.zero_g;
                        continue;
                    }
                    const exact moved = rel * ag;
                    if (bij < moved) ++t.b_below;
                    if (bij + err < moved) ++t.caught;
                }
        }
    if (!ratios.empty()) {
        t.worst_ratio = *std::max_element(ratios.begin(), ratios.end());
        t.median_ratio = median(ratios);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse_options(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);
    const auto run_start = clk::now();
    std::ofstream csv;
    if (!o.csv.empty()) {
        csv.open(o.csv);
        if (!csv) {
            std::cerr << "matbp_bench: cannot write " << o.csv << "\n";
            return 2;
        }
        csv << "section,workload,widths,P,batch,arith,seconds,wall_seconds,reps,iters,peak_rss_kib,note\n";
    }
    auto csv_row = [&](const std::string& section, const workload& w, const std::string& arith, double s, double wall,
                       int reps, long iters, long kib, const std::string& note) {
        if (!csv) return;
        csv << section << ",\"" << w.name << "\"," << w.widths_text() << "," << w.params() << "," << w.batch << ","
            << arith << "," << fmt("%.9g", s) << "," << fmt("%.9g", wall) << "," << reps << "," << iters << "," << kib
            << ",\"" << note << "\"\n";
    };
    auto progress = [&](const std::string& what) {
        std::cerr << "[" << fmt("%6.1f", since(run_start)) << " s] " << what << std::endl;
    };

    const std::string load_start = loadavg();
    std::cout << "# matbp_bench — " << now_text() << "\n\n";
    std::cout << "Machine: nproc " << sysconf(_SC_NPROCESSORS_ONLN) << ", CPU " << cpu_model() << ", compiler "
#if defined(__clang__)
              << "clang " << __clang_version__
#elif defined(__GNUC__)
              << "GCC " << __VERSION__
#endif
              << ", build " << MATBP_BENCH_BUILD << ", Eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION
              << "." << EIGEN_MINOR_VERSION << ", GMP " << gmp_version << ", MPFR " << mpfr_get_version()
              << ", load average at start " << load_start << "\n";
    std::cout << "matbp's double path: " << blas_config() << " (cblas_dgemm through matbp::mul, blas.hpp)\n\n";

    // Baseline peak RSS of a child that does nothing (what every child starts with).
    const measurement empty = in_child([](measurement&) {});
    // The double GEMM the double path uses (OpenBLAS through matbp::mul, one thread), and Eigen's
    // own kernels (same flags) for comparison.
    progress("OpenBLAS GEMM 1024x1024 by 1024x256 (matbp::mul, 1 thread)");
    const measurement gemm = in_child([&](measurement& m) {
        const matrix<double> A = matrix<double>::Random(1024, 1024), B = matrix<double>::Random(1024, 256);
        time_into(
            m, [&] { g_sink = g_sink + mul(A, B)(0, 0); }, o);
    });
    const double gemm_gflops = 2.0 * 1024 * 1024 * 256 / gemm.seconds / 1e9;
    progress("Eigen GEMM 1024x1024 by 1024x256");
    const measurement eigen_gemm = in_child([&](measurement& m) {
        const Eigen::MatrixXd A = Eigen::MatrixXd::Random(1024, 1024), B = Eigen::MatrixXd::Random(1024, 256);
        Eigen::MatrixXd C(1024, 256);
        time_into(
            m,
            [&] {
                C.noalias() = A * B;
                g_sink = g_sink + C(0, 0);
            },
            o);
    });
    const double eigen_gflops = 2.0 * 1024 * 1024 * 256 / eigen_gemm.seconds / 1e9;

    torch_process torch;
    std::string torch_note;
    if (o.torch)
        torch.start(o);
    else
        torch_note = "--no-torch";
    std::string torch_blas = "–", torch_version = "–";
    if (torch.ok())
        if (const auto v = torch.ask("{\"info\":true,\"threads\":1}")) {
            if (const auto* b = v->find("blas")) torch_blas = b->text;
            if (const auto* t = v->find("torch")) torch_version = t->text;
        }
    std::cout << "PyTorch " << torch_version << " (/usr/bin/python3), its BLAS: " << torch_blas << "\n\n";
    auto torch_time = [&](row& r, int threads) {
        const workload& w = r.w;
        if (!torch.ok()) return;
        const int reps = w.large ? 3 : o.reps;
        const auto v = torch.ask("{\"widths\":" + json_array(w.widths) + ",\"batch\":" + std::to_string(w.batch) +
                                 ",\"seed\":" + std::to_string(w.seed) + ",\"min_time\":" + json_double(o.min_time) +
                                 ",\"reps\":" + std::to_string(reps) + ",\"threads\":" + std::to_string(threads) + "}");
        if (!v) return;
        if (threads == 1) {
            r.torch_s = number_of(*v, "seconds");
            r.torch_wall = number_of(*v, "wall_seconds");
            r.torch_iters = static_cast<long>(number_of(*v, "iters"));
        } else {
            r.torch2_wall = number_of(*v, "wall_seconds");
        }
    };

    // ---- the ReLU workloads ----
    std::vector<workload> relu;
    const std::vector<std::vector<Eigen::Index>> shapes = {
        {16, 16, 16, 4}, {64, 64, 64, 10}, {128, 64, 10}, {784, 32, 10}};
    std::uint64_t seed = 1;
    for (const auto& s : shapes)
        for (Eigen::Index n : {1, 8, 32}) {
            workload w{"", s, n, wl_kind::relu_f64, seed++};
            w.name = w.widths_text();
            if (!o.relu || (o.quick && n != 8)) continue;
            if (!o.only.empty() && w.name.find(o.only) == std::string::npos) continue;
            relu.push_back(w);
        }
    if (o.relu && o.large && (o.only.empty() || std::string("1024-1024-1024-10").find(o.only) != std::string::npos)) {
        workload w{"1024-1024-1024-10", {1024, 1024, 1024, 10}, 256, wl_kind::relu_f64, 100, true};
        relu.push_back(w);
    }
    std::vector<row> rows;
    for (const auto& w : relu) {
        row r{w, {}, NAN, NAN, NAN, 0};
        std::vector<std::string> ariths = {"double", "double-2t", "double-fresh", "oracle-double"};
        if (!w.large) {
            for (const char* a :
                 {"exact", "exact-check", "exact-dyadic", "exact-fast", "exact-fast-2t", "real:256", "interval:256"})
                ariths.push_back(a);
            // The Kronecker chain: per sample, m_l²·m_{l−1} exact products per layer; all four
            // shapes fit the time budget (784-32-10 is the slowest).
            if (o.kron) {
                ariths.push_back("exact-alg");
                ariths.push_back("kron");
            }
        } else {
            // #15's "exact fast path on W ≤ 30× the double path": the fast path on the large net
            // (not compared with exact-alg there: the rational algorithm would take hours).
            ariths.push_back("exact-fast");
            ariths.push_back("exact-fast-2t");
        }
        for (const auto& a : ariths) {
            progress(w.name + " x " + std::to_string(w.batch) + ": " + a);
            r.m[a] = measure(w, a, o);
            const auto& m = r.m[a];
            if (!m.ok) std::cerr << "  failed: " << m.error << "\n";
            std::string note;
            for (const auto& [k, v] : m.extra) note += (note.empty() ? "" : " ") + k + "=" + v;
            if (!m.ok) note = "FAILED: " + m.error;
            csv_row(w.large ? "large" : "relu", w, a, m.ok ? m.seconds : NAN, m.ok ? m.wall_seconds : NAN, m.reps,
                    m.iters, m.peak_kib, note);
        }
        progress(w.name + " x " + std::to_string(w.batch) + ": pytorch");
        torch_time(r, 1);
        csv_row(w.large ? "large" : "relu", w, "pytorch", r.torch_s, r.torch_wall, w.large ? 3 : o.reps, r.torch_iters,
                -1, "torch fwd+bwd, 1 thread (torch and OpenBLAS)");
        progress(w.name + " x " + std::to_string(w.batch) + ": pytorch, 2 threads");
        torch_time(r, 2);
        csv_row(w.large ? "large" : "relu", w, "pytorch-2t", NAN, r.torch2_wall, w.large ? 3 : o.reps, 0, -1,
                "torch fwd+bwd, 2 threads (torch and OpenBLAS), wall");
        rows.push_back(std::move(r));
    }
    if (!torch.ok() && torch_note.empty()) torch_note = torch.error();

    // ---- smooth rational nets: exact sizes against depth ----
    std::vector<row> smooth;
    if (o.smooth) {
        const int max_depth = o.quick ? 4 : 6;
        for (int depth = 1; depth <= max_depth; ++depth) {
            workload w{"", std::vector<Eigen::Index>(static_cast<std::size_t>(depth) + 1, 4), 4, wl_kind::softsign_q,
                       static_cast<std::uint64_t>(200 + depth)};
            w.name = "softsign " + w.widths_text();
            if (!o.only.empty() && w.name.find(o.only) == std::string::npos) continue;
            row r{w, {}, NAN, NAN, NAN, 0};
            for (const char* a : {"double", "exact", "real:256", "interval:256"}) {
                progress(w.name + " x " + std::to_string(w.batch) + ": " + a);
                r.m[a] = measure(w, a, o);
                const auto& m = r.m[a];
                std::string note;
                for (const auto& [k, v] : m.extra) note += (note.empty() ? "" : " ") + k + "=" + v;
                if (!m.ok) note = "FAILED: " + m.error;
                csv_row("smooth", w, a, m.ok ? m.seconds : NAN, m.ok ? m.wall_seconds : NAN, m.reps, m.iters,
                        m.peak_kib, note);
            }
            smooth.push_back(std::move(r));
        }
    }

    // ---- matbp exact check against torch.autograd.gradcheck, 16-16-16-4 x 8 ----
    workload gc{"16-16-16-4", {16, 16, 16, 4}, 8, wl_kind::relu_f64, 2};  // the seed of 16-16-16-4 x 8 above
    measurement check_m;
    double gradcheck_s = NAN, gradcheck_wall = NAN;
    std::string gradcheck_passed = "–";
    if (o.relu && (o.only.empty() || gc.name.find(o.only) != std::string::npos)) {
        progress("matbp check (exact) on 16-16-16-4 x 8");
        check_m = in_child(
            [&](measurement& m) { m.extra["pass"] = time_exact_check(m, make_data(gc, true), o) ? "yes" : "NO"; });
        csv_row("check", gc, "matbp-check-exact", check_m.ok ? check_m.seconds : NAN,
                check_m.ok ? check_m.wall_seconds : NAN, check_m.reps, check_m.iters, check_m.peak_kib,
                "compute_gradients(exact)+check_gradients");
        if (torch.ok()) {
            progress("torch.autograd.gradcheck on 16-16-16-4 x 8");
            const workload_data d = make_data(gc, false);
            std::string req = "{\"gradcheck\":true,\"widths\":" + json_array(gc.widths) + ",\"batch\":8,\"weights\":[";
            for (std::size_t l = 0; l < d.dnet.layers.size(); ++l)
                req += (l ? "," : "") + json_rows(d.dnet.layers[l].W, false);
            req += "],\"biases\":[";
            for (std::size_t l = 0; l < d.dnet.layers.size(); ++l)
                req += (l ? "," : "") + json_vector(d.dnet.layers[l].b);
            req += "],\"inputs\":" + json_rows(d.X, true) + ",\"targets\":" + json_rows(d.Y, true) +
                   ",\"eps\":1e-6,\"atol\":1e-5,\"min_time\":" + json_double(o.min_time) + ",\"reps\":3,\"threads\":1}";
            if (const auto v = torch.ask(req)) {
                gradcheck_s = number_of(*v, "seconds");
                gradcheck_wall = number_of(*v, "wall_seconds");
                const auto* p = v->find("passed");
                gradcheck_passed = p && p->boolean ? "yes" : "NO";
            }
            csv_row("check", gc, "torch-gradcheck", gradcheck_s, gradcheck_wall, 3, 0, -1,
                    "passed=" + gradcheck_passed);
        }
    }
    // ---- whole processes on W (issue #15) ----
    struct whole_pair {
        std::string from;  ///< "JSON" or "safetensors"
        process_result matbp, torch;
        std::string matbp_verdict;
    };
    std::vector<whole_pair> whole;
    std::string whole_note;
    if (o.whole) {
        char tmpl[] = "/tmp/matbp_bench_whole_XXXXXX";
        const char* dir = mkdtemp(tmpl);
        const std::string script = MATBP_BENCH_DIR "/whole_job.py";
        if (!dir) {
            whole_note = "mkdtemp failed";
        } else if (access(o.matbp.c_str(), X_OK) != 0) {
            whole_note = o.matbp + " not found (--matbp; build the target matbp_cli)";
        } else {
            const std::string D = dir;
            progress("whole: writing W (JSON and safetensors) and PyTorch's gradients with whole_job.py");
            const auto prep =
                run_process({o.python, script, "--prepare", D}, {}, D + "/prepare.out", D + "/prepare.err");
            if (!prep.ok || prep.exit_code != 0) {
                whole_note = "whole_job.py --prepare failed: " + first_line_of(D + "/prepare.err") + prep.error;
            } else {
                for (const std::string from : {"JSON", "safetensors"}) {
                    const std::string ext = from == "JSON" ? ".json" : ".safetensors";
                    whole_pair p;
                    p.from = from;
                    progress("whole: matbp check W" + ext + " --gradients W_torch" + ext);
                    p.matbp = run_process({o.matbp, "check", D + "/W" + ext, "--gradients", D + "/W_torch" + ext}, {},
                                          D + "/check" + ext + ".out", D + "/check" + ext + ".err");
                    p.matbp_verdict = p.matbp.exit_code == 0   ? "PASS"
                                      : p.matbp.exit_code == 1 ? "FAIL"
                                                               : "error (exit " + std::to_string(p.matbp.exit_code) +
                                                                     "): " + first_line_of(D + "/check" + ext + ".err");
                    progress("whole: PyTorch's whole job from " + from);
                    p.torch =
                        run_process({o.python, script, "--job", from == "JSON" ? "json" : "safetensors", D + "/W" + ext,
                                     D + "/job_out" + ext},
                                    {"WHOLE_JOB_THREADS=2"}, D + "/job" + ext + ".out", D + "/job" + ext + ".err");
                    if (p.torch.exit_code != 0)
                        p.torch.error = "exit " + std::to_string(p.torch.exit_code) + ": " +
                                        first_line_of(D + "/job" + ext + ".err");
                    csv_row("whole", workload{"W " + from, {1024, 1024, 1024, 10}, 256, wl_kind::relu_f64, 15},
                            "matbp-check", NAN, p.matbp.wall, 1, 1, p.matbp.peak_kib, "verdict=" + p.matbp_verdict);
                    csv_row("whole", workload{"W " + from, {1024, 1024, 1024, 10}, 256, wl_kind::relu_f64, 15},
                            "pytorch-job", NAN, p.torch.wall, 1, 1, p.torch.peak_kib,
                            p.torch.error.empty() ? "ok" : p.torch.error);
                    whole.push_back(p);
                }
            }
            for (const char* f : {"W.json", "W_torch.json", "W.safetensors", "W_torch.safetensors", "job_out.json",
                                  "job_out.safetensors", "prepare.out", "prepare.err", "check.json.out",
                                  "check.json.err", "check.safetensors.out", "check.safetensors.err", "job.json.out",
                                  "job.json.err", "job.safetensors.out", "job.safetensors.err"})
                std::remove((D + "/" + f).c_str());
            rmdir(dir);
        }
    }

    // ---- tightness of the rounding bound T2 (issue #13) ----
    std::vector<tightness_row> tight;
    std::string tight_note;
    if (o.tightness && !torch.ok()) tight_note = "needs PyTorch: " + torch.error();
    if (o.tightness && torch.ok()) {
        char tmpl[] = "/tmp/matbp_bench_tight_XXXXXX";
        const char* dir = mkdtemp(tmpl);
        std::vector<workload> tw;
        std::uint64_t tseed = 1;
        for (const auto& sh : shapes)
            for (Eigen::Index n : {1, 8, 32}) {
                workload w{"", sh, n, wl_kind::relu_f64, tseed++};
                w.name = w.widths_text();
                if (o.quick && n != 8) continue;
                tw.push_back(w);
            }
        if (!o.quick && o.tight_batch > 0)
            tw.push_back(workload{"1024-1024-1024-10", {1024, 1024, 1024, 10}, o.tight_batch, wl_kind::relu_f64, 300});
        for (const auto& w : tw) {
            if (!dir) break;
            if (!o.only.empty() && w.name.find(o.only) == std::string::npos) continue;
            const workload_data d = make_data(w, true);
            const std::string model = std::string(dir) + "/model.safetensors",
                              out = std::string(dir) + "/g.safetensors";
            {
                std::ofstream f(model, std::ios::binary);
                f << model_safetensors(d);
            }
            progress("tightness " + w.name + " x " + std::to_string(w.batch) + ": exact gradients");
            auto t0 = clk::now();
            const gradient_reference ref = compute_gradients(d.spec, parse_arith("exact"), bench_limits());
            const double exact_s = since(t0);
            for (const std::string prec : {"float64", "float32"}) {
                tightness_row t{w, prec, prec == "float64" ? 1e-9 : 1e-3, exact_s};
                try {
                    progress("tightness " + w.name + " x " + std::to_string(w.batch) + ": " + prec + " bound");
                    t0 = clk::now();
                    const tensor_bounds B = rounding_bounds(d.spec, *precision_by_name(prec));
                    t.bound_seconds = since(t0);
                    t.claimed = B.near_kinks.empty();
                    // The MPFI evaluation side by side, where it takes seconds rather than hours
                    // (about 60 s per 2 samples on the 1024-wide net: left out there).
                    if (w.widths[0] < 1024) {
                        t0 = clk::now();
                        const tensor_bounds M =
                            rounding_bounds(d.spec, *precision_by_name(prec), bound_evaluation::mpfi);
                        t.mpfi_seconds = since(t0);
                        double lo = INFINITY, hi = 0;
                        for (std::size_t l = 0; l < M.weights.size(); ++l)
                            for (int which = 0; which < 2; ++which) {
                                const exact_tensor& bm = which == 0 ? M.weights[l] : M.bias[l];
                                const exact_tensor& bf = which == 0 ? B.weights[l] : B.bias[l];
                                for (Eigen::Index i = 0; i < bm.size(); ++i)
                                    if (bm(i) > 0) {
                                        const double r = exact(bf(i) / bm(i)).convert_to<double>();
                                        lo = std::min(lo, r);
                                        hi = std::max(hi, r);
                                    }
                            }
                        t.fast_over_mpfi_lo = lo;
                        t.fast_over_mpfi_hi = hi;
                    }
                    if (!torch.ask("{\"gradients\":true,\"model\":\"" + model + "\",\"out\":\"" + out +
                                   "\",\"dtype\":\"" + prec + "\",\"threads\":1}"))
                        throw std::runtime_error("PyTorch's gradients request failed");
                    tightness_stats(t, ref, B, out);
                    if (!torch.ask("{\"gradients\":true,\"model\":\"" + model + "\",\"out\":\"" + out +
                                   "\",\"dtype\":\"" + prec + "\",\"threads\":1,\"rounding\":\"upward\"}"))
                        throw std::runtime_error("PyTorch's gradients request (rounding upward) failed");
                    tightness_row up = t;
                    up.entries = up.zero_g = up.outside = up.b_below = up.caught = 0;
                    tightness_stats(up, ref, B, out);
                    t.median_ratio_up = up.median_ratio;
                    t.worst_ratio_up = up.worst_ratio;
                    t.outside_up = up.outside;
                } catch (const std::exception& e) {
                    t.error = e.what();
                }
                csv_row("tightness", w, prec, t.bound_seconds, NAN, 1, 1, -1,
                        "median_ratio=" + fmt("%.3g", t.median_ratio) + " worst_ratio=" + fmt("%.3g", t.worst_ratio) +
                            " entries=" + std::to_string(t.entries) + " outside=" + std::to_string(t.outside) +
                            " median_ratio_up=" + fmt("%.3g", t.median_ratio_up) + " worst_ratio_up=" +
                            fmt("%.3g", t.worst_ratio_up) + " outside_up=" + std::to_string(t.outside_up) +
                            " b_below=" + std::to_string(t.b_below) + " caught=" + std::to_string(t.caught) +
                            " zero_g=" + std::to_string(t.zero_g) + " mpfi_s=" + fmt("%.3g", t.mpfi_seconds) +
                            " fast_over_mpfi=" + fmt("%.12g", t.fast_over_mpfi_lo) + ".." +
                            fmt("%.12g", t.fast_over_mpfi_hi) + (t.claimed ? "" : " near_kinks") +
                            (t.error.empty() ? "" : " error=" + t.error));
                tight.push_back(t);
            }
            std::remove(model.c_str());
            std::remove(out.c_str());
        }
        if (dir) rmdir(dir);
    }

    torch.stop();
    const double total_s = since(run_start);
    const std::string load_end = loadavg();

    // ---- the table ----
    std::cout
        << "Times: CPU time of the measuring process (the machine is shared; wall-clock medians are in the CSV), "
           "median per call of "
        << o.reps << " repetitions of ≥ " << o.min_time << " s each (a call slower than " << o.slow
        << " s: one call; fewer repetitions when one measurement would pass " << o.cap
        << " s). One thread everywhere (matbp's OpenBLAS set_blas_threads(1); PyTorch set_num_threads(1) and its "
           "OpenBLAS on 1 thread), except the columns marked 2 threads, compared by wall-clock time (matbp's "
           "OpenBLAS on 2 threads; PyTorch set_num_threads(2) and OpenBLAS on 2).\n"
        << "Ratios: the column's time ÷ the double path's time (matbp::backprop<double> with a workspace kept "
           "across calls), measured in this run; "
           "exact: compute_gradients(exact), the oracle (one thread: model and results as rationals); "
           "dyadic engine: dyadic_backprop (mlp<exact> in, rationals out); "
           "exact fast path: dyadic_network prepared once from the mlp<double>, gradients(X, Y) on the doubles, "
           "dyadic results (1 thread, CPU time; 2 threads: wall-clock time ÷ the double path's wall-clock time); "
           "kron ÷ the exact algorithm (backprop<exact>); PyTorch fwd+bwd time ÷ matbp double time (> 1: matbp "
           "faster), one thread each (CPU time) and two threads each (wall-clock time).\n"
        << "Peak RSS: the forked child that built the workload and ran the exact oracle (baseline of an empty child: "
        << mib(empty.peak_kib) << " MiB).\n";
    if (!torch_note.empty()) std::cout << "PyTorch columns skipped: " << torch_note << "\n";
    std::cout
        << "\n| workload | P | batch | double µs | double 2 threads µs (wall) | double without workspace µs | "
           "oracle double ×double | exact "
           "×double | real:256 ×double | interval:256 ×double | dyadic engine ×double | exact fast path ×double | "
           "fast path 2 threads ×double (wall) | kron ×alg | PyTorch ÷ matbp-double, 1 thread | PyTorch ÷ "
           "matbp-double, 2 threads (wall) | peak RSS exact MiB |\n"
        << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    auto print_row = [&](const row& r) {
        const double d = secs(r, "double");
        const auto ex = r.m.find("exact");
        std::cout << "| " << r.w.name << " | " << r.w.params() << " | " << r.w.batch << " | " << fmt("%.1f", d * 1e6)
                  << " | " << fmt("%.1f", wall_secs(r, "double-2t") * 1e6) << " | "
                  << fmt("%.1f", secs(r, "double-fresh") * 1e6) << " | " << ratio_text(secs(r, "oracle-double"), d)
                  << " | " << ratio_text(secs(r, "exact"), d) << " | " << ratio_text(secs(r, "real:256"), d) << " | "
                  << ratio_text(secs(r, "interval:256"), d) << " | " << ratio_text(secs(r, "exact-dyadic"), d) << " | "
                  << ratio_text(secs(r, "exact-fast"), d) << " | "
                  << ratio_text(wall_secs(r, "exact-fast-2t"), wall_secs(r, "double")) << " | "
                  << ratio_text(secs(r, "kron"), secs(r, "exact-alg")) << " | " << ratio_text(r.torch_s, d) << " | "
                  << ratio_text(r.torch2_wall, wall_secs(r, "double-2t")) << " | "
                  << (ex == r.m.end() ? "–" : mib(ex->second.peak_kib)) << " |\n";
    };
    for (const auto& r : rows) print_row(r);
    for (const auto& r : smooth) print_row(r);

    // Checks made along the way.
    std::string problems;
    for (const auto* set : {&rows, &smooth})
        for (const auto& r : *set)
            for (const auto& [a, m] : r.m) {
                if (!m.ok)
                    problems += "  " + r.w.name + " x " + std::to_string(r.w.batch) + " " + a + ": " + m.error + "\n";
                for (const auto& [k, v] : m.extra)
                    if (v == "NO")
                        problems +=
                            "  " + r.w.name + " x " + std::to_string(r.w.batch) + " " + a + ": " + k + " = NO\n";
            }
    std::cout << "\nCross-checks in this run: the double path's gradients pass `check_gradients` against the exact "
                 "oracle, and the Kronecker chain and the exact fast path (1 and 2 threads) equal backprop<exact> "
                 "exactly, on every workload where they ran: "
              << (problems.empty() ? "all hold.\n" : "PROBLEMS:\n" + problems);

    if (!smooth.empty()) {
        std::cout
            << "\nSmooth rational nets (softsign on every layer, width 4, batch 4, parameters p/q with |p| ≤ 24, "
               "q ≤ 12): the largest bit length of a numerator and of a denominator among the exact gradients.\n\n"
            << "| depth | P | exact µs | exact ×double | numerator bits | denominator bits | peak RSS exact MiB |\n"
            << "|---:|---:|---:|---:|---:|---:|---:|\n";
        for (const auto& r : smooth) {
            const auto& ex = r.m.at("exact");
            auto get = [&](const char* k) {
                const auto it = ex.extra.find(k);
                return it == ex.extra.end() ? std::string("–") : it->second;
            };
            std::cout << "| " << r.w.widths.size() - 1 << " | " << r.w.params() << " | "
                      << fmt("%.1f", secs(r, "exact") * 1e6) << " | " << ratio_text(secs(r, "exact"), secs(r, "double"))
                      << " | " << get("num_bits") << " | " << get("den_bits") << " | " << mib(ex.peak_kib) << " |\n";
        }
    }

    // Large workload: GEMM rates.
    const row* large = nullptr;
    for (const auto& r : rows)
        if (r.w.large) large = &r;
    double large_gflops = NAN, torch_gflops = NAN;
    if (large) {
        double flops = 0;
        const auto& wd = large->w.widths;
        for (std::size_t l = 1; l < wd.size(); ++l) {
            const double mn = 2.0 * static_cast<double>(wd[l] * wd[l - 1] * large->w.batch);
            flops += mn * (l == 1 ? 2 : 3);  // forward, ∇W, and Δ passed back (not below layer 1)
        }
        large_gflops = flops / secs(*large, "double") / 1e9;
        torch_gflops = flops / large->torch_s / 1e9;
    }
    std::cout << "\nDouble GEMM 1024×1024 by 1024×256, one thread, in this run: OpenBLAS through matbp::mul "
              << fmt("%.2f", gemm_gflops) << " GFLOP/s; Eigen's own kernels " << fmt("%.2f", eigen_gflops)
              << " GFLOP/s";
    if (large)
        std::cout << "; the double path on 1024-1024-1024-10 × 256: " << fmt("%.2f", large_gflops) << " GFLOP/s ("
                  << fmt("%.0f", 100 * large_gflops / gemm_gflops)
                  << "% of the OpenBLAS GEMM rate); PyTorch: " << fmt("%.2f", torch_gflops) << " GFLOP/s";
    std::cout << ".\n";
    if (check_m.ok)
        std::cout
            << "\n`compute_gradients(exact)` + `check_gradients` on 16-16-16-4 × 8 (the double path's gradients as the "
               "reported ones): "
            << fmt("%.1f", check_m.seconds * 1e3) << " ms, verdict "
            << (check_m.extra["pass"] == "yes" ? "PASS" : "FAIL")
            << "; torch.autograd.gradcheck (eps 1e-6, atol 1e-5, the loss as a function of all 608 parameters, same "
               "parameters, batch and targets): "
            << fmt("%.1f", gradcheck_s * 1e3) << " ms, passed " << gradcheck_passed << ".\n";

    // ---- targets ----
    std::cout << "\n## Targets\n\n| target | measured | verdict |\n|---|---|---|\n";
    auto verdict = [](bool measured, bool met) { return !measured ? "NOT RUN" : met ? "MET" : "MISSED"; };
    {
        double worst = NAN, worst_two = NAN, worst_oracle = NAN, worst_engine = NAN, worst_oracle_double = NAN;
        std::string where;
        auto worse = [](double& w, double x) {
            if (std::isfinite(x) && !(x <= w)) w = x;
        };
        for (const auto& r : rows)
            if (!r.w.large && r.w.params() >= 10000) {
                const double x = secs(r, "exact-fast") / secs(r, "double");
                if (std::isfinite(x) && !(x <= worst)) worst = x, where = r.w.name + " × " + std::to_string(r.w.batch);
                worse(worst_two, wall_secs(r, "exact-fast-2t") / wall_secs(r, "double"));
                worse(worst_oracle, secs(r, "exact") / secs(r, "double"));
                worse(worst_engine, secs(r, "exact-dyadic") / secs(r, "double"));
                worse(worst_oracle_double, secs(r, "oracle-double") / secs(r, "double"));
            }
        std::cout << "| exact ≤ 100× the double path, float64-valued ReLU nets with P ≥ 10k (library: dyadic_network, "
                     "one thread, CPU time) | worst "
                  << fmt("%.1f×", worst) << (where.empty() ? "" : " (" + where + ")") << "; two threads (wall-clock) "
                  << fmt("%.1f×", worst_two) << ". Through the oracle (compute_gradients(exact): the model as "
                  << "rationals, the results kept dyadic): " << fmt("%.1f×", worst_oracle)
                  << "; dyadic_backprop (rationals in and out) " << fmt("%.1f×", worst_engine)
                  << "; compute_gradients(double) " << fmt("%.1f×", worst_oracle_double) << " | "
                  << verdict(std::isfinite(worst), worst <= 100) << " |\n";
    }
    {
        // Issue #15: the exact fast path on the large net (W's shape) against the double path.
        for (const auto& r : rows)
            if (r.w.large) {
                const double one = secs(r, "exact-fast") / secs(r, "double");
                const double two = wall_secs(r, "exact-fast-2t") / wall_secs(r, "double-2t");
                std::cout << "| exact fast path ≤ 30× the double path on " << r.w.name << " × " << r.w.batch
                          << " (dyadic_network, one thread each, CPU time) | " << fmt("%.1f×", one) << " ("
                          << fmt("%.3f", secs(r, "exact-fast")) << " vs " << fmt("%.3f", secs(r, "double"))
                          << " s); two threads each (wall-clock) " << fmt("%.1f×", two) << " ("
                          << fmt("%.3f", wall_secs(r, "exact-fast-2t")) << " vs "
                          << fmt("%.3f", wall_secs(r, "double-2t")) << " s) | "
                          << verdict(std::isfinite(one), one <= 30) << " |\n";
            }
    }
    {
        // Issue #15 item 3: the oracle on the fast path end to end, side by side in this run.
        std::string figures, check_figures;
        double worst = NAN;
        for (const auto& r : rows)
            if (r.w.name == "784-32-10") {
                const double x = secs(r, "exact") / secs(r, "exact-fast");
                if (std::isfinite(x) && !(x <= worst)) worst = x;
                figures += (figures.empty() ? "" : ", ") + std::string("batch ") + std::to_string(r.w.batch) + " " +
                           fmt("%.2f×", x) + " (" + fmt("%.0f", secs(r, "exact") * 1e6) + " vs " +
                           fmt("%.0f", secs(r, "exact-fast") * 1e6) + " µs)";
                check_figures += (check_figures.empty() ? "" : ", ") + std::to_string(r.w.batch) + ": " +
                                 fmt("%.2f×", secs(r, "exact-check") / secs(r, "exact-fast"));
            }
        std::cout
            << "| the oracle through compute_gradients(exact) ≤ 1.5× the exact fast path alone (dyadic_network "
               "prepared once from the mlp<double>), 784-32-10 at batch 1, 8 and 32 (one thread each, CPU time) | "
            << (figures.empty() ? "–" : figures)
            << "; with check_gradients of the double path's gradients (compute + check ÷ fast path): "
            << (check_figures.empty() ? "–" : check_figures) << " | " << verdict(std::isfinite(worst), worst <= 1.5)
            << " |\n";
    }
    {
        double worst = NAN, worst2 = NAN;
        std::string where, where2;
        for (const auto& r : rows) {
            const double x = r.torch_s / secs(r, "double");
            if (std::isfinite(x) && !(x >= worst)) worst = x, where = r.w.name + " × " + std::to_string(r.w.batch);
            const double x2 = r.torch2_wall / wall_secs(r, "double-2t");
            if (std::isfinite(x2) && !(x2 >= worst2))
                worst2 = x2, where2 = r.w.name + " × " + std::to_string(r.w.batch);
        }
        std::cout << "| double path ≥ 1× PyTorch on OpenBLAS on every workload, one thread each (PyTorch time ÷ matbp "
                     "time, CPU) | worst "
                  << fmt("%.2f×", worst) << (where.empty() ? "" : " (" + where + ")") << " | "
                  << verdict(std::isfinite(worst), worst >= 1) << " |\n";
        std::cout << "| the same, two threads each (wall-clock) | worst " << fmt("%.2f×", worst2)
                  << (where2.empty() ? "" : " (" + where2 + ")") << " | " << verdict(std::isfinite(worst2), worst2 >= 1)
                  << " |\n";
        double worst3 = NAN;
        std::string where3;
        for (const auto& r : rows) {
            const double x = r.torch_s / secs(r, "double-fresh");
            if (std::isfinite(x) && !(x >= worst3)) worst3 = x, where3 = r.w.name + " × " + std::to_string(r.w.batch);
        }
        std::cout << "| (diagnostic, not the target) the same, one thread, backprop(net, X, Y) without a "
                     "workspace (every matrix allocated on every call) | worst "
                  << fmt("%.2f×", worst3) << (where3.empty() ? "" : " (" + where3 + ")") << " | "
                  << (std::isfinite(worst3) ? (worst3 >= 1 ? "would be MET" : "would be MISSED") : "NOT RUN") << " |\n";
    }
    std::cout << "| large workload ≥ 70% of the GEMM rate (OpenBLAS, one thread) | "
              << (large ? fmt("%.2f", large_gflops) + " of " + fmt("%.2f", gemm_gflops) +
                              " GFLOP/s = " + fmt("%.0f%%", 100 * large_gflops / gemm_gflops)
                        : std::string("–"))
              << " | " << verdict(large && std::isfinite(large_gflops), large_gflops >= 0.7 * gemm_gflops) << " |\n";
    {
        const double x = gradcheck_s / check_m.seconds;
        std::cout << "| exact check ≥ 10× faster than gradcheck, 16-16-16-4 × 8 | " << fmt("%.1f×", x) << " ("
                  << fmt("%.1f", check_m.seconds * 1e3) << " ms vs " << fmt("%.1f", gradcheck_s * 1e3) << " ms) | "
                  << verdict(std::isfinite(x), x >= 10) << " |\n";
    }
    {
        long worst = -1;
        std::string where;
        for (const auto& r : rows)
            for (const auto& [a, m] : r.m)
                if (m.peak_kib > worst)
                    worst = m.peak_kib, where = r.w.name + " × " + std::to_string(r.w.batch) + " " + a;
        std::cout << "| peak RSS per workload (reported, every arithmetic in the CSV) | largest " << mib(worst)
                  << " MiB (" << where << ") | " << (worst >= 0 ? "REPORTED" : "NOT RUN") << " |\n";
    }
    {
        long kib = -1;
        for (const auto& r : rows)
            if (r.w.name == "784-32-10" && r.w.batch == 32)
                if (const auto it = r.m.find("exact"); it != r.m.end() && it->second.ok) kib = it->second.peak_kib;
        std::cout << "| exact on 784-32-10 × 32 under 1 GiB | " << mib(kib) << " MiB | "
                  << verdict(kib >= 0, kib >= 0 && kib < 1024 * 1024) << " |\n";
    }
    if (o.whole) {
        const whole_pair* js = nullptr;
        const whole_pair* st = nullptr;
        for (const auto& p : whole) (p.from == "JSON" ? js : st) = &p;
        const bool js_ok = js && js->matbp.ok && js->torch.ok && js->torch.error.empty();
        const double r = js_ok ? js->matbp.wall / js->torch.wall : NAN;
        std::cout << "| whole `matbp check` on W from JSON ≤ 1× PyTorch's whole job from the same JSON (wall) | "
                  << (js_ok ? fmt("%.2f", js->matbp.wall) + " s vs " + fmt("%.2f", js->torch.wall) +
                                  " s = " + fmt("%.2f×", r)
                            : std::string("–"))
                  << " | " << verdict(js_ok, r <= 1) << " |\n";
        const bool st_ok = st && st->matbp.ok;
        std::cout << "| whole `matbp check` on W from safetensors ≤ 2 s (wall) | "
                  << (st_ok ? fmt("%.2f", st->matbp.wall) + " s (PyTorch's job " + fmt("%.2f", st->torch.wall) + " s)"
                            : std::string("–"))
                  << " | " << verdict(st_ok, st_ok && st->matbp.wall <= 2) << " |\n";
        long peak = -1;
        for (const auto& p : whole) peak = std::max(peak, p.matbp.peak_kib);
        std::cout << "| whole `matbp check` on W: peak RSS ≤ 400 MiB | largest " << mib(peak) << " MiB | "
                  << verdict(peak >= 0, peak >= 0 && peak <= 400 * 1024) << " |\n";
    }
    if (o.tightness) {
        for (const std::string prec : {"float64", "float32"}) {
            long caught = 0, nonzero = 0, outside = 0;
            bool wide = false;
            for (const auto& t : tight)
                if (t.precision == prec && t.w.widths[0] == 1024 && t.error.empty()) {
                    wide = true;
                    caught += t.caught;
                    nonzero += t.entries - t.zero_g;
                    outside += t.outside;
                }
            std::cout << "| T2 catches any single-entry error of relative size "
                      << (prec == "float64" ? "1e-9" : "1e-3") << " in " << prec
                      << " on 1024-wide layers (B + |ĝ − g| < rel·|g| for every entry with g ≠ 0) | " << caught
                      << " of " << nonzero << " entries ("
                      << fmt("%.4g%%",
                             nonzero ? 100.0 * static_cast<double>(caught) / static_cast<double>(nonzero) : NAN)
                      << "); PyTorch's entries outside B: " << outside << " | "
                      << verdict(wide, wide && caught == nonzero && outside == 0) << " |\n";
        }
    }
    if (o.whole) {
        std::cout << "\n## Whole processes on W (1024-1024-1024-10, float64, batch 256, mse mean; one run each)\n\n";
        if (!whole_note.empty()) std::cout << "Not run: " << whole_note << "\n";
        std::cout << "matbp: `" << o.matbp
                  << " check W --gradients W_torch` (exact reference, the whole verdict; threads: its default, every "
                     "core). PyTorch: tests/bench/whole_job.py --job (python start, import torch, read, build tensors, "
                     "forward, backward, write its gradients; torch and OpenBLAS on 2 threads). Wall-clock time and "
                     "peak RSS of each process (wait4).\n\n"
                  << "| from | matbp check s | matbp peak MiB | matbp verdict | PyTorch job s | PyTorch peak MiB | "
                     "matbp ÷ PyTorch (time) |\n|---|---:|---:|---|---:|---:|---:|\n";
        for (const auto& p : whole)
            std::cout << "| " << p.from << " | " << fmt("%.2f", p.matbp.wall) << " | " << mib(p.matbp.peak_kib) << " | "
                      << p.matbp_verdict << " | " << fmt("%.2f", p.torch.wall) << " | " << mib(p.torch.peak_kib)
                      << (p.torch.error.empty() ? "" : " (" + p.torch.error + ")") << " | "
                      << ratio_text(p.matbp.wall, p.torch.wall) << " |\n";
    }
    if (o.tightness) {
        std::cout << "\n## Tightness of the rounding bound T2 against PyTorch\n\n";
        if (!tight_note.empty()) std::cout << "Not run: " << tight_note << "\n";
        std::cout
            << "Per workload and precision: B = rounding_bounds(model, precision) (per entry; L12's float64 "
               "evaluation on OpenBLAS with its default threads; MPFI s: the same bound by 128-bit MPFI, "
               "bound_evaluation::mpfi, in the same run, and fast ÷ MPFI the least and greatest B_fast/B_MPFI "
               "over entries with B_MPFI > 0), g the "
               "exact gradients, ĝ PyTorch's (float32: every tensor rounded once to float32, all arithmetic in "
               "float32). ratio = |ĝ − g| / B over every entry (median and worst); outside = entries with "
               "|ĝ − g| > B (a failure of the bound); B < rel·|g|: entries where the bound is below a relative "
               "error rel (1e-9 float64, 1e-3 float32); caught: entries where B + |ĝ − g| < rel·|g|, so PyTorch's "
               "entry moved by rel·|g| either way leaves g ± B for sure; both over entries with g ≠ 0. The last "
               "three columns: the same PyTorch evaluation with every operation rounded upward (fesetround, one "
               "thread), against the same B; rounding upward has |δ| < 2u, so it obeys D17 only at 2u, and "
               "'outside, upward' is not a failure of the bound.\n\n"
            << "| workload | batch | precision | bound s | MPFI s | fast ÷ MPFI | exact s | entries | g = 0 | median "
               "ratio | worst ratio | outside | B < rel·|g| | caught | median ratio, upward | worst ratio, upward | "
               "outside, upward |\n"
               "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for (const auto& t : tight) {
            const double nz = static_cast<double>(t.entries - t.zero_g);
            auto pct = [&](long x) { return nz > 0 ? fmt("%.4g%%", 100.0 * static_cast<double>(x) / nz) : "–"; };
            std::cout << "| " << t.w.name << " | " << t.w.batch << " | " << t.precision << " | "
                      << fmt("%.3g", t.bound_seconds) << " | "
                      << (std::isnan(t.mpfi_seconds) ? std::string("not run") : fmt("%.3g", t.mpfi_seconds)) << " | "
                      << (std::isnan(t.fast_over_mpfi_lo)
                              ? std::string("–")
                              : fmt("%.12g", t.fast_over_mpfi_lo) + "–" + fmt("%.12g", t.fast_over_mpfi_hi))
                      << " | " << fmt("%.3g", t.exact_seconds) << " | " << t.entries << " | " << t.zero_g << " | "
                      << fmt("%.3g", t.median_ratio) << " | " << fmt("%.3g", t.worst_ratio) << " | " << t.outside
                      << " | " << pct(t.b_below) << " | " << pct(t.caught)
                      << (t.claimed ? "" : " (near kinks: not claimed)") << (t.error.empty() ? "" : " ERROR " + t.error)
                      << " | " << fmt("%.3g", t.median_ratio_up) << " | " << fmt("%.3g", t.worst_ratio_up) << " | "
                      << t.outside_up << " |\n";
        }
    }
    std::cout << "\nRun took " << fmt("%.0f", total_s) << " s; load average at start " << load_start << ", at end "
              << load_end << ".\n";
    if (csv) {
        csv_row("meta", workload{"blas-gemm-1024x1024x256", {1024, 1024}, 256, wl_kind::relu_f64, 0}, "blas-gemm",
                gemm.seconds, gemm.wall_seconds, gemm.reps, gemm.iters, gemm.peak_kib,
                fmt("%.3f GFLOP/s", gemm_gflops));
        csv_row("meta", workload{"eigen-gemm-1024x1024x256", {1024, 1024}, 256, wl_kind::relu_f64, 0}, "eigen-gemm",
                eigen_gemm.seconds, eigen_gemm.wall_seconds, eigen_gemm.reps, eigen_gemm.iters, eigen_gemm.peak_kib,
                fmt("%.3f GFLOP/s", eigen_gflops));
    }
    return 0;
}
