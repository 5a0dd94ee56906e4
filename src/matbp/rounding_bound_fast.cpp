// matbp/rounding_bound_fast.cpp — T2 evaluated in float64 with BLAS, rigorously (L12; header:
// rounding_bound_fast.hpp; proof: proofs/rounding.md, whose step labels mark the lines below).
//
// Every bound is a non-negative quantity built by +, × and sums of products from non-negative
// doubles, each operation rounded upward: an elementwise one by next_up after round-to-nearest
// (L12 (i)), a matrix product by one BLAS call inflated by (1 + γ_N)(· + N·2⁻¹⁰⁷⁴) (L12 (ii)).
// The exact pass Zˡ, Aˡ, fˡ′(Zˡ), Δˡ, Bˡ is enclosed as midpoint ± radius (L12 (iii)–(v)).
// Assumption (L12 (ii)): OpenBLAS's dgemm forms each entry as a sum of its N products by
// correctly rounded +, × and FMA in some order, α = 1 and β = 0 exact (no Strassen-like scheme);
// and the floating-point environment is the default one (round to nearest, subnormals kept).
#include "matbp/rounding_bound_fast.hpp"

#include "matbp/blas.hpp"
#include "matbp/contract.hpp"
#include "matbp/convert.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace matbp {

// L12 (i): the neighbouring doubles, by the ordering of binary64's bit patterns (as
// std::nextafter, without the call: these run once per entry of every bound).
double next_up(double y) {
    if (!(y < std::numeric_limits<double>::infinity())) return y;  // +inf, NaN
    if (y == 0) return std::numeric_limits<double>::denorm_min();
    const auto b = std::bit_cast<std::uint64_t>(y);
    return std::bit_cast<double>(y > 0 ? b + 1 : b - 1);
}
double next_down(double y) { return -next_up(-y); }

