#pragma once
// matbp/model.hpp — the matbp/1 model format: a network (D12), its batch and targets and its
// cost (D14), as JSON; and the gradients another implementation reports for it.
//
// Format (README.md, "The matbp/1 model format", has the full description and an example)
//   {
//     "format": "matbp/1",                                   required
//     "layers": [ {"weights": W, "bias": b, "activation": f}, … ],   at least one layer
//     "loss": L,                                             default "squared_error"
//     "reduction": "mean" | "sum",                           default mean
//     "inputs":  X,                                          n rows of m₀ values (batch first)
//     "targets": Y,                                          n rows of m_k values
//     "comment": "…"                                         optional, ignored
//   }
//   W of layer l: m_l rows of m_{l−1} values (PyTorch's nn.Linear.weight); b: m_l values.
//   Every width and n are ≥ 1; rows are not ragged; widths chain.
//   f and L: a name, or an object {"name": …, parameters}, from the activation registry
//   (activation.hpp: identity, relu, leaky_relu, hardtanh, softsign, polynomial, and, not over ℚ,
//   logistic, tanh, softplus) and the loss registry (loss.hpp: squared_error, mse, huber, l1,
//   softmax_cross_entropy). Each member's parameters, their defaults and their checks come from
//   its registry entry (registry.hpp). Names are case-sensitive. Unknown keys are errors, so a
//   misspelt key never falls back to a default.
//
// Numbers. A JSON number means the IEEE double nearest to its decimal text (glibc's strtod_l,
// which rounds correctly, in the C locale whatever the caller's), taken exactly: 0.1 is 3602879701896397/2^55, what a
// PyTorch float64 model holds; a number whose double overflows is an error. A JSON string is an exact rational
// (parse_exact): "-3", "6/4", "0.1" = 1/10, "1e-3", "0x1.8p-3" = 3/16.
//
// leaky_relu's default negative_slope is to_exact(0.01), the double PyTorch's default 0.01
// denotes, not 1/100: a model that omits the slope means what PyTorch computes, and omitting it
// means the same as writing the JSON number 0.01. Write "1/100" to get 1/100. (The registry holds
// this default once; leaky_relu_fn's C++ default is the same value.)
//
// Errors are input_error (error.hpp) naming the JSON path of the offending value:
//   layers[1].weights[0][3]: expected a number or an exact string, got true
// Over max_parameters or syntax.max_bytes, resource_error (resource::parameters, ::file_bytes):
// limits a caller raises for a larger model, not faults of the text. The other limits are
// bounds of the format: input_error.
//
// Usage (tests/model_test.cpp, case usage_example_of_model_hpp):
//   matbp::model_spec m = matbp::read_model_file("tests/data/models/exact_mixed.json");
//   m.inputs.cols()                              // n, one column per sample
//   matbp::read_model(matbp::write_model(m)) == m   // canonical text, exact strings only

#include "matbp/convert.hpp"
#include "matbp/exact_tensor.hpp"
#include "matbp/json.hpp"
#include "matbp/network.hpp"
#include "matbp/registry.hpp"
#include "matbp/scalar.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace matbp {

/// Bounds that keep reading a hostile model's work and memory proportional to its useful size.
struct model_limits {
    std::size_t max_layers = 1000;
    std::size_t max_width = 100000;           ///< any m_l
    std::size_t max_samples = 1000000;        ///< n
    std::size_t max_parameters = 50'000'000;  ///< Σ_l m_l·(m_{l−1} + 1), plus polynomial coefficients
    parse_limits number{10000, 10000};        ///< max_chars also bounds a JSON number's text and
                                              ///< the text of each value as written (p/q)
    std::size_t max_exact_bits = 50'000'000;  ///< Σ over all numbers of their bits beyond 128
    json::limits syntax;                      ///< max_bytes also bounds what a file read takes
};

/// D10 an activation as a model names it: its canonical registry name and every parameter value
/// in its entry's order, defaults filled in (polynomial: the coefficients, c₀ first).
struct activation_spec {
    std::string name = "identity";
    std::vector<exact> params;
    /// Its registry entry. Requires: name is a canonical activation name.
    const function_info& info() const;
    /// Not exact over ℚ (logistic, tanh, softplus; C2).
    bool transcendental() const { return !info().exact_evaluation; }
    friend bool operator==(const activation_spec&, const activation_spec&) = default;
};

