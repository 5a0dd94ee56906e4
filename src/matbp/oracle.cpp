#include "matbp/oracle.hpp"

#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"
#include "matbp/dyadic.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace matbp {

// ---- arithmetic -----------------------------------------------------------------------------

std::string arith_spec::str() const {
    switch (k) {
        case kind::exact:
            return "exact";
        case kind::float64:
            return "double";
        case kind::real:
            return "real:" + std::to_string(bits);
        case kind::interval:
            return "interval:" + std::to_string(bits);
    }
    return "?";
}

arith_spec parse_arith(std::string_view text) {
    auto bad = [&](const std::string& why) -> input_error {
        return input_error("arith", 0, 0,
                           json::quote(text) + ": " + why + " (expected exact, double, real:BITS or interval:BITS)");
    };
    if (text == "exact") return {arith_spec::kind::exact, 0};
    if (text == "double") return {arith_spec::kind::float64, 0};
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) throw bad("unknown arithmetic");
    const auto name = text.substr(0, colon), digits = text.substr(colon + 1);
    arith_spec a;
    if (name == "real")
        a.k = arith_spec::kind::real;
    else if (name == "interval")
        a.k = arith_spec::kind::interval;
    else
        throw bad("unknown arithmetic");
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        throw bad("BITS must be a whole number");
    const unsigned long bits = digits.size() > 9 ? 0 : std::stoul(std::string(digits));  // > 9 digits: out of range
    if (bits < 2 || bits > 1000000) throw bad("BITS must be from 2 to 1000000");
    a.bits = static_cast<unsigned>(bits);
    return a;
}

bool model_is_exact(const model_spec& model) {
    if (!model.loss_kind.info().exact_evaluation) return false;
    for (const auto& L : model.layers)
        if (L.activation.transcendental()) return false;
    return true;
}

arith_spec default_arith(const model_spec& model) {
    return model_is_exact(model) ? arith_spec{arith_spec::kind::exact, 0} : arith_spec{arith_spec::kind::interval, 256};
}

// ---- the network in arithmetic T ----------------------------------------------------------

