#pragma once
// matbp/rounding_bound_fast.hpp — the rounding bound T2 evaluated in float64 on BLAS, rigorously
// (L12): an upper bound of the same formula rounding_bound.hpp evaluates in 128-bit MPFI, at the
// cost of a few double matrix products per layer.
//
// Statement (spec/rounding.md; proof in proofs/rounding.md)
//   L12  With u = 2⁻⁵³ and round-to-nearest binary64:
//        (i)   for doubles a, b and ∘ ∈ {+, −, ×}, the exact a ∘ b lies in
//              [nextdown(fl(a ∘ b)), nextup(fl(a ∘ b))] when fl(a ∘ b) is finite;
//        (ii)  for non-negative double matrices A (m × N), B (N × n) and Ĉ the BLAS product,
//              AB ≤ (1 + γ_N)(Ĉ + N·2⁻¹⁰⁷⁴) entrywise;
//        (iii) for signed double A, B: |Ĉ − AB| ≤ γ_N |A||B| + N·2⁻¹⁰⁷³;
//        (iv)  (Rump) if |A − A_m| ≤ A_r and |B − B_m| ≤ B_r, then
//              |AB − fl(A_m B_m)| ≤ |A_m|(B_r + γ_N|B_m|) + A_r(|B_m| + B_r) + N·2⁻¹⁰⁷³;
//        (v)   a rational x and its nearest double m: |x − m| ≤ nextup(|m|) − |m|;
//        (vi)  T2's quantities computed from midpoint-radius enclosures of the exact pass by
//              (i)–(v), each rounded upward, are ≥ T2's right sides, and the units flagged near a
//              kink include those of the MPFI evaluation.
//        Assumption (ii)–(iv): the BLAS (blas_product → cblas_dgemm, OpenBLAS) computes each
//        entry as a sum of its N products by correctly rounded binary64 +, × and FMA in some
//        order (any tree), α = 1 and β = 0 applied exactly; not by a Strassen-like algorithm.
//
// Scope. Native for the piecewise-linear activations identity, relu, leaky_relu, hardtanh and the
// losses squared_error, mse, huber, l1; any other member, or a non-finite intermediate (overflow),
// gives std::nullopt and the caller uses the MPFI evaluation (oracle_bounds.cpp does).
//
// Notation → C++: x ∈ [mid − rad, mid + rad] ↦ midrad{mid, rad}; nextup ↦ next_up; the bound of
// (ii) ↦ product_upper_bound; B(dWˡ) ↦ result.dW[l], B(dbˡ) ↦ result.db[l] (doubles).
//
// Usage (tests/rounding_bound_fast_test.cpp, case usage_example_of_rounding_bound_fast_hpp):
//   auto pm = *matbp::precision_by_name("float64");
//   auto B = matbp::rounding_bounds_fast(net, X, Y, matbp::loss_function<matbp::exact>(matbp::mse_loss{}),
//                                        matbp::reduction::mean, pm);
//   if (B) B->dW[1];    // ≥ the MPFI bound's formula, entrywise; nullopt: use rounding_bounds

#include "matbp/dyadic.hpp"
#include "matbp/network.hpp"
#include "matbp/rounding_bound.hpp"

#include <optional>
#include <vector>

namespace matbp {

/// L12 (i) the next double above y (+inf above the largest finite double; NaN gives NaN).
double next_up(double y);
/// L12 (i) the next double below y.
double next_down(double y);

/// L12 a midpoint-radius enclosure: the exact values x satisfy |x − mid| ≤ rad entrywise.
struct midrad {
    matrix<double> mid, rad;
};

/// L12 (v) the enclosure of exact values: mid the nearest double (exact where x is a double, then
/// rad = 0), else rad = nextup(|mid|) − |mid|. Entries beyond the doubles give non-finite mid.
midrad enclose(const matrix<exact>& X);

/// L12 (ii) an upper bound, entrywise, of op(A)·op(B) (op(X) = Xᵀ when its flag is set) for
/// non-negative matrices of doubles, from one BLAS product. Requires: every entry of A and B
/// finite and ≥ 0, inner dimensions equal (L12). The result may be +inf (overflow).
matrix<double> product_upper_bound(const matrix<double>& A, bool transpose_a, const matrix<double>& B,
                                   bool transpose_b);

/// L12 (iv) an enclosure of op(A)·op(B) (+ c1ᵀ when c, an m × 1 enclosure, is given) from
/// enclosures of A and B: mid by one BLAS product, rad by (iii) and (iv).
/// Requires: inner dimensions equal, rad ≥ 0 and every entry finite, c of m × 1 (L12).
midrad product_enclosure(const midrad& A, bool transpose_a, const midrad& B, bool transpose_b,
                         const midrad* c = nullptr);

/// T2 the fast evaluation's result: B(dWˡ), B(dbˡ) and the steps' bounds as doubles, index
/// l = 1 … k (index 0 empty; activation[0] the data's storage error), as rounding_bound_result.
struct fast_bound_result {
    std::vector<matrix<double>> dW, db;
    std::vector<kink> near_kinks;  ///< a superset of the MPFI evaluation's (L12 (vi))
    bool claimed() const { return near_kinks.empty(); }
    std::vector<matrix<double>> potential, activation, derivative, delta;
};

/// L12 whether rounding_bounds_fast evaluates this network and loss natively (every activation
/// identity, relu, leaky_relu or hardtanh; the loss squared_error, mse, huber or l1).
bool fast_bound_applies(const mlp<exact>& net, const loss_function<exact>& ell);
/// The same for layers given by reference.
bool fast_bound_applies(const std::vector<dyadic_network::layer_view>& layers, const loss_function<exact>& ell);

/// L12 (vi) T2's bounds (and T3.near's at the units near a kink) evaluated in float64 with BLAS:
/// every entry ≥ the right side of T2 (so ≥ rounding_bounds' value up to that evaluation's own
/// 128-bit rounding). std::nullopt when !fast_bound_applies(net, ell), when u < 2⁻¹⁰⁰⁰, or when
/// an intermediate is not finite (overflow): the caller then uses rounding_bounds. Its products run
/// on one OpenBLAS thread, so the result does not depend on the caller's thread count.
/// Requires: as rounding_bounds (T2: well_formed(net), X is m₀ × n with n ≥ 1, Y is m_k × n; D17:
/// well_formed_precision(pm)). (softmax_cross_entropy has no exact loss_function, so never comes.)
std::optional<fast_bound_result> rounding_bounds_fast(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, const loss_function<exact>& ell,
                                                      reduction red, const precision_model& pm);
/// The same, the layers given by reference (as dyadic_network::layer_view: no copy of a network is
/// made; oracle_bounds.cpp reads a model's matrices in place). Requires: as above, the layers'
/// shapes as a well_formed network's (T2).
std::optional<fast_bound_result> rounding_bounds_fast(const std::vector<dyadic_network::layer_view>& layers,
                                                      const exact_tensor& X, const exact_tensor& Y,
                                                      const loss_function<exact>& ell, reduction red,
                                                      const precision_model& pm);

}  // namespace matbp
