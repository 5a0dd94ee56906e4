// matbp/oracle_bounds.cpp — T2 for a model_spec (header: oracle_bounds.hpp).
#include "matbp/oracle_bounds.hpp"

#include "matbp/contract.hpp"
#include "matbp/registry.hpp"
#include "matbp/rounding_bound_fast.hpp"

namespace matbp {

tensor_bounds rounding_bounds(const model_spec& model, const precision_model& pm, bound_evaluation how) {
    MATBP_REQUIRE("D17", well_formed_precision(pm));
    rounding_bound_result r;
    if (model_is_exact(model)) {
        const loss_function<exact> ell = build_loss<exact>(model);
        // L12: the float64 evaluation where it applies and nothing overflows, reading the model's
        // matrices in place; its doubles are kept as doubles (exact_tensor::of_doubles). Else MPFI's.
        if (how == bound_evaluation::automatic) {
            std::vector<activation<exact>> f;
            for (const auto& L : model.layers)
                if (auto a = make_activation<exact>(L.activation.name, L.activation.params)) f.push_back(std::move(*a));
            std::vector<dyadic_network::layer_view> layers;
            for (std::size_t l = 0; l < f.size(); ++l)
                layers.push_back({model.layers[l].weights, model.layers[l].bias, f[l]});
            std::optional<fast_bound_result> fast;
            if (f.size() == model.layers.size())
                fast = rounding_bounds_fast(layers, model.inputs, model.targets, ell, model.red, pm);
            if (fast) {
                tensor_bounds out{pm, {}, {}, std::move(fast->near_kinks)};
                for (std::size_t l = 1; l < fast->dW.size(); ++l) {
                    out.weights.push_back(exact_tensor::of_doubles(std::move(fast->dW[l])));
                    out.bias.push_back(exact_tensor::of_doubles(std::move(fast->db[l])));
                }
                return out;
            }
        }
        r = rounding_bounds(build_network<exact>(model), model.inputs, model.targets, ell, model.red, pm);
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

check_report check_by_bound(gradient_reference& ref, const model_spec& model, const reported_gradients& reported,
                            const precision_model& pm, check_options options) {
    MATBP_REQUIRE("D17", well_formed_precision(pm));
    std::string note;
    std::vector<kink> near;
    if (model.loss_kind.name == "softmax_cross_entropy") {
        note = "T2 does not cover softmax_cross_entropy";
    } else if (!ref.arith.certified()) {
        note = "the reference in " + ref.arith.str() + " is not certified";
    } else {
        tensor_bounds tb = rounding_bounds(model, pm);
        near = std::move(tb.near_kinks);
        if (!near.empty() && ref.arith.k != arith_spec::kind::exact) {
            note = std::to_string(near.size()) + " unit(s) near a kink need an exact reference (--arith exact)";
        } else {
            // T3: the bound of every tensor, in check_report::tensors' order, and the enclosure
            // with both sides admitted at the near units.
            for (std::size_t l = 0; l < tb.weights.size(); ++l) {
                options.bounds.push_back(std::move(tb.weights[l]));
                options.bounds.push_back(std::move(tb.bias[l]));
            }
            admit_near_kinks(ref, model, near);
        }
    }
    check_report r = check_gradients(ref, reported, options);
    if (r.verdict == "bound") r.precision = pm.name;
    r.verdict_note = note.empty() ? note : note + ": the normwise rule decides";
    r.near_kinks = std::move(near);
    return r;
}

}  // namespace matbp
