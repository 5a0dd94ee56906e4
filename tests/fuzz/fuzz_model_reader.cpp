// tests/fuzz/fuzz_model_reader.cpp — libFuzzer target on the matbp/1 model reader (model.hpp),
// the strict JSON reader under it (json.hpp) and the safetensors reader (safetensors.hpp): the
// bytes go to read_model_bytes and read_gradients_bytes, which read a safetensors file when the
// bytes look like one (seeds: tests/fuzz/corpus/*.safetensors) and JSON otherwise.
//
// For every input:
//   0. json::parse in numbers::as_values and in numbers::compact (the model reader's mode) give
//      the same outcome: the same error message, path, line and column, or equal trees once a
//      compact array's tokens are made values (json::number_values).
//   1. read_model_bytes(bytes) either returns a model or throws input_error (or resource_error, past
//      a size limit such as max_parameters: error.hpp). Any other exception
//      escapes and is reported by libFuzzer as a crash (uncaught exception → abort).
//   2. When it returns a model m: write_model(m) must not throw, and
//      read_model(write_model(m)) must succeed and equal m (the round trip model.hpp promises).
//      A failure aborts with both texts' first bytes on stderr.
//   3. read_gradients_bytes(bytes, shapes) either returns gradients shaped as `shapes` or throws
//      input_error (or resource_error); shapes is m when step 1 succeeded, else a fixed 3 → 2 → 1 network, so that
//      gradient-shaped inputs reach the gradient reader's shape checks.
// Sanitizers (address, undefined, leaks) report everything else.
//
// Build: cmake -DMATBP_FUZZ=ON with clang (see .ci/fuzz); run: build-fuzz/fuzz_model_reader CORPUS…
#include "matbp/json.hpp"
#include "matbp/model.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_model_reader: %s\n%.2000s\n", what, detail.c_str());
    std::abort();
}

/// Shapes for read_gradients when the input is not a model: layers 2×3 and 1×2.
const matbp::model_spec& fixed_shapes() {
    static const matbp::model_spec m = matbp::read_model(R"({
      "format": "matbp/1",
      "layers": [
        {"weights": [[1, 2, 3], [4, 5, 6]], "bias": [0, 0], "activation": "relu"},
        {"weights": [[1, -1]], "bias": [0], "activation": "identity"}
      ],
      "inputs": [[1, 2, 3]],
      "targets": [[0]]
    })");
    return m;
}

void check_gradients(std::string_view text, const matbp::model_spec& shapes) {
    try {
        const auto g = matbp::read_gradients_bytes(std::string(text), shapes);
        if (g.size() != shapes.layers.size()) fail("read_gradients: wrong number of layers", std::string(text));
        for (std::size_t l = 0; l < g.size(); ++l) {
            const auto& W = shapes.layers[l].weights;
            if (g[l].first.rows() != W.rows() || g[l].first.cols() != W.cols() || g[l].second.rows() != W.rows() ||
                g[l].second.cols() != 1)
                fail("read_gradients: a gradient is not shaped as its layer", std::string(text));
        }
    } catch (const matbp::input_error&) {
    } catch (const matbp::resource_error&) {
    }
}

/// c (numbers::compact) is a (numbers::as_values) with all-number arrays kept as tokens.
bool same_tree(const matbp::json::value& a, const matbp::json::value& c, std::string_view text) {
    if (a.kind != c.kind || a.boolean != c.boolean || a.text != c.text || a.line != c.line || a.column != c.column ||
        a.members.size() != c.members.size() || !a.numbers.empty())
        return false;
    for (std::size_t i = 0; i < a.members.size(); ++i) {
        const auto &x = a.members[i], &y = c.members[i];
        if (x.key != y.key || x.line != y.line || x.column != y.column || !same_tree(x.value, y.value, text))
            return false;
    }
    const std::vector<matbp::json::value> made =
        c.numbers.empty() ? std::vector<matbp::json::value>{} : matbp::json::number_values(text, c);
    if (!c.numbers.empty() && !c.items.empty()) return false;
    const std::vector<matbp::json::value>& items = c.numbers.empty() ? c.items : made;
    if (a.items.size() != items.size()) return false;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!same_tree(a.items[i], items[i], text)) return false;
    return true;
}

std::string outcome(std::string_view text, matbp::json::numbers mode, matbp::json::value& out) {
    try {
        out = matbp::json::parse(text, {}, mode);
        return "ok";
    } catch (const matbp::input_error& e) {
        return "input_error " + e.path() + " " + std::to_string(e.line()) + ":" + std::to_string(e.column()) + " " +
               e.what();
    } catch (const matbp::resource_error& e) {
        return std::string("resource_error ") + e.what();
    }
}

void check_compact_numbers(std::string_view text) {
    matbp::json::value a, c;
    const std::string x = outcome(text, matbp::json::numbers::as_values, a);
    const std::string y = outcome(text, matbp::json::numbers::compact, c);
    if (x != y) fail("json::parse differs between as_values and compact", x + "\n" + y + "\n" + std::string(text));
    if (x == "ok" && !same_tree(a, c, text))
        fail("json::parse's compact tree differs from the as_values one", std::string(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_compact_numbers(text);
    matbp::model_spec m;
    bool ok = false;
    try {
        m = matbp::read_model_bytes(std::string(text));
        ok = true;
    } catch (const matbp::input_error&) {
    } catch (const matbp::resource_error&) {
    }
    if (ok) {
        const std::string written = matbp::write_model(m);
        try {
            // write_model's text can be longer than the input (every number as an exact string),
            // so the read back lifts only the total size limit; every other limit stays.
            matbp::model_limits relaxed;
            relaxed.syntax.max_bytes = written.size();
            if (!(matbp::read_model(written, relaxed) == m))
                fail("read_model(write_model(m)) != m; write_model(m) is", written);
        } catch (const matbp::input_error& e) {
            fail("read_model(write_model(m)) throws", std::string(e.what()) + "\nwrite_model(m) is:\n" + written);
        }
        check_gradients(text, m);
    } else {
        check_gradients(text, fixed_shapes());
    }
    return 0;
}