namespace {

/// A non-finite intermediate: the caller falls back to the MPFI evaluation.
struct not_finite {};
void require_finite(const matrix<double>& M) {
    if (!M.allFinite()) throw not_finite{};
}

constexpr double u53 = 0x1p-53;  // binary64's unit roundoff, the bound's own arithmetic

// L12 (i): a ∘ b ≤ nextup(fl(a ∘ b)).
double add_up(double a, double b) { return next_up(a + b); }
double mul_up(double a, double b) { return next_up(a * b); }
// L12 (i), (v): |v − fl(v)| ≤ nextup(|fl(v)|) − |fl(v)| (an ulp, so the subtraction is exact).
double rounding_error(double m) {
    const double a = std::abs(m);
    return next_up(a) - a;
}
/// A lower bound of |v| for the exact v whose round-to-nearest is d.
double abs_down(double d) { return d == 0 ? 0.0 : next_down(std::abs(d)); }

matrix<double> add_up(const matrix<double>& A, const matrix<double>& B) {
    return A.binaryExpr(B, [](double a, double b) { return add_up(a, b); });
}
matrix<double> mag(const midrad& x) {
    return x.mid.binaryExpr(x.rad, [](double m, double r) { return add_up(std::abs(m), r); });
}
bool all_zero(const matrix<double>& M) { return (M.array() == 0).all(); }

/// product_upper_bound, or +inf everywhere (still an upper bound) when an operand overflowed to
/// +inf: the callers' own finiteness checks then send the evaluation to the MPFI fallback, never a
/// contract violation.
matrix<double> upper_product(const matrix<double>& A, bool ta, const matrix<double>& B, bool tb) {
    if (!A.allFinite() || !B.allFinite())
        return matrix<double>::Constant(ta ? A.cols() : A.rows(), tb ? B.rows() : B.cols(),
                                        std::numeric_limits<double>::infinity());
    return product_upper_bound(A, ta, B, tb);
}

/// A double ≥ 1 + γ_N = 1/(1 − N·u) (L12 (ii)); requires N·u < 1.
double one_plus_gamma(Eigen::Index N) {
    const exact g = exact(1) / (exact(1) - exact(static_cast<long>(N)) * exact(1, bmp::mpz_int(1) << 53));
    return next_up(to_double(g));
}
/// A double ≥ γ_N.
double gamma_up(Eigen::Index N) {
    const exact Nu = exact(static_cast<long>(N)) * exact(1, bmp::mpz_int(1) << 53);
    return next_up(to_double(exact(Nu / (exact(1) - Nu))));
}
/// A double ≥ the upper end of x.
double upper_double(const interval& x) {
    const real h = bmp::upper(x);
    return mpfr_get_d(h.backend().data(), MPFR_RNDU);
}

/// L12 (v) one exact value: its enclosure and whether it is a double with at most p significant
/// bits (then D17 (1) stores it unchanged at a precision of p ≥ its bits).
struct scalar_enclosure {
    double mid, rad;
    int bits;  ///< significant bits when x is a double (0 for x = 0), else a number > 1100
};
scalar_enclosure enclose_one(const exact& x) {
    const mpq_srcptr q = x.backend().data();
    const mpz_srcptr n = mpq_numref(q), d = mpq_denref(q);
    if (mpz_sgn(n) == 0) return {0.0, 0.0, 0};
    const long dz = static_cast<long>(mpz_scan1(d, 0));
    const long nb = static_cast<long>(mpz_sizeinbase(n, 2)), nz = static_cast<long>(mpz_scan1(n, 0));
    const bool dyadic = static_cast<long>(mpz_sizeinbase(d, 2)) - 1 == dz;
    // x = n·2^−dz with n's set bits from nz to nb − 1: a double iff ≤ 53 of them, the top bit
    // below 2^1024 and the lowest at or above 2^−1074.
    if (dyadic && nb - nz <= 53 && nb - 1 - dz <= 1023 && nz - dz >= -1074) {
        // mpz_get_d truncates, exactly here (≤ 53 significant bits, below 2^1024 after scaling by
        // 2^−nz); ldexp is exact since the result is a double. One limb: read off it, no allocation.
        if (mpz_size(n) == 1) {
            const double v = std::ldexp(static_cast<double>(mpz_getlimbn(n, 0) >> nz), static_cast<int>(nz - dz));
            return {mpz_sgn(n) < 0 ? -v : v, 0.0, static_cast<int>(nb - nz)};
        }
        bmp::mpz_int m;
        mpz_tdiv_q_2exp(m.backend().data(), n, static_cast<mp_bitcnt_t>(nz));
        const double v = std::ldexp(mpz_get_d(m.backend().data()), static_cast<int>(nz - dz));
        return {v, 0.0, static_cast<int>(nb - nz)};
    }
    const double m = to_double(x);  // round to nearest (convert.hpp)
    return {m, rounding_error(m), 2000};
}

/// The enclosure of exact data, and D17 (1)'s storage error at pm: 0 for a value of at most p bits,
/// else u·|x| rounded up.
struct stored {
    midrad v;
    matrix<double> e;
};
/// The same for a tensor: held as doubles, each its own enclosure (radius 0) with its significant
/// bits read off the double (what enclose_one finds for its rational); else by its rationals.
stored enclose_stored(const matrix<exact>& X, unsigned p, double u);
stored enclose_stored(const exact_tensor& X, unsigned p, double u) {
    const matrix<double>* D = X.doubles();
    if (!D) return enclose_stored(X.rational(), p, u);
    stored s{{*D, matrix<double>::Zero(D->rows(), D->cols())}, matrix<double>(D->rows(), D->cols())};
    for (Eigen::Index i = 0; i < D->size(); ++i) {
        const double x = (*D)(i);
        const int bits = std::bit_width(split_double(x).odd);  // significant bits: 0 for ±0
        s.e(i) = bits <= static_cast<int>(p) ? 0.0 : mul_up(u, add_up(std::abs(x), 0.0));  // as for its rational
    }
    return s;
}

stored enclose_stored(const matrix<exact>& X, unsigned p, double u) {
    stored s{{matrix<double>(X.rows(), X.cols()), matrix<double>(X.rows(), X.cols())},
             matrix<double>(X.rows(), X.cols())};
    for (Eigen::Index i = 0; i < X.size(); ++i) {
        const scalar_enclosure c = enclose_one(X(i));
        s.v.mid(i) = c.mid;
        s.v.rad(i) = c.rad;
        s.e(i) = c.bits <= static_cast<int>(p) ? 0.0 : mul_up(u, add_up(std::abs(c.mid), c.rad));
    }
    require_finite(s.v.mid);
    require_finite(s.v.rad);
    require_finite(s.e);
    return s;
}

// ---- L10 evaluated by L12 ----------------------------------------------------------------------

/// L10: φ(|x| + e_x)(|y| + e_y) + e_x(|y| + e_y) + |x|e_y summed over op(A)·op(B) (+ the bias
/// term φ(|c| + e_c) + e_c), every operation rounded upward.
matrix<double> product_error_upper(const matrix<double>& absA, const matrix<double>& eA, bool ta,
                                   const matrix<double>& absB, const matrix<double>& eB, bool tb, double phi,
                                   const matrix<double>* absc = nullptr, const matrix<double>* ec = nullptr) {
    matrix<double> e;
    if (all_zero(eA)) {
        // L10 (ii)+(iii) with e_x = 0: |x|(φ(|y| + e_y) + e_y), one product.
        const matrix<double> right =
            absB.binaryExpr(eB, [phi](double b, double eb) { return add_up(mul_up(phi, add_up(b, eb)), eb); });
        e = upper_product(absA, ta, right, tb);
    } else {
        // L10 (ii)+(iii): (φ(|x| + e_x) + e_x)(|y| + e_y) + |x|e_y.
        const matrix<double> left =
            absA.binaryExpr(eA, [phi](double a, double ea) { return add_up(mul_up(phi, add_up(a, ea)), ea); });
        e = upper_product(left, ta, add_up(absB, eB), tb);
        if (!all_zero(eB)) e = add_up(e, upper_product(absA, ta, eB, tb));
    }
    if (absc) {
        // L10 (iv): the bias term.
        for (Eigen::Index i = 0; i < e.rows(); ++i) {
            const double c = add_up(mul_up(phi, add_up((*absc)(i, 0), (*ec)(i, 0))), (*ec)(i, 0));
            for (Eigen::Index j = 0; j < e.cols(); ++j) e(i, j) = add_up(e(i, j), c);
        }
    }
    require_finite(e);
    return e;
}

/// L10 with N = 1 and ω: ω(|x| + e_x)(|y| + e_y) + e_x(|y| + e_y) + |x|e_y entrywise, upward.
matrix<double> hadamard_error_upper(const matrix<double>& absx, const matrix<double>& ex, const matrix<double>& absy,
                                    const matrix<double>& ey, double omega) {
    matrix<double> r(absx.rows(), absx.cols());
    for (Eigen::Index i = 0; i < r.size(); ++i) {
        const double wx = add_up(absx(i), ex(i)), wy = add_up(absy(i), ey(i));
        r(i) = add_up(add_up(mul_up(omega, mul_up(wx, wy)), mul_up(ex(i), wy)), mul_up(absx(i), ey(i)));
    }
    require_finite(r);
    return r;
}

/// L12 (iv) for one entrywise product of enclosures: x·y ∈ fl(x_m y_m) ± (|x_m|y_r + x_r(|y_m| +
/// y_r) + the rounding of fl(x_m y_m)).
void times(double xm, double xr, double ym, double yr, double& m, double& r) {
    m = xm * ym;
    r = add_up(add_up(mul_up(std::abs(xm), yr), mul_up(xr, add_up(std::abs(ym), yr))), rounding_error(m));
}

// ---- the piecewise-linear activations (D10) -------------------------------------------------

/// What T2.activation needs of a piecewise-linear activation, as enclosures and upper bounds.
struct pl_activation {
    enum class kind { identity, relu, leaky, hardtanh } k = kind::identity;
    scalar_enclosure s{}, lo{}, hi{};     ///< leaky slope; hardtanh ends
    std::vector<scalar_enclosure> kinks;  ///< kink points
    double slack = 0;                     ///< the kinks' storage error at pm (T2.activation)
    double ef_per_x = 0, ef_const = 0;    ///< L11 (i): E_f ≤ ef_per_x·sup|x| + ef_const
    double efd = 0;                       ///< L11 (i): E_f′
    double lipschitz = 1;                 ///< ≥ max |slope|
    double hull_mid = 0, hull_rad = 0;    ///< T3.near: the hull of the slopes (slope_hull)
};

std::optional<pl_activation> piecewise_of(const activation<exact>& f, const precision_model& pm, double u) {
    pl_activation a;
    const auto storage = [&](const exact& x) { return upper_double(storage_error(from_exact<interval>(x), pm)); };
    const bool known = std::visit(
        [&](const auto& g) {
            using G = std::decay_t<decltype(g)>;
            if constexpr (std::same_as<G, identity_fn>) {
                a.k = pl_activation::kind::identity;
                return true;
            } else if constexpr (std::same_as<G, relu_fn>) {
                a.k = pl_activation::kind::relu;
                a.kinks = {{0.0, 0.0, 0}};
                a.hull_mid = 0.5;
                a.hull_rad = 0.5;
                return true;
            } else if constexpr (std::same_as<G, leaky_relu_fn<exact>>) {
                a.k = pl_activation::kind::leaky;
                a.s = enclose_one(g.negative_slope);
                a.kinks = {{0.0, 0.0, 0}};
                // L11 (i): E_f = (u(|s| + e_s) + e_s)·sup|x|, E_f′ = e_s (as activation_evaluation_error).
                const double es = storage(g.negative_slope);
                const double sw = add_up(add_up(std::abs(a.s.mid), a.s.rad), es);
                a.ef_per_x = add_up(mul_up(u, sw), es);
                a.efd = es;
                const double smax = add_up(std::abs(a.s.mid), a.s.rad);
                a.lipschitz = std::max(1.0, smax);
                // T3.near: the hull [min(s, 1), max(s, 1)], outward.
                const double hlo = std::min(next_down(a.s.mid - a.s.rad), 1.0);
                const double hhi = std::max(add_up(a.s.mid, a.s.rad), 1.0);
                a.hull_mid = (hlo + hhi) / 2;
                a.hull_rad = std::max(next_up(hhi - a.hull_mid), next_up(a.hull_mid - hlo));
                return true;
            } else if constexpr (std::same_as<G, hardtanh_fn<exact>>) {
                a.k = pl_activation::kind::hardtanh;
                a.lo = enclose_one(g.min_val);
                a.hi = enclose_one(g.max_val);
                a.kinks = {a.lo, a.hi};
                a.slack = std::max(storage(g.min_val), storage(g.max_val));
                // L11 (i): E_f = e_lo + e_hi, E_f′ = 0.
                a.ef_const = add_up(storage(g.min_val), storage(g.max_val));
                a.hull_mid = 0.5;
                a.hull_rad = 0.5;
                return true;
            } else {
                return false;
            }
        },
        f);
    if (!known) return std::nullopt;
    return a;
}

bool native_loss(const loss_function<exact>& ell) {
    return std::holds_alternative<squared_error_loss>(ell) || std::holds_alternative<mse_loss>(ell) ||
           std::holds_alternative<huber_loss<exact>>(ell) || std::holds_alternative<l1_loss>(ell);
}

}  // namespace

