#pragma once
// matbp/oracle_bounds.hpp — the rounding bound T2 for a model as the oracle reads it: what the
// verdict (issue #13) needs, per tensor and in the oracle's layout.
//
// Statement (spec/rounding.md)
//   T2  Every D17 evaluation of C1 at the precision gives |ĝ − g| ≤ B entrywise, unless a unit is
//       near a kink (then listed, and B is not claimed).
//
// Notation → C++: B(dWˡ) ↦ bounds.weights[l − 1], B(dbˡ) ↦ bounds.bias[l − 1] (as
// gradient_reference's weights and bias), the precision ↦ bounds.precision.
//
// Usage (tests/rounding_bound_test.cpp, case T2_oracle_rounding_bounds_eq_library):
//   auto model = matbp::read_model_file("model.json");
//   auto B = matbp::rounding_bounds(model, *matbp::precision_by_name("float32"));
//   B.weights[0];       // B(dW¹), exact; B.near_kinks empty ⇔ the bound is claimed

#include "matbp/model.hpp"
#include "matbp/rounding_bound.hpp"

#include <vector>

namespace matbp {

struct tensor_bounds {
    precision_model precision;
    std::vector<matrix<exact>> weights, bias;  ///< index l − 1 for layer l
    std::vector<kink> near_kinks;              ///< T2 is not claimed when nonempty
};

/// T2 for a model: over ℚ when every member has an exact evaluation (model_is_exact), else from
/// 256-bit interval enclosures of the exact pass. Requires: the loss is not softmax_cross_entropy
/// (contract_violation T2), well_formed_precision(pm) (D17).
tensor_bounds rounding_bounds(const model_spec& model, const precision_model& pm);

}  // namespace matbp
