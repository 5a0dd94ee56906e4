#include "matbp/dyadic.hpp"

#include "matbp/blas.hpp"
#include "matbp/contract.hpp"
#include "matbp/convert.hpp"

#include <gmp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <thread>
#include <type_traits>

namespace matbp {

static_assert(std::is_same_v<mp_limb_t, std::uint64_t> && GMP_NUMB_BITS == 64 && GMP_NAIL_BITS == 0,
              "the dyadic engine reads GMP's limbs as 64-bit words");

namespace {

using bmp::mpz_int;
using limb = std::uint64_t;
using wide = unsigned __int128;

/// A matrix of GMP integers with one shared exponent: entry (i, j) is m(i, j)·2^e. The entrywise
/// steps run on these; the products on dyadic_matrix.
struct block {
    Eigen::Index rows = 0, cols = 0;
    std::vector<mpz_int> m;  // column-major
    long e = 0;
    block() = default;
    block(Eigen::Index r, Eigen::Index c, long exp) : rows(r), cols(c), m(static_cast<std::size_t>(r * c)), e(exp) {}
    mpz_int& at(Eigen::Index i, Eigen::Index j) { return m[static_cast<std::size_t>(i + j * rows)]; }
    const mpz_int& at(Eigen::Index i, Eigen::Index j) const { return m[static_cast<std::size_t>(i + j * rows)]; }
};

/// log₂ of q's denominator, read off its limbs. Requires: q dyadic.
long denominator_log2(mpq_srcptr q) {
    const mpz_srcptr d = mpq_denref(q);
    const std::size_t n = mpz_size(d);
    return static_cast<long>(64 * (n - 1)) + std::countr_zero(mpz_limbs_read(d)[n - 1]);
}

/// q = num/2^s as (num, −s). Requires: q dyadic.
std::pair<mpz_int, long> split(const exact& q) {
    return {bmp::numerator(q), -static_cast<long>(bmp::msb(bmp::denominator(q)))};
}

/// x·2^s for s ≥ 0 (any size: no cast to a narrower shift count).
mpz_int times_power_of_two(const mpz_int& x, long s) {
    mpz_int r;
    mpz_mul_2exp(r.backend().data(), x.backend().data(), static_cast<mp_bitcnt_t>(s));
    return r;
}

/// Re-express b with the smaller exponent e ≤ b.e (exact: a left shift).
void lower_exponent(block& b, long e) {
    if (e >= b.e) return;
    const auto s = static_cast<mp_bitcnt_t>(b.e - e);
    for (auto& x : b.m) mpz_mul_2exp(x.backend().data(), x.backend().data(), s);
    b.e = e;
}

/// A dyadic number m·2^e.
struct dyadic_number {
    mpz_int m;
    long e = 0;
};

/// A piecewise-linear activation (activation.hpp) with every breakpoint, slope and intercept
/// dyadic: the engine's form of any activation whose registry entry has pieces().
struct piecewise {
    int breaks = 0;
    std::array<dyadic_number, piecewise_linear<exact>::capacity> at;
    std::array<bool, piecewise_linear<exact>::capacity> right{};
    std::array<dyadic_number, piecewise_linear<exact>::capacity + 1> slope, intercept;
    bool identity() const { return breaks == 0 && slope[0].m == 1 && slope[0].e == 0 && intercept[0].m == 0; }
};

/// sign(z·2^ze − p) for the integer z; `shifted`, when given, is p.m·2^(p.e − ze) with p.e ≥ ze
/// (precomputed once per matrix).
int compare_to_break(const mpz_int& z, long ze, const dyadic_number& p, const mpz_int* shifted) {
    if (p.m == 0) return mpz_sgn(z.backend().data());
    if (shifted) return mpz_cmp(z.backend().data(), shifted->backend().data());
    if (p.e >= ze) {
        const mpz_int ps = times_power_of_two(p.m, p.e - ze);
        return mpz_cmp(z.backend().data(), ps.backend().data());
    }
    const mpz_int zs = times_power_of_two(z, ze - p.e);
    return mpz_cmp(zs.backend().data(), p.m.backend().data());
}

/// f⃗(Z) (G null) or f′(Z) ⊙ G (G shaped like Z) for a piecewise-linear f: at each entry the piece
/// that holds at its potential, with the D11 convention side at a breakpoint (piece_of in
/// activation.hpp, here on dyadic integers).
block piecewise_apply(const piecewise& f, const block& Z, const block* G) {
    const block& V = G ? *G : Z;  // the values that get multiplied
    if (f.identity()) return V;
    // Breakpoints at Z's exponent where that is exact.
    std::array<std::optional<mpz_int>, piecewise_linear<exact>::capacity> shifted;
    for (int b = 0; b < f.breaks; ++b)
        if (f.at[b].e >= Z.e) shifted[b] = times_power_of_two(f.at[b].m, f.at[b].e - Z.e);
    // A common exponent for slope·V and (values only) the intercepts.
    long e = LONG_MAX;
    for (int i = 0; i <= f.breaks; ++i) {
        if (f.slope[i].m != 0) e = std::min(e, V.e + f.slope[i].e);
        if (!G && f.intercept[i].m != 0) e = std::min(e, f.intercept[i].e);
    }
    if (e == LONG_MAX) e = V.e;
    block R(V.rows, V.cols, e);
    for (std::size_t t = 0; t < V.m.size(); ++t) {
        int i = f.breaks;
        for (int b = 0; b < f.breaks; ++b) {
            const int c = compare_to_break(Z.m[t], Z.e, f.at[b], shifted[b] ? &*shifted[b] : nullptr);
            if (c < 0 || (c == 0 && !f.right[b])) {
                i = b;
                break;
            }
            if (c == 0) {
                i = b + 1;
                break;
            }
        }
        const dyadic_number& s = f.slope[i];
        if (s.m != 0) R.m[t] = times_power_of_two(V.m[t] * s.m, V.e + s.e - e);
        if (!G && f.intercept[i].m != 0) R.m[t] += times_power_of_two(f.intercept[i].m, f.intercept[i].e - e);
    }
    return R;
}

/// Bits of the largest numerator or denominator among b's values, an upper bound: |m|·2^e.
std::size_t bits_bound(const block& b) {
    std::size_t mb = 0;
    for (const auto& x : b.m) mb = std::max(mb, mpz_sizeinbase(x.backend().data(), 2));
    return mb + static_cast<std::size_t>(b.e < 0 ? -b.e : b.e);
}

/// p[0, w) ← p · 2^−s, in place. Requires: the low s bits are 0.
void shift_right(limb* p, std::size_t w, unsigned long s) {
    const std::size_t q = s / 64;
    const unsigned r = s % 64;
    for (std::size_t i = 0; i < w; ++i) {
        const limb lo = i + q < w ? p[i + q] : 0, hi = i + q + 1 < w ? p[i + q + 1] : 0;
        p[i] = r ? (lo >> r) | (hi << (64 - r)) : lo;
    }
}

/// acc += x·y (magnitudes of A = a and B = b limbs; 0 = known only at run time) in acc's w limbs.
/// Requires: the sum fits in acc's limbs (the caller's width bound), w ≥ a + b − 1. A carry is
/// never propagated past limb w − 1: with the bound that never happens; without it (a wrong
/// width) the result is wrong but no memory outside acc is written.
template <int A, int B>
inline void multiply_add(limb* acc, const limb* x, std::size_t a, const limb* y, std::size_t b, std::size_t w) {
    if constexpr (B != 0 && A > B) {
        // x·y = y·x: the shorter factor outside, so one carry chain runs per limb of it (a
        // 4-limb Δ times a 1-limb input: one chain, not four).
        multiply_add<B, A>(acc, y, b, x, a, w);
        return;
    }
    const std::size_t na = A ? A : a, nb = B ? B : b;
    for (std::size_t i = 0; i < na; ++i) {
        const limb xi = x[i];
        if (!xi) continue;
        limb carry = 0;
        for (std::size_t j = 0; j < nb; ++j) {
            const wide t = static_cast<wide>(xi) * y[j] + acc[i + j] + carry;  // ≤ 2¹²⁸ − 1
            acc[i + j] = static_cast<limb>(t);
            carry = static_cast<limb>(t >> 64);
        }
        for (std::size_t q = i + nb; carry && q < w; ++q) {
            const limb s = acc[q] + carry;
            carry = s < carry;
            acc[q] = s;
        }
    }
}

}  // namespace

/// The engine: everything that touches dyadic_matrix's representation.
struct dyadic_engine {
    using D = dyadic_matrix;