// ---- L12 -----------------------------------------------------------------------------------------

midrad enclose(const matrix<exact>& X) {
    midrad r{matrix<double>(X.rows(), X.cols()), matrix<double>(X.rows(), X.cols())};
    for (Eigen::Index i = 0; i < X.size(); ++i) {
        const scalar_enclosure c = enclose_one(X(i));
        r.mid(i) = c.mid;
        r.rad(i) = c.rad;
    }
    return r;
}

matrix<double> product_upper_bound(const matrix<double>& A, bool transpose_a, const matrix<double>& B,
                                   bool transpose_b) {
    const Eigen::Index N = transpose_a ? A.rows() : A.cols();
    MATBP_REQUIRE("L12", N == (transpose_b ? B.cols() : B.rows()));
    MATBP_REQUIRE("L12", A.allFinite() && B.allFinite() && (A.array() >= 0).all() && (B.array() >= 0).all());
    matrix<double> C = blas_product(A, transpose_a, B, transpose_b);
    // L12 (ii): AB ≤ (1 + γ_N)(Ĉ + N·2⁻¹⁰⁷⁴), each of the two operations rounded upward by (i).
    const double eta = std::ldexp(static_cast<double>(N), -1074);
    const double c = one_plus_gamma(N);
    for (Eigen::Index i = 0; i < C.size(); ++i) C(i) = mul_up(add_up(C(i), eta), c);
    return C;
}

