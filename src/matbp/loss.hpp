#pragma once
// matbp/loss.hpp — the loss registry: every loss ℓ_y with its gradient (D9, L9) and the batch
// reduction it belongs to (D14), and C2's softmax cross-entropy.
//
// Statements (spec/calculus.md D9, L9; spec/network.md D14; spec/theorem.md C2)
//   D9  A loss is a map ℓ_y : ℝ^m → ℝ of the output a for a target y, one of
//         squared_error  ½‖a − y‖²                      (the paper's; mean over samples)
//         mse            Σⱼ (aⱼ − yⱼ)²                 (PyTorch nn.MSELoss; mean over entries)
//         huber          Σⱼ h_δ(aⱼ − yⱼ), h_δ(r) = ½r² if |r| ≤ δ, else δ(|r| − ½δ)
//                                                       (nn.HuberLoss; mean over entries)
//         l1             Σⱼ |aⱼ − yⱼ|                   (nn.L1Loss; mean over entries)
//         softmax_cross_entropy  −Σⱼ yⱼ log softmax(a)ⱼ (nn.CrossEntropyLoss with probability
//                                                       targets; mean over samples; not over ℚ)
//   L9  Dℓ_y(a) = ∇ℓ_y(a)ᵀ with ∇ℓ_y(a) = a − y, 2(a − y), clamp(a − y, −δ, δ), sign(a − y)
//       and softmax(a)·Σⱼyⱼ − y (C2). The theorem uses only this gradient, so it holds for every
//       loss here. l1 is not differentiable at a zero residual: there the convention is
//       PyTorch's sign(0) = 0 (a kink, reported like an activation's, D11).
//
// The registry. Each loss is one struct: its `info` (registry.hpp), its parameters, the mean's
// divisor (per sample: n; per entry: n·m), `sample_cost` (generic in the scalar, so AD can
// differentiate it: the definition side of L9), `gradient` (the formula side), and optionally
// `kink_at` and `linear_gradient_factor` c when ∇ℓ_y(a) = c(a − y) (the exact fast path runs those).
//
// Notation → C++: ℓ_y ↦ loss_function<T>, ℓ_y(a) ↦ sample_cost(ℓ, a, y), ∇ℓ_y(a) ↦ loss_gradient(ℓ, A, Y)
// (one column per sample).
//
// Usage (tests/loss_test.cpp, case usage_example_of_loss_hpp):
//   matbp::loss_function<matbp::exact> l = matbp::huber_loss<matbp::exact>{matbp::exact(1, 2)};
//   matbp::sample_cost(l, a, y)            // Σⱼ h_{1/2}(aⱼ − yⱼ)
//   matbp::loss_gradient(l, A, Y)          // clamp(A − Y, −1/2, 1/2)

#include "matbp/contract.hpp"
#include "matbp/dual.hpp"
#include "matbp/registry.hpp"
#include "matbp/scalar.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace matbp {

enum class reduction { mean, sum };
inline std::string to_string(reduction r) { return r == reduction::mean ? "mean" : "sum"; }

/// What the mean of a batch cost divides by: the samples n, or every entry n·m.
enum class mean_over { samples, entries };

namespace detail {
/// |r| by cases, with |0| a constant (so AD at 0 gives sign(0) = 0, PyTorch's convention; and
/// Eigen's AutoDiff abs does not compile over mpq_rational).
template <class S>
S abs_by_cases(const S& r) {
    if (value_of(r) > 0) return r;
    if (value_of(r) < 0) return S(-r);
    return constant_like(r, 0);
}
/// Σⱼ (aⱼ − yⱼ)², summed in order j = 0, 1, … (squared_error and mse differ only by a factor).
template <class S>
S sum_of_squares(const matrix<S>& a, const matrix<S>& y) {
    S c = constant_like(a(0, 0), 0);
    for (Eigen::Index j = 0; j < a.rows(); ++j) c = S(c + S(a(j, 0) - y(j, 0)) * S(a(j, 0) - y(j, 0)));
    return c;
}
}  // namespace detail

inline constexpr parameter_info huber_parameters[] = {
    {"delta", "delta", "1", false, "where the quadratic part ends; > 0"}};
