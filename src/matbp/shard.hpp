#pragma once
// matbp/shard.hpp — one gradient computation spread over sample shards, bit-identical.
//
// Statement (spec/theorem.md, C4): C1's gradients and cost are ρ times sums over the samples, and
// so are C3's enclosure endpoints and "one" values (every sample's column of Δ is computed alone,
// and ρ > 0 scales every interval product); exact sums are associative. So for any partition of
// the samples 0 … n−1 into ranges [a, b), the reference of the whole batch equals ρ times the sum,
// over the ranges, of the unreduced (reduction "sum") references of each range: every value, every
// kink-dependence flag (an OR over the ranges), the kinks (their union), the enclosures.
//
//   compute_partial(model, begin, end)   the unreduced sums of samples [begin, end) (half-open,
//                                         0-based), exact, with the model's fingerprint
//   combine_partials(parts)               the reference of the whole batch from parts that cover
//                                         0 … n−1 exactly once: what compute_gradients(model,
//                                         exact) returns, == entry by entry
//   to_json(part) / read_partial(text)    the matbp-partial/1 document (below), written through the
//                                         one JSON writer and read with the strict reader
//   model_fingerprint(model)              "sha256:<64 hex digits>" of the model's exact content
//
// Notation → C++: ρ ↦ rho (reduction_scale of the whole batch), the range [a, b) ↦ [begin, end),
// a range's unreduced reference S_r ↦ partial_reference::sums.
//
// Only exact arithmetic: interval, real and double sums depend on the order of the additions, so
// their shards would not combine bit-identically; compute_partial refuses a model with no exact
// evaluation (unsupported_error).
//
// matbp-partial/1 (every number an exact string "p/q"; indices 0-based):
//   {"format": "matbp-partial/1", "matbp_version", "model_fingerprint": "sha256:…",
//    "samples": {"begin": a, "end": b, "count": n},     the range [a, b) of the n samples
//    "loss": name, "loss_parameters": ["p/q", …], "reduction": "mean" | "sum" (the model's,
//    applied by combine), "arith": "exact", "engine": "dyadic" | "rational" (the whole batch's,
//    as grad MODEL names it), "range_engine": the one that computed this range,
//    "cost_sum": Σ of the range's sample costs,
//    "layers": [{"weights": [[…]], "bias": […]}, …]     Σ of the range's per-sample gradients,
//    "kinks": [{"layer", "sample", "unit", "site"}, …]  D11, samples numbered in the whole batch,
//    "kink_enclosures": [{"tensor": "layers[l].weights", "entry": [i, j],
//                         "lower", "upper", "one"}, …]  the range's C3 sums of its kink-dependent
//                                                       entries (every other entry: its value)}
//
// Usage (tests/shard_test.cpp, case usage_example_of_shard_hpp):
//   auto a = matbp::compute_partial(model, 0, 3), b = matbp::compute_partial(model, 3, 6);  // n = 6
//   matbp::combine_partials({a, b})           // == compute_gradients(model, arith exact)

#include "matbp/oracle.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace matbp {

/// The unreduced reference of a sample range of a model (C4).
struct partial_reference {
    std::string fingerprint;          ///< model_fingerprint of the whole model
    Eigen::Index begin = 0, end = 0;  ///< the samples [begin, end), 0-based
    Eigen::Index count = 0;           ///< n, the samples of the whole model
    reduction red = reduction::mean;  ///< the model's reduction, applied by combine_partials
    gradient_reference sums;          ///< exact, reduction sum over the range; kinks numbered
                                      ///< in the whole batch; engine: the one compute_gradients
                                      ///< names for the whole batch (what grad MODEL prints)
    std::string range_engine;         ///< the engine that computed this range's sums
    std::string source;               ///< where it was read from, for messages ("" none)
};

/// "sha256:" and the SHA-256 (FIPS 180-4) of the model's exact content, in hex: the layers
/// (activation name and parameters, weights, bias), the loss and its parameters, the reduction,
/// the inputs and the targets, every rational as its sign and the bytes of its numerator and
/// denominator in lowest terms. Equal models have equal fingerprints.
std::string model_fingerprint(const model_spec& model);

/// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

/// C4 the unreduced sums of the samples [begin, end): compute_gradients over exact arithmetic of
/// the model restricted to those samples with reduction sum, its kinks renumbered into the whole
/// batch. Requires: 0 ≤ begin < end ≤ n (contract C4). Throws unsupported_error for a model with
/// no exact evaluation, and what compute_gradients throws.
partial_reference compute_partial(const model_spec& model, Eigen::Index begin, Eigen::Index end,
                                  const resource_limits& limits = {});

/// C4 the reference of the whole batch: ρ (the model's reduction over n samples) times the sum of
/// the parts, the kinks in compute_gradients' order, the enclosures summed (a part with no entry
/// for a kink-dependent entry contributes its value), the engine the parts name for the whole
/// batch. Throws input_error, naming the part's source and what is wrong, unless the parts are of
/// one model (fingerprint), one reduction, one loss, one sample count, one whole-batch engine and
/// one set of shapes, and their ranges cover 0 … n−1 without overlap or gap.
gradient_reference combine_partials(const std::vector<partial_reference>& parts);

/// The matbp-partial/1 document of a part. Requires (contract C4): its sums are points (lo = hi,
/// as compute_partial and read_partial make them), a part holding one value per entry.
std::string to_json(const partial_reference& part);
/// The same bytes, written to `out` as they are made (as write_json of a reference, oracle.hpp).
void write_json(std::ostream& out, const partial_reference& part);

/// Limits of read_partial.
struct partial_limits {
    json::limits syntax;                                   ///< max_bytes also bounds what a file read takes
    parse_limits number{std::size_t{1} << 20, 100000};     ///< one exact string
    std::size_t max_samples = model_limits{}.max_samples;  ///< "count", as a model's n
};

/// The part a matbp-partial/1 text describes. Throws input_error naming the JSON path: a
/// format other than matbp-partial/1, arith other than exact, an unknown key, a missing one, a
/// range with begin ≥ end or end > count, a count above max_samples, a value that is not an exact string, ragged or
/// unchained shapes, a kink or enclosure entry out of range or out of order, an enclosure that does not hold its
/// bounds' order (lower ≤ one ≤ upper).
partial_reference read_partial(std::string_view text, const partial_limits& limits = {});

/// The same from a file (source = path; messages prefixed with it). input_error for a missing,
/// unreadable or empty file, resource_error (file_bytes) past limits.syntax.max_bytes.
partial_reference read_partial_file(const std::string& path, const partial_limits& limits = {});

}  // namespace matbp
