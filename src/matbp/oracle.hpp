#pragma once
// matbp/oracle.hpp — matbp as a ground-truth oracle for other implementations' gradients.
//
//   compute_gradients(model, arith)   the cost and every ∇Wˡ, ∇bˡ of a model (C1), in the chosen
//                                     arithmetic, as exact enclosures [lo, hi] (lo = hi unless the
//                                     arithmetic is interval), with the kink report (D11) and, per
//                                     entry, whether its value depends on the kink convention.
//   check_gradients(result, reported, options)
//                                     compares another implementation's gradients with it: per
//                                     tensor the worst entry, its distance in ULPs from the
//                                     correctly rounded reference (float64 or float32), absolute
//                                     and normwise relative errors, and a verdict, by one of two
//                                     rules (check_report::verdict):
//                                     "bound" (T3, with check_options::bounds, which check_by_bound
//                                     in oracle_bounds.hpp fills from the rounding bound T2; what
//                                     `matbp check` uses by default): every entry lies within its
//                                     bound of its admissible set (its value, or for an entry that
//                                     depends on a kink its Clarke enclosure, C3);
//                                     "normwise" (without bounds): the normwise relative error is
//                                     at most max_rel, and an entry that depends on a kink lies in
//                                     its Clarke enclosure (C3, spec/theorem.md).
//                                     Either way the kink convention the entries match is named.
//
// Arithmetics ("--arith"): exact (ℚ, GMP; every value exact), interval:BITS (MPFI; certified
// enclosures), real:BITS (MPFR; approximate, not certified), double.
//
// ULP distance of a reported value g from a reference r: both rounded to the format (g as the
// other implementation's number, r to nearest-even), then the number of representable values
// between them (0 = the correctly rounded value). Against an enclosure [lo, hi]: 0 inside
// [round-down(lo), round-up(hi)], else the distance to the nearer end.
//
// Usage (tests/oracle_test.cpp, case usage_example_of_oracle_hpp):
//   auto model = matbp::read_model_file("model.json");
//   auto ref = matbp::compute_gradients(model, matbp::default_arith(model));
//   auto report = matbp::check_gradients(ref, matbp::read_gradients_file("torch.json", model), {});
//   report.pass

#include "matbp/dyadic.hpp"
#include "matbp/error.hpp"
#include "matbp/exact_tensor.hpp"
#include "matbp/model.hpp"
#include "matbp/network.hpp"
#include "matbp/scalar.hpp"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace matbp {

struct arith_spec {
    enum class kind { exact, real, interval, float64 } k = kind::exact;
    unsigned bits = 0;  ///< real and interval only
    std::string str() const;
    bool certified() const { return k == kind::exact || k == kind::interval; }
};

/// "exact", "double", "real:BITS", "interval:BITS" with 2 ≤ BITS ≤ 1'000'000.
/// Throws input_error (path "arith") otherwise.
arith_spec parse_arith(std::string_view text);

/// True iff every activation and the loss can be evaluated over ℚ.
bool model_is_exact(const model_spec& model);

/// The model's network over T (exact: every activation rational-closed, else unsupported_error
/// naming the layer). Instantiated for exact, double, real and interval.
template <scalar T>
mlp<T> build_network(const model_spec& model);

/// The model's loss over T (exact: a loss with an exact evaluation, else input_error naming
/// "loss"). Instantiated for exact, double, real and interval.
template <scalar T>
loss_function<T> build_loss(const model_spec& model);

/// exact where the model allows, else interval:256.
arith_spec default_arith(const model_spec& model);

/// A reference's tensors are exact_tensor (exact_tensor.hpp): rationals, or scale·D for the
/// exact fast path's dyadic matrices, whose rationals are made only when asked for; the oracle's
/// writer and check read the dyadic form directly (dyadic(), scale()).

