// matbp/oracle_text.cpp — the text table of a check (oracle.hpp, to_text): what `matbp check`
// prints and what the Python module's str(Report) returns, written in one place.
#include "matbp/convert.hpp"
#include "matbp/oracle.hpp"

#include <iomanip>
#include <sstream>
#include <string>

namespace matbp {

namespace {

/// A double for a text table: three significant digits, "inf" past the double range (text only;
/// JSON output never holds it).
std::string short_number(double d) {
    std::ostringstream s;
    s << std::setprecision(3) << d;
    return s.str();
}

}  // namespace

std::string kink_enclosures_to_text(const gradient_reference& ref, const json_options& options,
                                    std::size_t* out_of_range) {
    std::ostringstream out;
    for (const kink_entry_ref& e : kink_entries(ref)) {
        const tensor_range& t = e.tensor;
        const Eigen::Index i = e.row, j = e.col;
        out << "layers[" << e.layer << "]." << (e.bias ? "bias" : "weights") << " (" << i << "," << j << ") "
            << value_to_json(t.lo(i, j), t.hi(i, j), options, out_of_range) << " in ["
            << value_to_json(t.clarke_lo(i, j), t.clarke_lo(i, j), options, out_of_range) << ", "
            << value_to_json(t.clarke_hi(i, j), t.clarke_hi(i, j), options, out_of_range) << "], one "
            << value_to_json(t.one(i, j), t.one(i, j), options, out_of_range) << "\n";
    }
    return out.str();
}

std::string to_text(const check_report& rep) {
    std::ostringstream out;
    const char* prec = rep.format == float_format::float32 ? "float32" : "float64";
    const bool bound = rep.verdict == "bound";
    out << "matbp check: reference in " << rep.arith.str() << " [" << rep.engine << "]"
        << (rep.arith.certified() ? " (certified)" : " (not certified)");
    if (bound)
        out << ", precision " << rep.precision << ", ULPs of " << prec
            << ", pass if every entry is within its rounding bound of its admissible set (T3)";
    else
        out << ", ULPs of " << prec << ", pass if normwise error <= " << short_number(rep.max_rel);
    out << (rep.max_ulps ? " and every entry <= " + std::to_string(*rep.max_ulps) + " ULPs" : "")
        << "; indices 0-based\n";
    if (!rep.verdict_note.empty()) out << "verdict: " << rep.verdict_note << "\n";
    out << std::left << std::setw(20) << "tensor" << std::setw(10) << "worst";
    if (bound) out << std::setw(12) << "bound use";
    out << std::setw(22) << "ULPs" << std::setw(12) << "abs err" << std::setw(14) << "normwise" << std::setw(28)
        << "kink entries (worst ULPs)"
        << "verdict\n";
    for (const auto& t : rep.tensors) {
        std::ostringstream at, kk;
        // Under the bound verdict the worst entry is the one that uses the most of its bound.
        at << "(" << (bound ? t.use_row : t.worst_row) << "," << (bound ? t.use_col : t.worst_col) << ")";
        kk << t.kink_entries;
        if (t.kink_entries) kk << " (" << t.worst_kink_ulps << ")";
        if (t.kink_outside) kk << " " << t.kink_outside << " out";
        if (!t.kink_match.empty()) kk << " " << t.kink_match;
        out << std::setw(20) << t.name << std::setw(10) << at.str();
        if (bound) out << std::setw(12) << short_number(t.bound_use);
        out << std::setw(22) << (bound ? t.use_ulps : t.worst_ulps) << std::setw(12)
            << short_number(bound ? to_double(t.use_distance) : t.worst_abs_error) << std::setw(14)
            << short_number(t.normwise_rel) + (t.relative ? "" : " abs") << std::setw(28) << kk.str()
            << (t.pass ? "pass" : "FAIL") << (t.beyond_bound ? " (" + std::to_string(t.beyond_bound) + " beyond)" : "")
            << "\n";
    }
    if (!rep.near_kinks.empty()) {
        out << rep.near_kinks.size() << " unit(s) near a kink (a correct implementation may take either side; "
            << (bound ? "both are admitted, T3):" : "not judged by T3 here, see the verdict line):");
        std::size_t shown = 0;
        for (const auto& k : rep.near_kinks) {
            if (shown++ == 10) {
                out << " ... (" << rep.near_kinks.size() - 10 << " more in JSON)";
                break;
            }
            out << " layer " << k.layer - 1 << " sample " << k.sample << " unit " << k.unit
                << (k.site == kink_site::loss ? " (loss)" : "") << ";";
        }
        out << "\n";
    }
    if (rep.kinks != 0) {
        out << rep.kinks << " kink(s): ";
        if (rep.strict_kinks)
            out << "kink entries must match the convention " << kink_convention() << " (--strict-kinks)";
        else if (rep.enclosure)
            out << "kink entries must lie in their Clarke enclosure (every derivative between the one-sided ones "
                   "at each kink, C3)"
                << (bound ? ", widened by their rounding bound" : "");
        else
            out << "kink entries take their reference from the convention " << kink_convention()
                << "; without an exact reference they do not decide the verdict (--strict-kinks to judge them)";
        if (!rep.kink_match.empty())
            out << "; the entries inside match the " << rep.kink_match << " convention"
                << (rep.kink_match == "zero"    ? " (relu'(0) = 0: PyTorch, TensorFlow, JAX)"
                    : rep.kink_match == "one"   ? " (relu'(0) = 1)"
                    : rep.kink_match == "mixed" ? " (zero at some entries, one at others)"
                                                : " (inside the enclosure, neither zero nor one)");
        out << "\n";
    }
    out << (rep.pass ? "PASS" : "FAIL") << "\n";
    return out.str();
}

}  // namespace matbp