/// huber's parameter: delta > 0.
inline std::optional<parameter_problem> check_huber(const std::vector<exact>& p) {
    if (p.size() == 1 && !(p[0] > 0)) return parameter_problem{0, "delta must be positive, not " + to_string(p[0])};
    return std::nullopt;
}

/// D9 ½‖a − y‖² (the paper's loss).
struct squared_error_loss {
    static constexpr function_info info{
        "squared_error", {}, {}, true, "", "0.5 * ||a - y||^2 per sample; mean divides by the samples"};
    static constexpr mean_over mean = mean_over::samples;
    static constexpr int linear_gradient_factor = 1;
    template <class S>
    S sample_cost(const matrix<S>& a, const matrix<S>& y) const {
        return S(detail::sum_of_squares(a, y) / detail::base_t<S>(2));
    }
    template <scalar T>
    matrix<T> gradient(const matrix<T>& A, const matrix<T>& Y) const {
        return A - Y;
    }
};

/// PyTorch's nn.MSELoss: Σⱼ (aⱼ − yⱼ)² per sample, the mean over every entry.
struct mse_loss {
    static constexpr function_info info{
        "mse", {}, {}, true, "torch.nn.MSELoss", "sum_j (a_j - y_j)^2; mean divides by every entry (n*m)"};
    static constexpr mean_over mean = mean_over::entries;
    static constexpr int linear_gradient_factor = 2;
    template <class S>
    S sample_cost(const matrix<S>& a, const matrix<S>& y) const {
        return detail::sum_of_squares(a, y);
    }
    template <scalar T>
    matrix<T> gradient(const matrix<T>& A, const matrix<T>& Y) const {
        return T(2) * (A - Y);
    }
};

/// PyTorch's nn.HuberLoss(delta): Σⱼ h_δ(aⱼ − yⱼ), the mean over every entry. Differentiable
/// everywhere (at |r| = δ both pieces have slope δ·sign r).
template <class T>
struct huber_loss {
    static constexpr function_info info{"huber",
                                        {},
                                        huber_parameters,
                                        true,
                                        "torch.nn.HuberLoss",
                                        "sum_j h(a_j - y_j), h(r) = r^2/2 if |r| <= delta else delta*(|r| - delta/2); "
                                        "mean divides by every entry",
                                        &check_huber};
    static constexpr mean_over mean = mean_over::entries;
    T delta = T(1);
    static huber_loss from_params(const std::vector<T>& p) { return {p.at(0)}; }
    std::vector<T> params() const { return {delta}; }
    template <class S>
    S sample_cost(const matrix<S>& a, const matrix<S>& y) const {
        S c = detail::constant_like(a(0, 0), 0);
        for (Eigen::Index j = 0; j < a.rows(); ++j) {
            const S r = S(a(j, 0) - y(j, 0));
            const S ar = detail::abs_by_cases(r);
            c = detail::value_of(ar) <= delta ? S(c + S(S(r * r) / detail::base_t<S>(2)))
                                              : S(c + S(S(ar - detail::constant_like(r, T(delta / 2))) * delta));
        }
        return c;
    }
    template <scalar U>
    matrix<U> gradient(const matrix<U>& A, const matrix<U>& Y) const {
        matrix<U> G = A - Y;
        const U d = U(delta);
        for (Eigen::Index i = 0; i < G.size(); ++i) {
            if constexpr (interval_type<U>) {
                // clamp(r, −δ, δ) is nondecreasing in r; over δ ∈ [δ₋, δ₊] its least value at r is
                // max(min(r, δ₋), −δ₊) and its greatest max(min(r, δ₊), −δ₋). No arithmetic: exact.
                interval r;
                const real dl = bmp::lower(d), du = bmp::upper(d);
                const real lo = std::max(std::min(real(bmp::lower(G(i))), dl), real(-du));
                const real hi = std::max(std::min(real(bmp::upper(G(i))), du), real(-dl));
                mpfi_interv_fr(r.backend().data(), lo.backend().data(), hi.backend().data());
                G(i) = r;
            } else {
                G(i) = G(i) > d ? d : G(i) < -d ? U(-d) : G(i);
            }
        }
        return G;
    }
};