    static D zeros(Eigen::Index r, Eigen::Index c, std::size_t width) {
        D d;
        d.rows_ = r;
        d.cols_ = c;
        d.width_ = width;
        d.mag_.assign(static_cast<std::size_t>(r * c) * width, 0);
        d.sign_.assign(static_cast<std::size_t>(r * c), 0);
        return d;
    }

    /// C1.dyadic (iii) the canonical form of the same values: the largest exponent that keeps
    /// every magnitude an integer, the fewest limbs (an all-zero matrix: exponent 0, width 0).
    // C1.dyadic (iii): one canonical representation per value, so equal values compare equal.
    static void canonicalize(D& d) {
        const std::size_t w = d.width_, n = d.sign_.size();
        unsigned long tz = ULONG_MAX;
        std::size_t used = 0;
        for (std::size_t t = 0; t < n; ++t) {
            const limb* p = d.mag_.data() + (t * w);
            std::size_t lo = 0, hi = w;
            while (lo < w && p[lo] == 0) ++lo;
            if (lo == w) {
                d.sign_[t] = 0;
                continue;
            }
            while (p[hi - 1] == 0) --hi;
            used = std::max(used, hi);
            tz = std::min(tz, static_cast<unsigned long>(lo * 64 + static_cast<std::size_t>(std::countr_zero(p[lo]))));
        }
        if (used == 0) {
            d.e_ = 0;
            d.width_ = 0;
            d.mag_.clear();
            return;
        }
        if (tz > 0) {
            for (std::size_t t = 0; t < n; ++t)
                if (d.sign_[t]) shift_right(d.mag_.data() + (t * w), w, tz);
            d.e_ += static_cast<long>(tz);
            used = 0;
            for (std::size_t t = 0; t < n; ++t) {
                std::size_t hi = w;
                while (hi > 0 && d.mag_[t * w + hi - 1] == 0) --hi;
                used = std::max(used, hi);
            }
        }
        if (used < w) {
            for (std::size_t t = 0; t < n; ++t)
                std::memmove(d.mag_.data() + (t * used), d.mag_.data() + (t * w), used * sizeof(limb));
            d.mag_.resize(n * used);
            d.width_ = used;
        }
    }

    /// What one pass over finite doubles learns: each nonzero entry is ±odd·2^e (split_double,
    /// convert.hpp), and the canonical form (C1.dyadic (iii)) has the exponent `low` = min e and
    /// holds bits up to `top` = max(e + bits(odd)).
    struct double_scan {
        long low = LONG_MAX, top = LONG_MIN;
        /// The limbs of each entry in the shared-width form.
        std::size_t width() const { return top == LONG_MIN ? 0 : static_cast<std::size_t>(top - low + 63) / 64; }
    };

    static double_scan scan_doubles(const matrix<double>& M) {
        double_scan s;
        const double* v = M.data();
        for (Eigen::Index k = 0; k < M.size(); ++k) {
            if (v[k] == 0) continue;
            const double_parts p = split_double(v[k]);
            s.low = std::min(s.low, long{p.exp2});
            s.top = std::max(s.top, p.exp2 + static_cast<long>(std::bit_width(p.odd)));
        }
        return s;
    }

    /// from_exact's size rule for doubles: the shared-width form (n·width limbs) at most 16 times
    /// the entries' own rationals plus 2²⁰ limbs. Each entry's own size is at least 2 limbs, so
    /// n·width ≤ 32n ≤ 16·own whenever width ≤ 32: only a wider form (top − low > 2048 bits,
    /// e.g. subnormals beside doubles near the largest) needs the sizes added up.
    static bool size_rule_pays(const matrix<double>& M, const double_scan& s) {
        const std::size_t w = s.width();
        if (w <= 32) return true;
        double own = 0;
        for (Eigen::Index k = 0; k < M.size(); ++k) {
            const double v = M(k);
            if (v == 0) {
                own += 2;  // 0/1: no numerator limb, one denominator limb
                continue;
            }
            const double_parts p = split_double(v);
            const long e = p.exp2;
            // The rational odd·2^e: a numerator of ⌈(bits + max(e, 0))/64⌉ limbs, the
            // denominator 2^max(−e, 0) of ⌊max(−e, 0)/64⌋ + 1.
            own += 1.0 + static_cast<double>((static_cast<long>(std::bit_width(p.odd)) + std::max(e, 0L) + 63) / 64) +
                   static_cast<double>(std::max(-e, 0L) / 64 + 1);
        }
        return static_cast<double>(M.size()) * static_cast<double>(w) <= 16.0 * own + 1048576.0;
    }

    /// M (or Mᵀ) from its scan, written in canonical form directly: the exponent is the smallest
    /// e (an entry with an odd magnitude, so no trailing zero is shared) and the width the
    /// fewest limbs holding top − low bits (C1.dyadic (iii), as canonicalize would leave it).
    static D from_doubles(const matrix<double>& M, const double_scan& s, bool transposed) {
        const std::size_t w = s.width();
        D d = transposed ? zeros(M.cols(), M.rows(), w) : zeros(M.rows(), M.cols(), w);
        d.e_ = w == 0 ? 0 : s.low;
        for (Eigen::Index j = 0; j < M.cols(); ++j)
            for (Eigen::Index i = 0; i < M.rows(); ++i) {
                const double v = M(i, j);
                if (v == 0) continue;
                const auto t = static_cast<std::size_t>(transposed ? j + i * M.cols() : i + j * M.rows());
                const double_parts p = split_double(v);
                d.sign_[t] = p.negative ? -1 : 1;
                const auto shift = static_cast<std::size_t>(p.exp2 - s.low);
                const std::size_t q = shift / 64;
                const unsigned r = shift % 64;
                limb* dst = d.mag_.data() + (t * w);
                dst[q] = p.odd << r;
                if (r != 0 && q + 1 < w) dst[q + 1] = p.odd >> (64 - r);  // the bits shifted past limb q
            }
        return d;
    }

    /// from_tensor's rule (the size rule of from_exact) on t: its dyadic form when `plain`, its
    /// transpose's when `transposed` (an empty matrix for the one not asked for); nullopt when
    /// the rule refuses.
    static std::optional<std::pair<D, D>> tensor_form(const exact_tensor& t, bool plain, bool transposed) {
        const matrix<double>* M = t.doubles();
        if (!M) {
            auto d = D::from_exact(t.rational());
            if (!d) return std::nullopt;
            D dt = transposed ? transpose(*d) : D{};
            return std::pair{plain ? std::move(*d) : D{}, std::move(dt)};
        }
        const double_scan s = scan_doubles(*M);
        if (!size_rule_pays(*M, s)) return std::nullopt;
        return std::pair{plain ? from_doubles(*M, s, false) : D{}, transposed ? from_doubles(*M, s, true) : D{}};
    }

    static D from_block(const block& b) {
        std::size_t w = 0;
        for (const auto& x : b.m) w = std::max(w, mpz_size(x.backend().data()));
        D d = zeros(b.rows, b.cols, w);
        d.e_ = b.e;
        for (std::size_t t = 0; t < b.m.size(); ++t) {
            const mpz_srcptr z = b.m[t].backend().data();
            d.sign_[t] = static_cast<std::int8_t>(mpz_sgn(z));
            std::copy_n(mpz_limbs_read(z), mpz_size(z), d.mag_.data() + (t * w));
        }
        canonicalize(d);
        return d;
    }

    static void entry_to_mpz(const D& d, std::size_t t, mpz_ptr z) {
        const auto w = static_cast<mp_size_t>(d.width_);
        if (d.sign_[t] == 0 || w == 0) {
            mpz_set_ui(z, 0);
            return;
        }
        limb* p = mpz_limbs_write(z, w);
        std::copy_n(d.mag_.data() + (t * d.width_), d.width_, p);
        mpz_limbs_finish(z, d.sign_[t] < 0 ? -w : w);
    }

