#pragma once
// matbp/exact_tensor.hpp — an immutable matrix of exact values held in the cheapest form it came
// in, its rationals made only when asked for.
//
// Three forms, one value semantics:
//   rationals    matrix<exact>, as any exact computation gives;
//   doubles      matrix<double> of finite doubles, each taken exactly (every finite double is a
//                dyadic rational m·2^e, to_exact): what a model file's JSON numbers and IEEE
//                tensors hold (model.hpp), 8 bytes an entry instead of a GMP rational's ~100;
//   dyadic       scale·D for a dyadic matrix D (dyadic.hpp): the exact fast path's gradients.
// rational() makes the rationals of a doubles or dyadic tensor once, on first use, and keeps them
// (thread-safe); copies share the values, so a copy costs a pointer. Code that can work on a form
// directly asks for it (doubles(), dyadic()); everything else reads the tensor as it reads a
// matrix<exact>: t(i, j) and t(k) by value, rows(), cols(), size(), and const matrix<exact>&.
// A violated precondition raises contract_violation "exact_tensor": the type's own invariants (a
// representation, like the formats' "RFC8259" and "safetensors", not a statement of spec/).
//
// Usage (tests/exact_tensor_test.cpp, case usage_example_of_exact_tensor_hpp):
//   matbp::exact_tensor t = matbp::exact_tensor::of_doubles(D);   // D a matrix<double>, finite
//   t.doubles();                                                 // &D's copy: no rational made
//   t(0, 0) == matbp::to_exact(D(0, 0))                          // exactly the double's value
//   const matbp::matrix<exact>& Q = t;                           // the rationals, made once

#include "matbp/scalar.hpp"

#include <Eigen/Core>

#include <concepts>
#include <memory>

namespace matbp {

class dyadic_matrix;

class exact_tensor {
public:
    exact_tensor() = default;  ///< 0 × 0
    /// The rationals M (implicit, so a matrix<exact> is written where a tensor is held).
    exact_tensor(matrix<exact> M);  // NOLINT(google-explicit-constructor)
    /// The same from an expression of rationals (e.g. matrix<exact>::Zero(2, 1)).
    template <class Derived>
        requires std::same_as<typename Derived::Scalar, exact>
    exact_tensor(const Eigen::MatrixBase<Derived>& M)  // NOLINT(google-explicit-constructor)
            : exact_tensor(matrix<exact>(M)) {}
    /// scale·D. Requires: scale > 0.
    exact_tensor(dyadic_matrix D, exact scale);
    /// The exact values of the doubles of M. Requires: every entry finite.
    static exact_tensor of_doubles(matrix<double> M);

    Eigen::Index rows() const noexcept;
    Eigen::Index cols() const noexcept;
    Eigen::Index size() const noexcept { return rows() * cols(); }
    /// Entry (i, j) in lowest terms. Requires: 0 ≤ i < rows(), 0 ≤ j < cols().
    /// (const: a tensor is immutable, so `t(i, j) = x` does not compile rather than assign to a copy)
    const exact operator()(Eigen::Index i, Eigen::Index j) const;
    /// Entry k = i + j·rows(). Requires: 0 ≤ k < size().
    const exact operator()(Eigen::Index k) const;
    /// The doubles whose exact values the tensor holds, or nullptr unless held as doubles.
    const matrix<double>* doubles() const noexcept;
    /// D of the dyadic form, or nullptr unless held as scale·D.
    const dyadic_matrix* dyadic() const noexcept;
    /// The dyadic form's scale (1 in the other forms).
    const exact& scale() const noexcept;
    /// Every value as a rational in lowest terms.
    const matrix<exact>& rational() const;
    operator const matrix<exact>&() const { return rational(); }  // NOLINT(google-explicit-constructor)
    /// Columns [start, start + n) in the same form (doubles stay doubles; a dyadic form becomes
    /// rationals). Requires: 0 ≤ start, 0 ≤ n, start + n ≤ cols().
    exact_tensor middle_cols(Eigen::Index start, Eigen::Index n) const;
    /// The rationals, to change in place (tests build variants of a model this way): the tensor
    /// first takes its own copy of them, so copies made before keep their values, and it holds
    /// rationals from then on. The reference is valid until the tensor is next assigned or edited.
    matrix<exact>& edit();
    /// Value equality, whatever the forms.
    friend bool operator==(const exact_tensor& a, const exact_tensor& b);

private:
    struct state;
    std::shared_ptr<const state> s_;
};

}  // namespace matbp