/// PyTorch's nn.L1Loss: Σⱼ |aⱼ − yⱼ|, the mean over every entry; sign(0) = 0 at a zero residual.
struct l1_loss {
    static constexpr function_info info{
        "l1",
        {},
        {},
        true,
        "torch.nn.L1Loss",
        "sum_j |a_j - y_j|; mean divides by every entry; sign(0) = 0 at a zero residual"};
    static constexpr mean_over mean = mean_over::entries;
    template <class S>
    S sample_cost(const matrix<S>& a, const matrix<S>& y) const {
        S c = detail::constant_like(a(0, 0), 0);
        for (Eigen::Index j = 0; j < a.rows(); ++j) c = S(c + detail::abs_by_cases(S(a(j, 0) - y(j, 0))));
        return c;
    }
    template <scalar T>
    matrix<T> gradient(const matrix<T>& A, const matrix<T>& Y) const {
        matrix<T> G = A - Y;
        for (Eigen::Index i = 0; i < G.size(); ++i) {
            if constexpr (interval_type<T>) {
                const int lo = mpfr_sgn(bmp::lower(G(i)).backend().data()),
                          hi = mpfr_sgn(bmp::upper(G(i)).backend().data());
                interval r;
                mpfi_interv_si(r.backend().data(), lo, hi);
                G(i) = r;
            } else {
                G(i) = G(i) > 0 ? T(1) : G(i) < 0 ? T(-1) : T(0);  // PyTorch: sign(0) = 0
            }
        }
        return G;
    }
    /// D11 for the loss: the residual is (over intervals: may be) exactly 0.
    template <scalar T>
    static bool kink_at(const T& a, const T& y) {
        const T r = T(a - y);
        if constexpr (interval_type<T>)
            return mpfr_sgn(bmp::lower(r).backend().data()) <= 0 && mpfr_sgn(bmp::upper(r).backend().data()) >= 0;
        else
            return r == 0;
    }
};

/// softmax of each column, exp(aᵢ − max) / Σⱼ exp(aⱼ − max). For intervals the max is not
/// subtracted: it would only widen the enclosure. Requires: A has at least one row.
template <scalar T>
    requires transcendental_capable<T>
matrix<T> softmax_columns(const matrix<T>& A) {
    MATBP_REQUIRE("C2", A.rows() >= 1);
    using std::exp;
    matrix<T> S(A.rows(), A.cols());
    for (Eigen::Index j = 0; j < A.cols(); ++j) {
        T mx(0);
        if constexpr (!interval_type<T>) {
            mx = A(0, j);
            for (Eigen::Index i = 1; i < A.rows(); ++i) mx = A(i, j) > mx ? A(i, j) : mx;
        }
        T sum(0);
        for (Eigen::Index i = 0; i < A.rows(); ++i) {
            S(i, j) = exp(T(A(i, j) - mx));
            sum += S(i, j);
        }
        for (Eigen::Index i = 0; i < A.rows(); ++i) S(i, j) = T(S(i, j) / sum);
    }
    return S;
}

/// C2 δᵏ = softmax(zᵏ)(1ᵀy) − y for each column; with a probability vector y, softmax(zᵏ) − y.
/// Requires: Z and Y have one shape.
template <scalar T>
    requires transcendental_capable<T>
matrix<T> softmax_cross_entropy_delta(const matrix<T>& Z, const matrix<T>& Y) {
    MATBP_REQUIRE("C2", Z.rows() == Y.rows() && Z.cols() == Y.cols());
    matrix<T> S = softmax_columns(Z);
    // C2 (iii)–(iv): δᵏ = Ds(zᵏ)ᵀ Dℓ(aᵏ)ᵀ = s Σᵢyᵢ − y.
    for (Eigen::Index j = 0; j < Z.cols(); ++j) S.col(j) *= Y.col(j).sum();
    return S - Y;
}