namespace {

template <scalar T>
std::vector<T> converted(const std::vector<exact>& params) {
    std::vector<T> out;
    for (const auto& p : params) out.push_back(from_exact<T>(p));
    return out;
}

/// Layer l's activation over T, from the registry; an unsupported_error for one that T cannot evaluate.
template <scalar T>
activation<T> build_activation(const activation_spec& a, std::size_t layer) {
    if (auto f = make_activation<T>(a.name, converted<T>(a.params))) return *f;
    throw unsupported_error(unsupported_error::feature::exact_evaluation,
                            "layers[" + std::to_string(layer) + "].activation",
                            a.name + " has no exact evaluation over the rationals");
}

/// The model's loss over T, from the registry; an unsupported_error for one that T cannot evaluate.
template <scalar T>
loss_function<T> loss_over(const loss_spec& l) {
    if (auto f = make_loss<T>(l.name, converted<T>(l.params))) return *f;
    throw unsupported_error(unsupported_error::feature::exact_evaluation, "loss",
                            l.name + " has no exact evaluation over the rationals");
}

template <class T>
bool maybe_nonzero(const T& x) {
    if constexpr (interval_type<T>)
        return !(mpfr_zero_p(bmp::lower(x).backend().data()) && mpfr_zero_p(bmp::upper(x).backend().data()));
    else
        return x != 0;
}

/// A result of double arithmetic that is not finite: the arithmetic's range was exceeded.
[[noreturn]] void double_overflowed() {
    throw resource_error(resource::precision, "", "a result overflowed the range of double arithmetic");
}

template <class T>
std::pair<exact, exact> range_of(const T& x) {
    if constexpr (exact_field<T>)
        return {x, x};
    else if constexpr (std::same_as<T, double>) {
        if (!std::isfinite(x)) double_overflowed();
        return {to_exact(x), to_exact(x)};
    } else if constexpr (std::same_as<T, real>) {
        if (!mpfr_number_p(x.backend().data()))
            throw resource_error(resource::precision, "", "a result is not finite in real arithmetic");
        const exact e = exact_value(x);
        return {e, e};
    } else {
        if (!mpfr_number_p(bmp::lower(x).backend().data()) || !mpfr_number_p(bmp::upper(x).backend().data()))
            throw resource_error(resource::precision, "", "an enclosure is unbounded at this interval precision");
        return {lower_exact(x), upper_exact(x)};
    }
}

/// The values of M as exact tensors (lo, hi); one shared tensor when they are points.
template <class T>
tensor_range range_of(matrix<T> M) {
    if constexpr (exact_field<T>) {
        const exact_tensor v(std::move(M));
        return {v, v, {}, {}, {}, {}};
    } else if constexpr (std::same_as<T, double>) {
        // Held as the doubles (exact_tensor's doubles form): their values, no rational per entry.
        if (!M.allFinite()) double_overflowed();
        const exact_tensor v = exact_tensor::of_doubles(std::move(M));
        return {v, v, {}, {}, {}, {}};
    } else {
        matrix<exact> lo(M.rows(), M.cols()), hi(M.rows(), M.cols());
        for (Eigen::Index j = 0; j < M.cols(); ++j)
            for (Eigen::Index i = 0; i < M.rows(); ++i) std::tie(lo(i, j), hi(i, j)) = range_of(M(i, j));
        if constexpr (interval_type<T>)
            return {exact_tensor(std::move(lo)), exact_tensor(std::move(hi)), {}, {}, {}, {}};
        const exact_tensor v(std::move(lo));
        return {v, v, {}, {}, {}, {}};
    }
}

/// Bits of the larger of |numerator| and denominator.
std::size_t bits_of(const exact& q) {
    const auto& n = bmp::numerator(q);
    const std::size_t nb = n == 0 ? 0 : bmp::msb(bmp::abs(n)) + 1;
    return std::max(nb, static_cast<std::size_t>(bmp::msb(bmp::denominator(q)) + 1));
}

/// How many times layer l's activation (1-based) can multiply the bit size of its argument
/// (growth_of; 1 for an activation with no exact evaluation, which never runs exactly).
std::size_t size_factor(const activation_spec& a) {
    if (a.transcendental()) return 1;
    return growth_of<exact>(build_activation<exact>(a, 0));
}

/// The resource limits as a check of one stage: throws resource_error past the time budget or
/// when `bits` (times the growth the layer's activation can cause, for potentials) exceeds max_bits.
class limits_check {
public:
    limits_check(const model_spec& model, const resource_limits& limits)
            : model_(model), limits_(limits), start_(std::chrono::steady_clock::now()) {
        for (const auto& L : model.layers) growth_.push_back(size_factor(L.activation));
    }
    void operator()(const char* stage, Eigen::Index l, std::size_t bits) const {
        if (limits_.poll) limits_.poll();
        const std::string where =
            "layers[" + std::to_string(l - 1) + "] (" + stage + "s of layer " + std::to_string(l) + ")";
        if (limits_.max_seconds > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > limits_.max_seconds)
            throw resource_error(resource::time, "",
                                 where + ": the time budget of " + std::to_string(limits_.max_seconds) + " s is spent");
        const auto& act = model_.layers[static_cast<std::size_t>(l - 1)].activation;
        const std::size_t factor = std::string(stage) == "potential" ? growth_[static_cast<std::size_t>(l - 1)] : 1;
        if (bits > limits_.max_bits || bits * factor > limits_.max_bits)
            throw resource_error(
                resource::bits, "",
                where + ": numbers of " + std::to_string(bits) + " bits" +
                    (factor > 1 ? ", about " + std::to_string(bits * factor) + " after the " + act.name + " activation"
                                : std::string()) +
                    ", over the limit of " + std::to_string(limits_.max_bits) +
                    " bits; exact sizes grow with depth and polynomial degree");
    }

private:
    const model_spec& model_;
    resource_limits limits_;
    std::vector<std::size_t> growth_;  ///< per layer: size_factor of its activation
    std::chrono::steady_clock::time_point start_;
};

template <scalar T>
layer_observer<T> limits_observer(const limits_check& check) {
    return [&check](const char* stage, Eigen::Index l, const matrix<T>& M) {
        std::size_t bits = 0;
        if constexpr (exact_field<T>)
            for (Eigen::Index i = 0; i < M.size(); ++i) bits = std::max(bits, bits_of(M(i)));
        check(stage, l, bits);
    };
}

// ---- C3: the Clarke enclosure at exact kinks ----------------------------------------------

/// An interval [lo, hi] of rationals, lo ≤ hi.
struct qrange {
    exact lo, hi;
};

/// C3 (i) exact interval product: the least and greatest of the four endpoint products.
qrange times(const qrange& a, const qrange& b) {
    if (a.lo == a.hi && b.lo == b.hi) {
        exact p = a.lo * b.lo;
        return {p, p};
    }
    const exact p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
    return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
}

/// [lo, hi] · p for a rational p (exactly the image of the interval).
qrange times(const qrange& a, const exact& p) {
    if (p >= 0) return {a.lo * p, a.hi * p};
    return {a.hi * p, a.lo * p};
}

/// C3 (i) [lo, hi] += [dlo, dhi] · p for a rational p (point: dlo = dhi, one product).
void add_product(exact& lo, exact& hi, const exact& dlo, const exact& dhi, bool point, const exact& p) {
    if (point) {
        const exact t = dlo * p;
        lo += t;
        hi += t;
    } else if (p >= 0) {
        lo += dlo * p;
        hi += dhi * p;
    } else {
        lo += dhi * p;
        hi += dlo * p;
    }
}

/// A matrix of intervals as two matrices.
struct qmatrix {
    matrix<exact> lo, hi;
    qrange at(Eigen::Index i, Eigen::Index j) const { return {lo(i, j), hi(i, j)}; }
    void set(Eigen::Index i, Eigen::Index j, const qrange& r) { lo(i, j) = r.lo, hi(i, j) = r.hi; }
};

/// How the derivative at a kink is taken: every admissible value (the Clarke subdifferential, the
/// interval between the one-sided derivatives), or the single "one" convention.
enum class kink_choice { clarke, one };

/// The derivative admitted at potential z of f: the point f′(z) (D10/D11) off a kink; at a kink,
/// [min(left, right), max(left, right)] (clarke) or the one-sided derivative that is not D11's
/// convention (one).
/// T3.near: at a unit near a kink (near, clarke) every slope of f's pieces, [least, greatest].
qrange admitted_derivative(const activation<exact>& f, const exact& z, kink_choice c, bool near = false) {
    const auto points = kink_points<exact>(f);
    for (const auto& p : points)
        if (p.at == z) {
            if (c == kink_choice::one) {
                const exact other = p.convention == p.left ? p.right : p.left;
                return {other, other};
            }
            if (!near) return {std::min(p.left, p.right), std::max(p.left, p.right)};
        }
    if (near && c == kink_choice::clarke && !points.empty()) {
        qrange h{points[0].left, points[0].left};
        for (const auto& p : points)
            for (const exact* s : {&p.left, &p.right}) {
                h.lo = std::min(h.lo, *s);
                h.hi = std::max(h.hi, *s);
            }
        return h;
    }
    const exact d = derivative(f, z);
    return {d, d};
}

/// T3 the units near a kink, as masks: act[l](unit, sample) for layer l's activation, loss for
/// the output residuals (l1).
struct near_units {
    std::vector<Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>> act;
    Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> loss;
    bool at(Eigen::Index l, Eigen::Index i, Eigen::Index s) const {
        return static_cast<std::size_t>(l) < act.size() && act[l].size() != 0 && act[l](i, s);
    }
};

/// The gradients (index l = 1 … k) as intervals.
struct interval_gradients {
    std::vector<qmatrix> dW, db;
};

/// C3 the backward pass of C1 over exact intervals, with the admitted derivative at every kink
/// unit: for clarke, every gradient computed with any choice of derivatives in the Clarke
/// subdifferentials of the kink units lies in the result (C3, Statement 1); for one, the result is the
/// one convention's gradients (lo = hi). Off every kink the result is the point C1 value.
/// Internal: compute passes fwd = forward_batch(net, X) and the model's Y (checked by backprop's
/// C1 preconditions before). The only loss of the registry with kinks is l1, whose |r| has the
/// one-sided derivatives −1 and 1 at r = 0 (one keeps sign(0) = 0 there).
interval_gradients kink_enclosure(const mlp<exact>& net, const forward_values<exact>& fwd, const matrix<exact>& Y,
                                  const loss_function<exact>& ell, const loss_spec& loss_kind, reduction red,
                                  kink_choice choice, const near_units* near = nullptr) {
    const Eigen::Index k = net.depth(), n = Y.cols();
    const matrix<exact> G = loss_gradient(ell, fwd.a[k], Y);
    const exact scale = reduction_scale<exact>(ell, red, n, net.width(k));
    // C3 (ii): the output gradient, a point except at a loss kink (l1 at a zero residual).
    qmatrix Gi{G, G};
    for (const auto& kk : find_loss_kinks(ell, fwd.a[k], Y, k)) {
        if (loss_kind.name != "l1") throw std::logic_error("a loss kink of a loss other than l1");
        if (choice == kink_choice::clarke) Gi.set(kk.unit, kk.sample, {exact(-1), exact(1)});
    }
    // T3.near: an l1 residual near 0 admits [−1, 1] too.
    if (near && choice == kink_choice::clarke && near->loss.size() != 0)
        for (Eigen::Index s = 0; s < n; ++s)
            for (Eigen::Index i = 0; i < net.width(k); ++i)
                if (near->loss(i, s)) Gi.set(i, s, {exact(-1), exact(1)});
    // C3 (ii): Δᵏ = ρ · fᵏ′(Zᵏ) ⊙ G with the admitted derivatives.
    qmatrix Delta{matrix<exact>(net.width(k), n), matrix<exact>(net.width(k), n)};
    for (Eigen::Index s = 0; s < n; ++s)
        for (Eigen::Index i = 0; i < net.width(k); ++i)
            Delta.set(
                i, s,
                times(times(admitted_derivative(net.layers[k - 1].f, fwd.z[k](i, s), choice, near && near->at(k, i, s)),
                            Gi.at(i, s)),
                      scale));
    interval_gradients out;
    out.dW.resize(k + 1);
    out.db.resize(k + 1);
    for (Eigen::Index l = k; l >= 1; --l) {
        // The nonzero entries of each column of Δˡ (most are 0 below inactive units) and whether
        // each is a point, so that the sums below skip zeros and multiply a point once.
        const Eigen::Index m = net.width(l);
        std::vector<std::vector<std::pair<Eigen::Index, bool>>> nonzero(static_cast<std::size_t>(n));
        for (Eigen::Index s = 0; s < n; ++s)
            for (Eigen::Index i = 0; i < m; ++i)
                if (Delta.lo(i, s) != 0 || Delta.hi(i, s) != 0)
                    nonzero[static_cast<std::size_t>(s)].push_back({i, Delta.lo(i, s) == Delta.hi(i, s)});
        // C3 (iv): ∇_{Wˡ}C = Δˡ(Aˡ⁻¹)ᵀ and ∇_{bˡ}C = Δˡ1ₙ, a sum of interval·point products.
        const matrix<exact>& A = fwd.a[l - 1];
        const Eigen::Index p = A.rows();
        qmatrix dW{matrix<exact>::Zero(m, p), matrix<exact>::Zero(m, p)},
            db{matrix<exact>::Zero(m, 1), matrix<exact>::Zero(m, 1)};
        for (Eigen::Index s = 0; s < n; ++s)
            for (const auto& [i, point] : nonzero[static_cast<std::size_t>(s)]) {
                db.lo(i, 0) += Delta.lo(i, s);
                db.hi(i, 0) += Delta.hi(i, s);
                for (Eigen::Index j = 0; j < p; ++j)
                    if (A(j, s) != 0)
                        add_product(dW.lo(i, j), dW.hi(i, j), Delta.lo(i, s), Delta.hi(i, s), point, A(j, s));
            }
        out.dW[l] = std::move(dW);
        out.db[l] = std::move(db);
        if (l == 1) break;
        // C3 (iii): Δˡ⁻¹ = fˡ⁻¹′(Zˡ⁻¹) ⊙ ((Wˡ)ᵀΔˡ) with the admitted derivatives.
        const matrix<exact>& W = net.layers[l - 1].W;
        qmatrix next{matrix<exact>(p, n), matrix<exact>(p, n)};
        for (Eigen::Index s = 0; s < n; ++s)
            for (Eigen::Index j = 0; j < p; ++j) {
                qrange back{exact(0), exact(0)};
                for (const auto& [i, point] : nonzero[static_cast<std::size_t>(s)])
                    if (W(i, j) != 0) add_product(back.lo, back.hi, Delta.lo(i, s), Delta.hi(i, s), point, W(i, j));
                next.set(j, s,
                         times(admitted_derivative(net.layers[l - 2].f, fwd.z[l - 1](j, s), choice,
                                                   near && near->at(l - 1, j, s)),
                               back));
            }
        Delta = std::move(next);
    }
    return out;
}

/// Attaches C3's enclosure and the one convention's values to a tensor of an exact reference,
/// and checks them against its conventional values: an entry that depends on no kink has the
/// degenerate enclosure [value, value] (the interval pass agrees with C1 off kinks), and every
/// conventional value lies in its enclosure (D11's convention is one admissible choice).
void attach_enclosure(tensor_range& t, const qmatrix& clarke, const qmatrix& one) {
    t.clarke_lo = clarke.lo;
    t.clarke_hi = clarke.hi;
    t.one = one.lo;
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    for (Eigen::Index j = 0; j < lo.cols(); ++j)
        for (Eigen::Index i = 0; i < lo.rows(); ++i) {
            const bool dependent = t.kink_dependent[static_cast<std::size_t>(i + j * lo.rows())];
            MATBP_ENSURE("C3", t.clarke_lo(i, j) <= lo(i, j) && hi(i, j) <= t.clarke_hi(i, j));
            MATBP_ENSURE("C3", t.clarke_lo(i, j) <= t.one(i, j) && t.one(i, j) <= t.clarke_hi(i, j));
            MATBP_ENSURE("C3", dependent || (t.clarke_lo(i, j) == lo(i, j) && t.clarke_hi(i, j) == hi(i, j) &&
                                             t.one(i, j) == lo(i, j)));
        }
}

/// Which entries of the gradients depend on the kink convention (D11), and for an exact
/// reference C3's enclosure and the one convention's values: fills every tensor's kink_dependent
/// (all false without kinks) and, with kinks, its enclosure. Internal: ref holds compute's values
/// and kinks for net, X, Y.
template <scalar T>
void trace_kinks(gradient_reference& ref, const mlp<T>& net, const matrix<T>& X, const matrix<T>& Y,
                 const loss_function<T>& ell, const model_spec& model) {
    const Eigen::Index k = net.depth(), n = X.cols();
    // The forward values, only needed to trace kink dependence (none without kinks).
    const auto fwd = ref.kinks.empty() ? forward_values<T>{} : forward_batch(net, X);
    // Which δ entries depend on the kink convention (D11): a unit at a kink (of its activation, or
    // of the loss at an output unit), and every unit that a dependent one reaches backwards
    // through a nonzero weight and a nonzero derivative.
    std::vector<Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>> dep(k + 1);
    for (Eigen::Index l = 1; l <= k && !ref.kinks.empty(); ++l)
        dep[l] = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(net.width(l), n, false);
    for (const auto& kk : ref.kinks) dep[kk.layer](kk.unit, kk.sample) = true;
    for (Eigen::Index l = k - 1; l >= 1 && !ref.kinks.empty(); --l)
        for (Eigen::Index s = 0; s < n; ++s)
            for (Eigen::Index i = 0; i < net.width(l); ++i) {
                if (dep[l](i, s) || !maybe_nonzero(derivative(net.layers[l - 1].f, fwd.z[l](i, s)))) continue;
                for (Eigen::Index j = 0; j < net.width(l + 1); ++j)
                    if (dep[l + 1](j, s) && maybe_nonzero(net.layers[l].W(j, i))) {
                        dep[l](i, s) = true;
                        break;
                    }
            }
    for (Eigen::Index l = 1; l <= k; ++l) {
        tensor_range& W = ref.weights[l - 1];
        tensor_range& B = ref.bias[l - 1];
        W.kink_dependent.assign(static_cast<std::size_t>(W.lo.size()), false);
        B.kink_dependent.assign(static_cast<std::size_t>(B.lo.size()), false);
        for (Eigen::Index s = 0; s < n && !ref.kinks.empty(); ++s)
            for (Eigen::Index i = 0; i < net.width(l); ++i) {
                if (!dep[l](i, s)) continue;
                B.kink_dependent[i] = true;
                const auto& A = fwd.a[l - 1];
                for (Eigen::Index j = 0; j < A.rows(); ++j)
                    if (maybe_nonzero(A(j, s))) W.kink_dependent[i + j * net.width(l)] = true;
            }
    }
    if constexpr (exact_field<T>)
        if (!ref.kinks.empty()) {
            // C3: every admissible derivative at the kinks, and the one convention.
            const auto clarke = kink_enclosure(net, fwd, Y, ell, model.loss_kind, model.red, kink_choice::clarke);
            const auto one = kink_enclosure(net, fwd, Y, ell, model.loss_kind, model.red, kink_choice::one);
            for (Eigen::Index l = 1; l <= k; ++l) {
                attach_enclosure(ref.weights[l - 1], clarke.dW[l], one.dW[l]);
                attach_enclosure(ref.bias[l - 1], clarke.db[l], one.db[l]);
            }
        }
}

/// A model's tensor over T: for T = double the doubles themselves when it holds doubles (what
/// from_exact<double> gives: a double is its own nearest), else from_exact<T> of its rationals.
template <scalar T>
matrix<T> tensor_over(const exact_tensor& t) {
    if constexpr (std::same_as<T, double>)
        if (const matrix<double>* d = t.doubles()) return *d;
    return from_exact<T>(t.rational());
}

unsigned fast_path_threads(const resource_limits& limits) {
    return limits.threads ? limits.threads : std::max(1u, std::thread::hardware_concurrency());
}

/// The model's activations over ℚ (unsupported_error naming the layer of one with no exact evaluation).
std::vector<activation<exact>> exact_activations(const model_spec& model) {
    std::vector<activation<exact>> f;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        f.push_back(build_activation<exact>(model.layers[l].activation, l));
    return f;
}

/// dyadic_problem::prepare on the model, its layers read in place.
std::optional<dyadic_problem> prepare_dyadic(const model_spec& model, const std::vector<activation<exact>>& f,
                                             const loss_function<exact>& ell) {
    std::vector<dyadic_network::layer_view> views;
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        views.push_back({model.layers[l].weights, model.layers[l].bias, f[l]});
    return dyadic_problem::prepare(views, model.inputs, model.targets, ell);
}

/// The exact fast path (dyadic.hpp) straight from the model when dyadic_problem::prepare takes it:
/// no network of rationals is built and the results stay dyadic (exact_tensor); true when it ran.
bool compute_dyadic(const model_spec& model, const resource_limits& limits, gradient_reference& ref) {
    const std::vector<activation<exact>> f = exact_activations(model);
    const loss_function<exact> ell = loss_over<exact>(model.loss_kind);
    const limits_check check(model, limits);
    auto p = prepare_dyadic(model, f, ell);
    if (!p) return false;
    const size_observer sizes = check;
    dyadic_gradients g = p->net.gradients(p->X, p->Y, ell, model.red, fast_path_threads(limits), &sizes);
    ref.engine = "dyadic";
    ref.cost_lo = ref.cost_hi = g.cost;
    ref.kinks = g.kinks;
    for (std::size_t l = 1; l < g.dW.size(); ++l) {
        const exact_tensor w(std::move(g.dW[l]), g.scale), b(std::move(g.db[l]), g.scale);
        ref.weights.push_back({w, w, {}, {}, {}, {}});
        ref.bias.push_back({b, b, {}, {}, {}, {}});
    }
    if (ref.kinks.empty()) {
        for (auto* ts : {&ref.weights, &ref.bias})
            for (auto& t : *ts) t.kink_dependent.assign(static_cast<std::size_t>(t.lo.size()), false);
    } else {
        // Kinks are rare: their dependence and enclosures are traced over the rationals.
        const mlp<exact> net = build_network<exact>(model);
        trace_kinks(ref, net, model.inputs.rational(), model.targets.rational(), ell, model);
    }
    return true;
}

template <scalar T>
gradient_reference compute(const model_spec& model, const arith_spec& arith, const resource_limits& limits) {
    gradient_reference ref;
    ref.arith = arith;
    ref.loss_kind = model.loss_kind;
    ref.red = model.red;
    if constexpr (exact_field<T>)
        if (compute_dyadic(model, limits, ref)) return ref;
    const mlp<T> net = build_network<T>(model);
    const limits_check check(model, limits);
    const layer_observer<T> observe = limits_observer<T>(check);
    const matrix<T> X = tensor_over<T>(model.inputs), Y = tensor_over<T>(model.targets);
    const loss_function<T> ell = loss_over<T>(model.loss_kind);
    ref.engine = exact_field<T>                          ? "rational"
                 : arith.k == arith_spec::kind::interval ? "interval"
                 : arith.k == arith_spec::kind::real     ? "real"
                                                         : "double";
    gradient_result<T> g;
    if constexpr (exact_field<T>) {
        g = backprop(net, X, Y, ell, model.red, &observe);
    } else {
        // The double path's products run on OpenBLAS (blas.hpp) with the threads the limits allow.
        const blas_thread_scope blas_threads(std::same_as<T, double> ? limits.threads : 0);
        g = backprop(net, X, Y, ell, model.red, &observe);
    }
    std::tie(ref.cost_lo, ref.cost_hi) = range_of(g.cost);
    ref.kinks = g.kinks;
    for (Eigen::Index l = 1; l <= net.depth(); ++l) {
        ref.weights.push_back(range_of(std::move(g.dW[l])));
        ref.bias.push_back(range_of(std::move(g.db[l])));
    }
    trace_kinks(ref, net, X, Y, ell, model);
    return ref;
}

}  // namespace