    static block to_block(const D& d) {
        block b(d.rows_, d.cols_, d.e_);
        for (std::size_t t = 0; t < b.m.size(); ++t) entry_to_mpz(d, t, b.m[t].backend().data());
        return b;
    }

    /// Entry t as a rational in lowest terms, built directly (no gcd).
    static void entry_to_mpq(const D& d, std::size_t t, mpq_ptr q) {
        entry_to_mpz(d, t, mpq_numref(q));
        mpz_set_ui(mpq_denref(q), 1);
        if (d.sign_[t] == 0) return;
        if (d.e_ >= 0) {
            mpz_mul_2exp(mpq_numref(q), mpq_numref(q), static_cast<mp_bitcnt_t>(d.e_));
        } else {
            const auto shift = std::min<mp_bitcnt_t>(mpz_scan1(mpq_numref(q), 0), static_cast<mp_bitcnt_t>(-d.e_));
            mpz_fdiv_q_2exp(mpq_numref(q), mpq_numref(q), shift);  // exact: the low `shift` bits are 0
            mpz_set_ui(mpq_denref(q), 0);
            mpz_setbit(mpq_denref(q), static_cast<mp_bitcnt_t>(-d.e_) - shift);
        }
    }

    static D transpose(const D& d) {
        D r = zeros(d.cols_, d.rows_, d.width_);
        r.e_ = d.e_;
        const std::size_t w = d.width_;
        for (Eigen::Index j = 0; j < d.cols_; ++j)
            for (Eigen::Index i = 0; i < d.rows_; ++i) {
                const auto s = static_cast<std::size_t>(i + j * d.rows_), t = static_cast<std::size_t>(j + i * d.cols_);
                r.sign_[t] = d.sign_[s];
                std::copy_n(d.mag_.data() + (s * w), w, r.mag_.data() + (t * w));
            }
        return r;
    }

    /// Bits of the largest magnitude (0 when all are 0).
    static std::size_t magnitude_bits(const D& d) {
        std::size_t mb = 0;
        for (std::size_t t = 0; t < d.sign_.size(); ++t) {
            if (!d.sign_[t]) continue;
            std::size_t hi = d.width_;
            while (d.mag_[t * d.width_ + hi - 1] == 0) --hi;
            mb = std::max(mb, 64 * (hi - 1) + static_cast<std::size_t>(std::bit_width(d.mag_[t * d.width_ + hi - 1])));
        }
        return mb;
    }

    /// Output entries [t0, t1) of C = PᵀQ. Requires: C.width() limbs hold the sum of the inner
    /// products' magnitudes, and C.width() ≥ P.width() + Q.width() − 1 (the digit positions
    /// multiply_add writes); C zero.
    template <int A, int B>
    static void dot_range(const D& P, const D& Q, D& C, std::size_t t0, std::size_t t1) {
        const std::size_t a = P.width_, b = Q.width_, w = C.width_, inner = static_cast<std::size_t>(P.rows_),
                          r = static_cast<std::size_t>(C.rows_);
        std::vector<limb> scratch(2 * w);
        limb* pos = scratch.data();
        limb* neg = pos + w;
        for (std::size_t t = t0, i = t0 % r, j = t0 / r; t < t1; ++t, i = i + 1 == r ? 0 : i + 1, j += i == 0) {
            const limb* pm = P.mag_.data() + (i * inner * a);
            const limb* qm = Q.mag_.data() + (j * inner * b);
            const std::int8_t* ps = P.sign_.data() + (i * inner);
            const std::int8_t* qs = Q.sign_.data() + (j * inner);
            if (inner == 1) {  // an outer product: one term, no sum
                const int s = ps[0] * qs[0];
                if (s) multiply_add<A, B>(C.mag_.data() + (t * w), pm, a, qm, b, w);
                C.sign_[t] = static_cast<std::int8_t>(s);
                continue;
            }
            std::fill(pos, pos + 2 * w, limb{0});
            // Positive and negative terms in two unsigned sums, subtracted once at the end.
            for (std::size_t k = 0; k < inner; ++k) {
                const int s = ps[k] * qs[k];
                if (s) multiply_add<A, B>(s > 0 ? pos : neg, pm + k * a, a, qm + k * b, b, w);
            }
            std::size_t q = w;
            while (q > 0 && pos[q - 1] == neg[q - 1]) --q;
            if (q == 0) continue;  // sign 0, magnitude 0
            const bool negative = neg[q - 1] > pos[q - 1];
            const limb* big = negative ? neg : pos;
            const limb* small = negative ? pos : neg;
            limb* out = C.mag_.data() + (t * w);
            limb borrow = 0;
            for (std::size_t u = 0; u < w; ++u) {
                const limb x = big[u], y = small[u];
                const limb d1 = x - y, d2 = d1 - borrow;
                borrow = static_cast<limb>((x < y) | (d1 < borrow));
                out[u] = d2;
            }
            C.sign_[t] = negative ? -1 : 1;
        }
    }

    using range_fn = void (*)(const D&, const D&, D&, std::size_t, std::size_t);

    template <int A>
    static range_fn pick_b(std::size_t b) {
        switch (b) {
            case 1:
                return &dot_range<A, 1>;
            case 2:
                return &dot_range<A, 2>;
            case 3:
                return &dot_range<A, 3>;
            case 4:
                return &dot_range<A, 4>;
            default:
                return &dot_range<A, 0>;
        }
    }

    static range_fn pick(std::size_t a, std::size_t b) {
        switch (a) {
            case 1:
                return pick_b<1>(b);
            case 2:
                return pick_b<2>(b);
            case 3:
                return pick_b<3>(b);
            case 4:
                return pick_b<4>(b);
            default:
                return pick_b<0>(b);
        }
    }

    /// The product's result before its entries are computed: zero, P.cols() × Q.cols(), exponent
    /// P.e + Q.e, and C1.dyadic (ii)'s width.
    // C1.dyadic (ii): |Σₖ PₖᵢQₖⱼ| < 2^(p+q+⌈log₂ n⌉), the accumulator's width.
    static D product_shell(const D& P, const D& Q) {
        const std::size_t a = P.width_, b = Q.width_;
        // C1.dyadic (ii): width. n terms below 2^(p+q) each (p, q: P's and Q's largest magnitude
        // bits), their sum below 2^(p+q+⌈log₂ n⌉). In canonical form p > 64(a−1) and q > 64(b−1),
        // so this is ≥ a + b − 1 limbs, the positions multiply_add writes; the max makes it explicit.
        const auto log2n = static_cast<std::size_t>(std::bit_width(static_cast<std::size_t>(P.rows_) - 1));
        D C = zeros(P.cols_, Q.cols_, std::max(a + b - 1, (magnitude_bits(P) + magnitude_bits(Q) + log2n + 63) / 64));
        C.e_ = P.e_ + Q.e_;
        return C;
    }

    /// C = PᵀQ exactly (P n × r, Q n × c) by the route given, or (automatic) by the one
    /// slices_pay chooses; every route gives the same canonical result.
    /// The callers pass P.rows() == Q.rows() and threads ≥ 1 by construction.
    static D dot(const D& P, const D& Q, unsigned threads, dyadic_route route) {
        if (P.width_ == 0 || Q.width_ == 0) return zeros(P.cols_, Q.cols_, 0);  // a zero factor
        if (route == dyadic_route::automatic) route = slices_pay(P, Q) ? dyadic_route::slices : dyadic_route::limbs;
        return route == dyadic_route::slices ? dot_slices(P, Q, threads) : dot_limbs(P, Q, threads);
    }

