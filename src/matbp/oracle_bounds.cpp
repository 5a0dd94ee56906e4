// matbp/oracle_bounds.cpp — T2 for a model_spec (header: oracle_bounds.hpp).
#include "matbp/oracle_bounds.hpp"

#include "matbp/oracle.hpp"

namespace matbp {

tensor_bounds rounding_bounds(const model_spec& model, const precision_model& pm) {
    rounding_bound_result r;
    if (model_is_exact(model)) {
        r = rounding_bounds(build_network<exact>(model), model.inputs, model.targets, build_loss<exact>(model),
                            model.red, pm);
    } else {
        precision_guard guard(256);
        r = rounding_bounds(build_network<interval>(model), from_exact<interval>(model.inputs),
                            from_exact<interval>(model.targets), build_loss<interval>(model), model.red, pm);
    }
    tensor_bounds out{pm, {}, {}, std::move(r.near_kinks)};
    for (std::size_t l = 1; l < r.dW.size(); ++l) {
        out.weights.push_back(std::move(r.dW[l]));
        out.bias.push_back(std::move(r.db[l]));
    }
    return out;
}

}  // namespace matbp
