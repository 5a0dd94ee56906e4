#pragma once
// matbp/rounding_bound.hpp — a rigorous per-entry bound on how far a floating-point evaluation of
// backpropagation (C1) can be from the exact gradients: the rounding bound T2.
//
// Statements (spec/rounding.md; proofs in proofs/rounding.md)
//   D17  The standard model at a precision: unit roundoff u = 2^-p for storage and for every +, −,
//        ×, ÷ (correctly rounded, any summation order, with or without FMA); for tf32 the operands
//        of every matrix product rounded to 2^-q first; transcendental activations and their
//        derivatives within c ULPs (c = function_ulps); data given in a wider format rounded
//        once to p bits. No overflow, no underflow.
//   L10  Perturbed product-sum: with |x̂ − x| ≤ e_x, |ŷ − y| ≤ e_y (entrywise), any D17 evaluation
//        of Σⱼ x̂ⱼŷⱼ (N terms, plus an optional (N+1)th term ĉ) differs from Σⱼ xⱼyⱼ (+ c) by at most
//        φ_N Σ(|x|+e_x)(|y|+e_y) (+ φ_N(|c|+e_c)) + Σ(e_x(|y|+e_y) + |x|e_y) (+ e_c),
//        φ_N = (1+u_op)²(1+u)^N − 1 (≤ γ_N when u_op = 0).
//   L11  For x̂ in Zw = [z − e, z + e]: |f̂(x̂) − f(z)| ≤ E_f(Zw) + sup_{Zw}|f′|·e and
//        |f̂′(x̂) − f′(z)| ≤ E_f′(Zw) + sup_{x∈Zw}|f′(x) − f′(z)|, E the evaluation errors of D17;
//        the second needs f′ continuous on Zw (for a piecewise-linear f: Zw meets no kink).
//   T2   If no potential enclosure meets a kink (and no l1 residual enclosure meets 0), every
//        D17 evaluation of C1 gives |dŴˡ − ∇_{Wˡ}C| ≤ B(dWˡ) and |db̂ˡ − ∇_{bˡ}C| ≤ B(dbˡ),
//        entrywise, with B computed layer by layer (steps T2.forward, T2.activation, T2.output,
//        T2.backward, T2.W, T2.b).
//   T3   With units near a kink, the same B computed with the derivative there any slope of the
//        hull (T3.near) bounds the distance of every such evaluation from the gradients of some
//        admissible choice, so from C3's enclosure extended to those units (oracle.hpp).
//
// Every bound is evaluated in MPFI interval arithmetic (at ≥ 128 bits) from enclosures of the
// exact Zˡ, Aˡ, Δˡ; a quantity is carried as a point interval holding the upper end of its
// enclosure, so the bounds are not spoiled by their own rounding. Results are exact dyadics.
// rounding_bound_fast.hpp evaluates the same bound in float64 with BLAS, rigorously (L12); this
// evaluation is the one it is tested against and the one used where it does not apply.
//
// Notation → C++: u ↦ pm.u, φ_N ↦ product_sum_factor(pm, N), (1+u)^k − 1 ↦ rounding_factor(pm, k),
// e_z ↦ error of potential_error_bound, B(dWˡ) ↦ result.dW[l], B(dbˡ) ↦ result.db[l].
//
// Usage (tests/rounding_bound_test.cpp, case usage_example_of_rounding_bound_hpp):
//   auto pm = *matbp::precision_by_name("float64");
//   auto B = matbp::rounding_bounds(net, X, Y, matbp::loss_function<matbp::exact>(matbp::mse_loss{}),
//                                   matbp::reduction::mean, pm);
//   B.claimed();        // no unit near a kink: |ĝ − g| ≤ B.dW[l](i, j) for every D17 evaluation
//   B.dW[1]; B.db[1];   // per-entry bounds, exact

#include "matbp/activation.hpp"
#include "matbp/loss.hpp"
#include "matbp/network.hpp"
#include "matbp/scalar.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace matbp {

/// D17 a precision under the standard model of floating-point arithmetic.
struct precision_model {
    std::string name;
    exact u;                  ///< unit roundoff 2^-p of storage and of every +, −, ×, ÷ (p ≥ 3)
    exact u_operand = 0;      ///< 0, or 2^-q: operands of matrix products rounded to q bits first (tf32)
    exact function_ulps = 4;  ///< exp/tanh/log1p-based activations and their derivatives: within this
                              ///< many ULPs of the true value (an assumption about the implementation)
};