template <scalar T>
mlp<T> build_network(const model_spec& model) {
    mlp<T> net;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const auto& L = model.layers[l];
        net.layers.push_back({tensor_over<T>(L.weights), tensor_over<T>(L.bias), build_activation<T>(L.activation, l)});
    }
    return net;
}
template mlp<exact> build_network<exact>(const model_spec&);
template mlp<double> build_network<double>(const model_spec&);
template mlp<real> build_network<real>(const model_spec&);
template mlp<interval> build_network<interval>(const model_spec&);

template <scalar T>
loss_function<T> build_loss(const model_spec& model) {
    return loss_over<T>(model.loss_kind);
}
template loss_function<exact> build_loss<exact>(const model_spec&);
template loss_function<double> build_loss<double>(const model_spec&);
template loss_function<real> build_loss<real>(const model_spec&);
template loss_function<interval> build_loss<interval>(const model_spec&);

bool exact_fast_path_applies(const model_spec& model) {
    MATBP_REQUIRE("C1", model_is_exact(model));
    return prepare_dyadic(model, exact_activations(model), loss_over<exact>(model.loss_kind)).has_value();
}

gradient_reference compute_gradients(const model_spec& model, const arith_spec& arith, const resource_limits& limits) {
    switch (arith.k) {
        case arith_spec::kind::exact:
            return compute<exact>(model, arith, limits);
        case arith_spec::kind::float64:
            return compute<double>(model, arith, limits);
        case arith_spec::kind::real: {
            precision_guard g(arith.bits);
            return compute<real>(model, arith, limits);
        }
        case arith_spec::kind::interval: {
            precision_guard g(arith.bits);
            return compute<interval>(model, arith, limits);
        }
    }
    throw std::logic_error("unreachable");
}

// ---- ULPs ----------------------------------------------------------------------------------

