// matbp — the command line.
//   matbp demo                         narrate the induction proof on an embedded network
//   matbp grad MODEL                   exact (or certified) cost and gradients as JSON
//   matbp check MODEL --gradients F    compare another implementation's gradients, in ULPs
//   matbp verify MODEL                 run every proof-step check on the model
//   matbp combine PART…                add sample shards' partial sums (grad --partial), print as grad
//   matbp --version
// Exit codes (cli/errors.hpp, the one place that maps errors to them): 0 success / pass, 1 a check
// failed, 2 bad usage or input (or unsupported), 3 a resource limit stopped the run, 4 internal error.
// Options: `--opt value` or `--opt=value`; `--` ends the options; `-` as a file reads standard input.
// JSON is written by the library (oracle.hpp's to_json and write_json, json_writer.hpp), never
// assembled here.
//
// The parser is our own rather than CLI11: it is some forty lines, the help texts below are prose
// (what each option does, the limits, the kink convention) that a generated help would reduce to
// one line per option, and every error must come out as one line with exit 2, which the
// hostile-input catalog checks; CLI11 would need its own error and help paths remapped to that.
#include "cli/errors.hpp"
#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"
#include "matbp/induction.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/model.hpp"
#include "matbp/oracle.hpp"
#include "matbp/shard.hpp"
#include "matbp/oracle_bounds.hpp"
#include "matbp/version.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace matbp;
using cli::usage_error;

#define CONVENTIONS_HELP                                                                       \
    "Options are written --opt value or --opt=value; -- ends the options; a file named - is\n" \
    "standard input (the model or the gradients, not both).\n"

const char* usage =
    "usage: matbp <command> [options]\n"
    "       matbp --version\n"
    "\n"
    "commands:\n"
    "  demo                        narrate the induction proof of backpropagation on an\n"
    "                              embedded network, every step checked exactly\n"
    "  grad MODEL                  the cost and every gradient of a matbp/1 model, as JSON\n"
    "  check MODEL --gradients F   compare another implementation's gradients with matbp's\n"
    "  verify MODEL                run every proof-step check (T1, C1) on the model\n"
    "  combine PART...             add the parts that grad --partial wrote for sample ranges\n"
    "                              and print what grad MODEL prints\n"
    "  catalog                     the activations and losses matbp knows, as JSON\n"
    "\n"
    "MODEL is a matbp/1 JSON file, or a safetensors file that carries the matbp/1 document as\n"
    "__metadata__.matbp and its tensors as IEEE bits (README, \"The matbp/1 model format\").\n"
    "'matbp <command> --help' describes a command's options.\n" CONVENTIONS_HELP
    "Every JSON output carries \"matbp_version\" and indexes layers, samples, units and entries\n"
    "from 0.\n" MATBP_CLI_EXIT_CODES_HELP;

// The options every command takes (limit_options below), one help text for all three.
#define LIMITS_HELP                                                                                 \
    "Limits (exit 3 with a message naming the layer when hit; a malformed value is exit 2):\n"      \
    "  --max-bits N        bits of any exact numerator or denominator (default 1000000)\n"          \
    "  --time-limit S      seconds for the computation, checked per layer (default 3600; 0 none)\n" \
    "  --max-parameters N  parameters in the model (default 50000000)\n"                            \
    "  --max-file-bytes N  size of a file read (default 67108864 = 64 MiB)\n"                       \
    "  --threads N         threads of the exact fast path, of check's comparison and of --arith\n"  \
    "                      double's OpenBLAS products, 1 to 256 (default: every core); the\n"       \
    "                      exact result and the check's report are the same for every N\n"

const char* catalog_help =
    "usage: matbp catalog\n"
    "\n"
    "Prints the activation and loss registries as JSON: every name and alias, each parameter with\n"
    "its exact default and PyTorch name, whether it is exact over the rationals, and its PyTorch\n"
    "counterpart.\n";

const char* grad_help =
    "usage: matbp grad MODEL [--arith A] [--values exact|double] [--format json|text] [--quiet]\n"
    "       matbp grad MODEL --partial [--samples A:B] [--quiet]\n"
    "\n"
    "Prints the cost and every gradient of the model's batch cost (C1) and the kink report.\n"
    "  --arith A      exact (default where the model allows), interval:BITS (certified\n"
    "                 enclosures; the default for tanh/logistic/softplus/softmax, BITS 256),\n"
    "                 real:BITS (MPFR, not certified), double\n"
    "  --values V     exact: \"p/q\" strings (interval: {\"lower\",\"upper\"} objects);\n"
    "                 double: correctly rounded doubles (interval: outward-rounded bounds).\n"
    "                 A value beyond the double range (its rounding would be inf) is written as\n"
    "                 its exact \"p/q\" string instead, and \"out_of_double_range\" counts them:\n"
    "                 the output is always valid JSON, never inf or nan\n"
    "  --format F     json (default) or text\n"
    "  --partial      write instead the exact unreduced sums (cost, gradients, kinks, kink\n"
    "                 enclosures) of the samples --samples names, as a matbp-partial/1 document\n"
    "                 for 'matbp combine' (C4); exact arithmetic only, no --values or --format\n"
    "  --samples A:B  with --partial: the samples A to B-1 (half-open [A, B), 0-based),\n"
    "                 0 <= A < B <= the model's sample count (default: all of them)\n"
    "  --quiet        no progress messages on stderr\n" LIMITS_HELP
    "Kinks list (layer, sample, unit, site), 0-based indices into the JSON arrays, of every unit\n"
    "whose potential is exactly at a point where its activation is not differentiable (site\n"
    "\"activation\"), or whose output is at a kink of the loss (site \"loss\": l1 at a zero\n"
    "residual); there the derivative is PyTorch's convention, which the output states in\n"
    "\"kink_convention\" (matbp catalog lists each member's). Any value between the one-sided\n"
    "derivatives is as legitimate there (relu'(0) in [0, 1]): for an exact reference with kinks,\n"
    "\"kink_enclosures\" lists each entry that depends on a kink with its conventional \"value\",\n"
    "the enclosure [\"lower\", \"upper\"] of its values over every such choice (C3; sound, not\n"
    "always tight) and its value under relu'(0) = 1 (\"one\"); text output lists them too.\n" CONVENTIONS_HELP
        MATBP_CLI_EXIT_CODES_HELP;