    /// C = PᵀQ exactly (P inner × r, Q inner × c) on limb accumulators. Its entries are split into
    /// contiguous ranges, one per thread; each entry is computed by the same code whatever the split.
    /// Requires: P, Q nonzero (width ≥ 1), P.rows() == Q.rows(), threads ≥ 1.
    // C1.dyadic (ii): |Σₖ PₖᵢQₖⱼ| < 2^(p+q+⌈log₂ n⌉), the accumulator's width.
    static D dot_limbs(const D& P, const D& Q, unsigned threads) {
        const std::size_t a = P.width_, b = Q.width_;
        D C = product_shell(P, Q);
        const std::size_t entries = C.sign_.size();
        const range_fn run = pick(a, b);
        // Threads where they pay: at least 2¹⁶ limb products per thread.
        const double work = static_cast<double>(entries) * static_cast<double>(P.rows_) * static_cast<double>(a * b);
        const auto useful = static_cast<std::size_t>(std::max(1.0, work / 65536.0));
        const std::size_t T = std::min({static_cast<std::size_t>(threads), entries, useful});
        if (T <= 1) {
            run(P, Q, C, 0, entries);
        } else {
            // Range u of T, computed on some thread; an exception (bad_alloc) is kept, not lost
            // to std::terminate, and rethrown after every thread has joined.
            std::vector<std::exception_ptr> errors(T);
            auto range = [&](std::size_t u) {
                try {
                    run(P, Q, C, entries * u / T, entries * (u + 1) / T);
                } catch (...) {
                    errors[u] = std::current_exception();
                }
            };
            std::vector<std::thread> pool;
            pool.reserve(T - 1);
            std::size_t u = 1;
            for (; u < T; ++u) {
                try {
                    pool.emplace_back(range, u);
                } catch (...) {  // no thread to be had: the main thread takes ranges u … T−1
                    break;
                }
            }
            range(0);
            for (; u < T; ++u) range(u);
            for (auto& th : pool) th.join();
            for (const auto& e : errors)
                if (e) std::rethrow_exception(e);
        }
        canonicalize(C);
        return C;
    }

    /// Slice widths for C = PᵀQ by dgemm (C1.dyadic (iv)): P's magnitudes cut into digits of sp
    /// bits, Q's into digits of sq bits, dp and dq digits each.
    struct slicing {
        unsigned sp = 0, sq = 0;
        std::size_t dp = 0, dq = 0;
    };

    /// C1.dyadic (iv): among the widths with n(2^sp − 1)(2^sq − 1) < 2⁵³, those with the fewest
    /// digit pairs dp·dq for magnitudes of pb and qb bits (the smallest sp among equals).
    /// Requires: n ≥ 1, pb ≥ 1, qb ≥ 1.
    static slicing choose_slices(std::size_t n, std::size_t pb, std::size_t qb) {
        slicing best;
        for (unsigned sp = 1; sp <= 52 && sp <= pb; ++sp) {
            // The largest sq with 2^sq − 1 ≤ ⌊(2⁵³ − 1)/(n(2^sp − 1))⌋, so n(2^sp − 1)(2^sq − 1) ≤ 2⁵³ − 1.
            const wide cap = ((wide{1} << 53) - 1) / (static_cast<wide>(n) * ((wide{1} << sp) - 1));
            if (cap == 0) break;
            auto sq = static_cast<unsigned>(std::bit_width(static_cast<std::uint64_t>(cap) + 1) - 1);
            sq = static_cast<unsigned>(std::min<std::size_t>(sq, qb));
            const std::size_t dp = (pb + sp - 1) / sp, dq = (qb + sq - 1) / sq;
            if (best.sp == 0 || dp * dq < best.dp * best.dq) best = {sp, sq, dp, dq};
        }
        return best;
    }

    /// Columns [c0, c1) of M (n × m) cut into `count` digit matrices of s bits: digit u of entry
    /// (k, j) is sign·⌊|M(k, j)|/2^(s·u)⌋ mod 2^s, a double (exact: below 2^s ≤ 2⁵²).
    static std::vector<Eigen::MatrixXd> digits_of(const D& M, unsigned s, std::size_t count, Eigen::Index c0,
                                                  Eigen::Index c1) {
        const std::size_t w = M.width_, n = static_cast<std::size_t>(M.rows_);
        std::vector<Eigen::MatrixXd> out(count, Eigen::MatrixXd::Zero(M.rows_, c1 - c0));
        const limb mask = (limb{1} << s) - 1;
        for (Eigen::Index j = c0; j < c1; ++j)
            for (std::size_t k = 0; k < n; ++k) {
                const std::size_t t = k + static_cast<std::size_t>(j) * n;
                if (!M.sign_[t]) continue;
                const limb* m = M.mag_.data() + (t * w);
                const double sign = M.sign_[t];
                const std::size_t at = k + static_cast<std::size_t>(j - c0) * n;
                for (std::size_t u = 0; u < count; ++u) {
                    const std::size_t bit = s * u, q = bit / 64;
                    const unsigned r = bit % 64;
                    if (q >= w) break;
                    limb x = m[q] >> r;
                    if (r && q + 1 < w) x |= m[q + 1] << (64 - r);
                    out[u].data()[at] = sign * static_cast<double>(x & mask);
                }
            }
        return out;
    }

    /// Does the slice route pay for C = PᵀQ? A rough cost estimate in units of one limb product
    /// (about 1 ns on the development machine, where one dgemm multiply-add costs about 1/20 of
    /// it): the limb route's a·b limb products per term against the slice route's dgemm work,
    /// calls, splitting and accumulation. Only speed depends on it: both routes give the same
    /// result. Requires: P, Q nonzero, P.rows() == Q.rows().
    static bool slices_pay(const D& P, const D& Q) {
        const double n = static_cast<double>(P.rows_), r = static_cast<double>(P.cols_),
                     c = static_cast<double>(Q.cols_);
        const slicing s =
            choose_slices(P.rows_ > 0 ? static_cast<std::size_t>(P.rows_) : 1, magnitude_bits(P), magnitude_bits(Q));
        const double pairs = static_cast<double>(s.dp * s.dq), w = static_cast<double>(P.width_ + Q.width_);
        const double limbs = n * r * c * static_cast<double>(P.width_ * Q.width_);
        const double sliced = pairs * (n * r * c / 20.0 + 2.0 * r * c + 5000.0) +
                              2.0 * n * (r * static_cast<double>(s.dp) + c * static_cast<double>(s.dq)) +
                              4.0 * r * c * (w + 2.0);
        return sliced < limbs;
    }