namespace {

double round_nearest(const exact& q, float_format f) {
    return f == float_format::float64 ? to_double(q) : static_cast<double>(to_float(q));
}

double step(double d, double toward, float_format f) {
    return f == float_format::float64
               ? std::nextafter(d, toward)
               : static_cast<double>(std::nextafter(static_cast<float>(d), static_cast<float>(toward)));
}

/// Largest format value ≤ q (down) or least ≥ q (up); ±Inf beyond the range.
double round_directed(const exact& q, bool up, float_format f) {
    double d = round_nearest(q, f);
    if (std::isinf(d)) {
        if ((d > 0) != up) return step(d, 0.0, f);  // the largest finite value, toward q
        return d;
    }
    const exact e = to_exact(d);
    if (up ? e < q : e > q) d = step(d, up ? INFINITY : -INFINITY, f);
    return d;
}

/// Position of d in the order of the format's values (−0 and +0 share 0; ±Inf are the ends).
__int128 ordinal(double d, float_format f) {
    if (f == float_format::float64) {
        const auto b = static_cast<__int128>(std::bit_cast<std::uint64_t>(d) & 0x7fffffffffffffffULL);
        return std::signbit(d) ? -b : b;
    }
    const auto b = static_cast<__int128>(std::bit_cast<std::uint32_t>(static_cast<float>(d)) & 0x7fffffffU);
    return std::signbit(d) ? -b : b;
}

std::uint64_t distance(double a, double b, float_format f) {
    const __int128 d = ordinal(a, f) - ordinal(b, f);
    const __int128 m = d < 0 ? -d : d;
    return m > static_cast<__int128>(std::numeric_limits<std::uint64_t>::max())
               ? std::numeric_limits<std::uint64_t>::max()
               : static_cast<std::uint64_t>(m);
}

}  // namespace

std::uint64_t ulp_distance(const exact& a, const exact& b, float_format f) {
    return distance(round_nearest(a, f), round_nearest(b, f), f);
}

std::uint64_t ulp_distance_to_range(const exact& g, const exact& lo, const exact& hi, float_format f) {
    const double x = round_nearest(g, f), L = round_directed(lo, false, f), H = round_directed(hi, true, f);
    if (L <= x && x <= H) return 0;
    return x < L ? distance(x, L, f) : distance(x, H, f);
}

// ---- the check ----------------------------------------------------------------------------

