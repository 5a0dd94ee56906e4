// matbp/exact_tensor.cpp — the three forms of an exact tensor (header: exact_tensor.hpp).
#include "matbp/exact_tensor.hpp"

#include "matbp/contract.hpp"
#include "matbp/convert.hpp"
#include "matbp/dyadic.hpp"

#include <cmath>
#include <mutex>
#include <optional>

namespace matbp {

struct exact_tensor::state {
    std::optional<dyadic_matrix> dyadic;  ///< the values are scale·*dyadic when set
    exact scale = 1;
    std::optional<matrix<double>> doubles;  ///< the values are these doubles' when set
    mutable std::once_flag made;
    mutable matrix<exact> rational;  ///< the values (made from the other form on first use)
};

exact_tensor::exact_tensor(matrix<exact> M) {
    auto s = std::make_shared<state>();
    s->rational = std::move(M);
    std::call_once(s->made, [] {});  // nothing left to make
    s_ = std::move(s);
}

exact_tensor::exact_tensor(dyadic_matrix D, exact scale) {
    MATBP_REQUIRE("exact_tensor", scale > 0);
    auto s = std::make_shared<state>();
    s->dyadic = std::move(D);
    s->scale = std::move(scale);
    s_ = std::move(s);
}

exact_tensor exact_tensor::of_doubles(matrix<double> M) {
    MATBP_REQUIRE("exact_tensor", M.allFinite());
    auto s = std::make_shared<state>();
    s->doubles = std::move(M);
    exact_tensor t;
    t.s_ = std::move(s);
    return t;
}

// The shape is the form's (the rationals' when they are the only form: edit() may resize them).
Eigen::Index exact_tensor::rows() const noexcept {
    return !s_ ? 0 : s_->doubles ? s_->doubles->rows() : s_->dyadic ? s_->dyadic->rows() : s_->rational.rows();
}
Eigen::Index exact_tensor::cols() const noexcept {
    return !s_ ? 0 : s_->doubles ? s_->doubles->cols() : s_->dyadic ? s_->dyadic->cols() : s_->rational.cols();
}

const matrix<double>* exact_tensor::doubles() const noexcept { return s_ && s_->doubles ? &*s_->doubles : nullptr; }

const dyadic_matrix* exact_tensor::dyadic() const noexcept { return s_ && s_->dyadic ? &*s_->dyadic : nullptr; }

const exact& exact_tensor::scale() const noexcept {
    static const exact one = 1;
    return s_ ? s_->scale : one;
}

const exact exact_tensor::operator()(Eigen::Index i, Eigen::Index j) const {
    MATBP_REQUIRE("exact_tensor", 0 <= i && i < rows() && 0 <= j && j < cols());
    if (const matrix<double>* d = doubles()) return to_exact((*d)(i, j));
    if (const dyadic_matrix* d = dyadic()) {
        exact q = (*d)(i, j);
        if (s_->scale != 1) q *= s_->scale;
        return q;
    }
    return s_->rational(i, j);
}

const exact exact_tensor::operator()(Eigen::Index k) const {
    MATBP_REQUIRE("exact_tensor", 0 <= k && k < size());
    return (*this)(k % rows(), k / rows());
}

const matrix<exact>& exact_tensor::rational() const {
    static const matrix<exact> none;
    if (!s_) return none;
    std::call_once(s_->made, [this] {
        if (s_->doubles) {
            s_->rational = s_->doubles->unaryExpr([](double d) { return to_exact(d); });
        } else {
            s_->rational = s_->dyadic->to_exact();
            if (s_->scale != 1) s_->rational *= s_->scale;
        }
    });
    return s_->rational;
}

exact_tensor exact_tensor::middle_cols(Eigen::Index start, Eigen::Index n) const {
    MATBP_REQUIRE("exact_tensor", 0 <= start && 0 <= n && start + n <= cols());
    if (const matrix<double>* d = doubles()) return of_doubles(d->middleCols(start, n));
    return exact_tensor(matrix<exact>(rational().middleCols(start, n)));
}

matrix<exact>& exact_tensor::edit() {
    auto s = std::make_shared<state>();
    s->rational = rational();
    std::call_once(s->made, [] {});
    matrix<exact>& M = s->rational;
    s_ = std::move(s);
    return M;
}

bool operator==(const exact_tensor& a, const exact_tensor& b) {
    if (a.s_ == b.s_) return true;  // one tensor
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    // Doubles are equal as rationals iff they are equal as doubles (−0 = 0; no NaN is held).
    if (a.doubles() && b.doubles()) return *a.doubles() == *b.doubles();
    // Canonical dyadic forms with one scale are equal iff their values are.
    if (a.dyadic() && b.dyadic() && a.scale() == b.scale()) return *a.dyadic() == *b.dyadic();
    return a.rational() == b.rational();
}

}  // namespace matbp