const char* check_help =
    "usage: matbp check MODEL --gradients FILE [--arith A] [--precision P]\n"
    "                   [--verdict bound|normwise] [--max-rel R] [--max-ulps N]\n"
    "                   [--strict-kinks] [--format text|json] [--quiet]\n"
    "\n"
    "FILE holds another implementation's gradients: {\"layers\": [{\"weights\": [[..]], \"bias\": [..]}, ..]}\n"
    "(JSON numbers, taken as the doubles they denote, or exact strings), or a safetensors file with\n"
    "the tensors layers.<l>.weights and layers.<l>.bias (F64, F32, F16, BF16).\n"
    "\n"
    "The verdict (default --verdict bound, T3). An entry passes iff it lies within its rounding\n"
    "bound of its admissible set. The admissible set is the exact value (an interval reference:\n"
    "its enclosure) or, for an entry that depends on a kink, every value a legitimate derivative\n"
    "there gives (relu'(0) anywhere in [0, 1]: grad's \"kink_enclosures\", C3). The bound (T2) is\n"
    "how far any correct implementation at precision P can be from it: every operation rounded\n"
    "with P's unit roundoff, sums in any order, with or without FMA, parameters and data in a wider\n"
    "format rounded once to P, exp/tanh/log1p within 4 ULPs (an assumption), no overflow or\n"
    "underflow (not checked). Where the bound on a potential reaches a kink, a correct\n"
    "implementation may take either side: such units are reported as near-kink (layer, sample,\n"
    "unit) and both sides are admitted (T3). Per tensor the report gives the entry that uses the\n"
    "most of its bound, that ratio (\"bound use\", <= 1 passes), its ULPs and its distance, and\n"
    "the normwise error ||g - ref||_2 / ||ref||_2, printed, not deciding. The bound is not\n"
    "available, and the normwise rule decides (the report says why), for softmax_cross_entropy,\n"
    "for a reference in real or double arithmetic, and for a non-exact reference with a unit near\n"
    "a kink.\n"
    "The normwise rule (--verdict normwise): a tensor passes when its normwise error over the\n"
    "entries that depend on no kink is <= R (and every such entry <= N ULPs); a kink entry fails\n"
    "when it lies outside its Clarke enclosure by more than R * ||ref||_2 (and N ULPs).\n"
    "Kink entries that lie inside are reported with the convention they match: zero (relu'(0) = 0,\n"
    "PyTorch, TensorFlow, JAX), one (relu'(0) = 1), mixed (each entry one of them) or other.\n"
    "With a reference in interval, real or double arithmetic (no enclosure) kink entries are\n"
    "counted apart and judged only with --strict-kinks (or by the bound).\n"
    "Indices (layers[i], the worst entry's (row, column)) are 0-based in text and JSON alike.\n"
    "In JSON an error beyond the double range is a string: the exact \"p/q\" (normwise error:\n"
    "\"sqrt(p/q)\"), counted in \"out_of_double_range\".\n"
    "  --arith A      as for grad; with interval the distance is from the enclosure\n"
    "  --precision P  the checked precision: float64 (default, u = 2^-53), float32 (2^-24),\n"
    "                 bfloat16 (2^-8), float16 (2^-11), tf32 (float32 storage, products of\n"
    "                 operands rounded to 11 bits); ULPs are counted in float64 for float64,\n"
    "                 else in float32\n"
    "  --verdict V    bound (default) or normwise\n"
    "  --max-rel R    the normwise rule's threshold (default 1e-10 for float64, 1e-4 otherwise);\n"
    "                 only with --verdict normwise (a usage error otherwise)\n"
    "  --max-ulps N   also require every entry within N ULPs of its admissible set (off by\n"
    "                 default)\n"
    "  --strict-kinks a kink entry must match matbp's convention (PyTorch's, zero) within the\n"
    "                 same bound instead of lying in its enclosure: relu'(0) = 1 then fails\n"
    "  --format F     text (default) or json\n"
    "  --quiet        no progress messages on stderr\n" LIMITS_HELP CONVENTIONS_HELP MATBP_CLI_EXIT_CODES_HELP;

