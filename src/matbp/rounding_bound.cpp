// matbp/rounding_bound.cpp — T2, the rounding bound of C1 (header: rounding_bound.hpp; proof:
// proofs/rounding.md, whose step labels mark the lines below).
#include "matbp/rounding_bound.hpp"

#include "matbp/backprop.hpp"
#include "matbp/contract.hpp"
#include "matbp/convert.hpp"

#include <algorithm>

namespace matbp {

namespace {

/// The upper end of x as a point interval.
interval up(const interval& x) {
    const real h = bmp::upper(x);
    return detail::make_interval(h, h);
}
/// sup |x| over the enclosure x, as a point interval.
interval mag(const interval& x) { return up(interval(bmp::abs(x))); }
matrix<interval> mag(const matrix<interval>& M) {
    return M.unaryExpr([](const interval& x) { return mag(x); });
}
matrix<interval> up(const matrix<interval>& M) {
    return M.unaryExpr([](const interval& x) { return up(x); });
}
interval zero() { return interval(0); }
matrix<interval> zeros(Eigen::Index r, Eigen::Index c) { return matrix<interval>::Constant(r, c, zero()); }

/// x^k by squaring (an enclosure).
interval power(interval x, unsigned long k) {
    interval r(1);
    while (k) {
        if (k & 1) r = interval(r * x);
        x = interval(x * x);
        k >>= 1;
    }
    return r;
}

bool is_power_of_two_reciprocal(const exact& q, unsigned min_bits) {
    if (bmp::numerator(q) != 1) return false;
    const bmp::mpz_int d = bmp::denominator(q);
    if (d < 2) return false;
    const auto b = bmp::msb(d);
    return bmp::lsb(d) == b && b >= min_bits;
}

/// Working precision of the bound's own arithmetic.
constexpr unsigned working_bits = 128;

}  // namespace

// ---- D17 ---------------------------------------------------------------------------------------

bool well_formed_precision(const precision_model& pm) {
    return is_power_of_two_reciprocal(pm.u, 3) && (pm.u_operand == 0 || is_power_of_two_reciprocal(pm.u_operand, 1)) &&
           pm.function_ulps >= 0;
}

const std::vector<precision_model>& precision_models() {
    // IEEE 754 binary64, binary32, binary16 and bfloat16 (8 significant bits): u = 2^-p for p
    // significant bits; tf32 stores binary32 and multiplies operands rounded to 11 bits.
    static const std::vector<precision_model> table{
        {"float64", exact(1, bmp::mpz_int(1) << 53)},
        {"float32", exact(1, bmp::mpz_int(1) << 24)},
        {"bfloat16", exact(1, bmp::mpz_int(1) << 8)},
        {"float16", exact(1, bmp::mpz_int(1) << 11)},
        {"tf32", exact(1, bmp::mpz_int(1) << 24), exact(1, bmp::mpz_int(1) << 11)},
    };
    return table;
}

std::optional<precision_model> precision_by_name(std::string_view name) {
    for (const auto& p : precision_models())
        if (p.name == name) return p;
    return std::nullopt;
}

precision_model mpfr_precision(unsigned bits) {
    MATBP_REQUIRE("D17", bits >= 3);
    return {"real:" + std::to_string(bits), exact(1, bmp::mpz_int(1) << bits), exact(0), exact(1, 2)};
}

unsigned storage_bits(const precision_model& pm) {
    MATBP_REQUIRE("D17", well_formed_precision(pm));
    return static_cast<unsigned>(bmp::msb(bmp::denominator(pm.u)));
}

interval storage_error(const interval& x, const precision_model& pm) {
    const real lo = bmp::lower(x), hi = bmp::upper(x);
    if (lo == hi) {
        mpfr_t t;
        mpfr_init2(t, storage_bits(pm));
        const int inexact = mpfr_set(t, lo.backend().data(), MPFR_RNDN);
        mpfr_clear(t);
        if (inexact == 0) return zero();
    }
    return up(interval(from_exact<interval>(pm.u) * mag(x)));
}

interval rounding_factor(const precision_model& pm, unsigned long k) {
    return up(interval(power(interval(1 + from_exact<interval>(pm.u)), k) - 1));
}

interval product_sum_factor(const precision_model& pm, Eigen::Index N) {
    // L10 (i): a leaf's factor lies within (1 + u_op)²(1 + u)(1 + u)^{N−1} of 1.
    const interval op = power(interval(1 + from_exact<interval>(pm.u_operand)), 2);
    return up(interval(op * power(interval(1 + from_exact<interval>(pm.u)), static_cast<unsigned long>(N)) - 1));
}

// ---- L10 ---------------------------------------------------------------------------------------

matrix<interval> product_error_bound(const matrix<interval>& absA, const matrix<interval>& eA,
                                     const matrix<interval>& absB, const matrix<interval>& eB, const interval& phi,
                                     const matrix<interval>* absc, const matrix<interval>* ec) {
    MATBP_REQUIRE("L10", absA.cols() == absB.rows() && eA.rows() == absA.rows() && eA.cols() == absA.cols() &&
                             eB.rows() == absB.rows() && eB.cols() == absB.cols());
    MATBP_REQUIRE("L10", (absc == nullptr) == (ec == nullptr));
    const matrix<interval> wideA = absA + eA, wideB = absB + eB;
    // L10 (ii): the rounding of the sum, φ_N Σ|x̂||ŷ| with |x̂| ≤ |x| + e_x.
    matrix<interval> e = mul(wideA, wideB) * phi;
    // L10 (iii): the data error, x̂ŷ − xy = (x̂ − x)ŷ + x(ŷ − y).
    e += mul(eA, wideB) + mul(absA, eB);
    if (absc) {
        MATBP_REQUIRE("L10",
                      absc->rows() == absA.rows() && absc->cols() == 1 && ec->rows() == absA.rows() && ec->cols() == 1);
        // L10 (iv): the (N+1)th term ĉ, added with the same factor, and its own error.
        const matrix<interval> c = matrix<interval>((*absc + *ec) * phi + *ec);
        e.colwise() += c.col(0);
    }
    // L10 (v): the upper end of the enclosure bounds the right side.
    return up(e);
}

matrix<interval> hadamard_error_bound(const matrix<interval>& absx, const matrix<interval>& ex,
                                      const matrix<interval>& absy, const matrix<interval>& ey, const interval& omega) {
    MATBP_REQUIRE("L10", absx.rows() == absy.rows() && absx.cols() == absy.cols() && ex.rows() == absx.rows() &&
                             ex.cols() == absx.cols() && ey.rows() == absy.rows() && ey.cols() == absy.cols());
    const matrix<interval> wx = absx + ex, wy = absy + ey;
    // L10 with N = 1: ω |x̂||ŷ| + e_x|ŷ| + |x|e_y.
    return up(matrix<interval>(wx.cwiseProduct(wy) * omega + ex.cwiseProduct(wy) + absx.cwiseProduct(ey)));
}

// ---- L11: evaluation errors of the activations ----------------------------------------------

evaluation_error activation_evaluation_error(const activation<interval>& f, const interval& Zw,
                                             const precision_model& pm) {
    const interval u = from_exact<interval>(pm.u);
    const interval M = mag(Zw);
    const interval fv = mag(evaluate(f, Zw)), fd = mag(derivative(f, Zw));
    // γ_k = ku/(1 − ku) for a chain with divisions (softsign).
    const auto gamma = [&](int k) { return up(interval(k * u / (1 - k * u))); };
    return std::visit(
        [&](const auto& g) -> evaluation_error {
            using G = std::decay_t<decltype(g)>;
            if constexpr (std::same_as<G, identity_fn> || std::same_as<G, relu_fn>) {
                // L11 (i): max(0, x) and x are exact.
                return {zero(), zero()};
            } else if constexpr (std::same_as<G, leaky_relu_fn<interval>>) {
                // L11 (i): fl(ŝx) with |ŝ − s| ≤ e_s: u|ŝx| + e_s|x|; the derivative ŝ.
                const interval es = storage_error(g.negative_slope, pm);
                const interval s = interval(mag(g.negative_slope) + es);
                return {up(interval(u * s * M + es * M)), es};
            } else if constexpr (std::same_as<G, hardtanh_fn<interval>>) {
                // L11 (i): clamp(x, lô, hî) is exact given the rounded ends; it moves by at most
                // the ends' rounding. Slopes 0 and 1 are exact.
                const interval e = interval(storage_error(g.min_val, pm) + storage_error(g.max_val, pm));
                return {up(e), zero()};
            } else if constexpr (std::same_as<G, softsign_fn>) {
                // L11 (i): x / fl(1 + |x|): relative γ₂; 1 / fl(d·d) with d = fl(1 + |x|): γ₄.
                return {up(interval(gamma(2) * fv)), up(interval(gamma(4) * fd))};
            } else if constexpr (std::same_as<G, polynomial_fn<interval>>) {
                // L11 (i): Horner with coefficients ĉⱼ: |p̂ − p| ≤ ((1+u)^{2d} − 1)Σ|ĉⱼ||x|^j + Σ|ĉⱼ − cⱼ||x|^j;
                // the derivative by Horner on fl(j·ĉⱼ), degree d − 1.
                const auto& c = g.coefficients;
                const unsigned long d = c.size() - 1;
                const interval horner = rounding_factor(pm, 2 * d);
                interval ev = zero(), ed = zero();
                for (std::size_t j = 0; j < c.size(); ++j) {
                    const interval ec = storage_error(c[j], pm);
                    const interval xj = power(M, j);
                    ev += (horner * (mag(c[j]) + ec) + ec) * xj;
                    if (j >= 1) {
                        const interval jc = interval(static_cast<long>(j) * (mag(c[j]) + ec));
                        const interval eq = interval(u * jc + static_cast<long>(j) * ec);  // fl(j·ĉⱼ)
                        const interval horner_d = rounding_factor(pm, 2 * (d - 1));
                        ed += (horner_d * (jc + eq) + eq) * power(M, j - 1);
                    }
                }
                return {up(ev), up(ed)};
            } else {
                // L11 (i): logistic, tanh, softplus: D17's assumption, c ULPs ≤ 2cu relative.
                const interval r = interval(2 * from_exact<interval>(pm.function_ulps) * u);
                return {up(interval(r * fv)), up(interval(r * fd))};
            }
        },
        f);
}

// T3.near the hull of the slopes of a piecewise-linear f (header).
interval slope_hull(const activation<interval>& f) {
    const auto points = kink_points<interval>(f);
    MATBP_REQUIRE("T3", !points.empty());
    real lo = bmp::lower(points[0].left), hi = bmp::upper(points[0].left);
    for (const auto& p : points)
        for (const interval& s : {p.left, p.right}) {
            lo = std::min(lo, real(bmp::lower(s)));
            hi = std::max(hi, real(bmp::upper(s)));
        }
    return detail::make_interval(lo, hi);
}

// ---- T2's steps ---------------------------------------------------------------------------

// T2.forward: L10 for Zˡ = WˡAˡ⁻¹ + bˡ1ₙᵀ, m_{l−1} products and the bias: N = m_{l−1} + 1 terms.
matrix<interval> potential_error_bound(const matrix<interval>& absW, const matrix<interval>& eW,
                                       const matrix<interval>& absb, const matrix<interval>& eb,
                                       const matrix<interval>& absA, const matrix<interval>& eA,
                                       const precision_model& pm) {
    MATBP_REQUIRE("T2", absb.rows() == absW.rows() && absb.cols() == 1);
    return product_error_bound(absW, eW, absA, eA, product_sum_factor(pm, absW.cols() + 1), &absb, &eb);
}

// T2.activation: L11 entry by entry over the enclosure Zw = [z − e_z, z + e_z] of both z and ẑ.
activation_errors activation_error_bound(const activation<interval>& f, const matrix<interval>& Z,
                                         const matrix<interval>& eZ, Eigen::Index l, const precision_model& pm,
                                         std::vector<kink>& near) {
    MATBP_REQUIRE("T2", Z.rows() == eZ.rows() && Z.cols() == eZ.cols());
    activation_errors r{matrix<interval>(Z.rows(), Z.cols()), matrix<interval>(Z.rows(), Z.cols())};
    real kink_slack = 0;
    for (const auto& kp : kink_points<interval>(f))
        kink_slack = std::max(kink_slack, real(bmp::upper(storage_error(kp.at, pm))));
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
        for (Eigen::Index i = 0; i < Z.rows(); ++i) {
            const real e = bmp::upper(eZ(i, j));
            const interval Zw = interval(Z(i, j) + detail::make_interval(real(-e), e));
            // T2.activation: near a kink when Zw, widened by the kinks' storage error (the
            // implementation compares with the rounded kink), may meet one.
            const real w = real(e + kink_slack);
            const bool is_near = is_kink(f, interval(Z(i, j) + detail::make_interval(real(-w), w)));
            if (is_near) near.push_back({l, j, i});
            const interval Dw = derivative(f, Zw);
            const evaluation_error E = activation_evaluation_error(f, Zw, pm);
            // L11 (ii): |f̂(ẑ) − f(z)| ≤ E_f + sup_{Zw}|f′| · e_z (mean value inequality).
            r.eA(i, j) = up(interval(E.value + mag(Dw) * eZ(i, j)));
            // L11 (iii): |f̂′(ẑ) − f′(z)| ≤ E_f′ + sup_{x∈Zw}|f′(x) − f′(z)|. T3.near: near a kink
            // f̂′(ẑ) is within E_f′ of one slope d* of the hull (slope_hull), and the bound is
            // taken against that choice, so only E_f′ remains.
            r.eD(i, j) =
                is_near ? up(E.derivative) : up(interval(E.derivative + mag(interval(Dw - derivative(f, Z(i, j))))));
        }
    return r;
}

// T2.output: r̂ = fl(â − ŷ), ĝ = ∇ℓ at r̂ (exact given r̂ and the rounded δ), then Δ̂ᵏ the product of
// ρ, the loss's constant c, d̂ and ĝ with at most 3 roundings (ρ̂ and two products; ×c is exact).
matrix<interval> output_delta_error_bound(const loss_function<interval>& ell, const matrix<interval>& A,
                                          const matrix<interval>& eA, const matrix<interval>& Y,
                                          const matrix<interval>& eY, const matrix<interval>& D,
                                          const matrix<interval>& eD, const interval& rho, Eigen::Index k,
                                          const precision_model& pm, std::vector<kink>& near) {
    MATBP_REQUIRE("T2", A.rows() == Y.rows() && A.cols() == Y.cols() && D.rows() == A.rows() && D.cols() == A.cols() &&
                            eA.rows() == A.rows() && eY.rows() == A.rows() && eD.rows() == A.rows());
    const interval u = from_exact<interval>(pm.u);
    const matrix<interval> R = A - Y;
    // T2.output (i): |r̂ − r| ≤ u(|r| + e_a + e_y) + e_a + e_y.
    const matrix<interval> eR = up(matrix<interval>((mag(R) + eA + eY) * u + eA + eY));
    matrix<interval> absG = mag(loss_gradient(ell, A, Y));
    // T2.output (ii): |ĝ − g| per loss.
    const matrix<interval> eG = std::visit(
        [&](const auto& g) -> matrix<interval> {
            using L = std::decay_t<decltype(g)>;
            if constexpr (std::same_as<L, squared_error_loss>) {
                return eR;
            } else if constexpr (std::same_as<L, mse_loss>) {
                return up(matrix<interval>(eR * interval(2)));
            } else if constexpr (std::same_as<L, huber_loss<interval>>) {
                // clamp is 1-Lipschitz in r and in δ.
                const interval ed = storage_error(g.delta, pm);
                return up(matrix<interval>((eR.array() + ed).matrix()));
            } else if constexpr (std::same_as<L, l1_loss>) {
                // sign is constant where the residual enclosure misses 0: ĝ = g exactly.
                matrix<interval> e = zeros(R.rows(), R.cols());
                for (Eigen::Index j = 0; j < R.cols(); ++j)
                    for (Eigen::Index i = 0; i < R.rows(); ++i) {
                        const real er = bmp::upper(eR(i, j));
                        const interval Rw = interval(R(i, j) + detail::make_interval(real(-er), er));
                        // T3.near: ĝ = sign(r̂) is itself a choice in [−1, 1] (the hull the
                        // caller puts in |∇ℓ|), so its error is 0 there.
                        if (bmp::lower(Rw) <= 0 && bmp::upper(Rw) >= 0) {
                            near.push_back({k, j, i, kink_site::loss});
                            absG(i, j) = interval(1);
                        }
                    }
                return e;
            } else {
                MATBP_REQUIRE("T2", !"softmax_cross_entropy is not covered by T2");
                return eR;
            }
        },
        ell);
    // T2.output (iii): L10 with N = 1 and 3 roundings, times |ρ|.
    return up(matrix<interval>(hadamard_error_bound(mag(D), eD, absG, eG, rounding_factor(pm, 3)) * mag(rho)));
}

// T2.backward: L10 for Bˡ = (Wˡ⁺¹)ᵀΔˡ⁺¹ (N = m_{l+1}), then L10 with N = 1 for fˡ′ ⊙ Bˡ.
matrix<interval> delta_error_bound(const matrix<interval>& absW_next, const matrix<interval>& eW_next,
                                   const matrix<interval>& absDelta_next, const matrix<interval>& eDelta_next,
                                   const matrix<interval>& absD, const matrix<interval>& eD,
                                   const matrix<interval>& absB, const precision_model& pm) {
    // T2.backward (i): the product with the transposed weights.
    const matrix<interval> eB = product_error_bound(absW_next.transpose(), eW_next.transpose(), absDelta_next,
                                                    eDelta_next, product_sum_factor(pm, absW_next.rows()));
    // T2.backward (ii): the entrywise product with the derivative, one rounding.
    return hadamard_error_bound(absD, eD, absB, eB, rounding_factor(pm, 1));
}

// T2.W: L10 for Δˡ(Aˡ⁻¹)ᵀ, N = n (samples).
matrix<interval> weight_gradient_error_bound(const matrix<interval>& absDelta, const matrix<interval>& eDelta,
                                             const matrix<interval>& absA_prev, const matrix<interval>& eA_prev,
                                             const precision_model& pm) {
    return product_error_bound(absDelta, eDelta, absA_prev.transpose(), eA_prev.transpose(),
                               product_sum_factor(pm, absDelta.cols()));
}

// T2.b: L10 for Δˡ1ₙ (M = n, y = 1ₙ exact), so a sum formed as a product with a ones vector is covered.
matrix<interval> bias_gradient_error_bound(const matrix<interval>& absDelta, const matrix<interval>& eDelta,
                                           const precision_model& pm) {
    MATBP_REQUIRE("T2", absDelta.rows() == eDelta.rows() && absDelta.cols() == eDelta.cols());
    const Eigen::Index n = absDelta.cols();
    return product_error_bound(absDelta, eDelta, matrix<interval>::Constant(n, 1, interval(1)), zeros(n, 1),
                               product_sum_factor(pm, n));
}

// ---- T2 ----------------------------------------------------------------------------------------

namespace {
matrix<exact> to_upper_exact(const matrix<interval>& M) {
    return M.unaryExpr([](const interval& x) { return upper_exact(x); });
}
matrix<interval> storage_errors(const matrix<interval>& M, const precision_model& pm) {
    return M.unaryExpr([&](const interval& x) { return storage_error(x, pm); });
}
}  // namespace

rounding_bound_result rounding_bounds(const mlp<interval>& net, const matrix<interval>& X, const matrix<interval>& Y,
                                      const loss_function<interval>& ell, reduction red, const precision_model& pm) {
    MATBP_REQUIRE("D17", well_formed_precision(pm));
    MATBP_REQUIRE("T2", well_formed(net));
    MATBP_REQUIRE("T2", X.rows() == net.width(0) && X.cols() >= 1);
    MATBP_REQUIRE("T2", Y.rows() == net.width(net.depth()) && Y.cols() == X.cols());
    MATBP_REQUIRE("T2", !std::holds_alternative<softmax_cross_entropy_loss>(ell));
    precision_guard guard(std::max(working_bits, precision_guard::current_bits()));
    const Eigen::Index k = net.depth();
    rounding_bound_result r;
    r.dW.resize(k + 1);
    r.db.resize(k + 1);
    r.potential.resize(k + 1);
    r.activation.resize(k + 1);
    r.derivative.resize(k + 1);
    r.delta.resize(k + 1);

    // T2 (iii): enclosures of the exact pass (C1): Zˡ, Aˡ, fˡ′(Zˡ), Δˡ, and Bˡ = (Wˡ⁺¹)ᵀΔˡ⁺¹; every
    // bound below is the upper end of an enclosure (L10 (v)).
    const auto fwd = forward_batch(net, X);
    std::vector<matrix<interval>> D(k + 1), eW(k + 1), eb(k + 1), eA(k + 1), eD(k + 1);
    for (Eigen::Index l = 1; l <= k; ++l) {
        D[l] = derivative_at(net.layers[l - 1].f, fwd.z[l]);
        eW[l] = storage_errors(net.layers[l - 1].W, pm);
        eb[l] = storage_errors(net.layers[l - 1].b, pm);
    }
    // T2 (i): the data rounded once (D17).
    eA[0] = storage_errors(X, pm);
    r.activation[0] = to_upper_exact(eA[0]);
    // T2 (ii): F(l) for l = 1 … k (T2.forward, T2.activation), then G(k) and downward.
    for (Eigen::Index l = 1; l <= k; ++l) {
        const auto& L = net.layers[l - 1];
        const matrix<interval> eZ =
            potential_error_bound(mag(L.W), eW[l], mag(L.b), eb[l], mag(fwd.a[l - 1]), eA[l - 1], pm);
        const std::size_t before = r.near_kinks.size();
        auto act = activation_error_bound(L.f, fwd.z[l], eZ, l, pm, r.near_kinks);
        // T3.near: at a unit near a kink the derivative is any slope of the hull; T3 (i): the
        // magnitudes below then bound those of every choice (interval inclusion).
        for (std::size_t q = before; q < r.near_kinks.size(); ++q)
            D[l](r.near_kinks[q].unit, r.near_kinks[q].sample) = slope_hull(L.f);
        r.potential[l] = to_upper_exact(eZ);
        r.activation[l] = to_upper_exact(act.eA);
        r.derivative[l] = to_upper_exact(act.eD);
        eA[l] = std::move(act.eA);
        eD[l] = std::move(act.eD);
    }
    const interval rho = reduction_scale<interval>(ell, red, X.cols(), Y.rows());
    const std::size_t before = r.near_kinks.size();
    matrix<interval> eDelta =
        output_delta_error_bound(ell, fwd.a[k], eA[k], Y, storage_errors(Y, pm), D[k], eD[k], rho, k, pm, r.near_kinks);
    // T3.near: an l1 residual near 0 admits every gradient in [−1, 1].
    matrix<interval> G = loss_gradient(ell, fwd.a[k], Y);
    for (std::size_t q = before; q < r.near_kinks.size(); ++q)
        G(r.near_kinks[q].unit, r.near_kinks[q].sample) = detail::make_interval(real(-1), real(1));
    matrix<interval> Delta = D[k].cwiseProduct(G) * rho;
    for (Eigen::Index l = k; l >= 1; --l) {
        r.delta[l] = to_upper_exact(eDelta);
        // T2.W, T2.b: the gradient products of layer l.
        r.dW[l] = to_upper_exact(weight_gradient_error_bound(mag(Delta), eDelta, mag(fwd.a[l - 1]), eA[l - 1], pm));
        r.db[l] = to_upper_exact(bias_gradient_error_bound(mag(Delta), eDelta, pm));
        if (l == 1) break;
        // T2.backward: the induction step, Δˡ⁻¹ from Δˡ.
        const auto& W = net.layers[l - 1].W;
        const matrix<interval> B = mul(W.transpose(), Delta);
        eDelta = delta_error_bound(mag(W), eW[l], mag(Delta), eDelta, mag(D[l - 1]), eD[l - 1], mag(B), pm);
        Delta = D[l - 1].cwiseProduct(B);
    }
    return r;
}

rounding_bound_result rounding_bounds(const mlp<exact>& net, const matrix<exact>& X, const matrix<exact>& Y,
                                      const loss_function<exact>& ell, reduction red, const precision_model& pm) {
    precision_guard guard(std::max(working_bits, precision_guard::current_bits()));
    return rounding_bounds(convert_network<interval>(net), from_exact<interval>(X), from_exact<interval>(Y),
                           convert_loss<interval>(ell), red, pm);
}

}  // namespace matbp
