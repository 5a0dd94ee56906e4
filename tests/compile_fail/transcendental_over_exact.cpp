// D10: transcendental activations are not closed over ℚ, so activation<exact> cannot hold one.
// CTest compiles this file twice: as is, it must FAIL to compile (test
// D10_compile_fail_transcendental_over_exact); with -DMATBP_CONTROL it must compile (the control,
// D10_compile_control), so the failure is the one intended and not a broken include.
#include "matbp/activation.hpp"

int main() {
#ifdef MATBP_CONTROL
    matbp::activation<matbp::exact> f = matbp::relu_fn{};
#else
    matbp::activation<matbp::exact> f = matbp::tanh_fn{};
#endif
    return evaluate(f, matbp::exact(1)) == 0 ? 0 : 1;
}