const char* verify_help =
    "usage: matbp verify MODEL [--format text|json] [--quiet]\n"
    "\n"
    "Runs backpropagation as the induction of T1 on every sample in exact arithmetic (over Q),\n"
    "then the batch corollary C1. The checks, each with ==:\n"
    "  - every step (T1.base at layer k, T1.step at l = k-1..1, T1.W, T1.jac, T1.b at every l):\n"
    "    its left side as the proof computes it == its right side as the algorithm computes it.\n"
    "    Both use the same derivative formulas, so this checks the algebra, not the formulas;\n"
    "  - every step's left side == the same quantity by forward-mode automatic differentiation of\n"
    "    the cost's definition, which uses no derivative formula (T1.base, T1.step: as a function\n"
    "    of the layer's potential; T1.W, T1.b: of the layer's weights or bias; T1.jac: of the\n"
    "    linear map V -> delta^T V a); a mismatch is reported as that step failing;\n"
    "  - C1: the batch gradients of backprop == rho times the sum of the per-sample gradients of\n"
    "    the induction, and == automatic differentiation of the batch cost (D14).\n"
    "At a kink (a potential exactly at a point where the activation is not differentiable, or an\n"
    "l1 residual exactly 0) the derivative used is the convention below, and automatic\n"
    "differentiation of the definition computes the same conventional derivative D°: the steps\n"
    "that depend on a kink are marked \"conventional\" (they hold for D°, which need not be the\n"
    "derivative; spec/theorem.md, P1), the others \"true\". T1.jac is algebra and never depends\n"
    "on one. The kinks are listed (layers 1-based in the text, 0-based in JSON, as in grad).\n"
    "Prints a table: step ID, layer, sample, result, derivative, C++ function.\n"
    "The text table numbers layers from 1 as the proof does (l = 1 … k); the JSON output indexes\n"
    "the model's \"layers\" array from 0 (layer l of the proof is 0-based layer l - 1), and C1's\n"
    "row, about the whole batch, has layer and sample null.\n"
    "Needs an exact model (no tanh/logistic/softplus/softmax_cross_entropy) and widths ≤ 32\n"
    "(the automatic differentiation of T1.base and T1.step costs grow with the cube of the width,\n"
    "that of T1.W, T1.b and C1, one direction per weight, with its fourth power).\n"
    "  --format F     text (default) or json\n"
    "  --quiet        no progress messages on stderr\n" LIMITS_HELP CONVENTIONS_HELP
    "Exit 0 if every step holds, 1 otherwise.\n" MATBP_CLI_EXIT_CODES_HELP;

const char* combine_help =
    "usage: matbp combine PART... [--values exact|double] [--format json|text] [--quiet]\n"
    "                     [--max-file-bytes N]\n"
    "\n"
    "Adds the parts that 'matbp grad MODEL --partial --samples A:B' wrote, exactly, applies the\n"
    "model's reduction (sum, or mean over all its samples) and prints what 'matbp grad MODEL'\n"
    "prints with the same --values and --format: the same bytes (C4; tests/shard_test.cpp and\n"
    "tests/cli_test.py compare them), \"engine\" included: each part records the engine grad\n"
    "uses for the whole batch. The parts may come in any order; together their ranges must\n"
    "cover every sample exactly once. Refused, naming the file and what is wrong (exit 2): a part\n"
    "that is not matbp-partial/1 or not exact, parts of different models (\"model_fingerprint\",\n"
    "a SHA-256 of the model's exact content), of different reductions, losses or sample counts,\n"
    "ranges that overlap or leave a gap.\n"
    "  --values V     as for grad: exact (default) or double\n"
    "  --format F     json (default) or text\n"
    "  --max-file-bytes N  size of a part read (default 67108864 = 64 MiB)\n"
    "  --quiet        no progress messages on stderr\n" CONVENTIONS_HELP MATBP_CLI_EXIT_CODES_HELP;

