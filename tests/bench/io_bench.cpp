// io_bench — how fast matbp reads a matbp/1 model and a gradients file and writes gradients
// (issue 15, item 1), with the peak memory of each, on the workload W of tests/bench/IO.md
// (ReLU MLP 1024-1024-1024-10, float64, batch 256, mse mean).
//
//   io_bench [--quick] [--keep DIR] [MODEL.json GRADIENTS.json]
//
// Without files it writes W itself (random doubles in their shortest round-trip form, as
// Python's json.dump writes PyTorch's float64 values) into a temporary directory (--keep DIR
// writes there and keeps them); --quick uses 256-256-256-10 × 64 instead. Each measurement runs
// in a child process of its own (fork), so its peak resident set (wait4's ru_maxrss) is that
// step's alone: reading the model (read_model_file), reading the gradients (read_gradients_file),
// and the phases of the model read (the file's bytes, json::parse, the conversion to
// model_spec). Writing: the gradients through json::writer as matbp grad writes them, doubles
// (--values double) and exact "p/q" strings (the default). Each time is the CPU time of the
// child in that step (the machine may be shared), the best of 3 runs.
// Targets, printed MET/MISSED: reader ≥ 150 MB/s on the model; its peak RSS ≤ 3× the file.
// A benchmark, not a test: it never fails on a missed target (exit 0), only on a read error.

#include "matbp/convert.hpp"
#include "matbp/json.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/model.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

struct figure {
    double seconds = 0;
    double peak_mib = 0;  ///< ru_maxrss of the child
    bool ok = false;
};

/// Runs `work` in a child; the child reports the seconds `work` measured through a pipe.
figure in_child(const std::function<double()>& work) {
    int fd[2];
    if (pipe(fd) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        double s = -1;
        try {
            s = work();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "io_bench: %s\n", e.what());
        }
        [[maybe_unused]] auto n = write(fd[1], &s, sizeof s);
        _exit(s < 0 ? 1 : 0);
    }
    close(fd[1]);
    double s = -1;
    [[maybe_unused]] auto n = read(fd[0], &s, sizeof s);
    close(fd[0]);
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    figure f;
    f.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && s >= 0;
    f.seconds = s;
    f.peak_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
    return f;
}

figure best_of(int reps, const std::function<double()>& work) {
    figure best;
    for (int r = 0; r < reps; ++r) {
        const figure f = in_child(work);
        if (!f.ok) return f;
        if (!best.ok || f.seconds < best.seconds) best.seconds = f.seconds;
        best.peak_mib = std::max(best.peak_mib, f.peak_mib);
        best.ok = true;
    }
    return best;
}

