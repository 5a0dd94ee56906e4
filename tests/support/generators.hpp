#pragma once
// Random inputs for property tests: rationals with mixed signs and denominators, doubles with a
// chosen exponent spread, and matrices of them. RapidCheck shrinks through the integer pairs, so a
// counterexample comes out with small shapes, small numerators and denominator 1 where possible.

#include "matbp/scalar.hpp"

#include <rapidcheck.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace matbp::testing {

/// p/q with p ∈ [−24, 24], q ∈ [1, 12]; shrinks towards 0 and towards denominator 1.
inline rc::Gen<exact> gen_exact() {
    return rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 49), rc::gen::inRange(1, 13)),
                        [](const std::pair<int, int>& kq) {
                            // k = 0, 1, 2, 3, … ↦ p = 0, −1, 1, −2, …
                            const int p = kq.first % 2 ? -(kq.first + 1) / 2 : kq.first / 2;
                            return exact(p) / exact(kq.second);
                        });
}

/// A double in [−2, 2) times 2^[−s, s): 31 significant bits, exponents spread as asked.
inline rc::Gen<double> gen_float64(int s = 30) {
    return rc::gen::map(
        rc::gen::pair(rc::gen::arbitrary<std::int32_t>(), rc::gen::inRange(-s, s)),
        [](const std::pair<std::int32_t, int>& p) { return std::ldexp(p.first / 1073741824.0, p.second); });
}

/// A rows × cols matrix with entries from `entries` (default: gen_exact()).
inline rc::Gen<matrix<exact>> gen_matrix(Eigen::Index rows, Eigen::Index cols, rc::Gen<exact> entries = gen_exact()) {
    return rc::gen::map(
        rc::gen::container<std::vector<exact>>(static_cast<std::size_t>(rows * cols), std::move(entries)),
        [rows, cols](const std::vector<exact>& v) {
            matrix<exact> M(rows, cols);
            for (Eigen::Index k = 0; k < rows * cols; ++k) M(k % rows, k / rows) = v[k];
            return M;
        });
}

/// A dimension in 1…6, the range the issue asks the property tests to cover.
inline Eigen::Index gen_dim() { return *rc::gen::inRange(1, 7); }

/// Entrywise |M|.
inline matrix<exact> abs_of(const matrix<exact>& M) {
    return M.unaryExpr([](const exact& x) { return exact(bmp::abs(x)); });
}

}  // namespace matbp::testing

#include "matbp/activation.hpp"
#include "matbp/loss.hpp"

namespace matbp::testing {

/// A random activation from the exact catalogue (D10): identity, ReLU, leaky ReLU with a random
/// rational slope, hardtanh with random rational ends lo < hi, softsign, or a polynomial of
/// degree ≤ 3 with random rational coefficients.
inline rc::Gen<activation<exact>> gen_activation() {
    return rc::gen::oneOf(
        rc::gen::just(activation<exact>(identity_fn{})), rc::gen::just(activation<exact>(relu_fn{})),
        rc::gen::map(gen_exact(), [](const exact& s) { return activation<exact>(leaky_relu_fn<exact>{s}); }),
        rc::gen::map(rc::gen::pair(gen_exact(), gen_exact()),
                     [](const std::pair<exact, exact>& e) {
                         // lo < hi: the smaller end, and the larger (or lo + 1 when they are equal).
                         const exact lo = e.first < e.second ? e.first : e.second;
                         const exact hi = e.first == e.second ? exact(lo + 1) : e.first < e.second ? e.second : e.first;
                         return activation<exact>(hardtanh_fn<exact>{lo, hi});
                     }),
        rc::gen::just(activation<exact>(softsign_fn{})),
        rc::gen::map(rc::gen::nonEmpty(rc::gen::container<std::vector<exact>>(gen_exact())), [](std::vector<exact> c) {
            if (c.size() > 4) c.resize(4);
            return activation<exact>(polynomial_fn<exact>{c});
        }));
}

/// A random exact loss from the registry (D9): squared_error, mse, huber with a random positive
/// δ, or l1.
inline rc::Gen<loss_function<exact>> gen_loss() {
    return rc::gen::oneOf(rc::gen::just(loss_function<exact>(squared_error_loss{})),
                          rc::gen::just(loss_function<exact>(mse_loss{})),
                          rc::gen::map(gen_exact(),
                                       [](const exact& d) {
                                           const exact delta = d == 0 ? exact(1) : d < 0 ? exact(-d) : d;
                                           return loss_function<exact>(huber_loss<exact>{delta});
                                       }),
                          rc::gen::just(loss_function<exact>(l1_loss{})));
}

/// A column whose entries are often exactly 0, so kinks (D11) are hit.
inline rc::Gen<matrix<exact>> gen_column_with_zeros(Eigen::Index m) {
    return rc::gen::map(rc::gen::container<std::vector<std::pair<bool, exact>>>(
                            static_cast<std::size_t>(m), rc::gen::pair(rc::gen::arbitrary<bool>(), gen_exact())),
                        [m](const std::vector<std::pair<bool, exact>>& v) {
                            matrix<exact> z(m, 1);
                            for (Eigen::Index i = 0; i < m; ++i) z(i, 0) = v[i].first ? exact(0) : v[i].second;
                            return z;
                        });
}

}  // namespace matbp::testing

namespace matbp {
/// RapidCheck finds this by argument-dependent lookup (the variant's alternatives live in matbp)
/// and prints counterexample activations with their parameters.
inline void showValue(const activation<exact>& f, std::ostream& os) {
    os << activation_name<exact>(f) << "(";
    for (const auto& c : parameters_of<exact>(f)) os << c << " ";
    os << ")";
}
}  // namespace matbp
