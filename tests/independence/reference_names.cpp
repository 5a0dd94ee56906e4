// CTest reference_independence_names compiles this with -fsyntax-only: it fails iff
// tests/support/reference.hpp (its own text, or any header it includes beyond the allow-list
// below) contains, as a C++ token, the name of a helper of the algorithm (backprop.hpp) or of
// the proof (elementary.hpp, jacobian.hpp, kron.hpp, induction.hpp, network.hpp's forward pass).
// How: the allowed headers are included first (#pragma once keeps them from being read again);
// then `#pragma GCC poison` makes every later token with one of these names a compile error;
// then reference.hpp is read. Comments are not tokens, so prose may name them.
// reference_independence_names_control compiles it with -DMATBP_CONTROL: one poisoned call
// before reference.hpp, so the check is seen to fail (WILL_FAIL).
#include "matbp/activation.hpp"
#include "matbp/loss.hpp"
#include "matbp/network.hpp"

#include "support/generators.hpp"

#include <unsupported/Eigen/AutoDiff>

#include <rapidcheck.h>

#include <vector>

// backprop.hpp: the algorithm.
#pragma GCC poison backprop derivative_at derivative batch_gradient_eq_mean_of_sample_gradients
// induction.hpp: the proof steps and D15/D16.
#pragma GCC poison backpropagated_errors backprop_by_induction cost_as_function_of_potential
#pragma GCC poison potential_gradient_by_definition potential_gradient_at_output_eq_delta
#pragma GCC poison potential_gradient_step_eq_delta weight_gradient_eq_delta_times_activation
#pragma GCC poison bias_gradient_eq_delta jacobian_form_eq_vec_of_gradient
// elementary.hpp: the lemma formulas L7–L9 and D7–D9's helpers.
#pragma GCC poison diag_of_derivative d_potential_d_weights d_squared_error d_loss squared_error
#pragma GCC poison elementwise affine_potential
// loss.hpp: the gradient formula (L9); sample_cost and reduction_scale, the definitions, stay allowed.
#pragma GCC poison loss_gradient
// jacobian.hpp and kron.hpp: matbp's AD driver and Kronecker algebra; scalar.hpp's product.
#pragma GCC poison jacobian_by_definition gradient_from_jacobian kron vec unvec diag identity mul
// network.hpp: the forward pass the algorithm uses.
#pragma GCC poison forward forward_batch cost_of_outputs batch_cost

#ifdef MATBP_CONTROL
// A file that calls a poisoned helper does not compile: this is what the check catches.
template <class F, class T>
auto uses_the_algorithm(const F& f, const T& z) {
    return derivative(f, z);
}
#endif

#include "support/reference.hpp"
