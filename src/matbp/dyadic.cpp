#include "matbp/dyadic.hpp"

#include <gmp.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace matbp {

namespace {

using bmp::mpz_int;

/// A matrix of integers with one shared exponent: entry (i, j) is m(i, j)·2^e.
struct block {
    Eigen::Index rows = 0, cols = 0;
    std::vector<mpz_int> m;  // column-major
    long e = 0;
    block() = default;
    block(Eigen::Index r, Eigen::Index c, long exp) : rows(r), cols(c), m(static_cast<std::size_t>(r * c)), e(exp) {}
    mpz_int& at(Eigen::Index i, Eigen::Index j) { return m[static_cast<std::size_t>(i + j * rows)]; }
    const mpz_int& at(Eigen::Index i, Eigen::Index j) const { return m[static_cast<std::size_t>(i + j * rows)]; }
};

/// q = num/2^s as (num, −s).
std::pair<mpz_int, long> split(const exact& q) {
    return {bmp::numerator(q), -static_cast<long>(bmp::msb(bmp::denominator(q)))};
}

block to_block(const matrix<exact>& M) {
    long e = 0;
    for (Eigen::Index i = 0; i < M.size(); ++i) e = std::min(e, split(M(i)).second);
    block b(M.rows(), M.cols(), e);
    for (Eigen::Index i = 0; i < M.size(); ++i) {
        auto [n, s] = split(M(i));
        b.m[static_cast<std::size_t>(i)] = n << static_cast<unsigned>(s - e);
    }
    return b;
}

/// The rationals m·2^e, built in lowest terms directly (m's trailing zeros cancel powers of two):
/// no gcd is computed.
matrix<exact> to_exact(const block& b) {
    matrix<exact> M(b.rows, b.cols);
    for (Eigen::Index i = 0; i < M.size(); ++i) {
        const mpz_srcptr m = b.m[static_cast<std::size_t>(i)].backend().data();
        mpq_ptr q = M(i).backend().data();
        if (mpz_sgn(m) == 0) {
            mpq_set_ui(q, 0, 1);
        } else if (b.e >= 0) {
            mpz_mul_2exp(mpq_numref(q), m, static_cast<mp_bitcnt_t>(b.e));
            mpz_set_ui(mpq_denref(q), 1);
        } else {
            const auto shift = std::min<mp_bitcnt_t>(mpz_scan1(m, 0), static_cast<mp_bitcnt_t>(-b.e));
            mpz_fdiv_q_2exp(mpq_numref(q), m, shift);  // exact: the low `shift` bits are 0
            mpz_set_ui(mpq_denref(q), 0);
            mpz_setbit(mpq_denref(q), static_cast<mp_bitcnt_t>(-b.e) - shift);
        }
    }
    return M;
}

/// Re-express b with the smaller exponent e ≤ b.e (exact: a left shift).
void lower_exponent(block& b, long e) {
    if (e >= b.e) return;
    const auto s = static_cast<unsigned>(b.e - e);
    for (auto& x : b.m) x <<= s;
    b.e = e;
}

/// A·B (or Aᵀ·B, A·Bᵀ), integer products accumulated with mpz_addmul.
block product(const block& A, bool tA, const block& B, bool tB) {
    const Eigen::Index r = tA ? A.cols : A.rows, inner = tA ? A.rows : A.cols, c = tB ? B.rows : B.cols;
    block C(r, c, A.e + B.e);
    for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) {
            mpz_ptr acc = C.at(i, j).backend().data();
            for (Eigen::Index k = 0; k < inner; ++k) {
                const mpz_int& a = tA ? A.at(k, i) : A.at(i, k);
                const mpz_int& b = tB ? B.at(j, k) : B.at(k, j);
                if (mpz_sgn(a.backend().data()) && mpz_sgn(b.backend().data()))
                    mpz_addmul(acc, a.backend().data(), b.backend().data());
            }
        }
    return C;
}