/// PyTorch's nn.CrossEntropyLoss on logits with probability targets (C2); not over ℚ.
struct softmax_cross_entropy_loss {
    static constexpr function_info info{"softmax_cross_entropy",
                                        {},
                                        {},
                                        false,
                                        "torch.nn.CrossEntropyLoss",
                                        "-sum_j y_j log softmax(a)_j per sample (logits a, probability targets y); "
                                        "mean divides by the samples"};
    static constexpr mean_over mean = mean_over::samples;
    template <class S>
        requires(!exact_field<S>)
    S sample_cost(const matrix<S>& a, const matrix<S>& y) const {
        using std::exp;
        using std::log;
        S sum = S(a(0, 0) * 0);
        for (Eigen::Index j = 0; j < a.rows(); ++j) sum = S(sum + S(exp(a(j, 0))));
        S c = detail::constant_like(a(0, 0), 0);
        for (Eigen::Index j = 0; j < a.rows(); ++j) c = S(c - S(y(j, 0) * S(a(j, 0) - S(log(sum)))));
        return c;
    }
    template <scalar T>
        requires transcendental_capable<T>
    matrix<T> gradient(const matrix<T>& A, const matrix<T>& Y) const {
        return softmax_cross_entropy_delta(A, Y);
    }
};

/// D9 every loss, in registry order (loss_registry() lists their infos so).
template <class T>
using loss_types = type_list<squared_error_loss, mse_loss, huber_loss<T>, l1_loss, softmax_cross_entropy_loss>;

/// D9 the losses a scalar type may use: for exact types only those with info.exact_evaluation.
template <scalar T>
using loss_function = admissible_variant_t<T, loss_types<T>>;

template <scalar T>
std::string loss_name(const loss_function<T>& l) {
    return std::string(info_of(l).name);
}

/// The loss named `name` over T with its parameter values; nullopt when unknown or not admissible
/// for T. Requires: as many values as the loss takes.
template <scalar T>
std::optional<loss_function<T>> make_loss(std::string_view name, const std::vector<T>& params) {
    return make_registry_member<loss_function<T>, T>("D9", loss_types<T>{}, name, params);
}

/// An exact loss with its parameters converted to U.
template <scalar U>
loss_function<U> convert_loss(const loss_function<exact>& l) {
    return convert_registry_member<loss_function<U>, U>(l);
}

/// D9 ℓ_y(a) for one sample (a and y columns of one length ≥ 1). Generic in the number type S
/// (T, or a dual number over T), so AD can differentiate it.
template <class... Ls, class S>
S sample_cost(const std::variant<Ls...>& l, const matrix<S>& a, const matrix<S>& y) {
    MATBP_REQUIRE("D9", a.cols() == 1 && y.cols() == 1 && a.rows() == y.rows() && a.rows() >= 1);
    return std::visit([&](const auto& g) -> S { return g.sample_cost(a, y); }, l);
}

/// L9 ∇ℓ_y(a) for every column of A against the same column of Y (unreduced).
/// Requires: A and Y have one shape.
template <scalar T>
matrix<T> loss_gradient(const loss_function<T>& l, const matrix<T>& A, const matrix<T>& Y) {
    MATBP_REQUIRE("L9", A.rows() == Y.rows() && A.cols() == Y.cols());
    return std::visit([&](const auto& g) -> matrix<T> { return g.template gradient<T>(A, Y); }, l);
}

/// D14 the factor ρ of the reduction: 1 (sum), 1/n or 1/(n·m) (mean; by the loss's mean_over).
template <scalar T>
T reduction_scale(const loss_function<T>& l, reduction red, Eigen::Index n, Eigen::Index m) {
    if (red == reduction::sum) return T(1);
    const auto over = std::visit([](const auto& g) { return std::decay_t<decltype(g)>::mean; }, l);
    return T(T(1) / T(static_cast<long>(over == mean_over::entries ? n * m : n)));
}

/// True iff ℓ has a kink at output unit (a, y) (l1 at a zero residual; none for the others).
template <scalar T>
bool loss_kink_at(const loss_function<T>& l, const T& a, const T& y) {
    return std::visit(
        [&](const auto& g) {
            if constexpr (requires { g.kink_at(a, y); })
                return g.kink_at(a, y);
            else
                return false;
        },
        l);
}

/// c when ∇ℓ_y(a) = c·(a − y) (squared_error 1, mse 2); 0 for the others.
template <class... Ls>
int linear_gradient_factor(const std::variant<Ls...>& l) {
    return std::visit(
        [](const auto& g) {
            if constexpr (requires { std::decay_t<decltype(g)>::linear_gradient_factor; })
                return std::decay_t<decltype(g)>::linear_gradient_factor;
            else
                return 0;
        },
        l);
}

}  // namespace matbp