/// D17 u = 2^-p with p ≥ 3, u_operand 0 or 2^-q with q ≥ 1, function_ulps ≥ 0.
bool well_formed_precision(const precision_model& pm);

/// D17 the named precisions, one table: float64 (u = 2^-53), float32 (2^-24), bfloat16 (2^-8),
/// float16 (2^-11), tf32 (float32 storage, products of operands rounded to 2^-11).
const std::vector<precision_model>& precision_models();

/// D17 the table's entry named `name`, or nullopt.
std::optional<precision_model> precision_by_name(std::string_view name);

/// D17 MPFR at p bits (`real:BITS`): u = 2^-p, correctly rounded functions (function_ulps 1/2).
/// Requires: bits ≥ 3.
precision_model mpfr_precision(unsigned bits);

/// D17 p with u = 2^-p. Requires: well_formed_precision(pm).
unsigned storage_bits(const precision_model& pm);

/// D17 a bound on |fl(x) − x| for x stored at the precision: 0 if x (a point) has p bits, else
/// u·|x| (enclosure x; the result is a point interval).
interval storage_error(const interval& x, const precision_model& pm);

/// (1+u)^k − 1 (an upper bound, as a point interval): k roundings in a product of factors.
interval rounding_factor(const precision_model& pm, unsigned long k);

/// φ_N = (1+u_op)²(1+u)^N − 1 (upper bound, point interval): L10's factor for N product terms.
interval product_sum_factor(const precision_model& pm, Eigen::Index N);

/// L10 a bound on |fl(ÂB̂ (+ ĉ1ᵀ)) − (AB (+ c1ᵀ))| entrywise, from |A| ≤ absA, |Â − A| ≤ eA, and
/// the same for B (and c, an m × 1 column, when given); phi = product_sum_factor(pm, N) with N the
/// number of terms of each sum (absA.cols(), plus 1 with c).
/// Requires: absA.cols() == absB.rows(), eA and eB of the shapes of absA and absB; c and ec m × 1.
matrix<interval> product_error_bound(const matrix<interval>& absA, const matrix<interval>& eA,
                                     const matrix<interval>& absB, const matrix<interval>& eB, const interval& phi,
                                     const matrix<interval>* absc = nullptr, const matrix<interval>* ec = nullptr);

/// L10 for N = 1 (entrywise products x̂ ⊙ ŷ with `omega` = (1+u)^c − 1 for c roundings).
/// Requires: all four of one shape.
matrix<interval> hadamard_error_bound(const matrix<interval>& absx, const matrix<interval>& ex,
                                      const matrix<interval>& absy, const matrix<interval>& ey, const interval& omega);

/// D17/L11 the evaluation errors of an activation at any x̂ ∈ Zw: value ≥ |f̂(x̂) − f(x̂)| and
/// derivative ≥ |f̂′(x̂) − f′(x̂)| (f̂, f̂′ the implementation's, with its parameters rounded once).
struct evaluation_error {
    interval value, derivative;
};
evaluation_error activation_evaluation_error(const activation<interval>& f, const interval& Zw,
                                             const precision_model& pm);

/// T2 the per-entry bounds, and the units where the bound is not claimed.
struct rounding_bound_result {
    std::vector<matrix<exact>> dW, db;  ///< B(dWˡ), B(dbˡ), index l = 1 … k (index 0 empty)
    /// Units whose potential enclosure [z − e_z, z + e_z] meets a kink of their activation
    /// (site activation), or output units whose residual enclosure meets 0 for l1 (site loss):
    /// fˡ′ may jump there, so T2 does not claim the bound against C1's gradients. The numbers are
    /// computed with the derivative there any slope of the hull (slope_hull; [−1, 1] for l1), and
    /// T3 claims them against the gradients of some such choice.
    std::vector<kink> near_kinks;
    bool claimed() const { return near_kinks.empty(); }
    /// The steps' bounds (same indexing, samples as columns): e_zˡ (T2.forward), e_aˡ and e_dˡ
    /// (T2.activation; activation[0] is the data's storage error), e_Δˡ (T2.output, T2.backward).
    std::vector<matrix<exact>> potential, activation, derivative, delta;
};

