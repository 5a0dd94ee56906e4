#pragma once
// matbp/dyadic.hpp — the exact fast path of C1 for float64-valued piecewise-linear networks.
//
// Every double is a dyadic rational m·2^e. With piecewise-linear activations whose breakpoints,
// slopes and intercepts are dyadic (every registry entry with pieces(): identity, ReLU, leaky
// ReLU, hardtanh) and a loss whose gradient is c(a − y) (squared_error, mse) under reduction sum,
// backpropagation uses only +, −, × and comparisons, so every number it computes is dyadic too. This engine stores each
// matrix as integer magnitudes (64-bit limbs) and signs with one shared binary exponent (block floating point). Nothing
// is ever rounded and no gcd is ever taken:
//   - the products (Zˡ = WˡAˡ⁻¹, (Wˡ)ᵀΔˡ, ΔˡAˡ⁻¹ᵀ) run on fixed-width limb accumulators whose
//     width is proven sufficient before the product starts (C1.dyadic (ii): n products of p-bit
//     and q-bit magnitudes sum below 2^(p+q+⌈log₂ n⌉)); a product with at least 2¹⁶ limb products
//     per thread splits its output entries over threads, each entry computed by the same
//     sequential code, so the result does not depend on the thread count;
//   - or, where a cost estimate says it pays (large products), on OpenBLAS's dgemm: the
//     magnitudes cut into slices of s_P and s_Q bits with n(2^s_P − 1)(2^s_Q − 1) < 2⁵³, so every
//     slice product is an integer matrix dgemm computes exactly (C1.dyadic (iv), under the BLAS
//     assumption stated there), added with its shift into limb accumulators: the same result;
//   - the entrywise steps (bias, activation, f′ ⊙ ·, the loss) run on GMP integers;
//   - every result is canonical (the fewest limbs; the exponent as large as keeps every magnitude
//     an integer), so equal values have equal representations.
// The mean's 1/n (or 1/(n·m_k)) is kept apart as an exact factor: gradients are scale·dW, scale·db.
//
// It is a second implementation of C1 (backprop.hpp is the first): tests/dyadic_test.cpp checks
// it against the rational algorithm for equality on random float64-valued networks.
//
// Notation: Wˡ ↦ W[l] (and Wᵀ[l]), Aˡ ↦ A[l], Zˡ ↦ Z[l], Δˡ ↦ Delta, ∂ℓ/∂Wˡ ↦ dW[l].
//
// Usage (tests/dyadic_test.cpp, case usage_example_of_dyadic_hpp):
//   if (auto fast = matbp::dyadic_network::from(net))       // mlp<double> or mlp<exact>
//       matbp::dyadic_gradients g = fast->gradients(X, Y, matbp::mse_loss{}, reduction::mean, 2);
//   // nullopt: not of the kind above (use backprop<exact>); g.to_exact() gives the rationals

#include "matbp/backprop.hpp"
#include "matbp/exact_tensor.hpp"
#include "matbp/network.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace matbp {

/// True iff q's denominator is a power of two.
bool is_dyadic(const exact& q);

/// A matrix of dyadic rationals: entry (i, j) = sign·magnitude·2^exponent, every magnitude a
/// non-negative integer of width() 64-bit limbs. Always canonical, so == is value equality.
class dyadic_matrix {
public:
    dyadic_matrix() = default;
    /// Every finite double exactly. Requires: every entry of M finite.
    static dyadic_matrix from_double(const matrix<double>& M);
    /// The same values; nullopt unless every entry of M is dyadic and the shared-width form is at
    /// most 16 times the entries' own size plus 2²⁰ limbs (one huge entry among many small ones
    /// is better served by rationals).
    static std::optional<dyadic_matrix> from_exact(const matrix<exact>& M);
    /// from_exact(t.rational()), read from the doubles when t holds doubles (no rational is made;
    /// the same size rule decides).
    static std::optional<dyadic_matrix> from_tensor(const exact_tensor& t);

    Eigen::Index rows() const noexcept { return rows_; }
    Eigen::Index cols() const noexcept { return cols_; }
    long exponent() const noexcept { return e_; }
    std::size_t width() const noexcept { return width_; }
    /// Entry (i, j) as a rational in lowest terms. Requires: 0 ≤ i < rows(), 0 ≤ j < cols().
    exact operator()(Eigen::Index i, Eigen::Index j) const;
    /// Every entry as a rational in lowest terms (no gcd: trailing zero bits cancel powers of 2).
    matrix<exact> to_exact() const;
    /// An upper bound on the bits of any entry's numerator or denominator (at least 1).
    std::size_t bits_bound() const;
    /// Entry t (column-major, t = i + j·rows()) as read by code that works on the representation
    /// (the oracle's writer and check): its sign (−1, 0, 1) and its magnitude's width() limbs, low
    /// limb first; the value is sign·magnitude·2^exponent(). Requires: 0 ≤ t < rows()·cols().
    int sign(std::size_t t) const { return sign_[t]; }
    const std::uint64_t* magnitude(std::size_t t) const { return mag_.data() + (t * width_); }