midrad product_enclosure(const midrad& A, bool transpose_a, const midrad& B, bool transpose_b, const midrad* c) {
    const Eigen::Index N = transpose_a ? A.mid.rows() : A.mid.cols();
    MATBP_REQUIRE("L12", A.mid.rows() == A.rad.rows() && A.mid.cols() == A.rad.cols() && B.mid.rows() == B.rad.rows() &&
                             B.mid.cols() == B.rad.cols());
    MATBP_REQUIRE("L12", N == (transpose_b ? B.mid.cols() : B.mid.rows()));
    MATBP_REQUIRE("L12", A.mid.allFinite() && B.mid.allFinite() && A.rad.allFinite() && B.rad.allFinite() &&
                             (A.rad.array() >= 0).all() && (B.rad.array() >= 0).all());
    const Eigen::Index m = transpose_a ? A.mid.cols() : A.mid.rows();
    if (c)
        MATBP_REQUIRE("L12", c->mid.rows() == m && c->mid.cols() == 1 && c->rad.rows() == m && c->rad.cols() == 1 &&
                                 c->mid.allFinite() && c->rad.allFinite() && (c->rad.array() >= 0).all());
    const Eigen::Index terms = N + (c ? 1 : 0);
    const double g = gamma_up(terms);
    midrad r;
    r.mid = blas_product(A.mid, transpose_a, B.mid, transpose_b);
    // L12 (iii), (iv): |A_m|(B_r + γ|B_m|), then A_r(|B_m| + B_r) unless A is exact.
    const matrix<double> right =
        B.rad.binaryExpr(B.mid, [g](double br, double bm) { return add_up(br, mul_up(g, std::abs(bm))); });
    r.rad = upper_product(A.mid.cwiseAbs(), transpose_a, right, transpose_b);
    if (!all_zero(A.rad)) r.rad = add_up(r.rad, upper_product(A.rad, transpose_a, mag(B), transpose_b));
    // L12 (iii): the underflow allowance of the midpoint's own evaluation, N·2⁻¹⁰⁷³.
    const double mu = std::ldexp(static_cast<double>(terms), -1073);
    for (Eigen::Index i = 0; i < r.rad.rows(); ++i) {
        // L12 (iv): the bias, one more term added in the midpoint and enclosed with its radius.
        const double cm = c ? c->mid(i, 0) : 0.0;
        const double cr = c ? add_up(mul_up(g, std::abs(cm)), c->rad(i, 0)) : 0.0;
        for (Eigen::Index j = 0; j < r.rad.cols(); ++j) {
            if (c) r.mid(i, j) += cm;
            r.rad(i, j) = add_up(add_up(r.rad(i, j), cr), mu);
        }
    }
    return r;
}