/// An enclosure of a tensor: lo ≤ true ≤ hi entrywise (lo = hi when exact). For real and double
/// arithmetic lo = hi is the computed approximation, not an enclosure.
struct tensor_range {
    exact_tensor lo, hi;
    std::vector<bool> kink_dependent;  ///< column-major, one flag per entry
    /// C3 the Clarke enclosure of every entry over every admissible derivative at the kinks
    /// (kink_enclosure): clarke_lo ≤ g ≤ clarke_hi for each choice; equal to lo = hi for an
    /// entry that depends on no kink. Empty (0 × 0) unless the reference is exact and has kinks.
    matrix<exact> clarke_lo, clarke_hi;
    /// The entry's value when every activation kink takes its other one-sided derivative
    /// (relu′(0) = 1, leaky_relu′(0) = 1, hardtanh′(ends) = 1; l1 keeps sign(0) = 0): the
    /// "one" convention. Empty when clarke_lo is.
    matrix<exact> one;
    bool has_enclosure() const { return clarke_lo.size() != 0; }
};

struct gradient_reference {
    arith_spec arith;
    /// How the values were computed: "rational" (GMP ℚ), "dyadic" (the exact fast path of
    /// dyadic.hpp: GMP integers with shared binary exponents), "interval", "real", "double".
    std::string engine;
    loss_spec loss_kind;
    reduction red;
    exact cost_lo, cost_hi;
    std::vector<tensor_range> weights, bias;  ///< index l − 1 for layer l
    std::vector<kink> kinks;                  ///< D11, layer 1-based
};

/// Bounds on one computation. Exact arithmetic can blow up: a polynomial activation of degree d
/// multiplies the bit size of every number by about d per layer. Checked after every layer of the
/// forward and backward pass, and before an activation is applied (predicting its size).
struct resource_limits {
    std::size_t max_bits = 1'000'000;  ///< bits of any numerator or denominator (exact arithmetic)
    double max_seconds = 3600;         ///< wall-clock budget; 0 means none
    unsigned threads = 0;              ///< most threads the exact fast path uses; 0: every core
                                       ///< (its result is the same for every count); also the
                                       ///< double path's OpenBLAS threads (blas.hpp)
    /// Called on the computing thread with the time and bits checks, after every layer's stage;
    /// it may throw to stop the run (the Python module raises KeyboardInterrupt from it after
    /// Ctrl-C). Empty: none.
    std::function<void()> poll;
};

// A limit that is hit throws resource_error (error.hpp): resource::time or resource::bits, the
// message naming the layer and the size.

/// The reference gradients of a model (C1) in the given arithmetic. Throws unsupported_error for
/// an exact evaluation the model does not allow (tanh, softmax_cross_entropy, …), resource_error
/// past a limit (resource::time, resource::bits) or when the arithmetic's range or precision
/// fails (resource::precision: a double overflowed, an enclosure became unbounded).
///
/// Exact: float64-valued (dyadic) models whose activations are piecewise linear and whose loss is
/// squared_error or mse take the dyadic engine (dyadic.hpp, no gcd ever; exact_fast_path_applies),
/// all others the rationals; the values are the same. The dyadic engine's results are kept in
/// dyadic form (exact_tensor) until they are written or compared.
gradient_reference compute_gradients(const model_spec& model, const arith_spec& arith,
                                     const resource_limits& limits = {});

/// C1.dyadic whether compute_gradients(model, exact) takes the exact fast path (its engine is
/// "dyadic"): dyadic_problem::prepare (dyadic.hpp, the one rule) on the model's layers, inputs,
/// targets and loss. Requires: model_is_exact(model).
bool exact_fast_path_applies(const model_spec& model);

enum class float_format { float64, float32 };

