// C2: softmax cross-entropy needs exp and log, which do not map ℚ to ℚ, so loss_function<exact>
// cannot hold it. CTest compiles this file twice: as is, it must FAIL to compile (test
// C2_compile_fail_softmax_cross_entropy_over_exact); with -DMATBP_CONTROL it must compile (the
// control, C2_compile_control: a rational loss), so the failure is the one intended.
#include "matbp/loss.hpp"

int main() {
#ifdef MATBP_CONTROL
    matbp::loss_function<matbp::exact> l = matbp::l1_loss{};
#else
    matbp::loss_function<matbp::exact> l = matbp::softmax_cross_entropy_loss{};
#endif
    return l.index() == 0 ? 0 : 1;
}