namespace {

/// √q rounded to double (within an ulp or two): q scaled by 4^−e into [1/4, 4) first, so that
/// neither q nor √q has to fit in a double on the way; +Inf only when √q itself is beyond the
/// double range.
double sqrt_to_double(const exact& q) {
    if (q == 0) return 0;
    const auto& n = bmp::numerator(q);
    const auto& d = bmp::denominator(q);
    const long e = (static_cast<long>(bmp::msb(n)) - static_cast<long>(bmp::msb(d))) / 2;
    exact scaled = q;
    if (e > 0) scaled /= exact(bmp::mpz_int(1) << static_cast<unsigned>(2 * e));
    if (e < 0) scaled *= exact(bmp::mpz_int(1) << static_cast<unsigned>(-2 * e));
    return std::ldexp(std::sqrt(to_double(scaled)), static_cast<int>(std::clamp(e, -100000L, 100000L)));
}

/// The distance of g from [lo, hi] (0 inside).
exact distance_to(const exact& g, const exact& lo, const exact& hi) {
    return g < lo ? exact(lo - g) : g > hi ? exact(g - hi) : exact(0);
}

/// T3 whether distance d1 uses more of bound b1 than d2 of b2, compared exactly: d/b, with 0/b = 0
/// and d/0 = +∞ for d > 0; ties go to the larger distance.
bool more_used(const exact& d1, const exact& b1, const exact& d2, const exact& b2) {
    if (d1 == 0) return false;
    if (d2 == 0) return true;
    if (b2 == 0) return b1 == 0 && d1 > d2;
    if (b1 == 0) return true;
    const exact l = d1 * b2, r = d2 * b1;
    return l > r || (l == r && d1 > d2);
}

/// A kink entry's distances from its admissible set, from D11's value and from the one convention.
struct kink_entry {
    Eigen::Index i, j;
    exact admissible, zero, one;
    std::uint64_t ulps, ulps_zero, ulps_one;
};

/// A tensor's verdict from its figures, by either route: T3 with bounds (every entry within its
/// bound; bound_use from the entry that uses the most of it), else the normwise rule.
void decide(tensor_check& t, const check_options& opt, bool bound) {
    if (bound) {
        t.bound_use = t.use_distance == 0 ? 0.0
                      : t.use_bound == 0  ? std::numeric_limits<double>::infinity()
                                          : to_double(exact(t.use_distance / t.use_bound));
        t.pass = t.beyond_bound == 0;
        return;
    }
    t.pass = t.normwise_rel <= opt.max_rel_or_default() && (!opt.max_ulps || t.worst_ulps <= *opt.max_ulps) &&
             t.kink_outside == 0;
}

// ---- the check on a dyadic reference, without rationals per entry ---------------------------

/// A number m·2^e with m ≥ 0 an integer.
struct scaled_integer {
    bmp::mpz_int m;
    long e = 0;
};

/// sign(a − b).
int compare(const scaled_integer& a, const scaled_integer& b, bmp::mpz_int& tmp) {
    const int sa = mpz_sgn(a.m.backend().data()), sb = mpz_sgn(b.m.backend().data());
    if (sa == 0 || sb == 0) return sa - sb;
    const long la = static_cast<long>(mpz_sizeinbase(a.m.backend().data(), 2)) + a.e;
    const long lb = static_cast<long>(mpz_sizeinbase(b.m.backend().data(), 2)) + b.e;
    if (la != lb) return la < lb ? -1 : 1;
    if (a.e >= b.e) {
        mpz_mul_2exp(tmp.backend().data(), a.m.backend().data(), static_cast<mp_bitcnt_t>(a.e - b.e));
        return mpz_cmp(tmp.backend().data(), b.m.backend().data());
    }
    mpz_mul_2exp(tmp.backend().data(), b.m.backend().data(), static_cast<mp_bitcnt_t>(b.e - a.e));
    return mpz_cmp(a.m.backend().data(), tmp.backend().data());
}

/// acc += x·2^ex for an integer x ≥ 0.
void add(scaled_integer& acc, mpz_srcptr x, long ex, bmp::mpz_int& tmp) {
    if (mpz_sgn(x) == 0) return;
    mpz_ptr m = acc.m.backend().data();
    if (mpz_sgn(m) == 0) {
        mpz_set(m, x);
        acc.e = ex;
    } else if (ex >= acc.e) {
        mpz_mul_2exp(tmp.backend().data(), x, static_cast<mp_bitcnt_t>(ex - acc.e));
        mpz_add(m, m, tmp.backend().data());
    } else {
        mpz_mul_2exp(m, m, static_cast<mp_bitcnt_t>(acc.e - ex));
        mpz_add(m, m, x);
        acc.e = ex;
    }
}

exact exact_of(const scaled_integer& v, std::uint64_t divisor = 1) {
    exact q(v.m);
    if (v.e > 0) mpq_mul_2exp(q.backend().data(), q.backend().data(), static_cast<mp_bitcnt_t>(v.e));
    if (v.e < 0) mpq_div_2exp(q.backend().data(), q.backend().data(), static_cast<mp_bitcnt_t>(-v.e));
    if (divisor != 1) q /= exact(bmp::mpz_int(divisor));
    return q;
}

/// more_used(u1/d, b1, u2/d, b2) for distances u/d: the d cancels in d1·b2 against d2·b1.
bool more_used(const scaled_integer& u1, const exact& b1, const scaled_integer& u2, const exact& b2, scaled_integer& l,
               scaled_integer& r, bmp::mpz_int& tmp) {
    if (mpz_sgn(u1.m.backend().data()) == 0) return false;
    if (mpz_sgn(u2.m.backend().data()) == 0) return true;
    if (b2 == 0) return b1 == 0 && compare(u1, u2, tmp) > 0;
    if (b1 == 0) return true;
    const mpq_srcptr p1 = b1.backend().data(), p2 = b2.backend().data();
    mpz_mul(l.m.backend().data(), u1.m.backend().data(), mpq_numref(p2));
    mpz_mul(l.m.backend().data(), l.m.backend().data(), mpq_denref(p1));
    l.e = u1.e;
    mpz_mul(r.m.backend().data(), u2.m.backend().data(), mpq_numref(p1));
    mpz_mul(r.m.backend().data(), r.m.backend().data(), mpq_denref(p2));
    r.e = u2.e;
    const int c = compare(l, r, tmp);
    return c > 0 || (c == 0 && compare(u1, u2, tmp) > 0);
}

/// The signed integer of entry t of D (its value is that times 2^exponent()).
void entry_integer(const dyadic_matrix& D, std::size_t t, mpz_ptr z) {
    const auto w = static_cast<mp_size_t>(D.width());
    if (D.sign(t) == 0 || w == 0) {
        mpz_set_ui(z, 0);
        return;
    }
    std::copy_n(D.magnitude(t), D.width(), mpz_limbs_write(z, w));
    mpz_limbs_finish(z, D.sign(t) < 0 ? -w : w);
}

/// g rounded to the format (round_nearest), read off g's limbs when g is a double (as a JSON
/// number or a float read from safetensors is); else by the rationals.
double rounded_reported(const exact& g, float_format f) {
    const mpq_srcptr q = g.backend().data();
    const mpz_srcptr num = mpq_numref(q), den = mpq_denref(q);
    if (mpz_size(num) <= 1 && mpz_size(den) == 1) {
        const std::uint64_t a = mpz_getlimbn(num, 0), b = mpz_getlimbn(den, 0);
        if (a == 0) return 0.0;
        const int sig = std::bit_width(a) - std::countr_zero(a), s = std::countr_zero(b);
        // a/2^s with at most 53 significant bits and no bit below 2^−1074 is a double exactly.
        if ((b & (b - 1)) == 0 && sig <= 53 && std::countr_zero(a) - s >= -1074) {
            const double d = std::ldexp(static_cast<double>(a), -s) * (mpz_sgn(num) < 0 ? -1 : 1);
            return f == float_format::float64 ? d : static_cast<double>(static_cast<float>(d));
        }
    }
    return round_nearest(g, f);
}

// ---- the check on a dyadic reference with fixed-width integers ----------------------------
//
// The same report as check_dyadic_tensor (and so as check_tensor's rationals), without GMP's
// allocation per entry: every entry's u = |g − r|·d·2^−E (E one exponent for the whole tensor)
// is an integer of at most W limbs, formed by mpn calls on stack buffers; Σu² and ΣR² are exact
// integers in fixed-width accumulators. The entries are split into ranges (one per thread) whose
// partial results are merged in order: sums added, maxima taken with the earlier range winning
// ties, so the report is the same for every split.

using limb = mp_limb_t;
constexpr std::size_t max_limbs = 64;  ///< the widest u this route takes (else check_dyadic_tensor)

/// The significant length of {x, n}.
std::size_t trimmed(const limb* x, std::size_t n) {
    while (n > 0 && x[n - 1] == 0) --n;
    return n;
}

/// out = {x, n}·2^s, zero below; returns its length (≤ n + s/64 + 1 limbs written).
std::size_t shifted(limb* out, const limb* x, std::size_t n, long s) {
    const auto q = static_cast<std::size_t>(s / 64);
    const auto r = static_cast<unsigned>(s % 64);
    std::fill_n(out, q, limb{0});
    if (n == 0) return 0;
    if (r == 0) {
        std::copy_n(x, n, out + q);
        out[q + n] = 0;
    } else {
        out[q + n] = mpn_lshift(out + q, x, static_cast<mp_size_t>(n), r);
    }
    return trimmed(out, q + n + 1);
}

/// sign(x·2^ex − y·2^ey) for integers x, y ≥ 0 of nx, ny limbs (at most 2·max_limbs + 4).
int compare_scaled(const limb* x, std::size_t nx, long ex, const limb* y, std::size_t ny, long ey) {
    nx = trimmed(x, nx);
    ny = trimmed(y, ny);
    if (nx == 0 || ny == 0) return (nx != 0) - (ny != 0);
    const long lx = static_cast<long>(64 * nx) - std::countl_zero(x[nx - 1]) + ex;
    const long ly = static_cast<long>(64 * ny) - std::countl_zero(y[ny - 1]) + ey;
    if (lx != ly) return lx < ly ? -1 : 1;
    // The same top bit: the one with the larger exponent shifted to the other's (same length).
    limb tmp[2 * max_limbs + 8];
    if (ex >= ey) {
        const std::size_t n = shifted(tmp, x, nx, ex - ey);
        return n != ny ? (n < ny ? -1 : 1) : mpn_cmp(tmp, y, static_cast<mp_size_t>(ny));
    }
    const std::size_t n = shifted(tmp, y, ny, ey - ex);
    return n != nx ? (nx < n ? -1 : 1) : mpn_cmp(x, tmp, static_cast<mp_size_t>(nx));
}

/// A reported value g = sign·G·2^eg with G < 2⁶⁴: its numerator one limb, its denominator 2^−eg.
struct small_dyadic {
    int sign = 0;
    limb G = 0;
    long eg = 0;
};

std::optional<small_dyadic> small_of(const exact& g) {
    const mpq_srcptr q = g.backend().data();
    const mpz_srcptr num = mpq_numref(q), den = mpq_denref(q);
    if (mpz_size(num) > 1) return std::nullopt;
    const auto s = static_cast<long>(mpz_scan1(den, 0));
    if (static_cast<long>(mpz_sizeinbase(den, 2)) != s + 1) return std::nullopt;  // not a power of two
    return small_dyadic{mpz_sgn(num), mpz_getlimbn(num, 0), -s};
}

/// small_of(to_exact(x)) read off the double x: the same G and eg (the rational's lowest terms:
/// an integer has eg = 0 and needs G < 2⁶⁴, else G is odd).
std::optional<small_dyadic> small_of(double x) {
    const double_parts p = split_double(x);
    if (p.odd == 0) return small_dyadic{};
    limb m = p.odd;
    long e = p.exp2;
    if (e >= 0) {
        if (std::bit_width(m) + e > 64) return std::nullopt;  // an integer of more than one limb
        m <<= e;
        e = 0;
    }
    return small_dyadic{p.negative ? -1 : 1, m, e};
}

/// The reported values of one tensor as check_fixed_tensor reads them: off the doubles when the
/// tensor holds doubles (no rational is made), else off its rationals.
struct reported_values {
    const exact_tensor& t;
    const matrix<double>* doubles = t.doubles();
    std::optional<small_dyadic> small(Eigen::Index k) const {
        return doubles ? small_of((*doubles)(k)) : small_of(t.rational()(k));
    }
    const exact& rational(Eigen::Index k) const { return t.rational()(k); }
};

/// g rounded to the format, as rounded_reported(g): read off G and eg when g is a double (G of at
/// most 53 significant bits, no bit below 2^−1074, below 2^1024).
double rounded_small(const small_dyadic& g, const reported_values& got, Eigen::Index k, float_format f) {
    if (g.sign == 0) return 0.0;
    const int tz = std::countr_zero(g.G), top = std::bit_width(g.G);
    if (top - tz <= 53 && g.eg + tz >= -1074 && g.eg + top <= 1024) {
        const double d = std::ldexp(static_cast<double>(g.G), static_cast<int>(g.eg)) * g.sign;
        return f == float_format::float64 ? d : static_cast<double>(static_cast<float>(d));
    }
    return rounded_reported(got.rational(k), f);  // not a double, so not held as one
}

/// A bound b = mb·2^eb ≥ 0 (a double, exactly; mb odd or 0).
struct double_bound {
    std::uint64_t mb = 0;
    long eb = 0;
    double value = 0;
};

double_bound split(double b) {
    const double_parts p = split_double(b);
    return {p.odd, p.exp2, b};
}

/// T3 more_used for distances u/d (u at one shared exponent, the d cancels) and double bounds:
/// u1·b2 against u2·b1, ties to the larger distance.
bool more_used(const limb* u1, const double_bound& b1, const limb* u2, const double_bound& b2, std::size_t W) {
    const std::size_t n1 = trimmed(u1, W), n2 = trimmed(u2, W);
    if (n1 == 0) return false;
    if (n2 == 0) return true;
    const int by_distance = mpn_cmp(u1, u2, static_cast<mp_size_t>(W));
    if (b2.mb == 0) return b1.mb == 0 && by_distance > 0;
    if (b1.mb == 0) return true;
    limb l[max_limbs + 2], r[max_limbs + 2];
    l[n1] = mpn_mul_1(l, u1, static_cast<mp_size_t>(n1), b2.mb);
    r[n2] = mpn_mul_1(r, u2, static_cast<mp_size_t>(n2), b1.mb);
    const int c = compare_scaled(l, n1 + 1, b2.eb, r, n2 + 1, b1.eb);
    return c > 0 || (c == 0 && by_distance > 0);
}

/// One range's figures (entries [begin, end) in column-major order).
struct range_figures {
    std::vector<limb> err2, ref2;  ///< Σu² (2W + 1 limbs), ΣR² (2w + 1 limbs)
    std::vector<limb> largest;     ///< max u (W limbs)
    std::vector<limb> worst, use;  ///< u of the worst entry and of the bound-use entry (W limbs)
    std::uint64_t worst_ulps = 0, use_ulps = 0;
    std::size_t worst_k = 0, use_k = 0, beyond = 0;
    bool any = false;  ///< the range has an entry (worst and use are set)
    double_bound use_bound;
};

struct fixed_tensor {
    const dyadic_matrix& D;
    const dyadic_entries& E;
    const reported_values& got;
    const matrix<double>* bound;
    const check_options& opt;
    long er, e;        ///< the reference's exponent, and E (u's)
    std::size_t w, W;  ///< limbs of R and of u
    std::uint64_t d;