    /// C = PᵀQ exactly by dgemm on slices (C1.dyadic (iv)), C's columns in blocks: each digit pair's
    /// product P_uᵀQ_v, exact by (iv), is added, times 2^(sp·u + sq·v), into 128-bit
    /// accumulators, one per 64-bit position (carry-save), which are then resolved into C's limbs.
    /// OpenBLAS runs on `threads` threads; the values are exact, so the result does not depend on it.
    /// Requires: P, Q nonzero (width ≥ 1), P.rows() == Q.rows(), threads ≥ 1.
    // C1.dyadic (iv): n(2^sp − 1)(2^sq − 1) < 2⁵³, so every digit product's sum is exact in binary64
    // under the BLAS assumption (each entry a sum of its n products by +, ×, FMA; not Strassen-like).
    static D dot_slices(const D& P, const D& Q, unsigned threads) {
        const blas_thread_scope blas(threads);
        const auto n = static_cast<std::size_t>(P.rows_);
        const slicing sl = choose_slices(n, magnitude_bits(P), magnitude_bits(Q));
        D C = product_shell(P, Q);
        const std::size_t w = C.width_, r = static_cast<std::size_t>(C.rows_);
        // Position q of an entry's accumulator weighs 2^(64q); a pair adds x·2^(sh mod 64) at
        // q = ⌊sh/64⌋ with |x| < 2⁵³, so below 2¹¹⁶. The true value and every partial sum are below
        // 2^(64w) (C1.dyadic (ii) bounds Σ|terms|), so w + 2 positions hold it with room to spare.
        const std::size_t slots = w + 2;
        // Each slot takes at most `batch` additions (< 2¹¹⁶ each, so below 2¹²⁶ in all) before the
        // carries are resolved, which leaves every slot but the top one in [0, 2⁶⁴).
        constexpr std::size_t batch = 1000;
        const std::vector<Eigen::MatrixXd> Pd = digits_of(P, sl.sp, sl.dp, 0, P.cols_);
        std::vector<bool> p_zero(sl.dp), q_zero(sl.dq);
        for (std::size_t u = 0; u < sl.dp; ++u) p_zero[u] = Pd[u].isZero(0);
        // Blocks of columns with at most 2¹⁸ entries (a 2¹⁸·(w + 2)·16-byte accumulator).
        const auto columns =
            static_cast<Eigen::Index>(std::max<std::size_t>(1, (std::size_t{1} << 18) / std::max<std::size_t>(r, 1)));
        std::vector<__int128> acc;
        Eigen::MatrixXd G;
        for (Eigen::Index j0 = 0; j0 < Q.cols_; j0 += columns) {
            const Eigen::Index j1 = std::min(Q.cols_, j0 + columns);
            const std::size_t E = r * static_cast<std::size_t>(j1 - j0);
            const std::vector<Eigen::MatrixXd> Qd = digits_of(Q, sl.sq, sl.dq, j0, j1);
            for (std::size_t v = 0; v < sl.dq; ++v) q_zero[v] = Qd[v].isZero(0);
            acc.assign(E * slots, 0);
            std::size_t since = 0;  // additions to a slot since its carries were last resolved
            const auto resolve = [&] {
                for (std::size_t t = 0; t < E; ++t) {
                    __int128 carry = 0;
                    for (std::size_t q = 0; q + 1 < slots; ++q) {
                        const __int128 x = acc[q * E + t] + carry;
                        acc[q * E + t] = static_cast<__int128>(static_cast<limb>(x));
                        carry = x >> 64;  // floor: x = low + carry·2⁶⁴ with 0 ≤ low < 2⁶⁴
                    }
                    acc[(slots - 1) * E + t] += carry;
                }
                since = 0;
            };
            for (std::size_t u = 0; u < sl.dp; ++u)
                for (std::size_t v = 0; v < sl.dq; ++v) {
                    if (p_zero[u] || q_zero[v]) continue;
                    // C1.dyadic (iv): exact by the BLAS assumption and n(2^sp − 1)(2^sq − 1) < 2⁵³.
                    blas_product_into(G, Pd[u], true, Qd[v], false);
                    if (since == batch) resolve();
                    ++since;
                    const std::size_t sh = sl.sp * u + sl.sq * v;
                    __int128* to = acc.data() + ((sh / 64) * E);
                    const unsigned by = sh % 64;
                    const double* g = G.data();
                    for (std::size_t t = 0; t < E; ++t)
                        to[t] += static_cast<__int128>(static_cast<std::int64_t>(g[t])) << by;
                }
            resolve();
            // Now acc holds, per entry, limbs 0 … slots − 2 and a signed top (the value's sign).
            for (std::size_t t = 0; t < E; ++t) {
                const std::size_t tc = static_cast<std::size_t>(j0) * r + t;
                const bool negative = acc[(slots - 1) * E + t] < 0;
                limb* out = C.mag_.data() + (tc * w);
                limb borrow = negative ? 1 : 0, any = 0;  // −x = ~x + 1 over the limbs
                for (std::size_t q = 0; q < w; ++q) {
                    limb x = static_cast<limb>(acc[q * E + t]);
                    if (negative) {
                        x = ~x + borrow;
                        borrow = borrow && x == 0;
                    }
                    out[q] = x;
                    any |= x;
                }
                C.sign_[tc] = any == 0 ? 0 : negative ? -1 : 1;
            }
        }
        canonicalize(C);
        return C;
    }

    static piecewise piecewise_of(const dyadic_network::layer_data& L) {
        piecewise f;
        f.breaks = L.pieces.breaks;
        for (int b = 0; b < f.breaks; ++b) {
            std::tie(f.at[b].m, f.at[b].e) = split(L.pieces.at[b]);
            f.right[b] = L.pieces.right[b];
        }
        for (int i = 0; i <= f.breaks; ++i) {
            std::tie(f.slope[i].m, f.slope[i].e) = split(L.pieces.slope[i]);
            std::tie(f.intercept[i].m, f.intercept[i].e) = split(L.pieces.intercept[i]);
        }
        return f;
    }

    /// The activation's piecewise-linear form over ℚ, nullopt unless it has one (its registry
    /// entry has pieces()) with every number dyadic (always, for doubles; which must be finite).
    template <class T>
    static std::optional<piecewise_linear<exact>> dyadic_pieces(const activation<T>& f) {
        return std::visit(
            [](const auto& g) -> std::optional<piecewise_linear<exact>> {
                using G = std::decay_t<decltype(g)>;
                if constexpr (!piecewise_linear_activation<G>) {
                    return std::nullopt;
                } else {
                    const piecewise_linear<T> p = pieces_of<T>(g);
                    piecewise_linear<exact> q;
                    q.breaks = p.breaks;
                    q.right = p.right;
                    auto take = [](const T& v, exact& out) {
                        if constexpr (std::is_same_v<T, double>) {
                            MATBP_REQUIRE("C1", std::isfinite(v));
                            out = to_exact_double(v);
                            return true;
                        } else {
                            out = v;
                            return is_dyadic(v);
                        }
                    };
                    bool ok = true;
                    for (int b = 0; b < p.breaks; ++b) ok = take(p.at[b], q.at[b]) && ok;
                    for (int i = 0; i <= p.breaks; ++i)
                        ok = take(p.slope[i], q.slope[i]) && take(p.intercept[i], q.intercept[i]) && ok;
                    if (!ok) return std::nullopt;
                    return q;
                }
            },
            f);
    }

    template <class Net>
    static std::optional<dyadic_network> prepare(const Net& net) {
        MATBP_REQUIRE("C1", well_formed(net));
        using T = typename std::decay_t<decltype(net.layers.front().W)>::Scalar;
        dyadic_network d;
        for (const auto& L : net.layers)
            if (!add_layer<T>(d, L.W, L.b, L.f)) return std::nullopt;
        return d;
    }

    static std::optional<dyadic_network> prepare(const std::vector<dyadic_network::layer_view>& layers) {
        MATBP_REQUIRE("C1", !layers.empty());
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const auto& L = layers[l];
            MATBP_REQUIRE("C1", L.W.rows() >= 1 && L.W.cols() >= 1 && L.b.rows() == L.W.rows() && L.b.cols() == 1);
            MATBP_REQUIRE("C1", l == 0 || L.W.cols() == layers[l - 1].W.rows());
        }
        dyadic_network d;
        for (const auto& L : layers)
            if (!add_layer<exact>(d, L.W, L.b, L.f)) return std::nullopt;
        return d;
    }

    /// Appends a layer to d; false unless its activation has dyadic pieces and W and b convert.
    /// W and b: matrix<T> (an mlp's) or exact_tensor (a layer_view's, T = exact). The first
    /// layer keeps only (W¹)ᵀ: the backward pass never multiplies by (W¹)ᵀΔ¹ (layer_data).
    template <class T, class M>
    static bool add_layer(dyadic_network& d, const M& W, const M& b, const activation<T>& f) {
        dyadic_network::layer_data x;
        auto pieces = dyadic_pieces<T>(f);
        if (!pieces) return false;
        x.pieces = std::move(*pieces);
        const bool plain = !d.layers_.empty();
        if constexpr (std::is_same_v<T, double>) {
            MATBP_REQUIRE("C1", W.allFinite());
            const double_scan s = scan_doubles(W);
            if (plain) x.W = from_doubles(W, s, false);
            x.Wt = from_doubles(W, s, true);  // converted transposed: no copy of W to transpose
            x.b = D::from_double(b);
        } else if constexpr (std::is_same_v<M, exact_tensor>) {
            auto w = tensor_form(W, plain, true);
            if (!w) return false;
            auto c = tensor_form(b, true, false);
            if (!c) return false;
            x.W = std::move(w->first);
            x.Wt = std::move(w->second);
            x.b = std::move(c->first);
        } else {
            auto w = D::from_exact(W), c = D::from_exact(b);
            if (!w || !c) return false;
            x.Wt = transpose(*w);
            if (plain) x.W = std::move(*w);
            x.b = std::move(*c);
        }
        d.layers_.push_back(std::move(x));
        return true;
    }

    static exact to_exact_double(double v) {
        exact q;
        mpq_set_d(q.backend().data(), v);  // exact for every finite double
        return q;
    }
};

// ---------------------------------------------------------------------------------------------
// products