    friend bool operator==(const dyadic_matrix&, const dyadic_matrix&) = default;

private:
    friend struct dyadic_engine;
    Eigen::Index rows_ = 0, cols_ = 0;
    long e_ = 0;
    std::size_t width_ = 0;
    std::vector<std::uint64_t> mag_;  ///< entry t = i + j·rows at [t·width, (t+1)·width), low limb first
    std::vector<std::int8_t> sign_;   ///< −1, 0 or 1 per entry (0 iff the magnitude is 0)
};

/// The entries of scale·D read one at a time without making rationals: what the oracle's writer
/// and check need (oracle_json.cpp, oracle.cpp). Applies when scale = 1/d with d < 2⁶⁴, which every
/// reduction's ρ is (1, 1/n, 1/(n·m_k)); of() is nullopt otherwise. Each function gives what the
/// rational route (convert.hpp) gives for the entry's value q = scale·D(t):
class dyadic_entries {
public:
    /// Requires: scale > 0. Keeps a reference to D.
    static std::optional<dyadic_entries> of(const dyadic_matrix& D, const exact& scale);
    /// to_string(q): "p/q" in lowest terms, or "p"; appended to out.
    void append_text(std::size_t t, std::string& out) const;
    /// q rounded to binary64 (binary32 with single, returned as the double of that float):
    /// direction 0 to nearest, ties to even, as to_double (to_float) — ±Inf when that overflows;
    /// −1 the largest value ≤ q, +1 the least ≥ q — ±Inf beyond the largest finite value on that
    /// side, else that value. A zero result has q's sign (as to_double's).
    double rounded(std::size_t t, int direction, bool single = false) const;
    /// |q| greater than the largest finite double.
    bool beyond_double(std::size_t t) const;
    /// scale's denominator d.
    std::uint64_t divisor() const noexcept { return d_; }

private:
    dyadic_entries(const dyadic_matrix& D, std::uint64_t d) : D_(&D), d_(d) {}
    const dyadic_matrix* D_;
    std::uint64_t d_;
};

/// How the exact fast path computes a matrix product: `limbs` on 64-bit limb accumulators
/// (C1.dyadic (ii)); `slices` by OpenBLAS's dgemm on slices of the magnitudes, each slice product
/// exact (C1.dyadic (iv), which assumes the BLAS forms each entry as a sum of its products by +, ×
/// and FMA, not by a Strassen-like scheme); `automatic` the one a cost estimate says is cheaper.
/// Every route gives the same canonical dyadic_matrix (tests/dyadic_test.cpp,
/// C1_dyadic_iv_slices_eq_limbs).
enum class dyadic_route { automatic, limbs, slices };

/// C = PᵀQ exactly, canonical (P n × r, Q n × c), by `route`; `threads` ≥ 1 the most threads it may
/// use (the limb route's own, OpenBLAS's on the slice route), which does not change the result.
/// Requires: P.rows() == Q.rows() ≥ 1, threads ≥ 1.
dyadic_matrix dyadic_product(const dyadic_matrix& P, const dyadic_matrix& Q, unsigned threads = 1,
                             dyadic_route route = dyadic_route::automatic);

/// While it lives, every product of dyadic_network::gradients (in any thread) takes `route`
/// (automatic: each product's own choice, the default); restores the route before. For tests: it
/// sends small networks' products down either route.
class dyadic_route_scope {
public:
    explicit dyadic_route_scope(dyadic_route route);
    ~dyadic_route_scope();
    dyadic_route_scope(const dyadic_route_scope&) = delete;
    dyadic_route_scope& operator=(const dyadic_route_scope&) = delete;

private:
    dyadic_route saved_;
};

/// C1's results in dyadic form: the gradients of the batch cost are scale·dW[l] and scale·db[l].
struct dyadic_gradients {
    exact scale = 1;  ///< 1 (sum), 1/n or 1/(n·m_k) (mean)
    exact cost;
    std::vector<dyadic_matrix> dW, db;  ///< index l = 1 … k (index 0 empty)
    std::vector<kink> kinks;            ///< D11, sorted by (layer, sample, unit)
    /// The same values as backprop<exact> returns.
    gradient_result<exact> to_exact() const;
};

