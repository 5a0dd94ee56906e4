#pragma once
// How each scalar type checks a statement whose exact value is known:
//   exact     ==                              (the statement itself)
//   interval  the enclosure contains the exact value (certification)
//   double    |computed − exact| ≤ k·ε·bound, bound = the same expression evaluated on |inputs|.
//             Reason: every lemma here is a sum of products; the forward error of a length-n
//             dot product is ≤ γ_n·Σ|xᵢyᵢ| with γ_n = nε/(1−nε) (Higham, Accuracy and Stability,
//             Thm 3.5), plus one rounding per converted input factor. k is stated per lemma.

#include "matbp/convert.hpp"
#include "matbp/scalar.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace matbp::testing {

/// "" if every entry of `got` is within k·ε·bound of `want`, else a description of the worst entry.
inline std::string double_within(const matrix<double>& got, const matrix<exact>& want, const matrix<exact>& bound,
                                 double k) {
    if (got.rows() != want.rows() || got.cols() != want.cols()) return "shape differs";
    const double eps = std::numeric_limits<double>::epsilon();
    for (Eigen::Index j = 0; j < got.cols(); ++j)
        for (Eigen::Index i = 0; i < got.rows(); ++i) {
            exact err = bmp::abs(to_exact(got(i, j)) - want(i, j));
            exact tol = exact(to_exact(k * eps)) * bound(i, j);
            if (err > tol) {
                std::ostringstream os;
                os << "entry (" << i << "," << j << "): got " << got(i, j) << ", exact " << to_string(want(i, j))
                   << ", error " << to_double(err) << " > tol " << to_double(tol);
                return os.str();
            }
        }
    return "";
}

/// "" if every interval entry of `got` contains the matching exact entry.
inline std::string interval_encloses(const matrix<interval>& got, const matrix<exact>& want) {
    if (got.rows() != want.rows() || got.cols() != want.cols()) return "shape differs";
    for (Eigen::Index j = 0; j < got.cols(); ++j)
        for (Eigen::Index i = 0; i < got.rows(); ++i)
            if (!encloses(got(i, j), want(i, j))) {
                std::ostringstream os;
                os << "entry (" << i << "," << j << "): " << got(i, j) << " misses " << to_string(want(i, j));
                return os.str();
            }
    return "";
}

}  // namespace matbp::testing