struct piecewise {
    bool relu = false, leaky = false;  // identity if neither
    mpz_int slope;                     // leaky: slope = slope·2^slope_e
    long slope_e = 0;
};

/// f⃗(Z) (derivative = false) or f′(Z) ⊙ G (derivative = true, G shaped like Z) for identity,
/// ReLU and leaky ReLU, with the D11 convention at 0 (ReLU′(0) = 0, leaky′(0) = slope).
block piecewise_apply(const piecewise& f, const block& Z, const block* G) {
    const block& V = G ? *G : Z;  // the values that get multiplied
    if (!f.relu && !f.leaky) return V;
    // Positive potentials keep V; the rest get 0 (ReLU) or slope·V (leaky). Common exponent:
    const long e = f.leaky ? std::min(V.e, V.e + f.slope_e) : V.e;
    block R(V.rows, V.cols, e);
    for (std::size_t i = 0; i < V.m.size(); ++i) {
        const bool positive = mpz_sgn(Z.m[i].backend().data()) > 0;
        if (positive) R.m[i] = V.m[i] << static_cast<unsigned>(V.e - e);
        else if (f.leaky) R.m[i] = (V.m[i] * f.slope) << static_cast<unsigned>(V.e + f.slope_e - e);
        // else ReLU: stays 0
    }
    return R;
}

/// Bits of the largest numerator or denominator among b's values, an upper bound: |m|·2^e.
std::size_t bits_bound(const block& b) {
    std::size_t mb = 0;
    for (const auto& x : b.m) mb = std::max(mb, mpz_sizeinbase(x.backend().data(), 2));
    return mb + static_cast<std::size_t>(b.e < 0 ? -b.e : b.e);
}

}  // namespace

bool is_dyadic(const exact& q) {
    const auto& d = bmp::denominator(q);
    return bmp::msb(d) == bmp::lsb(d);
}