    range_figures run(std::size_t begin, std::size_t end) const {
        range_figures f;
        f.err2.assign(2 * W + 1, 0);
        f.ref2.assign(2 * w + 1, 0);
        f.largest.assign(W, 0);
        f.worst.assign(W, 0);
        f.use.assign(W, 0);
        const bool single = opt.format == float_format::float32;
        limb a[max_limbs + 2], b[max_limbs + 2], u[max_limbs + 2], sq[2 * max_limbs + 4];
        for (std::size_t k = begin; k < end; ++k) {
            const small_dyadic g = *got.small(static_cast<Eigen::Index>(k));
            const int sr = D.sign(k);
            const limb* R = D.magnitude(k);
            const std::size_t nr = sr == 0 ? 0 : trimmed(R, w);
            // ΣR²
            if (nr != 0) {
                mpn_sqr(sq, R, static_cast<mp_size_t>(nr));
                mpn_add(f.ref2.data(), f.ref2.data(), static_cast<mp_size_t>(f.ref2.size()), sq,
                        static_cast<mp_size_t>(2 * nr));
            }
            // u = |sign_g·G·d·2^(eg − E) − sign_r·R·2^(er − E)|
            std::size_t na = 0, nb = shifted(b, R, nr, er - e);
            if (g.sign != 0) {
                const unsigned __int128 p = static_cast<unsigned __int128>(g.G) * d;
                const limb gd[2] = {static_cast<limb>(p), static_cast<limb>(p >> 64)};
                na = shifted(a, gd, trimmed(gd, 2), g.eg - e);
            }
            std::fill_n(u, W, limb{0});
            std::size_t nu = 0;
            if (na == 0 || nb == 0) {
                std::copy_n(na ? a : b, na ? na : nb, u);
                nu = na ? na : nb;
            } else if (g.sign != sr) {
                const bool a_longer = na >= nb;
                const limb* x = a_longer ? a : b;
                const limb* y = a_longer ? b : a;
                const std::size_t nx = a_longer ? na : nb, ny = a_longer ? nb : na;
                u[nx] = mpn_add(u, x, static_cast<mp_size_t>(nx), y, static_cast<mp_size_t>(ny));
                nu = trimmed(u, nx + 1);
            } else {
                const int c = na != nb ? (na < nb ? -1 : 1) : mpn_cmp(a, b, static_cast<mp_size_t>(na));
                if (c > 0) mpn_sub(u, a, static_cast<mp_size_t>(na), b, static_cast<mp_size_t>(nb));
                if (c < 0) mpn_sub(u, b, static_cast<mp_size_t>(nb), a, static_cast<mp_size_t>(na));
                nu = trimmed(u, std::max(na, nb));
            }
            if (nu != 0) {
                mpn_sqr(sq, u, static_cast<mp_size_t>(nu));
                mpn_add(f.err2.data(), f.err2.data(), static_cast<mp_size_t>(f.err2.size()), sq,
                        static_cast<mp_size_t>(2 * nu));
            }
            if (mpn_cmp(u, f.largest.data(), static_cast<mp_size_t>(W)) > 0) std::copy_n(u, W, f.largest.begin());
            const double x = rounded_small(g, got, static_cast<Eigen::Index>(k), opt.format);
            if (bound) {
                // T3: |g − r| = u·2^E/d against b = mb·2^eb: beyond iff u·2^E > mb·d·2^eb.
                const double_bound bk = split((*bound)(static_cast<Eigen::Index>(k)));
                const unsigned __int128 p = static_cast<unsigned __int128>(bk.mb) * d;
                const limb c[2] = {static_cast<limb>(p), static_cast<limb>(p >> 64)};
                const auto range_ulps = [&] {
                    const double lo = E.rounded(k, -1, single), hi = E.rounded(k, 1, single);
                    return lo <= x && x <= hi ? std::uint64_t{0}
                           : x < lo           ? distance(x, lo, opt.format)
                                              : distance(x, hi, opt.format);
                };
                std::optional<std::uint64_t> ulps;
                if (opt.max_ulps) ulps = range_ulps();
                const bool beyond =
                    compare_scaled(u, nu, e, c, 2, bk.eb) > 0 || (opt.max_ulps && *ulps > *opt.max_ulps);
                f.beyond += beyond;
                if (!f.any || more_used(u, bk, f.use.data(), f.use_bound, W)) {
                    std::copy_n(u, W, f.use.begin());
                    f.use_bound = bk;
                    f.use_k = k;
                    f.use_ulps = ulps ? *ulps : range_ulps();
                }
            }
            const std::uint64_t ulps = distance(x, E.rounded(k, 0, single), opt.format);
            if (!f.any || ulps > f.worst_ulps ||
                (ulps == f.worst_ulps && mpn_cmp(u, f.worst.data(), static_cast<mp_size_t>(W)) > 0)) {
                f.worst_ulps = ulps;
                std::copy_n(u, W, f.worst.begin());
                f.worst_k = k;
            }
            f.any = true;
        }
        return f;
    }

    /// into += next, next's entries after into's: the result is run(into's begin, next's end).
    void merge(range_figures& into, const range_figures& next) const {
        if (!next.any) return;
        if (!into.any) {
            into = next;
            return;
        }
        mpn_add_n(into.err2.data(), into.err2.data(), next.err2.data(), static_cast<mp_size_t>(into.err2.size()));
        mpn_add_n(into.ref2.data(), into.ref2.data(), next.ref2.data(), static_cast<mp_size_t>(into.ref2.size()));
        if (mpn_cmp(next.largest.data(), into.largest.data(), static_cast<mp_size_t>(W)) > 0)
            into.largest = next.largest;
        if (next.worst_ulps > into.worst_ulps ||
            (next.worst_ulps == into.worst_ulps &&
             mpn_cmp(next.worst.data(), into.worst.data(), static_cast<mp_size_t>(W)) > 0)) {
            into.worst = next.worst;
            into.worst_ulps = next.worst_ulps;
            into.worst_k = next.worst_k;
        }
        if (bound && more_used(next.use.data(), next.use_bound, into.use.data(), into.use_bound, W)) {
            into.use = next.use;
            into.use_bound = next.use_bound;
            into.use_k = next.use_k;
            into.use_ulps = next.use_ulps;
        }
        into.beyond += next.beyond;
    }
};

/// The integer {x, n}·2^e as a scaled_integer.
scaled_integer scaled_of(const std::vector<limb>& x, long e) {
    scaled_integer s;
    const std::size_t n = trimmed(x.data(), x.size());
    if (n != 0) {
        std::copy_n(x.data(), n, mpz_limbs_write(s.m.backend().data(), static_cast<mp_size_t>(n)));
        mpz_limbs_finish(s.m.backend().data(), static_cast<mp_size_t>(n));
    }
    s.e = e;
    return s;
}

/// check_dyadic_tensor's report by fixed-width integers, when every reported value is
/// sign·G·2^eg with G < 2⁶⁴, the bounds (if any) are doubles and u fits in max_limbs limbs;
/// nullopt otherwise (check_dyadic_tensor then decides). Requires: as check_dyadic_tensor, and
/// the reference is a dyadic point without kink entries with dyadic_entries applying.
std::optional<tensor_check> check_fixed_tensor(std::size_t index, const std::string& name, const dyadic_matrix& D,
                                               const dyadic_entries& E, const exact_tensor& reported,
                                               const check_options& opt) {
    const reported_values got{reported};
    const matrix<double>* bound = nullptr;
    if (!opt.bounds.empty()) {
        bound = opt.bounds.at(index).doubles();
        if (!bound) return std::nullopt;
        MATBP_REQUIRE("T3", bound->rows() == reported.rows() && bound->cols() == reported.cols());
    }
    const long er = D.exponent();
    const std::uint64_t d = E.divisor();
    // E = the least exponent of any term; W = limbs of the widest term, plus a bit for a sum.
    long e = er, top_g = std::numeric_limits<long>::min();
    for (Eigen::Index k = 0; k < reported.size(); ++k) {
        const auto g = got.small(k);
        if (!g) return std::nullopt;
        if (g->sign == 0) continue;
        e = std::min(e, g->eg);
        top_g = std::max(top_g, g->eg);
    }
    const long bits = std::max(static_cast<long>(64 * D.width()) + (er - e),
                               top_g == std::numeric_limits<long>::min() ? 0L : 128 + (top_g - e)) +
                      1;
    const auto W = static_cast<std::size_t>((bits + 63) / 64);
    if (W > max_limbs) return std::nullopt;
    const fixed_tensor ft{D, E, got, bound, opt, er, e, D.width(), W, d};
    const auto size = static_cast<std::size_t>(reported.size());
    const std::size_t threads = std::min<std::size_t>(
        std::max<std::size_t>(size, 1), opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency()));
    std::vector<range_figures> parts(threads);
    {
        std::vector<std::thread> pool;
        std::vector<std::exception_ptr> errors(threads);
        const auto work = [&](std::size_t p) {
            try {
                parts[p] = ft.run(size * p / threads, size * (p + 1) / threads);
            } catch (...) {
                errors[p] = std::current_exception();
            }
        };
        for (std::size_t p = 1; p < threads; ++p) pool.emplace_back(work, p);
        work(0);
        for (auto& th : pool) th.join();
        for (const auto& x : errors)
            if (x) std::rethrow_exception(x);
    }
    range_figures all = std::move(parts[0]);
    for (std::size_t p = 1; p < threads; ++p) ft.merge(all, parts[p]);
    tensor_check t;
    t.name = name;
    if (all.any) {
        const auto rows = static_cast<std::size_t>(reported.rows());
        t.worst_ulps = all.worst_ulps;
        t.worst_row = static_cast<Eigen::Index>(all.worst_k % rows);
        t.worst_col = static_cast<Eigen::Index>(all.worst_k / rows);
        t.worst_abs_error_exact = exact_of(scaled_of(all.worst, e), d);
        t.max_abs_error_exact = exact_of(scaled_of(all.largest, e), d);
        if (bound) {
            t.use_row = static_cast<Eigen::Index>(all.use_k % rows);
            t.use_col = static_cast<Eigen::Index>(all.use_k / rows);
            t.use_distance = exact_of(scaled_of(all.use, e), d);
            t.use_bound = to_exact(all.use_bound.value);
            t.use_ulps = all.use_ulps;
            t.beyond_bound = all.beyond;
        }
    }
    t.worst_abs_error = to_double(t.worst_abs_error_exact);
    t.max_abs_error = to_double(t.max_abs_error_exact);
    const scaled_integer err2 = scaled_of(all.err2, 2 * e), ref2 = scaled_of(all.ref2, 2 * er);
    t.relative = ref2.m != 0;
    t.normwise_squared = t.relative ? exact(exact_of(err2) / exact_of(ref2))
                                    : exact(exact_of(err2) / exact(bmp::mpz_int(d) * bmp::mpz_int(d)));
    t.normwise_rel = sqrt_to_double(t.normwise_squared);
    decide(t, opt, bound != nullptr);
    return t;
}