namespace {
std::atomic<dyadic_route> forced_route{dyadic_route::automatic};
}

dyadic_matrix dyadic_product(const dyadic_matrix& P, const dyadic_matrix& Q, unsigned threads, dyadic_route route) {
    MATBP_REQUIRE("C1", P.rows() == Q.rows() && P.rows() >= 1);
    MATBP_REQUIRE("C1", threads >= 1);
    return dyadic_engine::dot(P, Q, threads, route);
}

dyadic_route_scope::dyadic_route_scope(dyadic_route r) : saved_(forced_route.exchange(r)) {}
dyadic_route_scope::~dyadic_route_scope() { forced_route.store(saved_); }

// ---------------------------------------------------------------------------------------------
// dyadic_matrix

bool is_dyadic(const exact& q) {
    // The denominator (> 0) is a power of two: one bit set, read off its limbs (no copy).
    const mpz_srcptr d = mpq_denref(q.backend().data());
    const std::size_t n = mpz_size(d);
    const limb* p = mpz_limbs_read(d);
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (p[i] != 0) return false;
    return (p[n - 1] & (p[n - 1] - 1)) == 0;  // one bit (p[n − 1] ≠ 0: GMP normalizes); not popcount,
                                              // which portable builds call as a function
}

dyadic_matrix dyadic_matrix::from_double(const matrix<double>& M) {
    for (Eigen::Index t = 0; t < M.size(); ++t) MATBP_REQUIRE("C1", std::isfinite(M(t)));
    return dyadic_engine::from_doubles(M, dyadic_engine::scan_doubles(M), false);
}

std::optional<dyadic_matrix> dyadic_matrix::from_exact(const matrix<exact>& M) {
    const auto n = static_cast<std::size_t>(M.size());
    // Entry t = num_t·2^e_t with e_t = −log₂ den_t. C1.dyadic (iii) in one pass: the canonical
    // exponent is e = min_t (e_t + trailing zeros of num_t) over the nonzero entries, the highest
    // bit position top = max_t (e_t + bits of num_t); the width ⌈(top − e)/64⌉.
    long e = LONG_MAX, top = LONG_MIN;
    std::size_t own = 0;
    std::vector<long> et(n);
    std::vector<limb> one(n);  // the magnitude of a one-limb numerator (most), so that the second
                               // pass reads contiguous memory instead of every numerator's limbs
    const exact* entries = M.data();
    for (std::size_t t = 0; t < n; ++t) {
        if (t + 8 < n) {  // the limbs live elsewhere on the heap: ask for them early
            const mpq_srcptr ahead = entries[t + 8].backend().data();
            __builtin_prefetch(mpz_limbs_read(mpq_numref(ahead)));
            __builtin_prefetch(mpz_limbs_read(mpq_denref(ahead)));
        }
        const exact& x = entries[t];
        if (!is_dyadic(x)) return std::nullopt;
        const mpq_srcptr q = x.backend().data();
        const mpz_srcptr num = mpq_numref(q);
        const std::size_t size = mpz_size(num);
        own += 1 + size + mpz_size(mpq_denref(q));
        if (size == 0) continue;
        et[t] = -denominator_log2(q);
        const limb* p = mpz_limbs_read(num);
        if (size == 1) one[t] = p[0];
        std::size_t low = 0;
        while (p[low] == 0) ++low;
        e = std::min(e, et[t] + static_cast<long>(64 * low) + static_cast<long>(std::countr_zero(p[low])));
        top = std::max(top, et[t] + static_cast<long>(64 * (size - 1) + std::bit_width(p[size - 1])));
    }
    const std::size_t w = top == LONG_MIN ? 0 : static_cast<std::size_t>(top - e + 63) / 64;
    // One shared width pads every entry to the widest: refuse a form more than 16 times the
    // entries' own size (beyond 2²⁰ limbs), e.g. one 10⁵-digit integer among a thousand small ones.
    if (static_cast<double>(n) * static_cast<double>(w) > 16.0 * static_cast<double>(own) + 1048576.0)
        return std::nullopt;
    dyadic_matrix d = dyadic_engine::zeros(M.rows(), M.cols(), w);
    d.e_ = w == 0 ? 0 : e;
    for (std::size_t t = 0; t < n; ++t) {
        const mpq_srcptr q = entries[t].backend().data();
        if (mpq_sgn(q) == 0) continue;
        d.sign_[t] = static_cast<std::int8_t>(mpq_sgn(q));
        // num_t·2^(e_t − e) into the (zero) destination: bit b of num_t goes to bit b + e_t − e,
        // which is ≥ 0 for every set bit b (e_t − e ≥ −trailing zeros of num_t).
        const mpz_srcptr num = mpq_numref(q);
        const auto ws = static_cast<long>(mpz_size(num));
        const limb* src = ws == 1 ? &one[t] : mpz_limbs_read(num);
        const long shift = et[t] - e;
        limb* dst = d.mag_.data() + (t * w);
        // Destination limb k takes source bits [64k − shift, 64k − shift + 64).
        const long first = std::max(0L, shift / 64);  // below it every destination limb is 0
        for (long k = first; k < static_cast<long>(w); ++k) {
            const long b = 64 * k - shift;  // source bit at the destination limb's bit 0
            const long i = b >= 0 ? b / 64 : -((-b + 63) / 64);
            const long r = b - 64 * i;  // 0 ≤ r < 64
            const limb lo = i >= 0 && i < ws ? src[i] : 0;
            const limb hi = i + 1 >= 0 && i + 1 < ws ? src[i + 1] : 0;
            dst[k] = r ? (lo >> r) | (hi << (64 - r)) : lo;
        }
    }
    return d;
}

std::optional<dyadic_matrix> dyadic_matrix::from_tensor(const exact_tensor& t) {
    auto d = dyadic_engine::tensor_form(t, true, false);
    if (!d) return std::nullopt;
    return std::move(d->first);
}

exact dyadic_matrix::operator()(Eigen::Index i, Eigen::Index j) const {
    MATBP_REQUIRE("C1", 0 <= i && i < rows_ && 0 <= j && j < cols_);
    exact q;
    dyadic_engine::entry_to_mpq(*this, static_cast<std::size_t>(i + j * rows_), q.backend().data());
    return q;
}

matrix<exact> dyadic_matrix::to_exact() const {
    matrix<exact> M(rows_, cols_);
    for (Eigen::Index t = 0; t < M.size(); ++t)
        dyadic_engine::entry_to_mpq(*this, static_cast<std::size_t>(t), M(t).backend().data());
    return M;
}

std::size_t dyadic_matrix::bits_bound() const {
    return std::max<std::size_t>(1, dyadic_engine::magnitude_bits(*this) + static_cast<std::size_t>(e_ < 0 ? -e_ : e_));
}