/// CPU seconds of this process spent in f (the machine may be shared: wall time would count
/// other processes' turns).
template <class F>
double timed(F&& f) {
    timespec t0{}, t1{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    f();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    return static_cast<double>(t1.tv_sec - t0.tv_sec) + 1e-9 * static_cast<double>(t1.tv_nsec - t0.tv_nsec);
}

std::string shortest(double d) {
    char buf[32];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
}

void rows(std::string& s, std::mt19937_64& g, std::size_t r, std::size_t c, double scale) {
    std::normal_distribution<double> N(0, 1);
    s += '[';
    for (std::size_t i = 0; i < r; ++i) {
        s += i ? ", [" : "[";
        for (std::size_t j = 0; j < c; ++j) s += (j ? ", " : "") + shortest(N(g) * scale);
        s += ']';
    }
    s += ']';
}

void vec(std::string& s, std::mt19937_64& g, std::size_t n, double scale) {
    std::normal_distribution<double> N(0, 1);
    s += '[';
    for (std::size_t i = 0; i < n; ++i) s += (i ? ", " : "") + shortest(N(g) * scale);
    s += ']';
}

/// W (or the --quick shape) as Python's json.dump writes it: a model and PyTorch-like gradients.
void write_workload(const std::string& model, const std::string& grads, bool quick) {
    const std::vector<std::size_t> w =
        quick ? std::vector<std::size_t>{256, 256, 256, 10} : std::vector<std::size_t>{1024, 1024, 1024, 10};
    const std::size_t n = quick ? 64 : 256;
    std::mt19937_64 g(15);
    std::string m = "{\"format\": \"matbp/1\", \"layers\": [";
    std::string d = "{\"layers\": [";
    for (std::size_t l = 0; l + 1 < w.size(); ++l) {
        const double scale = 1 / std::sqrt(static_cast<double>(w[l]));
        m += l ? ", {\"weights\": " : "{\"weights\": ";
        rows(m, g, w[l + 1], w[l], scale);
        m += ", \"bias\": ";
        vec(m, g, w[l + 1], scale);
        m += l + 2 < w.size() ? ", \"activation\": \"relu\"}" : ", \"activation\": \"identity\"}";
        d += l ? ", {\"weights\": " : "{\"weights\": ";
        rows(d, g, w[l + 1], w[l], 1e-3);
        d += ", \"bias\": ";
        vec(d, g, w[l + 1], 1e-3);
        d += "}";
    }
    m += "], \"loss\": \"mse\", \"reduction\": \"mean\", \"inputs\": ";
    rows(m, g, n, w.front(), 1);
    m += ", \"targets\": ";
    rows(m, g, n, w.back(), 1);
    m += "}";
    d += "]}";
    std::ofstream(model, std::ios::binary) << m;
    std::ofstream(grads, std::ios::binary) << d;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using grads_t = matbp::reported_gradients;
using grads_double = std::vector<std::pair<matbp::matrix<double>, matbp::matrix<double>>>;

/// The gradients as matbp grad writes them (oracle_json.cpp's write_tensor: rows one per line,
/// each row on one line): doubles through json::writer::number, or exact values through
/// to_string (convert.hpp) and json::writer::string.
template <class G>
std::string write_gradients(const G& g) {
    matbp::json::writer w;
    w.begin_object().key("format").string("matbp-gradients/1").key("layers").begin_array(matbp::json::layout::block);
    const auto value = [&](const auto& q) {
        if constexpr (std::is_same_v<std::decay_t<decltype(q)>, double>)
            w.number(q);
        else
            w.string(matbp::to_string(q));
    };
    for (const auto& [W, b] : g) {
        w.begin_object().key("weights").begin_array(matbp::json::layout::block);
        for (Eigen::Index i = 0; i < W.rows(); ++i) {
            w.begin_array(matbp::json::layout::line);
            for (Eigen::Index j = 0; j < W.cols(); ++j) value(W(i, j));
            w.end_array();
        }
        w.end_array().key("bias").begin_array(matbp::json::layout::line);
        for (Eigen::Index i = 0; i < b.rows(); ++i) value(b(i, 0));
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return w.str();
}

const char* verdict(bool met) { return met ? "MET" : "MISSED"; }

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string keep;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick")
            quick = true;
        else if (a == "--keep" && i + 1 < argc)
            keep = argv[++i];
        else if (a == "--help" || a == "-h")
            return std::cout << "usage: io_bench [--quick] [--keep DIR] [MODEL.json GRADIENTS.json]\n", 0;
        else
            files.push_back(a);
    }
    if (!files.empty() && files.size() != 2) {
        std::cerr << "io_bench: give both MODEL.json and GRADIENTS.json, or neither\n";
        return 2;
    }
    std::string dir;
    if (files.empty()) {
        dir = keep.empty()
                  ? (std::filesystem::temp_directory_path() / ("matbp_io_bench." + std::to_string(getpid()))).string()
                  : keep;
        std::filesystem::create_directories(dir);
        files = {dir + "/W.json", dir + "/W.gradients.json"};
        std::cout << "writing the workload " << (quick ? "256-256-256-10 x 64" : "W = 1024-1024-1024-10 x 256")
                  << " to " << dir << "\n";
        write_workload(files[0], files[1], quick);
    }
    const std::string& model_file = files[0];
    const std::string& grad_file = files[1];
    const double model_mb = static_cast<double>(std::filesystem::file_size(model_file)) / 1e6;
    const double grad_mb = static_cast<double>(std::filesystem::file_size(grad_file)) / 1e6;
    matbp::model_limits lim;
    lim.syntax.max_bytes = std::size_t{1} << 30;
    const int reps = 3;

    std::printf("model %s: %.1f MB; gradients %s: %.1f MB\n", model_file.c_str(), model_mb, grad_file.c_str(), grad_mb);
    std::printf("%-44s %10s %10s %12s\n", "step (best of 3, own process each)", "CPU s", "MB/s", "peak RSS MiB");
    const auto row = [&](const char* what, const figure& f, double mb) {
        if (!f.ok) {
            std::printf("%-44s failed\n", what);
            return;
        }
        std::printf("%-44s %10.3f %10.1f %12.1f\n", what, f.seconds, mb / f.seconds, f.peak_mib);
    };

    const figure baseline = best_of(1, [] { return 0.0; });
    row("(an empty child: the process's own RSS)", baseline, 0);
    const figure bytes = best_of(reps, [&] {
        std::string text;
        return timed([&] { text = slurp(model_file); });
    });
    row("model: the file's bytes (ifstream)", bytes, model_mb);
    const figure parse = best_of(reps, [&] {
        const std::string text = slurp(model_file);
        matbp::json::value v;  // destroyed after the timer: reading ends with the value
        return timed([&] { v = matbp::json::parse(text, lim.syntax, matbp::json::numbers::compact); });
    });
    row("model: json::parse, numbers::compact (in memory)", parse, model_mb);
    const figure convert = best_of(reps, [&] {
        const std::string text = slurp(model_file);
        matbp::model_spec m;
        return timed([&] { m = matbp::read_model(text, lim); });
    });
    row("model: read_model (parse + convert, in memory)", convert, model_mb);
    const figure model = best_of(reps, [&] {
        matbp::model_spec m;
        return timed([&] { m = matbp::read_model_file(model_file, lim); });
    });
    row("model: read_model_file (whole reader)", model, model_mb);
    const figure grads = best_of(reps, [&] {
        const matbp::model_spec m = matbp::read_model_file(model_file, lim);
        grads_t g;
        return timed([&] { g = matbp::read_gradients_file(grad_file, m, lim); });
    });
    row("gradients: read_gradients_file", grads, grad_mb);
    // Writing: the written size is the output's, so MB/s counts the bytes written.
    // The peak RSS of these rows includes the gradients held in memory before writing.
    const auto writing = [&](const auto& g) {
        const double out_mb = static_cast<double>(write_gradients(g).size()) / 1e6;
        return std::pair{best_of(reps,
                                 [&] {
                                     std::string out;
                                     return timed([&] { out = write_gradients(g); });
                                 }),
                         out_mb};
    };
    {
        const matbp::model_spec m = matbp::read_model_file(model_file, lim);
        const grads_t g = matbp::read_gradients_file(grad_file, m, lim);
        grads_double gd;
        for (const auto& [W, b] : g)
            gd.emplace_back(W.rational().unaryExpr([](const matbp::exact& q) { return static_cast<double>(q); }),
                            b.rational().unaryExpr([](const matbp::exact& q) { return static_cast<double>(q); }));
        const auto [wd, out_double] = writing(gd);
        row("write gradients, doubles (writer::number)", wd, out_double);
        const auto [we, out_exact] = writing(g);
        row("write gradients, exact p/q (to_string+string)", we, out_exact);
    }

    if (model.ok) {
        const double speed = model_mb / model.seconds;
        const double ratio = model.peak_mib * 1048576.0 / 1e6 / model_mb;
        std::printf("\ntarget reader >= 150 MB/s on the model: %.1f MB/s  %s\n", speed, verdict(speed >= 150));
        std::printf("target reader peak RSS <= 3x the file: %.1f MiB = %.2fx the file  %s\n", model.peak_mib, ratio,
                    verdict(ratio <= 3));
    }
    if (!dir.empty() && keep.empty()) std::filesystem::remove_all(dir);
    return model.ok && grads.ok ? 0 : 1;
}