/// Options after the command: positionals and --name value pairs (flags have no value).
struct options {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;
    bool has(const std::string& k) const { return named.count(k) != 0; }
    std::optional<std::string> get(const std::string& k) const {
        auto it = named.find(k);
        return it == named.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
};

/// `--name value` and `--name=value`; `--` makes every later argument positional; `-` alone is
/// a positional (standard input); `-h` is --help; any other argument starting with - is refused.
options parse_options(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                      const std::vector<std::string>& flags) {
    options o;
    bool only_positional = false;
    for (int i = first; i < argc; ++i) {
        const std::string a = argv[i];
        if (only_positional || a == "-" || a.empty() || a[0] != '-') {
            o.positional.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positional = true;
            continue;
        }
        const auto eq = a.find('=');
        const std::string k = a == "-h" ? "--help" : a.substr(0, eq);
        const bool known_flag = std::find(flags.begin(), flags.end(), k) != flags.end();
        const bool known_value = std::find(with_value.begin(), with_value.end(), k) != with_value.end();
        if (!k.starts_with("--") || (!known_flag && !known_value))
            throw usage_error("unknown option " + json::quote(a.substr(0, std::min(eq, a.size()))) +
                              (k.starts_with("--") ? "" : " (a file whose name starts with - goes after --)"));
        if (o.has(k)) throw usage_error(k + " given twice");
        if (known_flag) {
            if (eq != std::string::npos) throw usage_error(k + " takes no value");
            o.named[k] = "";
        } else if (eq != std::string::npos) {
            o.named[k] = a.substr(eq + 1);
        } else {
            if (i + 1 >= argc) throw usage_error(k + " needs a value");
            o.named[k] = argv[++i];
        }
    }
    return o;
}

/// Progress on stderr, only once a run has taken more than a second.
class progress {
public:
    explicit progress(bool quiet) : quiet_(quiet), start_(std::chrono::steady_clock::now()) {}
    void stage(const std::string& what) const {
        if (quiet_) return;
        const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        if (s > 1.0) std::cerr << "matbp: " << std::fixed << std::setprecision(1) << s << " s: " << what << "\n";
    }

private:
    bool quiet_;
    std::chrono::steady_clock::time_point start_;
};

const std::vector<std::string> limit_options{"--max-bits", "--time-limit", "--max-parameters", "--max-file-bytes",
                                             "--threads"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

unsigned long long whole_number(const options& o, const std::string& k, unsigned long long dflt, unsigned long long lo,
                                unsigned long long hi) {
    const auto v = o.get(k);
    if (!v) return dflt;
    if (v->empty() || v->size() > 19 || v->find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(k + " must be a whole number, not " + json::quote(*v));
    const auto n = std::stoull(*v);
    if (n < lo || n > hi) throw usage_error(k + " must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    return n;
}

resource_limits limits_of(const options& o) {
    resource_limits r;
    r.max_bits = whole_number(o, "--max-bits", r.max_bits, 64, 4'000'000'000ULL);
    r.max_seconds = static_cast<double>(whole_number(o, "--time-limit", 3600, 0, 31'536'000));
    r.threads = static_cast<unsigned>(whole_number(o, "--threads", 0, 1, 256));
    return r;
}

/// The name a file argument has in messages: "-" is standard input.
std::string display_name(const std::string& arg) { return arg == "-" ? "<stdin>" : arg; }

/// Reads `arg` ("-": standard input, through /dev/stdin so that the same size cap applies) with
/// `read`, attributing errors to its display name.
template <class F>
auto read_input(const std::string& arg, F read) {
    if (arg != "-") return read(arg);
    try {
        return read(std::string("/dev/stdin"));
    } catch (const input_error& e) {
        throw e.in_file(display_name(arg));
    } catch (const resource_error& e) {
        throw e.in_file(display_name(arg));
    }
}

model_spec load_model(const options& o, const char* help) {
    if (o.positional.size() != 1) throw usage_error(std::string("expected one MODEL file\n") + help);
    model_limits lim;
    lim.max_parameters = whole_number(o, "--max-parameters", lim.max_parameters, 1, 1'000'000'000'000ULL);
    lim.syntax.max_bytes = whole_number(o, "--max-file-bytes", lim.syntax.max_bytes, 1, std::size_t{1} << 40);
    return read_input(o.positional[0], [&](const std::string& path) { return read_model_file(path, lim); });
}

/// Runs f; an error it raises about the model (bad input, unsupported, a resource limit) is
/// attributed to the model file.
template <class F>
auto about_model(const options& o, F f) {
    const std::string file = display_name(o.positional.at(0));
    try {
        return f();
    } catch (const unsupported_error& e) {
        if (!e.file().empty()) throw;
        throw e.in_file(file);
    } catch (const input_error& e) {
        if (!e.file().empty()) throw;
        throw e.in_file(file);
    } catch (const resource_error& e) {
        if (!e.file().empty()) throw;
        throw e.in_file(file);
    }
}

arith_spec arith_of(const options& o, const model_spec& m) {
    const auto a = o.get("--arith");
    if (!a) return default_arith(m);
    try {
        return parse_arith(*a);
    } catch (const input_error& e) {
        throw usage_error("--arith " + e.reason());
    }
}

std::string format_of(const options& o, const std::string& dflt) {
    const std::string f = o.get("--format").value_or(dflt);
    if (f != "json" && f != "text") throw usage_error("--format must be json or text, not " + json::quote(f));
    return f;
}

/// A reference as `matbp grad` prints it (and `matbp combine`, which must print the same):
/// the library's JSON, or the text lines. `values` and `format` are already checked.
int print_reference(const gradient_reference& ref, const std::string& values, const std::string& format) {
    json_options jo;
    if (values == "double") jo.values = json_options::value_format::float64;
    if (format == "json") {
        write_json(std::cout, ref, jo);  // streamed: the document is never held whole
        return cli::success;
    }
    std::size_t beyond = 0;
    std::cout << "arith " << ref.arith.str() << (ref.arith.certified() ? " (certified)" : " (not certified)")
              << ", engine " << ref.engine << ", loss " << to_string(ref.loss_kind) << ", reduction "
              << to_string(ref.red) << "\n"
              << "cost " << value_to_json(ref.cost_lo, ref.cost_hi, jo, &beyond) << "\n";
    for (std::size_t l = 0; l < ref.weights.size(); ++l)
        std::cout << "layers[" << l << "].weights " << tensor_to_json(ref.weights[l], false, jo, &beyond) << "\nlayers["
                  << l << "].bias " << tensor_to_json(ref.bias[l], true, jo, &beyond) << "\n";
    const std::string enclosures = kink_enclosures_to_text(ref, jo, &beyond);
    if (beyond) std::cout << beyond << " value(s) beyond the double range, written exactly as \"p/q\"\n";
    std::cout << ref.kinks.size() << " kink(s)";
    for (const auto& k : ref.kinks)
        std::cout << " (layer " << k.layer - 1 << ", sample " << k.sample << ", unit " << k.unit
                  << (k.site == kink_site::loss ? ", loss" : "") << ")";
    std::cout << " (0-based); convention " << kink_convention() << "\n";
    if (!enclosures.empty())
        std::cout << "kink-dependent entries (0-based): conventional value in [Clarke enclosure] (C3), and the "
                     "value with relu'(0) = 1 (one)\n"
                  << enclosures;
    return cli::success;
}

std::string values_of(const options& o) {
    const std::string values = o.get("--values").value_or("exact");
    if (values != "exact" && values != "double")
        throw usage_error("--values must be exact or double, not " + json::quote(values));
    return values;
}

/// --samples A:B: the half-open range [A, B) of the model's n samples, 0 ≤ A < B ≤ n.
std::pair<Eigen::Index, Eigen::Index> samples_of(const options& o, Eigen::Index n) {
    const auto v = o.get("--samples");
    if (!v) return {0, n};
    const auto bad = [&](const std::string& why) {
        return usage_error("--samples " + json::quote(*v) + ": " + why +
                           " (expected A:B, the samples A to B-1, 0-based, with 0 <= A < B <= " + std::to_string(n) +
                           ", the model's sample count)");
    };
    const auto colon = v->find(':');
    if (colon == std::string::npos) throw bad("no colon");
    const std::string a = v->substr(0, colon), b = v->substr(colon + 1);
    for (const auto& t : {a, b})
        if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
            throw bad("A and B must be whole numbers");
    const auto A = static_cast<Eigen::Index>(std::stoll(a)), B = static_cast<Eigen::Index>(std::stoll(b));
    if (!(A < B)) throw bad("the range is empty");
    if (B > n) throw bad("B is past the last sample");
    return {A, B};
}

int grad(int argc, char** argv) {
    const auto o = parse_options(argc, argv, 2, with({"--arith", "--values", "--format", "--samples"}, limit_options),
                                 {"--quiet", "--help", "--partial"});
    if (o.has("--help")) return std::cout << grad_help, 0;
    const progress p(o.has("--quiet"));
    const bool partial = o.has("--partial");
    if (o.has("--samples") && !partial)
        throw usage_error("--samples needs --partial (it writes the unreduced sums of a range for matbp combine)");
    if (partial)
        for (const char* k : {"--values", "--format"})
            if (o.has(k))
                throw usage_error(
                    std::string(k) +
                    " does not apply to --partial (a part is always exact JSON); give it to matbp combine");
    const auto model = load_model(o, grad_help);
    const auto arith = arith_of(o, model);
    if (partial) {
        if (o.has("--arith") && arith.k != arith_spec::kind::exact)
            throw usage_error("--partial needs --arith exact, not " + arith.str() +
                              ": only exact sums are associative, so only exact parts combine bit-identically");
        const auto [begin, end] = samples_of(o, model.inputs.cols());
        p.stage("model read; computing samples " + std::to_string(begin) + " to " + std::to_string(end - 1));
        const auto part = about_model(o, [&] {
            try {
                return compute_partial(model, begin, end, limits_of(o));
            } catch (const unsupported_error& e) {  // bad input without the hint to use --arith interval
                throw input_error(e.path(), e.line(), e.column(), e.reason());
            }
        });
        write_json(std::cout, part);
        return cli::success;
    }
    const std::string values = values_of(o);
    const std::string format = format_of(o, "json");
    p.stage("model read; computing in " + arith.str());
    const auto ref = about_model(o, [&] { return compute_gradients(model, arith, limits_of(o)); });
    p.stage("done");
    return print_reference(ref, values, format);
}

int combine(int argc, char** argv) {
    const auto o = parse_options(argc, argv, 2, {"--values", "--format", "--max-file-bytes"}, {"--quiet", "--help"});
    if (o.has("--help")) return std::cout << combine_help, 0;
    const progress p(o.has("--quiet"));
    if (o.positional.empty()) throw usage_error(std::string("expected at least one PART file\n") + combine_help);
    if (std::count(o.positional.begin(), o.positional.end(), "-") > 1)
        throw usage_error("standard input (-) can be read once only");
    const std::string values = values_of(o);
    const std::string format = format_of(o, "json");
    partial_limits lim;
    lim.syntax.max_bytes = whole_number(o, "--max-file-bytes", lim.syntax.max_bytes, 1, std::size_t{1} << 40);
    std::vector<partial_reference> parts;
    for (const auto& arg : o.positional) {
        parts.push_back(read_input(arg, [&](const std::string& path) { return read_partial_file(path, lim); }));
        parts.back().source = display_name(arg);
    }
    p.stage("parts read; combining");
    return print_reference(combine_partials(parts), values, format);
}

int check(int argc, char** argv) {
    const auto o = parse_options(
        argc, argv, 2,
        with({"--gradients", "--arith", "--precision", "--verdict", "--max-rel", "--max-ulps", "--format"},
             limit_options),
        {"--quiet", "--help", "--strict-kinks"});
    if (o.has("--help")) return std::cout << check_help, 0;
    const progress p(o.has("--quiet"));
    if (o.positional.size() == 1 && o.positional[0] == "-" && o.get("--gradients") == "-")
        throw usage_error("the model and the gradients cannot both be read from standard input (-)");
    const auto model = load_model(o, check_help);
    if (!o.get("--gradients")) throw usage_error(std::string("--gradients FILE is required\n") + check_help);
    model_limits glim;
    glim.syntax.max_bytes = whole_number(o, "--max-file-bytes", glim.syntax.max_bytes, 1, std::size_t{1} << 40);
    const auto reported = read_input(*o.get("--gradients"),
                                     [&](const std::string& path) { return read_gradients_file(path, model, glim); });
    const auto arith = arith_of(o, model);
    check_options opt;
    opt.strict_kinks = o.has("--strict-kinks");
    opt.threads = limits_of(o).threads;
    // The checked precision, by its D17 name (precision_models(), the one table); ULPs are
    // counted in float64 for float64 and in float32 for the narrower ones (all float32 values).
    const std::string prec = o.get("--precision").value_or("float64");
    const auto pm = precision_by_name(prec);
    if (!pm) {
        std::string names;
        for (const auto& q : precision_models()) names += (names.empty() ? "" : ", ") + q.name;
        throw usage_error("--precision must be one of " + names + ", not " + json::quote(prec));
    }
    if (prec != "float64") opt.format = float_format::float32;
    const std::string verdict = o.get("--verdict").value_or("bound");
    if (verdict != "bound" && verdict != "normwise")
        throw usage_error("--verdict must be bound or normwise, not " + json::quote(verdict));
    if (auto r = o.get("--max-rel")) {
        if (verdict != "normwise")
            throw usage_error("--max-rel sets the normwise rule's threshold: it needs --verdict normwise");
        char* end = nullptr;
        const double v = std::strtod(r->c_str(), &end);
        if (r->empty() || *end != '\0' || !std::isfinite(v) || v < 0)
            throw usage_error("--max-rel must be a finite number ≥ 0, not " + json::quote(*r));
        opt.max_rel = v;
    }
    if (auto u = o.get("--max-ulps")) {
        if (u->empty() || u->size() > 19 || u->find_first_not_of("0123456789") != std::string::npos)
            throw usage_error("--max-ulps must be a whole number, not " + json::quote(*u));
        opt.max_ulps = std::stoull(*u);
    }
    const std::string format = format_of(o, "text");
    p.stage("computing the reference in " + arith.str());
    auto ref = about_model(o, [&] { return compute_gradients(model, arith, limits_of(o)); });
    if (verdict == "bound") p.stage("computing the rounding bound (T2, T3) at " + prec);
    auto rep = verdict == "bound" ? about_model(o, [&] { return check_by_bound(ref, model, reported, *pm, opt); })
                                  : check_gradients(ref, reported, opt);
    rep.precision = prec;  // the checked precision's D17 name under either verdict
    if (format == "json") {
        std::cout << to_json(rep);
    } else {
        std::cout << to_text(rep);
    }
    return rep.pass ? cli::success : cli::check_failed;
}

// Timed (issue 11): two square layers and one sample take 10 s and 150 MB at width 32, 60 s and
// 0.7 GB at 48; at 128 the run exhausted 21 GB of memory after 130 s.
constexpr Eigen::Index verify_max_width = 32;

int verify(int argc, char** argv) {
    const auto o = parse_options(argc, argv, 2, with({"--format"}, limit_options), {"--quiet", "--help"});
    if (o.has("--help")) return std::cout << verify_help, 0;
    const progress p(o.has("--quiet"));
    const auto model = load_model(o, verify_help);
    about_model(o, [&] {
        if (!model.loss_kind.info().exact_evaluation)
            throw input_error("loss", 0, 0,
                              model.loss_kind.name + " has no exact evaluation; verify runs over the rationals only");
        for (std::size_t l = 0; l < model.layers.size(); ++l) {
            if (model.layers[l].activation.transcendental())
                throw input_error(
                    "layers[" + std::to_string(l) + "].activation", 0, 0,
                    model.layers[l].activation.name + " has no exact evaluation; verify runs over the rationals only");
            // Each step re-derives Dc̃_l by forward-mode AD: m_l directions through every layer
            // above, so time and memory grow like width³.
            if (model.layers[l].weights.rows() > verify_max_width || model.layers[l].weights.cols() > verify_max_width)
                throw input_error(
                    "layers[" + std::to_string(l) + "].weights", 0, 0,
                    "verify re-derives every proof step by automatic differentiation, whose cost grows with the "
                    "fourth power of the width; this layer is " +
                        std::to_string(model.layers[l].weights.rows()) + " x " +
                        std::to_string(model.layers[l].weights.cols()) + ", over verify's limit of " +
                        std::to_string(verify_max_width) + " (grad and check have no such limit)");
        }
        return 0;
    });
    const std::string format = format_of(o, "text");
    // The algorithm first, under the resource limits: the induction's numbers are the same sizes.
    about_model(o, [&] { return compute_gradients(model, arith_spec{}, limits_of(o)); });
    const mlp<exact> net = build_network<exact>(model);
    const loss_function<exact> ell = build_loss<exact>(model);
    contract_level_guard level(contract_level::expensive);
    struct row {
        std::string id;
        Eigen::Index layer, sample;  ///< the proof's layer l (1-based), the sample; −1: the batch (C1) or unknown
        bool ok;
        std::string function, note;
        bool conventional = false;
    };
    std::vector<row> rows;
    std::vector<std::vector<matrix<exact>>> sdW, sdb;
    const Eigen::Index n = model.inputs.cols();
    // D11: the kinks of the batch, activations then loss (as grad reports them).
    std::vector<kink> kinks;
    {
        const auto fwd = forward_batch(net, matrix<exact>(model.inputs));
        kinks = find_kinks(net, fwd);
        for (const auto& kk : find_loss_kinks(ell, fwd.a.back(), matrix<exact>(model.targets), net.depth()))
            kinks.push_back(kk);
    }
    // A step at layer l of sample i holds for the derivative when no potential of layer l or above
    // is at a kink in that sample (H(l), proofs/backprop.md); otherwise only for D°. T1.jac is
    // algebra. layer −1 / sample −1: any layer / any sample.
    auto conventional = [&](const std::string& id, Eigen::Index layer, Eigen::Index sample) {
        if (id == "T1.jac") return false;
        for (const auto& kk : kinks)
            if ((sample < 0 || kk.sample == sample) && (layer < 0 || kk.layer >= layer)) return true;
        return false;
    };
    for (Eigen::Index i = 0; i < n; ++i) {
        p.stage("sample " + std::to_string(i) + " of " + std::to_string(n));
        try {
            const auto proof = backprop_by_induction(net, matrix<exact>(model.inputs.rational().col(i)),
                                                     matrix<exact>(model.targets.rational().col(i)), ell);
            for (const auto& s : proof.steps)
                rows.push_back({s.eq.id, s.layer, i, holds_exactly(s.eq), s.function, ""});
            sdW.push_back(proof.dW);
            sdb.push_back(proof.db);
        } catch (const contract_violation& e) {
            // An expensive postcondition that fails is a step that does not hold: the verdict.
            rows.push_back({e.id(), -1, i, false, "backprop_by_induction", e.condition()});
        }
    }
    if (static_cast<Eigen::Index>(sdW.size()) == n) {
        try {
            // backprop's expensive postcondition compares it with AD of the batch cost.
            const auto g = backprop(net, model.inputs.rational(), model.targets.rational(), ell, model.red);
            bool ok = true;
            for (const auto& eq : batch_gradient_eq_mean_of_sample_gradients(g, sdW, sdb, model.red, ell))
                ok = ok && holds_exactly(eq);
            rows.push_back({"C1", -1, -1, ok, "batch_gradient_eq_mean_of_sample_gradients", ""});
        } catch (const contract_violation& e) {
            rows.push_back({e.id(), -1, -1, false, "backprop", e.condition()});
        }
    }
    bool all = true;
    std::size_t n_conventional = 0;
    for (auto& r : rows) {
        all = all && r.ok;
        r.conventional = conventional(r.id, r.layer, r.sample);
        n_conventional += r.conventional;
    }
    if (format == "json") {
        json::writer w;
        w.begin_object()
            .key("format")
            .string("matbp-verify/1")
            .key("matbp_version")
            .string(version())
            .key("pass")
            .boolean(all)
            .key("kink_convention")
            .string(kink_convention())
            .key("kinks")
            .begin_array(json::layout::block);
        for (const auto& k : kinks)
            w.begin_object(json::layout::line)
                .key("layer")
                .integer(k.layer - 1)
                .key("sample")
                .integer(k.sample)
                .key("unit")
                .integer(k.unit)
                .key("site")
                .string(k.site == kink_site::loss ? "loss" : "activation")
                .end_object();
        w.end_array();
        w.key("steps").begin_array(json::layout::block);
        for (const auto& r : rows) {
            w.begin_object(json::layout::line).key("id").string(r.id).key("layer");
            if (r.layer > 0)
                w.integer(r.layer - 1);  // 0-based, as the model's "layers" array
            else
                w.null();
            w.key("sample");
            if (r.sample >= 0)
                w.integer(r.sample);
            else
                w.null();
            w.key("holds").boolean(r.ok).key("derivative").string(r.conventional ? "conventional" : "true");
            w.key("function").string(r.function);
            if (!r.note.empty()) w.key("note").string(r.note);
            w.end_object();
        }
        w.end_array().end_object();
        std::cout << w.str();
    } else {
        std::cout << kinks.size() << " kink(s)";
        for (const auto& k : kinks)
            std::cout << " (layer " << k.layer << ", sample " << k.sample << ", unit " << k.unit
                      << (k.site == kink_site::loss ? ", loss" : "") << ")";
        std::cout << "; convention " << kink_convention() << "\n";
        std::cout << std::left << std::setw(9) << "step" << std::setw(7) << "layer" << std::setw(8) << "sample"
                  << std::setw(16) << "result" << std::setw(14) << "derivative"
                  << "function\n";
        for (const auto& r : rows)
            std::cout << std::setw(9) << r.id << std::setw(7)
                      << (r.layer > 0 ? std::to_string(r.layer) : std::string("all")) << std::setw(8)
                      << (r.sample >= 0 ? std::to_string(r.sample) : std::string("batch")) << std::setw(16)
                      << (r.ok ? "holds exactly" : "FAILS") << std::setw(14)
                      << (r.conventional ? "conventional" : "true") << r.function
                      << (r.note.empty() ? "" : "  (" + r.note + ")") << "\n";
        std::cout << rows.size() << " steps, " << (all ? "all hold exactly" : "some FAIL");
        if (n_conventional)
            std::cout << "; " << n_conventional
                      << " of them depend on a kink and hold for the conventional derivative only";
        std::cout << " (layers 1-based as in the proof, samples 0-based)\n";
    }
    return all ? cli::success : cli::check_failed;
}

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
        std::cout << "\nSample " << i << ": x = " << show(matrix<exact>(x.transpose()))
                  << "^T, y = " << show(matrix<exact>(y.transpose())) << "^T\n";
        const auto proof = backprop_by_induction(e.net, x, y);
        std::cout << "  Forward pass (D12):\n";
        for (Eigen::Index l = 1; l <= k; ++l)
            std::cout << "    z" << l << " = " << show(matrix<exact>(proof.fwd.z[l].transpose())) << "^T   a" << l
                      << " = " << show(matrix<exact>(proof.fwd.a[l].transpose())) << "^T\n";
        std::cout << "  Cost (D13): c = " << to_string(sample_cost(e.net, x, y)) << "\n";
        for (const auto& kk : find_kinks(e.net, proof.fwd))
            std::cout << "  Kink (D11): layer " << kk.layer << ", unit " << kk.unit
                      << " has potential exactly 0; the derivative there is the convention ("
                      << activation_name<exact>(e.net.layers[kk.layer - 1].f)
                      << "'(0) = " << to_string(derivative(e.net.layers[kk.layer - 1].f, exact(0))) << ")\n";
        std::cout << "  Backpropagated errors (D15):\n";
        for (Eigen::Index l = k; l >= 1; --l)
            std::cout << "    delta" << l << " = " << show(matrix<exact>(proof.delta[l].transpose())) << "^T\n";
        std::cout << "  Proof steps:\n";
        for (const auto& s : proof.steps) {
            const bool ok = holds_exactly(s.eq);
            all = all && ok;
            std::cout << "    " << s.eq.id << std::string(8 - std::min<std::size_t>(8, s.eq.id.size()), ' ')
                      << " l=" << s.layer << "  " << s.function << "  " << (ok ? "holds exactly" : "FAILS") << "\n";
        }
        std::cout << "  Gradients (T1):\n";
        for (Eigen::Index l = 1; l <= k; ++l)
            std::cout << "    grad W" << l << " = " << show(proof.dW[l]) << "   grad b" << l << " = "
                      << show(matrix<exact>(proof.db[l].transpose())) << "^T\n";
        sdW.push_back(proof.dW);
        sdb.push_back(proof.db);
    }
    const auto g = backprop(e.net, e.X, e.Y, squared_error_loss{}, reduction::mean);
    std::cout << "\nBatch (C1, reduction mean): C = " << to_string(g.cost) << "\n";
    for (Eigen::Index l = 1; l <= k; ++l)
        std::cout << "  grad W" << l << " = " << show(g.dW[l]) << "   grad b" << l << " = "
                  << show(matrix<exact>(g.db[l].transpose())) << "^T\n";
    for (const auto& eq : batch_gradient_eq_mean_of_sample_gradients(g, sdW, sdb, reduction::mean)) {
        const bool ok = holds_exactly(eq);
        all = all && ok;
        if (!ok) std::cout << "  C1 FAILS\n";
    }
    std::cout << "  C1 batch_gradient_eq_mean_of_sample_gradients  " << (all ? "holds exactly" : "FAILS") << "\n\n"
              << (all ? "Every step of the induction holds exactly.\n" : "Some step FAILED.\n");
    return all ? 0 : 1;
}

/// The command `cmd` (argv[1]); its exit code.
int run(const std::string& cmd, int argc, char** argv) {
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::cout << usage << "\nActivations: " << registry_names(activation_registry())
                  << "\nLosses: " << registry_names(loss_registry())
                  << "\n(matbp catalog lists their parameters and defaults.)\n";
        return cli::success;
    }
    if (cmd == "--version") {
        if (argc > 2) throw usage_error("--version takes no arguments");
        std::cout << "matbp " << version() << "\n";
        return cli::success;
    }
    if (cmd == "demo") {
        if (argc > 2) {
            if (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h") return std::cout << usage, 0;
            throw usage_error("demo takes no arguments");
        }
        return demo();
    }
    if (cmd == "catalog") {
        if (argc > 2) {
            if (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h") return std::cout << catalog_help, 0;
            throw usage_error("catalog takes no arguments");
        }
        return std::cout << registry_json(), 0;
    }
    if (cmd == "grad") return grad(argc, argv);
    if (cmd == "check") return check(argc, argv);
    if (cmd == "combine") return combine(argc, argv);
    if (cmd == "verify") return verify(argc, argv);
    throw usage_error(cmd.empty() ? "no command given\n" + std::string(usage)
                                  : "unknown command " + json::quote(cmd) + "\n" + usage);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    try {
        const int code = run(cmd, argc, argv);
        // A failed write (device full) must not end in success: every write so far is checked here.
        if (!(std::cout << std::flush)) throw cli::output_error("standard output");
        return code;
    } catch (...) {
        const auto f = cli::failure_of(std::current_exception());
        std::cerr << "matbp" << (cmd.empty() ? "" : " " + cmd) << ": " << f.message << "\n";
        return f.code;
    }
}