gradient_result<exact> dyadic_gradients::to_exact() const {
    gradient_result<exact> r;
    r.cost = cost;
    r.kinks = kinks;
    r.dW.resize(dW.size());
    r.db.resize(db.size());
    for (std::size_t l = 1; l < dW.size(); ++l) {
        r.dW[l] = dW[l].to_exact();
        r.db[l] = db[l].to_exact();
        if (scale != 1) {
            r.dW[l] *= scale;
            r.db[l] *= scale;
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// dyadic_entries

namespace {

/// |q|/2^E0 = q128 + frac with 0 ≤ frac < 1 (frac > 0 iff sticky), q128 ≥ 2⁶³: the leading bits of
/// magnitude·2^e / d, for rounding. Requires: the magnitude nonzero, 1 ≤ d < 2⁶⁴.
struct leading_bits {
    wide q = 0;
    bool sticky = false;
    long E0 = 0;
};

leading_bits leading(const limb* m, std::size_t w, long e, std::uint64_t d) {
    std::size_t top = w;
    while (m[top - 1] == 0) --top;
    const long bits = static_cast<long>(64 * (top - 1) + static_cast<std::size_t>(std::bit_width(m[top - 1])));
    // The magnitude's top 128 bits as h (top bit set), and whether any bit below them is set.
    wide h = 0;
    bool low = false;
    const long s = bits - 128;  // h = floor(magnitude / 2^s) for s ≥ 0; magnitude·2^−s otherwise
    if (s <= 0) {
        for (std::size_t i = top; i-- > 0;) h = (h << 64) | m[i];  // ≤ 2 limbs: bits ≤ 128
        h <<= static_cast<unsigned>(-s);
    } else {
        const auto q = static_cast<std::size_t>(s / 64);
        const auto r = static_cast<unsigned>(s % 64);
        // bits [s, s + 128) from limbs q, q + 1, q + 2
        const auto at = [&](std::size_t i) -> wide { return i < top ? m[i] : 0; };
        if (r == 0)
            h = at(q) | (at(q + 1) << 64);
        else
            h = (at(q) >> r) | (at(q + 1) << (64 - r)) | (at(q + 2) << (128 - r));
        for (std::size_t i = 0; i < q && !low; ++i) low = m[i] != 0;
        if (!low && r) low = (m[q] & ((limb{1} << r) - 1)) != 0;
    }
    leading_bits out;
    out.q = h / d;
    out.sticky = low || h % d != 0;  // the fraction (h mod d + low/2^s)/d < 1
    out.E0 = e + s;
    return out;
}

/// A magnitude x = (q + frac)·2^E0 rounded to a binary format (p significand bits, least
/// exponent min_exp, overflow at 2^max_exp): 0 nearest-even, −1 toward zero, +1 away from zero;
/// +Inf past the range, except toward zero, which stops at the largest finite value.
double round_magnitude(const leading_bits& x, int p, long min_exp, long max_exp, int mode) {
    const long L = static_cast<long>(128 - (x.q >> 64 ? std::countl_zero(static_cast<limb>(x.q >> 64))
                                                      : 64 + std::countl_zero(static_cast<limb>(x.q))));
    const long top = L - 1 + x.E0;
    const long lsb = std::max(top - (p - 1), min_exp);
    const long drop = lsb - x.E0;  // ≥ L − p > 0
    wide mant = 0;
    int half = -1;  // the dropped part against half a unit: −1 below, 0 equal, 1 above
    bool inexact = true;
    if (drop >= 129) {
        half = -1;
    } else if (drop == 128) {
        const wide h = wide{1} << 127;
        half = x.q > h || (x.q == h && x.sticky) ? 1 : x.q == h ? 0 : -1;
    } else {
        mant = x.q >> drop;
        const wide rem = x.q & ((wide{1} << drop) - 1), h = wide{1} << (drop - 1);
        half = rem > h || (rem == h && x.sticky) ? 1 : rem == h ? 0 : -1;
        inexact = rem != 0 || x.sticky;
    }
    if (mode == 0)
        mant += half > 0 || (half == 0 && (mant & 1));
    else if (mode > 0)
        mant += inexact;
    const double inf = std::numeric_limits<double>::infinity();
    const auto finite_max = [&] { return std::ldexp(std::ldexp(1.0, p) - 1, static_cast<int>(max_exp - p)); };
    if (mant == 0) return 0.0;
    const long mbits = 128 - (mant >> 64 ? std::countl_zero(static_cast<limb>(mant >> 64))
                                         : 64 + std::countl_zero(static_cast<limb>(mant)));
    if (lsb + mbits > max_exp) return mode < 0 ? finite_max() : inf;
    return std::ldexp(static_cast<double>(static_cast<limb>(mant)), static_cast<int>(lsb));
}

}  // namespace

std::optional<dyadic_entries> dyadic_entries::of(const dyadic_matrix& D, const exact& scale) {
    MATBP_REQUIRE("C1", scale > 0);
    const mpq_srcptr s = scale.backend().data();
    if (mpz_cmp_ui(mpq_numref(s), 1) != 0 || mpz_size(mpq_denref(s)) != 1) return std::nullopt;
    return dyadic_entries(D, mpz_getlimbn(mpq_denref(s), 0));
}

double dyadic_entries::rounded(std::size_t t, int direction, bool single) const {
    const int sg = D_->sign(t);
    if (sg == 0) return 0.0;
    const leading_bits x = leading(D_->magnitude(t), D_->width(), D_->exponent(), d_);
    // A direction on the value is one on the magnitude: down is toward zero for q > 0.
    const int mode = direction == 0 ? 0 : (direction > 0) == (sg > 0) ? 1 : -1;
    const double r = single ? round_magnitude(x, 24, -149, 128, mode) : round_magnitude(x, 53, -1074, 1024, mode);
    return sg < 0 ? -r : r;
}

bool dyadic_entries::beyond_double(std::size_t t) const {
    if (D_->sign(t) == 0) return false;
    const leading_bits x = leading(D_->magnitude(t), D_->width(), D_->exponent(), d_);
    // Toward zero the magnitude stops at the largest finite double; it is beyond iff it is
    // larger: rounded away it overflows while the truncation is the largest finite double.
    const double largest = std::numeric_limits<double>::max();
    return round_magnitude(x, 53, -1074, 1024, -1) == largest && std::isinf(round_magnitude(x, 53, -1074, 1024, 1));
}

void dyadic_entries::append_text(std::size_t t, std::string& out) const {
    const int sg = D_->sign(t);
    if (sg == 0) {
        out += '0';
        return;
    }
    // q = magnitude·2^e / d with d = 2^a·o, o odd: cancel gcd(magnitude, o), then the twos.
    thread_local mpz_int num, den;
    dyadic_engine::entry_to_mpz(*D_, t, num.backend().data());
    mpz_ptr n = num.backend().data();
    mpz_abs(n, n);
    const int a = std::countr_zero(d_);
    std::uint64_t o = d_ >> a;
    if (o != 1) {
        const std::uint64_t g = mpz_gcd_ui(nullptr, n, o);
        if (g != 1) {
            mpz_divexact_ui(n, n, g);
            o /= g;
        }
    }
    long twos = D_->exponent() - a;  // q = n·2^twos / o
    if (twos < 0) {
        const long c = std::min(static_cast<long>(mpz_scan1(n, 0)), -twos);
        mpz_tdiv_q_2exp(n, n, static_cast<mp_bitcnt_t>(c));
        twos += c;
    } else if (twos > 0) {
        mpz_mul_2exp(n, n, static_cast<mp_bitcnt_t>(twos));
        twos = 0;
    }
    if (sg < 0) out += '-';
    const auto digits = [&out](mpz_srcptr z) {
        const std::size_t at = out.size();
        out.resize(at + mpz_sizeinbase(z, 10) + 1);
        mpz_get_str(out.data() + at, 10, z);
        out.resize(at + std::strlen(out.data() + at));
    };
    digits(n);
    if (o == 1 && twos == 0) return;
    mpz_ptr q = den.backend().data();
    mpz_set_ui(q, o);
    mpz_mul_2exp(q, q, static_cast<mp_bitcnt_t>(-twos));
    out += '/';
    digits(q);
}

// ---------------------------------------------------------------------------------------------
// dyadic_network

std::optional<dyadic_network> dyadic_network::from(const mlp<exact>& net) { return dyadic_engine::prepare(net); }
std::optional<dyadic_network> dyadic_network::from(const mlp<double>& net) { return dyadic_engine::prepare(net); }
std::optional<dyadic_network> dyadic_network::from(const std::vector<layer_view>& layers) {
    return dyadic_engine::prepare(layers);
}

// C1.dyadic the rule of the exact fast path, in one place.
std::optional<dyadic_problem> dyadic_problem::prepare(const std::vector<dyadic_network::layer_view>& layers,
                                                      const exact_tensor& X, const exact_tensor& Y,
                                                      const loss_function<exact>& ell) {
    if (linear_gradient_factor(ell) < 1) return std::nullopt;
    auto x = dyadic_matrix::from_tensor(X);
    if (!x) return std::nullopt;
    auto y = dyadic_matrix::from_tensor(Y);
    if (!y) return std::nullopt;
    auto net = dyadic_network::from(layers);
    if (!net) return std::nullopt;
    MATBP_REQUIRE("C1", X.rows() == net->width(0) && X.cols() >= 1);
    MATBP_REQUIRE("C1", Y.rows() == net->width(net->depth()) && Y.cols() == X.cols());
    return dyadic_problem{std::move(*net), std::move(*x), std::move(*y)};
}

Eigen::Index dyadic_network::width(Eigen::Index l) const {
    MATBP_REQUIRE("C1", 0 <= l && l <= depth());
    return l == 0 ? layers_.front().Wt.rows() : layers_[static_cast<std::size_t>(l - 1)].Wt.cols();
}

dyadic_gradients dyadic_network::gradients(const matrix<double>& X, const matrix<double>& Y,
                                           const loss_function<exact>& ell, reduction red, unsigned threads,
                                           const size_observer* observe) const {
    return gradients(dyadic_matrix::from_double(X), dyadic_matrix::from_double(Y), ell, red, threads, observe);
}

// C1.dyadic (i): every step of C1 with reduction "sum" stays dyadic; "mean" scales by ρ.
dyadic_gradients dyadic_network::gradients(const dyadic_matrix& X, const dyadic_matrix& Y,
                                           const loss_function<exact>& ell, reduction red, unsigned threads,
                                           const size_observer* observe) const {
    const Eigen::Index k = depth(), n = X.cols();
    MATBP_REQUIRE("C1", X.rows() == width(0) && n >= 1);
    MATBP_REQUIRE("C1", Y.rows() == width(k) && Y.cols() == n);
    // ∇ℓ(a) = c(a − y) with c ≥ 1 (squared_error 1, mse 2): ℓ = (c/2)‖a − y‖².
    const int c = linear_gradient_factor(ell);
    MATBP_REQUIRE("C1", c >= 1);
    MATBP_REQUIRE("C1", threads >= 1);
    using E = dyadic_engine;
    const dyadic_route route = forced_route.load();
    std::vector<piecewise> f(static_cast<std::size_t>(k + 1));
    for (Eigen::Index l = 1; l <= k; ++l)
        f[static_cast<std::size_t>(l)] = E::piecewise_of(layers_[static_cast<std::size_t>(l - 1)]);
    // C1.dyadic (i): reduction "sum" in dyadic arithmetic; the mean's ρ is kept apart as `scale`.
    // Forward pass (D14): Zˡ = WˡAˡ⁻¹ + bˡ1ᵀ, Aˡ = f⃗ˡ(Zˡ).
    std::vector<block> Z(static_cast<std::size_t>(k + 1));
    std::vector<dyadic_matrix> A(static_cast<std::size_t>(k + 1));
    A[0] = X;
    dyadic_gradients r;
    for (Eigen::Index l = 1; l <= k; ++l) {
        const auto L = static_cast<std::size_t>(l);
        const auto& layer = layers_[L - 1];
        block z = E::to_block(E::dot(layer.Wt, A[L - 1], threads, route));  // Wˡ Aˡ⁻¹ = ((Wˡ)ᵀ)ᵀ Aˡ⁻¹
        block bias = E::to_block(layer.b);
        const long e = std::min(z.e, bias.e);
        lower_exponent(z, e);
        lower_exponent(bias, e);
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < z.rows; ++i) z.at(i, j) += bias.at(i, 0);
        if (observe) (*observe)("potential", l, bits_bound(z));
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < z.rows; ++i)
                for (int b = 0; b < f[L].breaks; ++b)
                    if (compare_to_break(z.at(i, j), z.e, f[L].at[b], nullptr) == 0) {
                        r.kinks.push_back({l, j, i});
                        break;
                    }
        const block a = piecewise_apply(f[L], z, nullptr);
        if (observe) (*observe)("activation", l, bits_bound(a));
        A[L] = E::from_block(a);
        Z[L] = std::move(z);
    }
    std::sort(r.kinks.begin(), r.kinks.end(), [](const kink& a, const kink& c) {
        return std::tie(a.layer, a.sample, a.unit) < std::tie(c.layer, c.sample, c.unit);
    });
    // Output gradient G = ∂ℓ/∂Aᵏ (sum reduction) and the cost.
    block G = E::to_block(A[static_cast<std::size_t>(k)]);
    block y = E::to_block(Y);
    const long eg = std::min(G.e, y.e);
    lower_exponent(G, eg);
    lower_exponent(y, eg);
    for (std::size_t i = 0; i < G.m.size(); ++i) G.m[i] -= y.m[i];
    mpz_int sq = 0;
    for (const auto& x : G.m) mpz_addmul(sq.backend().data(), x.backend().data(), x.backend().data());
    // ℓ = (c/2)Σ(a−y)², G = c(A − Y): squared_error c = 1, mse c = 2.
    r.cost = exact(sq) * exact(c, 2);
    if (std::has_single_bit(static_cast<unsigned>(c)))
        G.e += std::countr_zero(static_cast<unsigned>(c));
    else
        for (auto& x : G.m) x *= c;
    // The squares carry the exponent 2·eg: cost ·= 2^(2·eg), exactly, for any size of eg.
    if (eg >= 0)
        mpq_mul_2exp(r.cost.backend().data(), r.cost.backend().data(), static_cast<mp_bitcnt_t>(2 * eg));
    else
        mpq_div_2exp(r.cost.backend().data(), r.cost.backend().data(), static_cast<mp_bitcnt_t>(-2 * eg));
    r.scale = reduction_scale<exact>(ell, red, n, width(k));
    r.cost *= r.scale;
    // Backward pass (C1): Δᵏ = fᵏ′(Zᵏ) ⊙ G, Δˡ⁻¹ = fˡ⁻¹′(Zˡ⁻¹) ⊙ ((Wˡ)ᵀΔˡ);
    // ∂ℓ/∂Wˡ = Δˡ(Aˡ⁻¹)ᵀ, ∂ℓ/∂bˡ = Δˡ1.
    r.dW.resize(static_cast<std::size_t>(k + 1));
    r.db.resize(static_cast<std::size_t>(k + 1));
    block Delta = piecewise_apply(f[static_cast<std::size_t>(k)], Z[static_cast<std::size_t>(k)], &G);
    for (Eigen::Index l = k; l >= 1; --l) {
        const auto L = static_cast<std::size_t>(l);
        if (observe) (*observe)("delta", l, bits_bound(Delta));
        const dyadic_matrix D = E::from_block(Delta);
        r.dW[L] = E::dot(E::transpose(D), E::transpose(A[L - 1]), threads, route);  // Δˡ(Aˡ⁻¹)ᵀ = (Δˡᵀ)ᵀ(Aˡ⁻¹)ᵀ
        block s(Delta.rows, 1, Delta.e);
        for (Eigen::Index j = 0; j < n; ++j)
            for (Eigen::Index i = 0; i < Delta.rows; ++i) s.at(i, 0) += Delta.at(i, j);
        r.db[L] = E::from_block(s);
        if (l == 1) break;
        const block back = E::to_block(E::dot(layers_[L - 1].W, D, threads, route));  // (Wˡ)ᵀΔˡ
        Delta = piecewise_apply(f[L - 1], Z[L - 1], &back);
    }
    return r;
}

std::optional<gradient_result<exact>> dyadic_backprop(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, const loss_function<exact>& ell,
                                                      reduction red, const size_observer* observe, unsigned threads) {
    MATBP_REQUIRE("C1", well_formed(net));
    MATBP_REQUIRE("C1", X.rows() == net.width(0) && X.cols() >= 1);
    MATBP_REQUIRE("C1", Y.rows() == net.width(net.depth()) && Y.cols() == X.cols());
    MATBP_REQUIRE("C1", threads >= 1);
    // The rule reads tensors: the network's matrices wrapped (copied) once.
    std::vector<exact_tensor> tensors;
    tensors.reserve(2 * net.layers.size());
    for (const auto& L : net.layers) {
        tensors.emplace_back(L.W);
        tensors.emplace_back(L.b);
    }
    std::vector<dyadic_network::layer_view> layers;
    for (std::size_t l = 0; l < net.layers.size(); ++l)
        layers.push_back({tensors[2 * l], tensors[2 * l + 1], net.layers[l].f});
    auto p = dyadic_problem::prepare(layers, exact_tensor(X), exact_tensor(Y), ell);
    if (!p) return std::nullopt;
    return p->net.gradients(p->X, p->Y, ell, red, threads, observe).to_exact();
}

}  // namespace matbp