/// D9 a loss as a model names it: its canonical registry name and parameter values.
struct loss_spec {
    std::string name = "squared_error";
    std::vector<exact> params;
    /// Its registry entry. Requires: name is a canonical loss name.
    const function_info& info() const;
    friend bool operator==(const loss_spec&, const loss_spec&) = default;
};
inline std::string to_string(const loss_spec& l) { return l.name; }

/// The spec of an activation or a loss: its registry name and parameter values.
activation_spec to_spec(const activation<exact>& f);
loss_spec to_spec(const loss_function<exact>& l);

struct layer_spec {
    exact_tensor weights;  ///< Wˡ, m_l × m_{l−1}
    exact_tensor bias;     ///< bˡ, m_l × 1
    activation_spec activation;
    friend bool operator==(const layer_spec&, const layer_spec&);
};

/// A model as read: scalar-independent, every number exact. Each tensor is held as the doubles
/// it was read as when every entry is a double (JSON numbers, IEEE tensors), else as rationals
/// (exact_tensor.hpp); either way its value is exact.
struct model_spec {
    std::vector<layer_spec> layers;
    loss_spec loss_kind;
    reduction red = reduction::mean;
    exact_tensor inputs;   ///< X, m₀ × n: samples as columns (the JSON's n × m₀, transposed)
    exact_tensor targets;  ///< Y, m_k × n
    friend bool operator==(const model_spec&, const model_spec&);
};

/// The model a matbp/1 text describes. Throws input_error naming the JSON path (resource_error
/// over max_parameters or syntax.max_bytes).
model_spec read_model(std::string_view json_text, const model_limits& limits = {});

/// The content of a model file: a safetensors file (safetensors.hpp; recognized by
/// safetensors::sniff) whose string __metadata__.matbp is a matbp/1 document in which any
/// matrix may be written {"tensor": "<name>"}: the tensor of that name, row-major, shaped as the
/// JSON rows would be (weights [m_l, m_{l−1}], bias [m_l], inputs [n, m₀], targets [n, m_k]),
/// each value exact, NaN and infinities refused; or else a matbp/1 JSON text (read_model).
/// Errors as read_model's, plus safetensors::parse's (path "header" or `tensors["name"]`).
model_spec read_model_bytes(std::string bytes, const model_limits& limits = {});

/// The same from a file. Errors (message prefixed with the file name): input_error for a missing,
/// unreadable or empty file, a directory; resource_error (resource::file_bytes) for a file larger
/// than limits.syntax.max_bytes (at most max_bytes + 1 bytes are read, so /dev/zero or a pipe
/// cannot hang it).
model_spec read_model_file(const std::string& path, const model_limits& limits = {});

/// Canonical matbp/1 text of m: every number an exact string "p/q" or "p", every default
/// written out. read_model(write_model(m)) == m, reading with a size limit (syntax.max_bytes)
/// large enough for the written text, which can be longer than the text first read.
/// Requires: m satisfies the shape conditions read_model checks (D12, D14), and each activation
/// and the loss are as read_model builds them: a canonical registry name with its parameter
/// values, which pass the entry's check (D9, D10).
std::string write_model(const model_spec& m);

/// Per layer l = 1 … k, (∂C/∂Wˡ, ∂C/∂bˡ) as another implementation reported them, each held as
/// the doubles it was read as when every entry is one (exact_tensor.hpp).
using reported_gradients = std::vector<std::pair<exact_tensor, exact_tensor>>;

/// Gradients written by another implementation: {"layers": [{"weights": [[…]], "bias": […]}, …]}
/// with one entry per layer of `shapes`, numbers as in a model (JSON numbers are doubles taken
/// exactly; strings are exact). Other top-level keys ("format", "loss", "cost", "kinks", "arith",
/// …) are ignored; unknown keys inside a layer entry are errors. Every shape is checked against
/// `shapes`; errors name the JSON path. Result: per layer l = 1 … k, (∂C/∂Wˡ, ∂C/∂bˡ) shaped
/// as Wˡ (m_l × m_{l−1}) and bˡ (m_l × 1).
reported_gradients read_gradients(std::string_view json_text, const model_spec& shapes,
                                  const model_limits& limits = {});
/// The content of a gradients file: a safetensors file, with a gradients document in
/// __metadata__.matbp (tensor references as in read_model_bytes) or, without one, the tensors
/// layers.<l>.weights [m_l, m_{l−1}] and layers.<l>.bias [m_l] for l = 0 … k−1; or else JSON.
reported_gradients read_gradients_bytes(std::string bytes, const model_spec& shapes, const model_limits& limits = {});
reported_gradients read_gradients_file(const std::string& path, const model_spec& shapes,
                                       const model_limits& limits = {});

}  // namespace matbp
