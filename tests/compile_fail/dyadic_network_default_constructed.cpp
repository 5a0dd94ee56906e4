// C1.dyadic: a dyadic_network has at least one layer, so only dyadic_network::from makes one.
// CTest compiles this file twice: as is, it must FAIL to compile (test
// C1_dyadic_compile_fail_default_network); with -DMATBP_CONTROL it must compile (the control,
// C1_dyadic_compile_control), so the failure is the one intended and not a broken include.
#include "matbp/dyadic.hpp"

int main() {
#ifdef MATBP_CONTROL
    matbp::mlp<double> net;
    net.layers.push_back({matbp::matrix<double>::Ones(1, 1), matbp::matrix<double>::Zero(1, 1), matbp::relu_fn{}});
    const auto d = matbp::dyadic_network::from(net);
#else
    const matbp::dyadic_network d;
#endif
    return 0;
}