std::optional<gradient_result<exact>> dyadic_backprop(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, loss kind, reduction red,
                                                      const size_observer* observe) {
    MATBP_REQUIRE("C1", well_formed(net));
    MATBP_REQUIRE("C1", X.rows() == net.width(0) && X.cols() >= 1);
    MATBP_REQUIRE("C1", Y.rows() == net.width(net.depth()) && Y.cols() == X.cols());
    auto dyadic_matrix = [](const matrix<exact>& M) {
        for (Eigen::Index i = 0; i < M.size(); ++i)
            if (!is_dyadic(M(i))) return false;
        return true;
    };
    if (kind != loss::squared_error && kind != loss::mse) return std::nullopt;
    if (!dyadic_matrix(X) || !dyadic_matrix(Y)) return std::nullopt;
    const Eigen::Index k = net.depth(), n = X.cols();
    std::vector<piecewise> f(static_cast<std::size_t>(k + 1));
    std::vector<block> W(static_cast<std::size_t>(k + 1)), b(static_cast<std::size_t>(k + 1));
    for (Eigen::Index l = 1; l <= k; ++l) {
        const auto& L = net.layers[static_cast<std::size_t>(l - 1)];
        if (!dyadic_matrix(L.W) || !dyadic_matrix(L.b)) return std::nullopt;
        auto& g = f[static_cast<std::size_t>(l)];
        if (std::holds_alternative<relu_fn>(L.f)) g.relu = true;
        else if (auto* lk = std::get_if<leaky_relu_fn<exact>>(&L.f)) {
            if (!is_dyadic(lk->negative_slope)) return std::nullopt;
            g.leaky = true;
            std::tie(g.slope, g.slope_e) = split(lk->negative_slope);
        } else if (!std::holds_alternative<identity_fn>(L.f)) return std::nullopt;
        W[static_cast<std::size_t>(l)] = to_block(L.W);
        b[static_cast<std::size_t>(l)] = to_block(L.b);
    }
    // Forward pass (D14): Zˡ = WˡAˡ⁻¹ + bˡ1ᵀ, Aˡ = f⃗ˡ(Zˡ).
    std::vector<block> Z(static_cast<std::size_t>(k + 1)), A(static_cast<std::size_t>(k + 1));
    A[0] = to_block(X);
    gradient_result<exact> r;
    for (Eigen::Index l = 1; l <= k; ++l) {
        const auto L = static_cast<std::size_t>(l);
        block z = product(W[L], false, A[L - 1], false);
        block bias = b[L];
        const long e = std::min(z.e, bias.e);
        lower_exponent(z, e);
        lower_exponent(bias, e);
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < z.rows; ++i) z.at(i, j) += bias.at(i, 0);
        if (observe) (*observe)("potential", l, bits_bound(z));
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < z.rows; ++i)
                if ((f[L].relu || f[L].leaky) && z.at(i, j) == 0) r.kinks.push_back({l, j, i});
        A[L] = piecewise_apply(f[L], z, nullptr);
        if (observe) (*observe)("activation", l, bits_bound(A[L]));
        Z[L] = std::move(z);
    }
    std::sort(r.kinks.begin(), r.kinks.end(), [](const kink& a, const kink& c) {
        return std::tie(a.layer, a.sample, a.unit) < std::tie(c.layer, c.sample, c.unit);
    });
    // Output gradient G = ∂ℓ/∂Aᵏ (sum reduction) and the cost.
    block G = A[static_cast<std::size_t>(k)];
    block y = to_block(Y);
    const long eg = std::min(G.e, y.e);
    lower_exponent(G, eg);
    lower_exponent(y, eg);
    for (std::size_t i = 0; i < G.m.size(); ++i) G.m[i] -= y.m[i];
    mpz_int sq = 0;
    for (const auto& x : G.m) mpz_addmul(sq.backend().data(), x.backend().data(), x.backend().data());
    // squared_error: ½Σ(a−y)², G = A − Y;  mse: Σ(a−y)², G = 2(A − Y).
    r.cost = exact(sq) * (kind == loss::squared_error ? exact(1, 2) : exact(1));
    if (kind == loss::mse) G.e += 1;
    r.cost *= 2 * eg >= 0 ? exact(mpz_int(1) << static_cast<unsigned>(2 * eg)) : exact(mpz_int(1), mpz_int(1) << static_cast<unsigned>(-2 * eg));
    exact scale = 1;
    if (red == reduction::mean) scale = exact(1) / (kind == loss::mse ? exact(n * net.width(k)) : exact(n));
    r.cost *= scale;
    // Backward pass (C1): Δᵏ = fᵏ′(Zᵏ) ⊙ G, Δˡ⁻¹ = fˡ⁻¹′(Zˡ⁻¹) ⊙ ((Wˡ)ᵀΔˡ).
    r.dW.resize(static_cast<std::size_t>(k + 1));
    r.db.resize(static_cast<std::size_t>(k + 1));
    block Delta = piecewise_apply(f[static_cast<std::size_t>(k)], Z[static_cast<std::size_t>(k)], &G);
    for (Eigen::Index l = k; l >= 1; --l) {
        const auto L = static_cast<std::size_t>(l);
        if (observe) (*observe)("delta", l, bits_bound(Delta));
        r.dW[L] = to_exact(product(Delta, false, A[L - 1], true));
        if (scale != 1) r.dW[L] *= scale;
        block s(Delta.rows, 1, Delta.e);
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < Delta.rows; ++i) s.at(i, 0) += Delta.at(i, j);
        r.db[L] = to_exact(s);
        if (scale != 1) r.db[L] *= scale;
        if (l == 1) break;
        const block back = product(W[L], true, Delta, false);
        Delta = piecewise_apply(f[L - 1], Z[L - 1], &back);
    }
    return r;
}

}  // namespace matbp