struct check_options {
    float_format format = float_format::float64;
    std::optional<double> max_rel;          ///< default 1e-10 (float64) or 1e-4 (float32)
    std::optional<std::uint64_t> max_ulps;  ///< off unless given
    /// Kink entries (exact reference with kinks) always must lie in their Clarke enclosure (C3)
    /// up to the entry's bound; strict_kinks requires the D11 convention (PyTorch's) instead.
    bool strict_kinks = false;
    /// The absolute bound an entry may lie outside its admissible set, when given: (tensor index
    /// as in check_report::tensors, row, column) → bound, or nullopt for the default rule. The
    /// default: |distance|·‖ref‖⁻¹ ≤ max_rel for one entry alone (the normwise rule applied to a
    /// single wrong entry), and ULPs ≤ max_ulps when given. A rigorous rounding bound plugs in here.
    std::function<std::optional<exact>(std::size_t, Eigen::Index, Eigen::Index)> entry_bound;
    /// T3 the verdict by bound: when nonempty, one tensor per tensor in check_report::tensors'
    /// order (weights then bias of each layer, as tensor_bounds), every entry ≥ 0 (checked by
    /// check_gradients, T3; finite, as every exact_tensor's value), held as doubles where they
    /// were computed as doubles (L12's float64 evaluation), else as rationals (MPFI's): each entry
    /// means its exact value, so the verdict does not depend on the form (the check reads doubles
    /// off the doubles, without a rational per entry). An entry passes iff its
    /// distance from its admissible enclosure (tensor_range::clarke_lo/hi when the reference has
    /// one, else [lo, hi]; a kink entry with strict_kinks: [lo, hi]) is at most its bound (and
    /// max_ulps when given). max_rel and entry_bound are then not used; the normwise error is
    /// reported, not deciding. check_by_bound (oracle_bounds.hpp) fills it from T2/T3.
    std::vector<exact_tensor> bounds;
    /// Most threads the check of one tensor uses (its entries split into ranges whose exact
    /// partial results are merged in order); 0: every core. The report is the same for every count.
    unsigned threads = 0;
    double max_rel_or_default() const { return max_rel ? *max_rel : format == float_format::float64 ? 1e-10 : 1e-4; }
};

struct tensor_check {
    std::string name;                           ///< JSON path: layers[0].weights
    Eigen::Index worst_row = 0, worst_col = 0;  ///< 0-based
    std::uint64_t worst_ulps = 0;               ///< among entries that do not depend on a kink
    double worst_abs_error = 0;                 ///< of that entry (+Inf when beyond the double range)
    double max_abs_error = 0;                   ///< over all non-kink entries (+Inf when beyond the double range)
    double normwise_rel = 0;  ///< ‖g − ref‖₂ / ‖ref‖₂ over non-kink entries (abs. when ‖ref‖ = 0);
                              ///< +Inf when beyond the double range
    /// The same three exactly: the errors, and the square of the normwise error (a square root
    /// is not rational). to_json writes these where the doubles are infinite.
    exact worst_abs_error_exact, max_abs_error_exact, normwise_squared;
    bool relative = true;               ///< false when ‖ref‖₂ = 0 and normwise_rel is absolute
    std::size_t kink_entries = 0;       ///< entries whose reference is a convention (D11)
    std::uint64_t worst_kink_ulps = 0;  ///< ULPs from the Clarke enclosure (from the convention with strict_kinks)
    std::size_t kink_outside = 0;       ///< kink entries outside their admissible set beyond their bound
    /// Kink entries inside it that match, within their bound, the D11 convention ("zero"), the one
    /// convention (tensor_range::one), and neither.
    std::size_t kink_match_zero = 0, kink_match_one = 0, kink_match_neither = 0;
    Eigen::Index worst_kink_row = 0, worst_kink_col = 0;  ///< the kink entry of worst_kink_ulps
    /// The kink convention the entries match (kink_convention_of): "zero", "one", "mixed",
    /// "other", or "" when there are no kink entries or no enclosure.
    std::string kink_match;
    /// T3 with check_options::bounds: the entry whose distance from its admissible enclosure is
    /// the largest fraction of its bound ("bound use"; ≤ 1 passes), that fraction (+Inf when its
    /// bound is 0 and it is off its set, or beyond the double range), its distance and bound
    /// exactly, its ULPs from the set, and the number of entries beyond their bound.
    Eigen::Index use_row = 0, use_col = 0;
    double bound_use = 0;
    exact use_distance, use_bound;
    std::uint64_t use_ulps = 0;
    std::size_t beyond_bound = 0;
    bool pass = true;
};