namespace {

/// The layers of net as views of tensors this object owns (a layer_view refers to exact_tensors:
/// the network's matrices are wrapped once, not bound as temporaries that would not outlive the
/// view).
struct network_views {
    std::vector<exact_tensor> tensors;
    std::vector<dyadic_network::layer_view> views;
    explicit network_views(const mlp<exact>& net) {
        tensors.reserve(2 * net.layers.size());
        for (const auto& L : net.layers) {
            tensors.emplace_back(L.W);
            tensors.emplace_back(L.b);
        }
        for (std::size_t l = 0; l < net.layers.size(); ++l)
            views.push_back({tensors[2 * l], tensors[2 * l + 1], net.layers[l].f});
    }
    network_views(const network_views&) = delete;
    network_views& operator=(const network_views&) = delete;
};

/// D12's shape conditions on layers given by reference (as well_formed(mlp) checks them; the
/// activations here have no coefficients to check: the native ones are piecewise linear).
bool well_formed(const std::vector<dyadic_network::layer_view>& layers) {
    if (layers.empty()) return false;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto& L = layers[l];
        if (L.W.rows() < 1 || L.W.cols() < 1 || L.b.rows() != L.W.rows() || L.b.cols() != 1) return false;
        if (l > 0 && L.W.cols() != layers[l - 1].W.rows()) return false;
    }
    return true;
}

}  // namespace

bool fast_bound_applies(const std::vector<dyadic_network::layer_view>& layers, const loss_function<exact>& ell) {
    if (!native_loss(ell)) return false;
    for (const auto& L : layers)
        if (!(std::holds_alternative<identity_fn>(L.f) || std::holds_alternative<relu_fn>(L.f) ||
              std::holds_alternative<leaky_relu_fn<exact>>(L.f) || std::holds_alternative<hardtanh_fn<exact>>(L.f)))
            return false;
    return true;
}

bool fast_bound_applies(const mlp<exact>& net, const loss_function<exact>& ell) {
    if (!native_loss(ell)) return false;
    for (const auto& L : net.layers)
        if (!(std::holds_alternative<identity_fn>(L.f) || std::holds_alternative<relu_fn>(L.f) ||
              std::holds_alternative<leaky_relu_fn<exact>>(L.f) || std::holds_alternative<hardtanh_fn<exact>>(L.f)))
            return false;
    return true;
}

// ---- L12 (vi): T2 from midpoint-radius enclosures ----------------------------------------------

std::optional<fast_bound_result> rounding_bounds_fast(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, const loss_function<exact>& ell,
                                                      reduction red, const precision_model& pm) {
    MATBP_REQUIRE("T2", well_formed(net));
    const network_views v(net);
    return rounding_bounds_fast(v.views, exact_tensor(X), exact_tensor(Y), ell, red, pm);
}

