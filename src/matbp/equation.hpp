#pragma once
// matbp/equation.hpp — both sides of a statement, computed.
//
// Every lemma and proof step in matbp returns an equation: the statement ID, the left-hand side
// as the statement defines it, and the right-hand side as the statement claims it. Over ℚ the
// statement holds iff the sides are equal (`holds_exactly`); over double the tests compare with a
// tolerance in units of ε; over intervals both sides enclose the same real number.
//
// Usage (tests/kron_test.cpp, case usage_example_of_equation_hpp):
//   auto eq = matbp::vec_of_product_eq_kron_vec(A, B, C);   // L1
//   bool ok = matbp::holds_exactly(eq);

#include "matbp/scalar.hpp"

#include <string>

namespace matbp {

template <class M>
struct equation {
    std::string id;  ///< statement ID, e.g. "L1" or "T1.step"
    M lhs;
    M rhs;
};

/// Same shape and entrywise equal. Over ℚ this is the exact truth of the statement.
template <class Derived1, class Derived2>
bool same_matrix(const Eigen::MatrixBase<Derived1>& a, const Eigen::MatrixBase<Derived2>& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (Eigen::Index j = 0; j < a.cols(); ++j)
        for (Eigen::Index i = 0; i < a.rows(); ++i)
            if (!(a(i, j) == b(i, j))) return false;
    return true;
}

template <exact_field T>
bool holds_exactly(const equation<matrix<T>>& eq) {
    return same_matrix(eq.lhs, eq.rhs);
}

}  // namespace matbp
