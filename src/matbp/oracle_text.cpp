// matbp/oracle_text.cpp — the text table of a check (oracle.hpp, to_text): what `matbp check`
// prints and what the Python module's str(Report) returns, written in one place.
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

std::string to_text(const check_report& rep) {
    std::ostringstream out;
    const char* prec = rep.format == float_format::float32 ? "float32" : "float64";
    out << "matbp check: reference in " << rep.arith.str() << " [" << rep.engine << "]"
        << (rep.arith.certified() ? " (certified)" : " (not certified)") << ", ULPs of " << prec
        << ", pass if normwise error <= " << short_number(rep.max_rel)
        << (rep.max_ulps ? " and every entry <= " + std::to_string(*rep.max_ulps) + " ULPs" : "")
        << "; indices 0-based\n";
    out << std::left << std::setw(20) << "tensor" << std::setw(10) << "worst" << std::setw(22) << "ULPs"
        << std::setw(12) << "abs err" << std::setw(14) << "normwise" << std::setw(28) << "kink entries (worst ULPs)"
        << "verdict\n";
    for (const auto& t : rep.tensors) {
        std::ostringstream at, kk;
        at << "(" << t.worst_row << "," << t.worst_col << ")";
        kk << t.kink_entries;
        if (t.kink_entries) kk << " (" << t.worst_kink_ulps << ")";
        out << std::setw(20) << t.name << std::setw(10) << at.str() << std::setw(22) << t.worst_ulps << std::setw(12)
            << short_number(t.worst_abs_error) << std::setw(14)
            << short_number(t.normwise_rel) + (t.relative ? "" : " abs") << std::setw(28) << kk.str()
            << (t.pass ? "pass" : "FAIL") << "\n";
    }
    if (rep.kinks != 0)
        out << rep.kinks << " kink(s): kink entries take their reference from the convention " << kink_convention()
            << (rep.strict_kinks ? " and are judged (--strict-kinks)"
                                 : "; they do not decide the verdict (--strict-kinks to judge them)")
            << "\n";
    out << (rep.pass ? "PASS" : "FAIL") << "\n";
    return out.str();
}

}  // namespace matbp