/// check_tensor for a reference held as a dyadic point (t.lo is t.hi = scale·D, dyadic_entries
/// applying) with no kink-dependent entry, and reported values that are all dyadic: the same
/// report, with every entry's error g − r = (G·d·2^eg − R·2^er)/d (r = R·2^er/d, g = G·2^eg)
/// computed on integers, and the sums of squares kept as integers times powers of two (the d²
/// cancels in the normwise ratio). nullopt when it does not apply: then the rationals are read.
std::optional<tensor_check> check_dyadic_tensor(std::size_t index, const std::string& name, const tensor_range& ref,
                                                const exact_tensor& reported, const check_options& opt) {
    const dyadic_matrix* D = ref.lo.dyadic();
    if (!D || !(ref.lo == ref.hi) || ref.has_enclosure()) return std::nullopt;
    const auto E = dyadic_entries::of(*D, ref.lo.scale());
    if (!E) return std::nullopt;
    for (const bool k : ref.kink_dependent)
        if (k) return std::nullopt;
    if (auto fixed = check_fixed_tensor(index, name, *D, *E, reported, opt)) return fixed;
    const matrix<exact>& got = reported;  // the rationals, from here on
    for (Eigen::Index t = 0; t < got.size(); ++t)
        if (!is_dyadic(got(t))) return std::nullopt;
    const exact_tensor* bound = opt.bounds.empty() ? nullptr : &opt.bounds.at(index);
    if (bound) MATBP_REQUIRE("T3", bound->rows() == got.rows() && bound->cols() == got.cols());
    const bool single = opt.format == float_format::float32;
    const std::uint64_t d = E->divisor();
    const long er = D->exponent();
    tensor_check t;
    t.name = name;
    bmp::mpz_int R, a, tmp, sq, ref2;                   // ref2: Σ R², times 2^(2·er)/d²
    scaled_integer err2, u, worst, largest, use, l, r;  // u = |g − r|·d, err2 = Σ u²
    exact use_bound;
    bool first = true, first_use = true;
    for (Eigen::Index j = 0; j < got.cols(); ++j)
        for (Eigen::Index i = 0; i < got.rows(); ++i) {
            const auto k = static_cast<std::size_t>(i + j * got.rows());
            const mpq_srcptr g = got(i, j).backend().data();
            entry_integer(*D, k, R.backend().data());
            mpz_addmul(ref2.backend().data(), R.backend().data(), R.backend().data());
            // u = |G·d·2^(eg − e) − R·2^(er − e)|·2^e with e = min(eg, er): |g − r|·d exactly.
            const long eg = -static_cast<long>(mpz_sizeinbase(mpq_denref(g), 2) - 1), e = std::min(eg, er);
            mpz_mul_ui(a.backend().data(), mpq_numref(g), d);
            mpz_mul_2exp(a.backend().data(), a.backend().data(), static_cast<mp_bitcnt_t>(eg - e));
            mpz_mul_2exp(tmp.backend().data(), R.backend().data(), static_cast<mp_bitcnt_t>(er - e));
            mpz_sub(u.m.backend().data(), a.backend().data(), tmp.backend().data());
            mpz_abs(u.m.backend().data(), u.m.backend().data());
            u.e = e;
            const double x = rounded_reported(got(i, j), opt.format);
            if (bound) {
                // T3: distance |g − r| = u/d against the entry's bound b: u/d > b ⇔ u·b_den > b_num·d.
                const exact b = (*bound)(i, j);
                const mpq_srcptr bq = b.backend().data();
                mpz_mul(a.backend().data(), u.m.backend().data(), mpq_denref(bq));
                mpz_mul_ui(tmp.backend().data(), mpq_numref(bq), d);
                if (u.e >= 0)
                    mpz_mul_2exp(a.backend().data(), a.backend().data(), static_cast<mp_bitcnt_t>(u.e));
                else
                    mpz_mul_2exp(tmp.backend().data(), tmp.backend().data(), static_cast<mp_bitcnt_t>(-u.e));
                const double lo = E->rounded(k, -1, single), hi = E->rounded(k, 1, single);
                const std::uint64_t ulps = lo <= x && x <= hi ? 0
                                           : x < lo           ? distance(x, lo, opt.format)
                                                              : distance(x, hi, opt.format);
                const bool beyond =
                    mpz_cmp(a.backend().data(), tmp.backend().data()) > 0 || (opt.max_ulps && ulps > *opt.max_ulps);
                t.beyond_bound += beyond;
                // more_used(u/d, b, use/d, use_bound): the d cancels.
                if (first_use || more_used(u, b, use, use_bound, l, r, tmp)) {
                    first_use = false;
                    t.use_row = i, t.use_col = j;
                    mpz_set(use.m.backend().data(), u.m.backend().data());
                    use.e = u.e;
                    use_bound = b;
                    t.use_ulps = ulps;
                }
            }
            const std::uint64_t ulps = distance(x, E->rounded(k, 0, single), opt.format);
            mpz_mul(sq.backend().data(), u.m.backend().data(), u.m.backend().data());
            add(err2, sq.backend().data(), 2 * u.e, tmp);
            if (compare(u, largest, tmp) > 0) {
                mpz_set(largest.m.backend().data(), u.m.backend().data());
                largest.e = u.e;
            }
            if (first || ulps > t.worst_ulps || (ulps == t.worst_ulps && compare(u, worst, tmp) > 0)) {
                first = false;
                t.worst_ulps = ulps;
                mpz_set(worst.m.backend().data(), u.m.backend().data());
                worst.e = u.e;
                t.worst_row = i;
                t.worst_col = j;
            }
        }
    t.worst_abs_error_exact = exact_of(worst, d);
    t.max_abs_error_exact = exact_of(largest, d);
    t.worst_abs_error = to_double(t.worst_abs_error_exact);
    t.max_abs_error = to_double(t.max_abs_error_exact);
    t.relative = ref2 != 0;
    // Σ(g − r)² / Σ r² = (Σ u²)/(Σ R²·2^(2·er)): the d² cancels; absolute: (Σ u²)/d².
    t.normwise_squared = t.relative ? exact(exact_of(err2) / exact_of({ref2, 2 * er}))
                                    : exact(exact_of(err2) / exact(bmp::mpz_int(d) * bmp::mpz_int(d)));
    t.normwise_rel = sqrt_to_double(t.normwise_squared);
    if (bound) {
        t.use_distance = exact_of(use, d);
        t.use_bound = use_bound;
    }
    decide(t, opt, bound != nullptr);
    return t;
}

tensor_check check_tensor(std::size_t index, const std::string& name, const tensor_range& ref,
                          const exact_tensor& reported, const check_options& opt) {
    if (auto fast = check_dyadic_tensor(index, name, ref, reported, opt)) return std::move(*fast);
    const matrix<exact>& got = reported;
    tensor_check t;
    t.name = name;
    exact err2 = 0, ref2 = 0, ref_all2 = 0;
    bool first = true;
    const bool enclosure = ref.has_enclosure();
    const exact_tensor* bound = opt.bounds.empty() ? nullptr : &opt.bounds.at(index);
    if (bound) MATBP_REQUIRE("T3", bound->rows() == got.rows() && bound->cols() == got.cols());
    std::vector<kink_entry> kinks;
    bool first_use = true;
    const matrix<exact>& ref_lo = ref.lo.rational();
    const matrix<exact>& ref_hi = ref.hi.rational();
    for (Eigen::Index j = 0; j < got.cols(); ++j)
        for (Eigen::Index i = 0; i < got.rows(); ++i) {
            const exact& g = got(i, j);
            const exact& lo = ref_lo(i, j);
            const exact& hi = ref_hi(i, j);
            const exact mid = (lo + hi) / 2;
            ref_all2 += mid * mid;
            if (bound) {
                // T3 the verdict: the distance from the admissible enclosure against the bound.
                const bool strict =
                    opt.strict_kinks && ref.kink_dependent[static_cast<std::size_t>(i + j * got.rows())];
                const exact& alo = enclosure && !strict ? ref.clarke_lo(i, j) : lo;
                const exact& ahi = enclosure && !strict ? ref.clarke_hi(i, j) : hi;
                const exact d = distance_to(g, alo, ahi);
                const exact b = (*bound)(i, j);
                const std::uint64_t ulps = ulp_distance_to_range(g, alo, ahi, opt.format);
                const bool beyond = d > b || (opt.max_ulps && ulps > *opt.max_ulps);
                t.beyond_bound += beyond;
                if (first_use || more_used(d, b, t.use_distance, t.use_bound)) {
                    first_use = false;
                    t.use_row = i, t.use_col = j;
                    t.use_distance = d;
                    t.use_bound = b;
                    t.use_ulps = ulps;
                }
            }
            if (ref.kink_dependent[static_cast<std::size_t>(i + j * got.rows())]) {
                // A kink entry is judged alone against its admissible set: the Clarke enclosure
                // (C3), or D11's value with strict_kinks; without an enclosure and not strict it
                // is only counted (as before C3).
                ++t.kink_entries;
                const bool clarke = enclosure && !opt.strict_kinks;
                const exact& alo = clarke ? ref.clarke_lo(i, j) : lo;
                const exact& ahi = clarke ? ref.clarke_hi(i, j) : hi;
                const std::uint64_t ulps = ulp_distance_to_range(g, alo, ahi, opt.format);
                if (t.kink_entries == 1 || ulps > t.worst_kink_ulps) t.worst_kink_row = i, t.worst_kink_col = j;
                t.worst_kink_ulps = std::max(t.worst_kink_ulps, ulps);
                if (!enclosure && !opt.strict_kinks) continue;
                const exact& one = enclosure ? ref.one(i, j) : lo;
                kinks.push_back({i, j, distance_to(g, alo, ahi), distance_to(g, lo, hi), distance_to(g, one, one), ulps,
                                 ulp_distance_to_range(g, lo, hi, opt.format), ulp_distance(g, one, opt.format)});
                continue;
            }
            const std::uint64_t ulps =
                lo == hi ? ulp_distance(g, lo, opt.format) : ulp_distance_to_range(g, lo, hi, opt.format);
            const exact abs_err = distance_to(g, lo, hi);
            err2 += abs_err * abs_err;
            ref2 += mid * mid;
            if (abs_err > t.max_abs_error_exact) t.max_abs_error_exact = abs_err;
            if (first || ulps > t.worst_ulps || (ulps == t.worst_ulps && abs_err > t.worst_abs_error_exact)) {
                first = false;
                t.worst_ulps = ulps;
                t.worst_abs_error_exact = abs_err;
                t.worst_row = i;
                t.worst_col = j;
            }
        }
    t.worst_abs_error = to_double(t.worst_abs_error_exact);
    t.max_abs_error = to_double(t.max_abs_error_exact);
    t.relative = ref2 != 0;
    t.normwise_squared = t.relative ? exact(err2 / ref2) : err2;
    t.normwise_rel = sqrt_to_double(t.normwise_squared);
    // The bound of one kink entry (check_options::entry_bound): by default the normwise rule
    // applied to that entry alone, distance ≤ max_rel · ‖ref‖₂ over the whole tensor (absolute
    // when ‖ref‖₂ = 0), and the ULP rule when max_ulps is given.
    const exact max_rel = to_exact(opt.max_rel_or_default());
    const exact allowed2 = max_rel * max_rel * (ref_all2 != 0 ? ref_all2 : exact(1));
    const auto within = [&](const kink_entry& e, const exact& d, std::uint64_t u) {
        if (bound) return d <= (*bound)(e.i, e.j) && (!opt.max_ulps || u <= *opt.max_ulps);
        if (opt.entry_bound)
            if (const auto b = opt.entry_bound(index, e.i, e.j)) return d <= *b;
        return d * d <= allowed2 && (!opt.max_ulps || u <= *opt.max_ulps);
    };
    for (const auto& e : kinks) {
        if (!within(e, e.admissible, e.ulps)) {
            ++t.kink_outside;
            continue;
        }
        if (!enclosure) continue;
        const bool zero = within(e, e.zero, e.ulps_zero), one = within(e, e.one, e.ulps_one);
        t.kink_match_zero += zero;
        t.kink_match_one += one;
        t.kink_match_neither += !zero && !one;
    }
    if (enclosure)
        t.kink_match = kink_convention_of(t.kink_entries - t.kink_outside, t.kink_match_zero, t.kink_match_one,
                                          t.kink_match_neither);
    decide(t, opt, bound != nullptr);
    return t;
}

