// The oracle's documents as JSON: matbp-gradients/1 (gradient_reference) and matbp-check/1
// (check_report), written through the one JSON writer (json_writer.hpp). oracle.hpp states the
// rules, in particular how a value beyond the double range is written.
#include "matbp/convert.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/oracle_json_detail.hpp"
#include "matbp/oracle.hpp"
#include "matbp/registry.hpp"
#include "matbp/version.hpp"

#include <cmath>
#include <limits>
#include <optional>

namespace matbp {

std::string_view kink_convention() {
    // From the registries: the convention is the last "; " part of each member's formula that
    // states a derivative at a point ("relu'(0) = 0", "sign(0) = 0 at a zero residual").
    static const std::string text = [] {
        std::string s;
        for (const auto registry : {activation_registry(), loss_registry()})
            for (const auto* f : registry) {
                const auto at = f->formula.rfind("; ");
                if (at == std::string_view::npos) continue;
                const auto part = f->formula.substr(at + 2);
                if (part.find("'(") == std::string_view::npos && part.find("sign(0)") == std::string_view::npos)
                    continue;
                s += (s.empty() ? "" : ", ") + std::string(part);
            }
        return s + " (PyTorch)";
    }();
    return text;
}

namespace {

using value_format = json_options::value_format;

/// |q| beyond the largest finite double: such a value is written exactly in every direction.
bool beyond_double(const exact& q) {
    static const exact largest = to_exact(std::numeric_limits<double>::max());
    return q > largest || q < -largest;
}

/// q rounded to double: to nearest (direction 0), down (−1: the largest double ≤ q) or up (+1).
/// Requires: !beyond_double(q), so that the double exists.
double rounded(const exact& q, int direction) {
    double d = to_double(q);
    if (direction < 0 && to_exact(d) > q) d = std::nextafter(d, -INFINITY);
    if (direction > 0 && to_exact(d) < q) d = std::nextafter(d, INFINITY);
    return d;
}

/// q as a JSON value: the exact string "p/q"; or, as doubles, the rounded double when it exists,
/// else the exact string again, counted in *out_of_range.
void write_value(json::writer& w, const exact& q, value_format f, int direction, std::size_t* out_of_range) {
    if (f == value_format::float64) {
        if (!beyond_double(q)) {
            w.number(rounded(q, direction));
            return;
        }
        if (out_of_range) ++*out_of_range;
    }
    w.string(to_string(q));
}

/// [lo, hi]: one value when lo = hi, else {"lower", "upper"} rounded outward.
void write_range(json::writer& w, const exact& lo, const exact& hi, value_format f, std::size_t* n) {
    if (lo == hi) return write_value(w, lo, f, 0, n);
    w.begin_object(json::layout::line).key("lower");
    write_value(w, lo, f, -1, n);
    w.key("upper");
    write_value(w, hi, f, +1, n);
    w.end_object();
}

/// The dyadic form of a point tensor (t.lo is t.hi, held as scale·D with dyadic_entries applying),
/// or nullopt: then the rationals are read.
std::optional<dyadic_entries> dyadic_point(const tensor_range& t) {
    const dyadic_matrix* D = t.lo.dyadic();
    if (!D || !(t.lo == t.hi)) return std::nullopt;
    return dyadic_entries::of(*D, t.lo.scale());
}

/// Entry k of a dyadic point tensor as write_value writes its value (direction 0), read off the
/// dyadic form: the same text.
void write_entry(json::writer& w, const dyadic_entries& E, std::size_t k, value_format f, std::size_t* n,
                 std::string& text) {
    if (f == value_format::float64) {
        const double r = E.rounded(k, 0);
        if (std::isfinite(r) && std::abs(r) != std::numeric_limits<double>::max()) {
            w.number(r);  // not beyond the double range: only its ends round to ±max or ±Inf
            return;
        }
        if (!E.beyond_double(k)) {
            w.number(r);
            return;
        }
        if (n) ++*n;
    }
    text.clear();
    E.append_text(k, text);
    w.string(text);
}

/// A weight matrix as rows (one per line unless `line`), or a bias as one array.
void write_tensor(json::writer& w, const tensor_range& t, bool as_vector, bool line, value_format f, std::size_t* n) {
    w.begin_array(as_vector || line ? json::layout::line : json::layout::block);
    const Eigen::Index rows = t.lo.rows(), cols = t.lo.cols();
    if (const auto E = dyadic_point(t)) {
        std::string text;
        for (Eigen::Index i = 0; i < rows; ++i) {
            if (as_vector) {
                write_entry(w, *E, static_cast<std::size_t>(i), f, n, text);
                continue;
            }
            w.begin_array(json::layout::line);
            for (Eigen::Index j = 0; j < cols; ++j)
                write_entry(w, *E, static_cast<std::size_t>(i + j * rows), f, n, text);
            w.end_array();
        }
        w.end_array();
        return;
    }
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    for (Eigen::Index i = 0; i < rows; ++i) {
        if (as_vector) {
            write_range(w, lo(i, 0), hi(i, 0), f, n);
            continue;
        }
        w.begin_array(json::layout::line);
        for (Eigen::Index j = 0; j < cols; ++j) write_range(w, lo(i, j), hi(i, j), f, n);
        w.end_array();
    }
    w.end_array();
}

/// How many values write_range would write exactly for want of range.
std::size_t beyond_range(const exact& lo, const exact& hi) {
    return lo == hi ? beyond_double(lo) : beyond_double(lo) + beyond_double(hi);
}

std::size_t beyond_range(const tensor_range& t) {
    if (const auto E = dyadic_point(t)) {
        std::size_t n = 0;
        for (std::size_t k = 0; k < static_cast<std::size_t>(t.lo.size()); ++k) n += E->beyond_double(k);
        return n;
    }
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    std::size_t n = 0;
    for (Eigen::Index j = 0; j < lo.cols(); ++j)
        for (Eigen::Index i = 0; i < lo.rows(); ++i) n += beyond_range(lo(i, j), hi(i, j));
    return n;
}

/// How many values of the kink_enclosures entries of t (value, lower, upper, one) are written
/// exactly for want of range.
std::size_t beyond_enclosure(const tensor_range& t) {
    std::size_t n = 0;
    if (!t.has_enclosure()) return n;
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    for (Eigen::Index j = 0; j < lo.cols(); ++j)
        for (Eigen::Index i = 0; i < lo.rows(); ++i)
            if (t.kink_dependent[static_cast<std::size_t>(i + j * lo.rows())])
                n += beyond_range(lo(i, j), hi(i, j)) + beyond_double(t.clarke_lo(i, j)) +
                     beyond_double(t.clarke_hi(i, j)) + beyond_double(t.one(i, j));
    return n;
}

std::int64_t index(Eigen::Index i) { return static_cast<std::int64_t>(i); }

const char* format_name(float_format f) { return f == float_format::float64 ? "float64" : "float32"; }

/// An error of a check: the double when finite, else the exact value as a string (oracle.hpp).
void write_error(json::writer& w, double d, const std::string& exact_text) {
    if (std::isfinite(d))
        w.number(d);
    else
        w.string(exact_text);
}

/// One fragment (no closing newline) for text output.
std::string fragment(const json::writer& w) {
    std::string s = w.str();
    s.pop_back();
    return s;
}

}  // namespace

void detail::write_kinks(json::writer& w, const std::vector<kink>& kinks) {
    w.begin_array(json::layout::block);
    for (const auto& k : kinks)
        w.begin_object(json::layout::line)
            .key("layer")
            .integer(index(k.layer - 1))
            .key("sample")
            .integer(index(k.sample))
            .key("unit")
            .integer(index(k.unit))
            .key("site")
            .string(k.site == kink_site::loss ? "loss" : "activation")
            .end_object();
    w.end_array();
}

void detail::write_exact_tensor(json::writer& w, const tensor_range& t, bool as_vector) {
    write_tensor(w, t, as_vector, false, value_format::exact, nullptr);
}

std::string value_to_json(const exact& lo, const exact& hi, const json_options& options, std::size_t* out_of_range) {
    json::writer w;
    write_range(w, lo, hi, options.values, out_of_range);
    return fragment(w);
}

std::string tensor_to_json(const tensor_range& t, bool as_vector, const json_options& options,
                           std::size_t* out_of_range) {
    json::writer w;
    write_tensor(w, t, as_vector, true, options.values, out_of_range);
    return fragment(w);
}

namespace {

void write_reference(json::writer& w, const gradient_reference& ref, const json_options& options) {
    const bool dbl = options.values == value_format::float64;
    w.begin_object()
        .key("format")
        .string("matbp-gradients/1")
        .key("matbp_version")
        .string(version())
        .key("arith")
        .string(ref.arith.str())
        .key("engine")
        .string(ref.engine)
        .key("certified")
        .boolean(ref.arith.certified())
        .key("loss")
        .string(to_string(ref.loss_kind))
        .key("reduction")
        .string(to_string(ref.red))
        .key("values")
        .string(dbl ? "double" : "exact");
    if (dbl) {
        std::size_t n = beyond_range(ref.cost_lo, ref.cost_hi);
        for (std::size_t l = 0; l < ref.weights.size(); ++l)
            n += beyond_range(ref.weights[l]) + beyond_range(ref.bias[l]) + beyond_enclosure(ref.weights[l]) +
                 beyond_enclosure(ref.bias[l]);
        w.key("out_of_double_range").integer(n);
    }
    w.key("cost");
    write_range(w, ref.cost_lo, ref.cost_hi, options.values, nullptr);
    w.key("layers").begin_array(json::layout::block);
    for (std::size_t l = 0; l < ref.weights.size(); ++l) {
        w.begin_object().key("weights");
        write_tensor(w, ref.weights[l], false, false, options.values, nullptr);
        w.key("bias");
        write_tensor(w, ref.bias[l], true, false, options.values, nullptr);
        w.end_object();
    }
    w.end_array();
    // D11 numbers layers from 1 as the proof does; the document indexes its own "layers" array.
    w.key("kinks");
    detail::write_kinks(w, ref.kinks);
    w.key("kink_convention").string(kink_convention());
    // C3: per kink-dependent entry, its conventional value and the Clarke enclosure (outward).
    w.key("kink_enclosures").begin_array(json::layout::block);
    for (const kink_entry_ref& e : kink_entries(ref)) {
        const tensor_range& t = e.tensor;
        const Eigen::Index i = e.row, j = e.col;
        w.begin_object(json::layout::line)
            .key("tensor")
            .string("layers[" + std::to_string(e.layer) + "]." + (e.bias ? "bias" : "weights"));
        w.key("entry").begin_array().integer(index(i)).integer(index(j)).end_array().key("value");
        write_range(w, t.lo(i, j), t.hi(i, j), options.values, nullptr);
        w.key("lower");
        write_value(w, t.clarke_lo(i, j), options.values, -1, nullptr);
        w.key("upper");
        write_value(w, t.clarke_hi(i, j), options.values, +1, nullptr);
        w.key("one");
        write_value(w, t.one(i, j), options.values, 0, nullptr);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

}  // namespace

std::string to_json(const gradient_reference& ref, const json_options& options) {
    json::writer w;
    write_reference(w, ref, options);
    return w.str();
}

void write_json(std::ostream& out, const gradient_reference& ref, const json_options& options) {
    json::writer w(out);
    write_reference(w, ref, options);
}

std::string to_json(const check_report& r, const json_options&) {
    std::size_t out_of_range = 0;
    for (const auto& c : r.tensors)
        out_of_range +=
            !std::isfinite(c.worst_abs_error) + !std::isfinite(c.max_abs_error) + !std::isfinite(c.normwise_rel) +
            (r.verdict == "bound" ? !std::isfinite(to_double(c.use_distance)) + !std::isfinite(to_double(c.use_bound))
                                  : 0);
    json::writer w;
    w.begin_object()
        .key("format")
        .string("matbp-check/1")
        .key("matbp_version")
        .string(version())
        .key("arith")
        .string(r.arith.str())
        .key("engine")
        .string(r.engine)
        .key("certified")
        .boolean(r.arith.certified())
        .key("precision")
        .string(r.precision.empty() ? std::string(format_name(r.format)) : r.precision)
        .key("ulp_format")
        .string(format_name(r.format))
        .key("verdict")
        .string(r.verdict)
        .key("verdict_note");
    if (r.verdict_note.empty())
        w.null();
    else
        w.string(r.verdict_note);
    w.key("max_rel");
    if (r.verdict == "normwise")
        w.number(r.max_rel);
    else
        w.null();
    w.key("max_ulps");
    if (r.max_ulps)
        w.integer(*r.max_ulps);
    else
        w.null();
    w.key("strict_kinks")
        .boolean(r.strict_kinks)
        .key("kink_rule")
        .string(r.strict_kinks ? "convention"
                : r.enclosure  ? "enclosure"
                               : "not judged")
        .key("kink_match");
    if (r.kink_match.empty())
        w.null();
    else
        w.string(r.kink_match);
    w.key("pass")
        .boolean(r.pass)
        .key("out_of_double_range")
        .integer(out_of_range)
        .key("kinks")
        .integer(r.kinks)
        .key("near_kinks");
    detail::write_kinks(w, r.near_kinks);
    w.key("tensors").begin_array(json::layout::block);
    for (const auto& c : r.tensors) {
        w.begin_object(json::layout::line)
            .key("name")
            .string(c.name)
            .key("worst_entry")
            .begin_array()
            .integer(index(c.worst_row))
            .integer(index(c.worst_col))
            .end_array()
            .key("worst_ulps")
            .integer(c.worst_ulps)
            .key("worst_abs_error");
        write_error(w, c.worst_abs_error, to_string(c.worst_abs_error_exact));
        w.key("max_abs_error");
        write_error(w, c.max_abs_error, to_string(c.max_abs_error_exact));
        w.key("normwise_error");
        write_error(w, c.normwise_rel, "sqrt(" + to_string(c.normwise_squared) + ")");
        w.key("normwise_relative")
            .boolean(c.relative)
            .key("kink_entries")
            .integer(c.kink_entries)
            .key("worst_kink_ulps")
            .integer(c.worst_kink_ulps)
            .key("worst_kink_entry")
            .begin_array()
            .integer(index(c.worst_kink_row))
            .integer(index(c.worst_kink_col))
            .end_array()
            .key("kink_outside")
            .integer(c.kink_outside)
            .key("kink_match");
        if (c.kink_match.empty())
            w.null();
        else
            w.string(c.kink_match);
        // T3: the entry that uses the most of its bound (null under the normwise verdict).
        const bool bound = r.verdict == "bound";
        w.key("bound_use");
        if (bound && std::isfinite(c.bound_use))
            w.number(c.bound_use);
        else
            w.null();
        w.key("bound_use_entry");
        if (bound)
            w.begin_array().integer(index(c.use_row)).integer(index(c.use_col)).end_array();
        else
            w.null();
        w.key("bound_use_ulps");
        if (bound)
            w.integer(c.use_ulps);
        else
            w.null();
        w.key("bound_distance");
        if (bound)
            write_error(w, to_double(c.use_distance), to_string(c.use_distance));
        else
            w.null();
        w.key("bound");
        if (bound)
            write_error(w, to_double(c.use_bound), to_string(c.use_bound));
        else
            w.null();
        w.key("beyond_bound");
        if (bound)
            w.integer(c.beyond_bound);
        else
            w.null();
        w.key("pass").boolean(c.pass).end_object();
    }
    w.end_array();
    w.end_object();
    return w.str();
}

}  // namespace matbp