/// Called with each stage ("potential", "activation", "delta"), its layer, and a bound on the
/// bits of any numerator or denominator it holds; may throw to stop (resource limits).
using size_observer = std::function<void(const char* stage, Eigen::Index layer, std::size_t bits)>;

/// A network prepared once for the exact fast path (each Wˡ kept in both layouts the products read).
class dyadic_network {
public:
    /// A layer as from() reads it, by reference: Wˡ, bˡ and fˡ (no copy of a network is made).
    struct layer_view {
        const exact_tensor& W;
        const exact_tensor& b;
        const activation<exact>& f;
    };
    /// As from(mlp<exact>), the layers given by reference. Requires: they chain as in a
    /// well_formed network (at least one; Wˡ m_l × m_{l−1} with m's ≥ 1, bˡ m_l × 1).
    static std::optional<dyadic_network> from(const std::vector<layer_view>& layers);
    /// nullopt unless every activation is piecewise linear (its registry entry has pieces()) with
    /// dyadic breakpoints, slopes and intercepts, and dyadic_matrix::from_exact takes every Wˡ
    /// and bˡ. Requires: well_formed(net).
    static std::optional<dyadic_network> from(const mlp<exact>& net);
    /// nullopt unless every activation is piecewise linear. Requires: well_formed(net), every
    /// parameter finite.
    static std::optional<dyadic_network> from(const mlp<double>& net);

    Eigen::Index depth() const noexcept { return static_cast<Eigen::Index>(layers_.size()); }
    Eigen::Index width(Eigen::Index l) const;

    /// C1 exactly: the same values as backprop<exact>(net, X, Y, kind, red). `threads` ≥ 1 is the
    /// most threads a product may use (the result is the same for every count).
    /// Requires: X is m₀ × n and Y is m_k × n with n ≥ 1; linear_gradient_factor(ell) ≥ 1
    /// (squared_error, mse); threads ≥ 1.
    dyadic_gradients gradients(const dyadic_matrix& X, const dyadic_matrix& Y, const loss_function<exact>& ell,
                               reduction red, unsigned threads = 1, const size_observer* observe = nullptr) const;
    /// The same, the data given as doubles (converted exactly). Requires: as above, X and Y finite.
    dyadic_gradients gradients(const matrix<double>& X, const matrix<double>& Y, const loss_function<exact>& ell,
                               reduction red, unsigned threads = 1, const size_observer* observe = nullptr) const;

private:
    friend struct dyadic_engine;
    struct layer_data {
        dyadic_matrix W, Wt;  ///< Wˡ and (Wˡ)ᵀ; W¹ is left empty (0 × 0): no product reads it
        dyadic_matrix b;
        piecewise_linear<exact> pieces;  ///< fˡ, every number dyadic
    };
    std::vector<layer_data> layers_;
    dyadic_network() = default;  // only from() makes one: a network has at least one layer
};

/// C1.dyadic the one rule for the exact fast path, prepared: the network, X and Y in dyadic form,
/// or nullopt unless linear_gradient_factor(ell) ≥ 1 (squared_error, mse), dyadic_network::from
/// takes the layers and dyadic_matrix::from_exact takes X and Y. compute_gradients (oracle.hpp),
/// dyadic_backprop and the shards' engine name (shard.cpp) all decide by it.
/// Requires: the layers as dyadic_network::from's, X m₀ × n and Y m_k × n with n ≥ 1.
struct dyadic_problem {
    dyadic_network net;
    dyadic_matrix X, Y;
    static std::optional<dyadic_problem> prepare(const std::vector<dyadic_network::layer_view>& layers,
                                                 const exact_tensor& X, const exact_tensor& Y,
                                                 const loss_function<exact>& ell);
};

/// C1 by the exact fast path, the results as rationals: the same values as backprop<exact>.
/// nullopt unless dyadic_problem::prepare applies. Requires: as backprop (well_formed(net),
/// X m₀ × n, Y m_k × n, n ≥ 1), threads ≥ 1.
std::optional<gradient_result<exact>> dyadic_backprop(const mlp<exact>& net, const matrix<exact>& X,
                                                      const matrix<exact>& Y, const loss_function<exact>& ell,
                                                      reduction red, const size_observer* observe = nullptr,
                                                      unsigned threads = 1);

}  // namespace matbp
