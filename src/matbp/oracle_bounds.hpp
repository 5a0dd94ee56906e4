#pragma once
// matbp/oracle_bounds.hpp — the rounding bound T2 for a model as the oracle reads it: what the
// verdict (issue #13) needs, per tensor and in the oracle's layout.
//
// Statements (spec/rounding.md)
//   T2  Every D17 evaluation of C1 at the precision gives |ĝ − g| ≤ B entrywise, unless a unit is
//       near a kink (then listed, and B is not claimed against g).
//   T3  With units near a kink, every such evaluation is within B of some gradient computed with
//       any slope of the hull at those units, so within B of the extended enclosure: the verdict.
//   L12 B evaluated in float64 with BLAS, rigorously (rounding_bound_fast.hpp), where it applies;
//       else by MPFI (rounding_bound.hpp), which bound_evaluation::mpfi forces.
//
// Notation → C++: B(dWˡ) ↦ bounds.weights[l − 1], B(dbˡ) ↦ bounds.bias[l − 1] (as
// gradient_reference's weights and bias), the precision ↦ bounds.precision.
//
// Usage (tests/rounding_bound_test.cpp, case T2_oracle_rounding_bounds_eq_library):
//   auto model = matbp::read_model_file("model.json");
//   auto B = matbp::rounding_bounds(model, *matbp::precision_by_name("float32"));
//   B.weights[0](0, 0); // B(dW¹)'s first entry, exact; B.near_kinks empty ⇔ the bound is claimed

#include "matbp/model.hpp"
#include "matbp/oracle.hpp"
#include "matbp/rounding_bound.hpp"

#include <vector>

namespace matbp {

struct tensor_bounds {
    precision_model precision;
    std::vector<exact_tensor> weights, bias;  ///< index l − 1 for layer l: doubles by L12, else rationals
    std::vector<kink> near_kinks;             ///< T2 is not claimed when nonempty
};

/// How rounding_bounds evaluates T2: `automatic` takes the float64 evaluation of L12
/// (rounding_bound_fast.hpp) when it applies (an exact model of piecewise-linear activations and
/// squared_error, mse, huber or l1, nothing overflowing) and MPFI otherwise; `mpfi` always MPFI.
enum class bound_evaluation { automatic, mpfi };

/// T2 for a model: when every member has an exact evaluation (model_is_exact), by L12's float64
/// evaluation or over ℚ enclosed at 128 bits (as `how` says); else from 256-bit interval enclosures
/// of the exact pass. Requires: the loss is not softmax_cross_entropy (contract_violation T2),
/// well_formed_precision(pm) (D17).
tensor_bounds rounding_bounds(const model_spec& model, const precision_model& pm,
                              bound_evaluation how = bound_evaluation::automatic);

/// T3 check_gradients with the verdict by bound at precision pm: an entry passes iff it lies
/// within its bound (T2's numbers, with both sides admitted at the units near a kink) of its
/// admissible enclosure (C3's, extended by admit_near_kinks to those units). Where T3 does not
/// apply the normwise rule of options decides and report.verdict_note says why: the loss is
/// softmax_cross_entropy (T2 does not cover it), the reference is not certified (real, double),
/// or a unit is near a kink and the reference is not exact (no extended enclosure). ref's
/// enclosures are extended in place. Requires: as check_gradients, well_formed_precision(pm).
check_report check_by_bound(gradient_reference& ref, const model_spec& model, const reported_gradients& reported,
                            const precision_model& pm, check_options options);

}  // namespace matbp
