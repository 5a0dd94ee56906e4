#pragma once
// matbp/dual.hpp — what the registries' definitions (activation.hpp, loss.hpp) need to be generic
// in their number type S: the scalar T itself, or Eigen's forward-mode dual number over T, which
// the definition-side derivatives (D6, jacobian.hpp) and the AD reference push through them.

#include <Eigen/Core>
#include <unsupported/Eigen/AutoDiff>

namespace matbp::detail {

/// The value part of a number: itself, or the value of a forward-mode dual number.
template <class S>
const S& value_of(const S& x) {
    return x;
}
template <class D>
const auto& value_of(const Eigen::AutoDiffScalar<D>& x) {
    return x.value();
}

/// The scalar a number is over: S itself, or the value type of a dual number.
template <class S>
struct base {
    using type = S;
};
template <class D>
struct base<Eigen::AutoDiffScalar<D>> {
    using type = typename D::Scalar;
};
template <class S>
using base_t = typename base<S>::type;

/// The constant c shaped like x: for a dual number, derivatives of x's size, all 0. (Eigen's
/// AutoDiff cannot combine an empty derivative vector with a non-empty expression.)
template <class S, class C>
S constant_like(const S&, const C& c) {
    return S(c);
}
template <class D, class C>
Eigen::AutoDiffScalar<D> constant_like(const Eigen::AutoDiffScalar<D>& x, const C& c) {
    return Eigen::AutoDiffScalar<D>(c, D::Zero(x.derivatives().size()));
}

}  // namespace matbp::detail