struct check_report {
    std::vector<tensor_check> tensors;
    bool pass = true;
    double max_rel = 0;
    std::optional<std::uint64_t> max_ulps;
    float_format format = float_format::float64;
    bool strict_kinks = false;
    arith_spec arith;        ///< of the reference
    std::string engine;      ///< of the reference
    std::size_t kinks = 0;   ///< the reference's kink count (D11)
    bool enclosure = false;  ///< kink entries judged against the Clarke enclosure (C3)
    std::string kink_match;  ///< over every tensor, as tensor_check::kink_match
    /// "bound" (T3: check_options::bounds given) or "normwise" (max_rel decides).
    std::string verdict = "normwise";
    std::string precision;         ///< D17 name of the checked precision (check_by_bound and the CLI set it), or ""
    std::string verdict_note;      ///< why the bound is not used when it was asked for, else ""
    std::vector<kink> near_kinks;  ///< T3 units near a kink where both sides are admitted
};

/// The convention kink entries match, from a tensor_check's counts: "" (none inside), "other"
/// (some entry matches neither), "zero" (all match D11's, PyTorch's), "one" (all match the one
/// convention), "mixed" (each matches one of them, not all the same).
std::string kink_convention_of(std::size_t inside, std::size_t zero, std::size_t one, std::size_t neither);

/// r.pass (every tensor passes) and r.kink_match (over every tensor's kink entries, when
/// r.enclosure) from r.tensors: check_gradients ends with it, and so does a report narrowed to
/// some of its tensors (the Python module's).
void summarize(check_report& r);

/// T3 admits both sides at the units near a kink (rounding_bounds' near_kinks): recomputes every
/// entry's enclosure (clarke_lo, clarke_hi) over every choice of the derivative at the exact kinks
/// (C3) and, at the near units, of any slope between the least and greatest of the activation's
/// pieces ([−1, 1] for an l1 residual); sets one to the values of the one convention. Requires:
/// ref = compute_gradients(model, exact) (contract T3); no-op when near is empty.
void admit_near_kinks(gradient_reference& ref, const model_spec& model, const std::vector<kink>& near);

/// An entry that depends on a kink, of a tensor with an enclosure (C3): layer l (0-based), the
/// tensor (bias or weights) and the entry (row, column); in the order grad's JSON and text list them.
struct kink_entry_ref {
    std::size_t layer;
    bool bias;
    Eigen::Index row, col;
    const tensor_range& tensor;
};
std::vector<kink_entry_ref> kink_entries(const gradient_reference& ref);

/// Compares reported gradients (one (weights, bias) pair per layer, as read_gradients returns
/// them) with the reference. Requires: shapes as the reference (read_gradients checks them).
/// A kink entry (tensor_range::kink_dependent) of a reference with an enclosure fails iff it lies
/// outside its Clarke enclosure (C3) — with strict_kinks: away from D11's value — by more than
/// its bound (check_options::entry_bound); ordinary entries are judged by the normwise rule.
/// With check_options::bounds, also requires (T3): one bound per tensor, each of its tensor's
/// shape, every entry ≥ 0.
check_report check_gradients(const gradient_reference& ref, const reported_gradients& reported,
                             const check_options& options);

// ---- JSON (oracle_json.cpp, through json_writer.hpp) ----------------------------------------
//
// Both documents carry "format" ("matbp-gradients/1", "matbp-check/1") and "matbp_version".
// Indices are 0-based everywhere ("layers[0]", kink layers, worst_entry).
//
// Values beyond the double range. Under values::float64 a reference value is written as the
// correctly rounded double (an enclosure as its outward-rounded bounds). A value beyond the
// double range (|v| greater than the largest finite double, whatever the rounding direction) is
// written instead as its exact JSON string "p/q", as under values::exact, and the document's
// "out_of_double_range" counts such values. In a check report the errors worst_abs_error,
// max_abs_error and normwise_error are JSON numbers unless beyond the double range; then they
// are strings: the exact "p/q" for the absolute errors and "sqrt(p/q)" for the normwise error,
// and "out_of_double_range" counts them. So a number field that holds a string always means
// "beyond the double range, here exactly", and no output holds inf or nan.

struct json_options {
    enum class value_format {
        exact,    ///< "p/q" strings; an enclosure as {"lower": "p/q", "upper": "p/q"}
        float64,  ///< correctly rounded doubles; an enclosure's bounds rounded outward
    };
    value_format values = value_format::exact;
};