/// T3's requirement on a bound: every entry ≥ 0 (finite it is, as every exact_tensor's value),
/// read off the form it is held in: no rational is made for doubles or a dyadic form.
bool nonnegative(const exact_tensor& b) {
    if (const matrix<double>* d = b.doubles()) return (d->array() >= 0).all();
    if (const dyadic_matrix* d = b.dyadic()) {  // scale > 0: the signs are D's
        for (std::size_t t = 0; t < static_cast<std::size_t>(d->rows() * d->cols()); ++t)
            if (d->sign(t) < 0) return false;
        return true;
    }
    const matrix<exact>& q = b.rational();
    for (Eigen::Index k = 0; k < q.size(); ++k)
        if (q(k) < 0) return false;
    return true;
}

}  // namespace

std::string kink_convention_of(std::size_t inside, std::size_t zero, std::size_t one, std::size_t neither) {
    if (inside == 0) return "";
    if (neither != 0) return "other";
    if (zero == inside) return "zero";
    if (one == inside) return "one";
    return "mixed";
}

check_report check_gradients(const gradient_reference& ref, const reported_gradients& reported,
                             const check_options& options) {
    MATBP_REQUIRE("C1", reported.size() == ref.weights.size());
    check_report r;
    MATBP_REQUIRE("T3", options.bounds.empty() || options.bounds.size() == 2 * reported.size());
    for (const exact_tensor& b : options.bounds) MATBP_REQUIRE("T3", nonnegative(b));
    r.max_rel = options.max_rel_or_default();
    // T3 (ii): with bounds, each entry passes iff it lies in [K.lo − B, K.hi + B] (check_tensor).
    if (!options.bounds.empty()) r.verdict = "bound";
    r.max_ulps = options.max_ulps;
    r.format = options.format;
    r.strict_kinks = options.strict_kinks;
    r.arith = ref.arith;
    r.engine = ref.engine;
    r.kinks = ref.kinks.size();
    for (std::size_t l = 0; l < reported.size(); ++l) {
        MATBP_REQUIRE("C1", reported[l].first.rows() == ref.weights[l].lo.rows() &&
                                reported[l].first.cols() == ref.weights[l].lo.cols() &&
                                reported[l].second.rows() == ref.bias[l].lo.rows() && reported[l].second.cols() == 1);
        r.tensors.push_back(check_tensor(2 * l, "layers[" + std::to_string(l) + "].weights", ref.weights[l],
                                         reported[l].first, options));
        r.tensors.push_back(check_tensor(2 * l + 1, "layers[" + std::to_string(l) + "].bias", ref.bias[l],
                                         reported[l].second, options));
    }
    r.enclosure = !ref.weights.empty() && ref.weights[0].has_enclosure();
    summarize(r);
    return r;
}

void summarize(check_report& r) {
    std::size_t inside = 0, zero = 0, one = 0, neither = 0;
    r.pass = true;
    for (const auto& t : r.tensors) {
        r.pass = r.pass && t.pass;
        inside += t.kink_entries - t.kink_outside;
        zero += t.kink_match_zero;
        one += t.kink_match_one;
        neither += t.kink_match_neither;
    }
    r.kink_match = r.enclosure ? kink_convention_of(inside, zero, one, neither) : "";
}

void admit_near_kinks(gradient_reference& ref, const model_spec& model, const std::vector<kink>& near) {
    if (near.empty()) return;
    MATBP_REQUIRE("T3", ref.arith.k == arith_spec::kind::exact && ref.weights.size() == model.layers.size());
    const mlp<exact> net = build_network<exact>(model);
    const loss_function<exact> ell = build_loss<exact>(model);
    const auto fwd = forward_batch(net, model.inputs.rational());
    const Eigen::Index k = net.depth(), n = model.inputs.cols();
    near_units mask;
    mask.act.resize(static_cast<std::size_t>(k + 1));
    for (Eigen::Index l = 1; l <= k; ++l)
        mask.act[l] = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(net.width(l), n, false);
    mask.loss = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(net.width(k), n, false);
    for (const auto& u : near) {
        MATBP_REQUIRE("T3", u.layer >= 1 && u.layer <= k && u.sample >= 0 && u.sample < n && u.unit >= 0 &&
                                u.unit < net.width(u.layer));
        (u.site == kink_site::loss ? mask.loss : mask.act[u.layer])(u.unit, u.sample) = true;
    }
    // T3 (ii): every choice at the exact kinks (C3) and at the near units.
    const auto clarke =
        kink_enclosure(net, fwd, model.targets, ell, model.loss_kind, model.red, kink_choice::clarke, &mask);
    for (Eigen::Index l = 1; l <= k; ++l)
        for (const bool bias : {false, true}) {
            tensor_range& t = bias ? ref.bias[l - 1] : ref.weights[l - 1];
            // compute's reference: with exact kinks it carries C3's enclosure (trace_kinks).
            MATBP_REQUIRE("T3", ref.kinks.empty() || t.has_enclosure());
            const matrix<exact>& lo = t.lo.rational();
            // The one convention chooses at exact kinks only, so no near unit changes it: it is C3's
            // (kink_enclosure's one pass, already attached) or, without exact kinks, the values.
            if (ref.kinks.empty()) t.one = lo;
            const qmatrix& c = bias ? clarke.db[l] : clarke.dW[l];
            t.clarke_lo = c.lo;
            t.clarke_hi = c.hi;
            const matrix<exact>& hi = t.hi.rational();
            for (Eigen::Index j = 0; j < lo.cols(); ++j)
                for (Eigen::Index i = 0; i < lo.rows(); ++i)
                    MATBP_ENSURE("T3", t.clarke_lo(i, j) <= lo(i, j) && hi(i, j) <= t.clarke_hi(i, j) &&
                                           t.clarke_lo(i, j) <= t.one(i, j) && t.one(i, j) <= t.clarke_hi(i, j));
        }
}

std::vector<kink_entry_ref> kink_entries(const gradient_reference& ref) {
    std::vector<kink_entry_ref> out;
    for (std::size_t l = 0; l < ref.weights.size(); ++l)
        for (const bool bias : {false, true}) {
            const tensor_range& t = bias ? ref.bias[l] : ref.weights[l];
            if (!t.has_enclosure()) continue;
            for (Eigen::Index j = 0; j < t.lo.cols(); ++j)
                for (Eigen::Index i = 0; i < t.lo.rows(); ++i)
                    if (t.kink_dependent[static_cast<std::size_t>(i + j * t.lo.rows())])
                        out.push_back({l, bias, i, j, t});
        }
    return out;
}

}  // namespace matbp