/// T2 per-entry rounding bounds of C1 over a network given by enclosures of its real parameters.
/// Requires: well_formed(net); X is m₀ × n, Y is m_k × n, n ≥ 1; the loss is not
/// softmax_cross_entropy (T2 does not cover it); well_formed_precision(pm).
rounding_bound_result rounding_bounds(const mlp<interval>& net, const matrix<interval>& X, const matrix<interval>& Y,
                                      const loss_function<interval>& ell, reduction red, const precision_model& pm);

/// T2 for an exact network (enclosed at 128 bits, then as above). Requires: as above.
rounding_bound_result rounding_bounds(const mlp<exact>& net, const matrix<exact>& X, const matrix<exact>& Y,
                                      const loss_function<exact>& ell, reduction red, const precision_model& pm);

/// T3.near the least and greatest slope of the pieces of a piecewise-linear f (as a point-ended
/// interval): every one-sided derivative at every kink lies in it. Requires: f has a kink (T3).
interval slope_hull(const activation<interval>& f);

// ---- T2's steps, one layer at a time (all matrices of point intervals: upper bounds) ----------

/// T2.forward e_zˡ ≥ |Ẑˡ − Zˡ| from the parameters' and the previous activation's errors.
matrix<interval> potential_error_bound(const matrix<interval>& absW, const matrix<interval>& eW,
                                       const matrix<interval>& absb, const matrix<interval>& eb,
                                       const matrix<interval>& absA, const matrix<interval>& eA,
                                       const precision_model& pm);

/// T2.activation e_aˡ ≥ |Âˡ − Aˡ| and e_dˡ ≥ |f̂ˡ′(Ẑˡ) − fˡ′(Zˡ)|; units near a kink appended to
/// `near` (layer l, sample, unit).
struct activation_errors {
    matrix<interval> eA, eD;
};
activation_errors activation_error_bound(const activation<interval>& f, const matrix<interval>& Z,
                                         const matrix<interval>& eZ, Eigen::Index l, const precision_model& pm,
                                         std::vector<kink>& near);

/// T2.output e_Δᵏ ≥ |Δ̂ᵏ − Δᵏ| for Δᵏ = ρ · fᵏ′(Zᵏ) ⊙ ∇ℓ(Aᵏ); l1 residuals whose enclosure meets
/// 0 appended to `near` (site loss, layer k).
matrix<interval> output_delta_error_bound(const loss_function<interval>& ell, const matrix<interval>& A,
                                          const matrix<interval>& eA, const matrix<interval>& Y,
                                          const matrix<interval>& eY, const matrix<interval>& D,
                                          const matrix<interval>& eD, const interval& rho, Eigen::Index k,
                                          const precision_model& pm, std::vector<kink>& near);

/// T2.backward e_Δˡ ≥ |Δ̂ˡ − Δˡ| for Δˡ = fˡ′(Zˡ) ⊙ ((Wˡ⁺¹)ᵀΔˡ⁺¹).
matrix<interval> delta_error_bound(const matrix<interval>& absW_next, const matrix<interval>& eW_next,
                                   const matrix<interval>& absDelta_next, const matrix<interval>& eDelta_next,
                                   const matrix<interval>& absD, const matrix<interval>& eD,
                                   const matrix<interval>& absB, const precision_model& pm);

/// T2.W B(dWˡ) ≥ |fl(Δ̂ˡ(Âˡ⁻¹)ᵀ) − Δˡ(Aˡ⁻¹)ᵀ|.
matrix<interval> weight_gradient_error_bound(const matrix<interval>& absDelta, const matrix<interval>& eDelta,
                                             const matrix<interval>& absA_prev, const matrix<interval>& eA_prev,
                                             const precision_model& pm);

/// T2.b B(dbˡ) ≥ |fl(Δ̂ˡ1ₙ) − Δˡ1ₙ| (L10 with y = 1ₙ).
matrix<interval> bias_gradient_error_bound(const matrix<interval>& absDelta, const matrix<interval>& eDelta,
                                           const precision_model& pm);

}  // namespace matbp