// Kinks (C3). matbp-gradients/1 carries "kink_enclosures": one object per kink-dependent entry
// of an exact reference with kinks — "tensor" ("layers[0].weights"), "entry" [row, col], "value"
// (the conventional value, D11, as in the tensor), "lower" and "upper" (the Clarke enclosure,
// rounded outward under values::float64) and "one" (the value under the one convention); empty
// otherwise. A matbp-check/1 document carries "kink_rule" ("enclosure": kink entries must lie in
// their enclosure; "convention": --strict-kinks, they must match D11; "not judged": no exact
// reference), "kink_match" ("zero", "one", "mixed", "other" or null) and, per tensor,
// "worst_kink_ulps" (ULPs from the admissible set), "worst_kink_entry", "kink_outside" (kink
// entries outside their admissible set beyond their bound) and "kink_match".

// The verdict (T3). A matbp-check/1 document carries "verdict" ("bound" or "normwise"),
// "verdict_note" (why the bound was not used, or null), "precision" (the D17 name checked),
// "ulp_format" (float64 or float32), "max_rel" (null under "bound"), "near_kinks" (units as
// "kinks": layer, sample, unit, site, 0-based) and, per tensor, "bound_use" (the largest
// distance/bound of an entry; null under "normwise", or when a bound of 0 is exceeded),
// "bound_use_entry", "bound_use_ulps", "bound_distance" and "bound" (of that entry; numbers, or
// exact "p/q" strings beyond the double range, counted in "out_of_double_range") and
// "beyond_bound" (entries beyond their bound).

/// The matbp-gradients/1 document of a reference.
std::string to_json(const gradient_reference& ref, const json_options& options = {});
/// The same bytes, written to `out` as they are made (json_writer.hpp's sink): the document is
/// never held whole (W's exact gradients are 325 MB of text). An exception while writing (out of
/// memory) leaves `out` with a prefix of the document.
void write_json(std::ostream& out, const gradient_reference& ref, const json_options& options = {});
/// The matbp-check/1 document of a check.
std::string to_json(const check_report& report, const json_options& options = {});
/// One value [lo, hi] of a reference (lo = hi: a point) as JSON text, as to_json writes it;
/// for text output. Adds 1 to *out_of_range when it is written exactly for want of range.
std::string value_to_json(const exact& lo, const exact& hi, const json_options& options,
                          std::size_t* out_of_range = nullptr);
/// One tensor of a reference (its weights, or with as_vector its bias) as JSON text, as to_json
/// writes it.
std::string tensor_to_json(const tensor_range& t, bool as_vector, const json_options& options,
                           std::size_t* out_of_range = nullptr);

/// The check as the text table `matbp check` prints (oracle_text.cpp): a header line (the
/// reference's arithmetic and engine, the format ULPs are counted in, the pass thresholds), one
/// row per tensor (name, worst entry (row,col) 0-based, its ULPs, its absolute error, the normwise
/// error, kink entries with their worst ULPs, verdict), a kink note when the reference has kinks,
/// and PASS or FAIL. The Python module's str(Report) is this text.
std::string to_text(const check_report& report);

/// The kink enclosures of a reference (C3) as text lines, one per kink-dependent entry:
/// "layers[0].weights (1,0) 0 in [0, 3], one 3" (values written as value_to_json writes them,
/// counted in *out_of_range when written exactly for want of range); "" when it has none.
std::string kink_enclosures_to_text(const gradient_reference& ref, const json_options& options,
                                    std::size_t* out_of_range = nullptr);

/// The kink convention (D11) the reference follows, as written in "kink_convention".
std::string_view kink_convention();

/// Number of representable values of the format between the nearest-even roundings of a and b.
std::uint64_t ulp_distance(const exact& a, const exact& b, float_format f);
/// ULP distance of g from the enclosure [lo, hi] (0 when g rounds into it).
std::uint64_t ulp_distance_to_range(const exact& g, const exact& lo, const exact& hi, float_format f);

}  // namespace matbp