std::optional<fast_bound_result> rounding_bounds_fast(const std::vector<dyadic_network::layer_view>& layers,
                                                      const exact_tensor& X, const exact_tensor& Y,
                                                      const loss_function<exact>& ell, reduction red,
                                                      const precision_model& pm) {
    MATBP_REQUIRE("D17", well_formed_precision(pm));
    MATBP_REQUIRE("T2", well_formed(layers));
    const auto width = [&](Eigen::Index l) { return l == 0 ? layers.front().W.cols() : layers[l - 1].W.rows(); };
    const auto k = static_cast<Eigen::Index>(layers.size()), n = X.cols();
    MATBP_REQUIRE("T2", X.rows() == width(0) && X.cols() >= 1);
    MATBP_REQUIRE("T2", Y.rows() == width(k) && Y.cols() == X.cols());
    if (!fast_bound_applies(layers, ell)) return std::nullopt;
    const unsigned p = storage_bits(pm);
    if (p > 1000) return std::nullopt;
    precision_guard guard(std::max(128u, precision_guard::current_bits()));
    // OpenBLAS on one thread here: how it splits a product among threads changes the summation
    // order, so the bound's last bits would depend on the thread count (each is rigorous; the
    // report should not vary). Twelve 1024-wide products take about 0.2 s on one core.
    const blas_thread_scope one_thread(1);
    const double u = std::ldexp(1.0, -static_cast<int>(p));
    try {
        // The factors of D17/L10 from the MPFI definitions, rounded up.
        const auto phi = [&](Eigen::Index M) { return upper_double(product_sum_factor(pm, M)); };
        const double omega1 = upper_double(rounding_factor(pm, 1)), omega3 = upper_double(rounding_factor(pm, 3));

        fast_bound_result r;
        for (auto* v : {&r.dW, &r.db, &r.potential, &r.activation, &r.derivative, &r.delta}) v->resize(k + 1);
        std::vector<pl_activation> act(k + 1);
        std::vector<stored> W(k + 1), b(k + 1);
        for (Eigen::Index l = 1; l <= k; ++l) {
            act[l] = *piecewise_of(layers[l - 1].f, pm, u);
            W[l] = enclose_stored(layers[l - 1].W, p, u);
            b[l] = enclose_stored(layers[l - 1].b, p, u);
        }
        // T2 (i): the data rounded once (D17 (1)); A⁰ = X enclosed.
        std::vector<midrad> A(k + 1), Z(k + 1), D(k + 1);
        std::vector<matrix<double>> eA(k + 1), eD(k + 1), absD(k + 1);
        {
            stored x = enclose_stored(X, p, u);
            A[0] = std::move(x.v);
            eA[0] = std::move(x.e);
        }
        r.activation[0] = eA[0];

        for (Eigen::Index l = 1; l <= k; ++l) {
            // The exact pass: Zˡ enclosed by L12 (iv).
            Z[l] = product_enclosure(W[l].v, false, A[l - 1], false, &b[l].v);
            require_finite(Z[l].mid);
            require_finite(Z[l].rad);
            // T2.forward: L10 with M = m_{l−1} + 1 terms.
            const matrix<double> absW = mag(W[l].v), absb = mag(b[l].v);
            const matrix<double> eZ = product_error_upper(absW, W[l].e, false, mag(A[l - 1]), eA[l - 1], false,
                                                          phi(absW.cols() + 1), &absb, &b[l].e);
            // T2.activation, entry by entry (L11 with the constants of piecewise_of).
            const pl_activation& f = act[l];
            const Eigen::Index rows = eZ.rows();
            A[l] = {matrix<double>(rows, n), matrix<double>(rows, n)};
            D[l] = {matrix<double>(rows, n), matrix<double>(rows, n)};
            eA[l].resize(rows, n);
            eD[l].resize(rows, n);
            for (Eigen::Index j = 0; j < n; ++j)
                for (Eigen::Index i = 0; i < rows; ++i) {
                    const double zm = Z[l].mid(i, j), zr = Z[l].rad(i, j), e = eZ(i, j);
                    // Zw = [z − e, z + e] ⊂ zm ± w.
                    const double w = add_up(zr, e);
                    // T2.activation: near a kink when zm ± (w + slack) may meet a kink's enclosure
                    // (a superset of the MPFI test, whose enclosure of z lies in zm ± zr).
                    bool near = false, meets = false;  // meets: Zw itself (no slack) may meet a kink
                    for (const auto& kp : f.kinks) {
                        near = near || abs_down(zm - kp.mid) <= add_up(add_up(w, f.slack), kp.rad);
                        meets = meets || abs_down(zm - kp.mid) <= add_up(w, kp.rad);
                    }
                    if (near) r.near_kinks.push_back({l, j, i});
                    // The piece of every point of Zw when not near: decided at zm.
                    double dm = 1, dr = 0;  // fˡ′ on Zw
                    double am = zm, ar = zr;
                    switch (f.k) {
                        case pl_activation::kind::identity:
                            break;
                        case pl_activation::kind::relu:
                            // Off the kink, z < 0 on the whole enclosure: A = 0 exactly.
                            dm = zm > 0 ? 1 : 0;
                            am = zm > 0 ? zm : 0.0;
                            if (!near && zm < 0) ar = 0;
                            break;
                        case pl_activation::kind::leaky:
                            // |f(z) − f(zm)| ≤ slope·zr: the piece's slope off the kink (the whole
                            // enclosure in one piece), the Lipschitz constant near it; at zm ≤ 0,
                            // f(zm) = s·zm ∈ fl(s_m zm) ± (s_r|zm| + rounding).
                            if (zm <= 0) {
                                dm = f.s.mid;
                                dr = f.s.rad;
                                am = f.s.mid * zm;
                                const double slope = near ? f.lipschitz : add_up(std::abs(f.s.mid), f.s.rad);
                                ar = add_up(add_up(mul_up(slope, zr), mul_up(f.s.rad, std::abs(zm))),
                                            rounding_error(am));
                            } else {
                                ar = near ? mul_up(f.lipschitz, zr) : zr;
                            }
                            break;
                        case pl_activation::kind::hardtanh:
                            // clamp is 1-Lipschitz in x and in each end.
                            dm = f.lo.mid < zm && zm < f.hi.mid ? 1 : 0;
                            am = std::min(std::max(zm, f.lo.mid), f.hi.mid);
                            ar = add_up(add_up(zr, f.lo.rad), f.hi.rad);
                            // Off the kinks and outside (lo, hi): A is the end itself.
                            if (!near && dm == 0) ar = zm < f.lo.mid ? f.lo.rad : f.hi.rad;
                            break;
                    }
                    // L11 (ii)'s sup_{Zw}|f′|: the piece's slope unless Zw itself may meet a kink.
                    const double dmag_w = meets ? add_up(std::abs(f.hull_mid), f.hull_rad) : add_up(std::abs(dm), dr);
                    // T3.near: a near unit's derivative is any slope of the hull.
                    if (near) {
                        dm = f.hull_mid;
                        dr = f.hull_rad;
                    }
                    A[l].mid(i, j) = am;
                    A[l].rad(i, j) = ar;
                    D[l].mid(i, j) = dm;
                    D[l].rad(i, j) = dr;
                    // L11 (ii): e_a = E_f(Zw) + sup_{Zw}|f′|·e_z, sup|x| over Zw ≤ |zm| + w.
                    const double sup_x = add_up(std::abs(zm), w);
                    const double ef = add_up(mul_up(f.ef_per_x, sup_x), f.ef_const);
                    eA[l](i, j) = add_up(ef, mul_up(dmag_w, e));
                    // L11 (iii): f′ is constant on Zw off the kinks; T3.near: only E_f′ near one.
                    eD[l](i, j) = f.efd;
                }
            for (const auto* M : {&A[l].mid, &A[l].rad, &D[l].mid, &D[l].rad, &eA[l], &eD[l]}) require_finite(*M);
            absD[l] = mag(D[l]);
            r.potential[l] = eZ;
            r.activation[l] = eA[l];
            r.derivative[l] = eD[l];
        }

        // T2.output.
        const stored y = enclose_stored(Y, p, u);
        const scalar_enclosure rho = enclose_one(reduction_scale<exact>(ell, red, n, Y.rows()));
        const double rho_mag = add_up(std::abs(rho.mid), rho.rad);
        double dm_huber = 0, dr_huber = 0, ed_huber = 0;
        if (const auto* h = std::get_if<huber_loss<exact>>(&ell)) {
            const scalar_enclosure d = enclose_one(h->delta);
            dm_huber = d.mid;
            dr_huber = d.rad;
            ed_huber = upper_double(storage_error(from_exact<interval>(h->delta), pm));
        }
        const Eigen::Index m = Y.rows();
        midrad Delta{matrix<double>(m, n), matrix<double>(m, n)};
        matrix<double> eDelta(m, n);
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < m; ++i) {
                const double ea = eA[k](i, j), ey = y.e(i, j);
                // R = A − Y enclosed; T2.output (i): e_r = u(|r| + e_a + e_y) + e_a + e_y.
                const double rm = A[k].mid(i, j) - y.v.mid(i, j);
                const double rr = add_up(add_up(A[k].rad(i, j), y.v.rad(i, j)), rounding_error(rm));
                const double rmag = add_up(std::abs(rm), rr);
                const double eaey = add_up(ea, ey);
                const double er = add_up(mul_up(u, add_up(rmag, eaey)), eaey);
                // T2.output (ii): the loss gradient G enclosed, |G| and e_g per loss.
                double gm = rm, gr = rr, gmag = rmag, eg = er;
                if (std::holds_alternative<mse_loss>(ell)) {
                    gm = 2 * rm;
                    gr = 2 * rr;
                    gmag = 2 * rmag;
                    eg = 2 * er;
                } else if (std::holds_alternative<huber_loss<exact>>(ell)) {
                    gm = std::min(std::max(rm, -dm_huber), dm_huber);
                    gr = add_up(rr, dr_huber);
                    gmag = std::min(rmag, add_up(std::abs(dm_huber), dr_huber));
                    eg = add_up(er, ed_huber);
                } else if (std::holds_alternative<l1_loss>(ell)) {
                    // sign r̂ = sign r unless r ± (r_r + e_r) may meet 0 (T3.near: then any of [−1, 1]).
                    const bool near = abs_down(rm) <= add_up(rr, er);
                    if (near) r.near_kinks.push_back({k, j, i, kink_site::loss});
                    gm = near ? 0.0 : (rm > 0 ? 1.0 : -1.0);
                    gr = near ? 1.0 : 0.0;
                    gmag = 1;
                    eg = 0;
                }
                // T2.output (iii): |ρ|·(ω₃(|d| + e_d)(|g| + e_g) + e_d(|g| + e_g) + |d|e_g).
                const double dmag = absD[k](i, j), ed = eD[k](i, j);
                const double wd = add_up(dmag, ed), wg = add_up(gmag, eg);
                eDelta(i, j) =
                    mul_up(rho_mag, add_up(add_up(mul_up(omega3, mul_up(wd, wg)), mul_up(ed, wg)), mul_up(dmag, eg)));
                // Δᵏ = fᵏ′(Zᵏ) ⊙ G · ρ enclosed by L12 (iv).
                double pm_, pr_;
                times(D[k].mid(i, j), D[k].rad(i, j), gm, gr, pm_, pr_);
                times(pm_, pr_, rho.mid, rho.rad, Delta.mid(i, j), Delta.rad(i, j));
            }
        for (const auto* M : {&Delta.mid, &Delta.rad, &eDelta}) require_finite(*M);

        for (Eigen::Index l = k; l >= 1; --l) {
            r.delta[l] = eDelta;
            const matrix<double> absDelta = mag(Delta);
            // T2.W: L10 for Δˡ(Aˡ⁻¹)ᵀ, N = n.
            r.dW[l] = product_error_upper(absDelta, eDelta, false, mag(A[l - 1]), eA[l - 1], true, phi(n));
            // T2.b: φ_n Σ_cols(|Δ| + e_Δ) + Σ_cols e_Δ, the sums by L12 (ii) as products with 1ₙ.
            const double phin = phi(n);
            const matrix<double> terms = absDelta.binaryExpr(
                eDelta, [phin](double d, double e) { return add_up(mul_up(phin, add_up(d, e)), e); });
            r.db[l] = upper_product(terms, false, matrix<double>::Ones(n, 1), false);
            require_finite(r.dW[l]);
            require_finite(r.db[l]);
            if (l == 1) break;
            // T2.backward (i): Bˡ⁻¹ = (Wˡ)ᵀΔˡ enclosed, and its error by L10 with M = m_l.
            const midrad B = product_enclosure(W[l].v, true, Delta, false);
            require_finite(B.mid);
            require_finite(B.rad);
            const matrix<double> absW = mag(W[l].v);
            const matrix<double> eB =
                product_error_upper(absW, W[l].e, true, absDelta, eDelta, false, phi(absW.rows()));
            // T2.backward (ii): one rounding of the entrywise product with fˡ⁻¹′.
            const matrix<double> absB = mag(B);
            eDelta = hadamard_error_upper(absD[l - 1], eD[l - 1], absB, eB, omega1);
            Delta = {matrix<double>(B.mid.rows(), n), matrix<double>(B.mid.rows(), n)};
            for (Eigen::Index i = 0; i < B.mid.size(); ++i)
                times(D[l - 1].mid(i), D[l - 1].rad(i), B.mid(i), B.rad(i), Delta.mid(i), Delta.rad(i));
            for (const auto* M : {&Delta.mid, &Delta.rad, &eDelta}) require_finite(*M);
        }
        return r;
    } catch (const not_finite&) {
        return std::nullopt;
    }
}

}  // namespace matbp
