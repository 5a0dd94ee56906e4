// C4: sample shards (shard.hpp states the rules and the matbp-partial/1 format).
#include "matbp/shard.hpp"

#include "matbp/convert.hpp"
#include "matbp/json.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/oracle_json_detail.hpp"
#include "matbp/version.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <tuple>

#include <fcntl.h>
#include <unistd.h>

namespace matbp {

// ---- SHA-256 (FIPS 180-4) -------------------------------------------------------------------

namespace {

class sha256 {
public:
    void update(const unsigned char* p, std::size_t n) {
        length_ += n;
        while (n > 0) {
            const std::size_t take = std::min(n, std::size_t{64} - fill_);
            std::memcpy(block_.data() + fill_, p, take);
            fill_ += take;
            p += take;
            n -= take;
            if (fill_ == 64) {
                compress();
                fill_ = 0;
            }
        }
    }
    void update(std::string_view s) { update(reinterpret_cast<const unsigned char*>(s.data()), s.size()); }
    std::string hex() {
        const std::uint64_t bits = length_ * 8;
        const unsigned char one = 0x80, zero = 0;
        update(&one, 1);
        while (fill_ != 56) update(&zero, 1);
        unsigned char len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
        update(len, 8);
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (const std::uint32_t w : h_)
            for (int s = 28; s >= 0; s -= 4) out += digits[(w >> s) & 0xf];
        return out;
    }

private:
    static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
    void compress() {
        static constexpr std::uint32_t k[64] = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        std::uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = std::uint32_t{block_[4 * i]} << 24 | std::uint32_t{block_[4 * i + 1]} << 16 |
                   std::uint32_t{block_[4 * i + 2]} << 8 | std::uint32_t{block_[4 * i + 3]};
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        auto [a, b, c, d, e, f, g, h] = h_;
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        const std::uint32_t add[8] = {a, b, c, d, e, f, g, h};
        for (int i = 0; i < 8; ++i) h_[i] += add[i];
    }
    std::array<std::uint32_t, 8> h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<unsigned char, 64> block_{};
    std::size_t fill_ = 0;
    std::uint64_t length_ = 0;
};

/// The fingerprint's byte stream: every item carries its length, so no two models share one.
class canonical_stream {
public:
    void tag(std::string_view s) {
        count(s.size());
        h_.update(s);
    }
    void count(std::uint64_t n) {
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(n >> (8 * i));
        h_.update(b, 8);
    }
    void integer(mpz_srcptr z) {
        const std::size_t n = (mpz_sizeinbase(z, 2) + 7) / 8;
        buf_.resize(n + 1);
        std::size_t written = 0;
        mpz_export(buf_.data(), &written, 1, 1, 1, 0, z);  // big-endian bytes of |z|; none for 0
        count(written);
        h_.update(buf_.data(), written);
    }
    void value(const exact& q) {
        const mpq_srcptr p = q.backend().data();
        const unsigned char sign = static_cast<unsigned char>(mpq_sgn(p) + 1);
        h_.update(&sign, 1);
        integer(mpq_numref(p));
        integer(mpq_denref(p));
    }
    void values(const matrix<exact>& M) {
        count(static_cast<std::uint64_t>(M.rows()));
        count(static_cast<std::uint64_t>(M.cols()));
        for (Eigen::Index t = 0; t < M.size(); ++t) value(M(t));  // column-major
    }
    /// The same bytes as values(t.rational()), read off the doubles when t holds doubles (no
    /// rational made: a model read from a file keeps its 8 bytes an entry).
    void values(const exact_tensor& t) {
        const matrix<double>* D = t.doubles();
        if (!D) {
            values(t.rational());
            return;
        }
        count(static_cast<std::uint64_t>(D->rows()));
        count(static_cast<std::uint64_t>(D->cols()));
        for (Eigen::Index k = 0; k < D->size(); ++k) value((*D)(k));
    }
    /// value(to_exact(d)), from d = ±odd·2^e (split_double): numerator odd·2^max(e, 0),
    /// denominator 2^max(−e, 0), each as its big-endian bytes.
    void value(double d) {
        const double_parts p = split_double(d);
        const unsigned char sign = p.odd == 0 ? 1 : p.negative ? 0 : 2;
        h_.update(&sign, 1);
        if (p.odd == 0) {  // 0/1
            count(0);
            power_of_two_times(1, 0);
            return;
        }
        power_of_two_times(p.odd, p.exp2 > 0 ? p.exp2 : 0);
        power_of_two_times(1, p.exp2 < 0 ? -p.exp2 : 0);
    }
    /// integer(m·2^k) for 0 < m < 2⁵³: m·2^(k mod 8) in at most 8 bytes, then ⌊k/8⌋ zero bytes.
    void power_of_two_times(std::uint64_t m, int k) {
        const std::uint64_t top = m << (k % 8);  // < 2⁶¹
        const auto n = static_cast<std::size_t>((std::bit_width(top) + 7) / 8);
        const auto zeros = static_cast<std::size_t>(k / 8);
        count(n + zeros);
        buf_.assign(n + zeros, 0);
        for (std::size_t i = 0; i < n; ++i) buf_[i] = static_cast<unsigned char>(top >> (8 * (n - 1 - i)));
        h_.update(buf_.data(), buf_.size());
    }
    void params(const std::vector<exact>& v) {
        count(v.size());
        for (const auto& q : v) value(q);
    }
    std::string hex() { return h_.hex(); }

private:
    sha256 h_;
    std::vector<unsigned char> buf_;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
    sha256 h;
    h.update(bytes);
    return h.hex();
}

std::string model_fingerprint(const model_spec& m) {
    canonical_stream s;
    s.tag("matbp-model-fingerprint/1");
    s.count(m.layers.size());
    for (const auto& L : m.layers) {
        s.tag(L.activation.name);
        s.params(L.activation.params);
        s.values(L.weights);
        s.values(L.bias);
    }
    s.tag(m.loss_kind.name);
    s.params(m.loss_kind.params);
    s.tag(to_string(m.red));
    s.values(m.inputs);
    s.values(m.targets);
    return "sha256:" + s.hex();
}

// ---- C4: computing a part -------------------------------------------------------------------

partial_reference compute_partial(const model_spec& model, Eigen::Index begin, Eigen::Index end,
                                  const resource_limits& limits) {
    const Eigen::Index n = model.inputs.cols();
    MATBP_REQUIRE("C4", 0 <= begin && begin < end && end <= n);
    if (!model.loss_kind.info().exact_evaluation)
        throw unsupported_error(unsupported_error::feature::exact_evaluation, "loss",
                                model.loss_kind.name + " has no exact evaluation, and only exact partial sums " +
                                    "combine bit-identically");
    for (std::size_t l = 0; l < model.layers.size(); ++l)
        if (model.layers[l].activation.transcendental())
            throw unsupported_error(unsupported_error::feature::exact_evaluation,
                                    "layers[" + std::to_string(l) + "].activation",
                                    model.layers[l].activation.name +
                                        " has no exact evaluation, and only exact partial sums combine "
                                        "bit-identically");
    // C4 (i): the range alone, unreduced (ρ = 1); combine_partials applies the model's ρ.
    model_spec range;
    range.layers = model.layers;
    range.loss_kind = model.loss_kind;
    range.red = reduction::sum;
    range.inputs = model.inputs.middle_cols(begin, end - begin);
    range.targets = model.targets.middle_cols(begin, end - begin);
    partial_reference p;
    p.sums = compute_gradients(range, arith_spec{arith_spec::kind::exact, 0}, limits);
    // C4 (ii): the range's local sample j is sample begin + j of the batch.
    for (auto& k : p.sums.kinks) k.sample += begin;
    p.range_engine = p.sums.engine;
    // The engine compute_gradients names for the whole batch (the fast path's one rule on every
    // sample); shard_test compares it with compute_gradients' own on every model it generates.
    p.sums.engine = exact_fast_path_applies(model) ? "dyadic" : "rational";
    p.fingerprint = model_fingerprint(model);
    p.begin = begin;
    p.end = end;
    p.count = n;
    p.red = model.red;
    return p;
}

// ---- C4: combining parts --------------------------------------------------------------------

namespace {

[[noreturn]] void refuse(const partial_reference& p, const std::string& path, const std::string& why) {
    throw input_error(path, 0, 0, why, p.source.empty() ? "<part>" : p.source);
}

std::string name_of(const partial_reference& p) { return p.source.empty() ? "<part>" : p.source; }

std::string range_text(const partial_reference& p) {
    return "[" + std::to_string(p.begin) + ", " + std::to_string(p.end) + ")";
}

/// The order compute_gradients lists kinks in: activation kinks by layer, sample, unit; then the
/// loss kinks by sample, unit (backprop: find_kinks, then find_loss_kinks).
auto kink_key(const kink& k) { return std::tuple{k.site == kink_site::loss, k.layer, k.sample, k.unit}; }

bool same_shape(const matrix<exact>& a, const matrix<exact>& b) { return a.rows() == b.rows() && a.cols() == b.cols(); }

/// The running sums of one tensor over the parts: value, kink-dependence flags (OR), enclosure
/// (lo, hi, one; a part without one contributes its value).
struct tensor_sum {
    matrix<exact> value, lo, hi, one;
    std::vector<bool> dependent;
    explicit tensor_sum(const tensor_range& t)
            : value(matrix<exact>::Zero(t.lo.rows(), t.lo.cols())),
              lo(value),
              hi(value),
              one(value),
              dependent(t.kink_dependent.size(), false) {}

    void accumulate(const tensor_range& t) {
        const matrix<exact>& v = t.lo.rational();
        const bool enc = t.has_enclosure();
        for (Eigen::Index j = 0; j < v.cols(); ++j)
            for (Eigen::Index i = 0; i < v.rows(); ++i) {
                const auto f = static_cast<std::size_t>(i + j * v.rows());
                value(i, j) += v(i, j);
                // C4 (ii): flagged when some sample flags it.
                dependent[f] = dependent[f] || t.kink_dependent[f];
                // C4 (iii): per sample, C3's endpoints add; a range with no kink adds the point value.
                lo(i, j) += enc ? t.clarke_lo(i, j) : v(i, j);
                hi(i, j) += enc ? t.clarke_hi(i, j) : v(i, j);
                one(i, j) += enc ? t.one(i, j) : v(i, j);
            }
    }

    /// C4 (iv) ρ·(the sums): the reduced tensor, with its enclosure when the batch has kinks.
    tensor_range reduce(const exact& rho, bool enclosure) && {
        for (Eigen::Index k = 0; k < value.size(); ++k) value(k) *= rho;
        tensor_range t;
        t.kink_dependent = std::move(dependent);
        if (enclosure) {
            for (Eigen::Index k = 0; k < value.size(); ++k) {
                lo(k) *= rho;  // ρ > 0: the interval [ρ lo, ρ hi]
                hi(k) *= rho;
                one(k) *= rho;
                // C4: C3 (2) and (3) carried over: the value and one lie in the enclosure; an entry that
                // depends on no kink has the point enclosure.
                MATBP_ENSURE("C4", lo(k) <= value(k) && value(k) <= hi(k));
                MATBP_ENSURE("C4", lo(k) <= one(k) && one(k) <= hi(k));
                MATBP_ENSURE("C4", t.kink_dependent[static_cast<std::size_t>(k)] ||
                                       (lo(k) == value(k) && hi(k) == value(k) && one(k) == value(k)));
            }
            t.clarke_lo = std::move(lo);
            t.clarke_hi = std::move(hi);
            t.one = std::move(one);
        }
        t.lo = t.hi = exact_tensor(std::move(value));
        return t;
    }
};

}  // namespace

gradient_reference combine_partials(const std::vector<partial_reference>& parts) {
    if (parts.empty()) throw input_error("", 0, 0, "no parts to combine");
    const partial_reference& first = parts.front();
    for (const auto& p : parts) {
        MATBP_REQUIRE("C4", p.sums.arith.k == arith_spec::kind::exact && p.sums.red == reduction::sum);
        MATBP_REQUIRE("C4", p.sums.weights.size() == p.sums.bias.size() && !p.sums.weights.empty());
        if (p.red != first.red)
            refuse(p, "reduction",
                   "mixed reductions: this part's is " + to_string(p.red) + ", " + name_of(first) + "'s is " +
                       to_string(first.red));
        if (p.sums.loss_kind != first.sums.loss_kind)
            refuse(p, "loss",
                   "the loss " + to_string(p.sums.loss_kind) + " (or its parameters) differs from " + name_of(first) +
                       "'s " + to_string(first.sums.loss_kind));
        if (p.count != first.count)
            refuse(p, "samples.count",
                   std::to_string(p.count) + " samples, but " + name_of(first) + " has " + std::to_string(first.count));
        if (p.fingerprint != first.fingerprint)
            refuse(
                p, "model_fingerprint",
                "a part of another model: " + p.fingerprint + ", but " + name_of(first) + " has " + first.fingerprint);
        if (p.sums.engine != first.sums.engine)
            refuse(p, "engine",
                   "the whole batch's engine " + p.sums.engine + " differs from " + name_of(first) + "'s " +
                       first.sums.engine + " (parts of one model agree on it)");
        bool shapes = p.sums.weights.size() == first.sums.weights.size();
        for (std::size_t l = 0; shapes && l < p.sums.weights.size(); ++l)
            shapes = same_shape(p.sums.weights[l].lo, first.sums.weights[l].lo) &&
                     same_shape(p.sums.bias[l].lo, first.sums.bias[l].lo);
        if (!shapes) refuse(p, "layers", "the layers' shapes differ from " + name_of(first) + "'s");
    }
    // The ranges must tile 0 … n−1: sorted by begin, each starts where the previous ends.
    std::vector<const partial_reference*> order;
    for (const auto& p : parts) order.push_back(&p);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
    Eigen::Index covered = 0;
    const partial_reference* previous = nullptr;
    for (const auto* p : order) {
        MATBP_REQUIRE("C4", 0 <= p->begin && p->begin < p->end && p->end <= p->count);
        if (p->begin < covered)
            refuse(*p, "samples",
                   "its range " + range_text(*p) + " overlaps " + name_of(*previous) + "'s " + range_text(*previous));
        if (p->begin > covered)
            refuse(*p, "samples",
                   "samples " + std::to_string(covered) + " to " + std::to_string(p->begin - 1) +
                       " are in no part: a gap before this part's range " + range_text(*p) +
                       (previous ? " (" + name_of(*previous) + "'s ends at " + std::to_string(previous->end) + ")"
                                 : std::string(" (the first range must begin at 0)")));
        covered = p->end;
        previous = p;
    }
    if (covered != first.count)
        refuse(*previous, "samples",
               "samples " + std::to_string(covered) + " to " + std::to_string(first.count - 1) +
                   " are in no part: the last range " + range_text(*previous) + " ends before the " +
                   std::to_string(first.count) + " samples of the model");

    // C4 (i): the sums over the ranges, in sample order (any order gives the same rationals).
    gradient_reference r;
    r.arith = arith_spec{arith_spec::kind::exact, 0};
    r.loss_kind = first.sums.loss_kind;
    r.red = first.red;
    r.engine = first.sums.engine;
    exact cost = 0;
    std::vector<tensor_sum> weights, bias;
    for (std::size_t l = 0; l < first.sums.weights.size(); ++l) {
        weights.emplace_back(first.sums.weights[l]);
        bias.emplace_back(first.sums.bias[l]);
    }
    for (const auto* p : order) {
        MATBP_REQUIRE("C4", p->sums.cost_lo == p->sums.cost_hi);
        cost += p->sums.cost_lo;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            weights[l].accumulate(p->sums.weights[l]);
            bias[l].accumulate(p->sums.bias[l]);
        }
        r.kinks.insert(r.kinks.end(), p->sums.kinks.begin(), p->sums.kinks.end());
    }
    // C4 (ii): the union of the ranges' kinks, in C1's order.
    std::stable_sort(r.kinks.begin(), r.kinks.end(),
                     [](const kink& a, const kink& b) { return kink_key(a) < kink_key(b); });
    // C4 (iv): ρ of the whole batch (D14), the model's reduction over its n samples, applied once.
    const Eigen::Index m = first.sums.bias.back().lo.rows();
    const auto ell = make_loss<exact>(r.loss_kind.name, r.loss_kind.params);
    MATBP_REQUIRE("C4", ell.has_value());
    const exact rho = reduction_scale<exact>(*ell, r.red, first.count, m);
    r.cost_lo = r.cost_hi = cost * rho;
    for (std::size_t l = 0; l < weights.size(); ++l) {
        r.weights.push_back(std::move(weights[l]).reduce(rho, !r.kinks.empty()));
        r.bias.push_back(std::move(bias[l]).reduce(rho, !r.kinks.empty()));
    }
    return r;
}

// ---- matbp-partial/1 ------------------------------------------------------------------------

namespace {

std::int64_t index(Eigen::Index i) { return static_cast<std::int64_t>(i); }

void write_partial(json::writer& w, const partial_reference& p) {
    const gradient_reference& s = p.sums;
    // An exact reference is a point (lo = hi; kinks have their enclosures below), and a part holds
    // one value per entry. Checked before the first byte, which may already go to a stream.
    for (std::size_t l = 0; l < s.weights.size(); ++l)
        MATBP_REQUIRE("C4", s.weights[l].lo == s.weights[l].hi && s.bias[l].lo == s.bias[l].hi);
    w.begin_object()
        .key("format")
        .string("matbp-partial/1")
        .key("matbp_version")
        .string(version())
        .key("model_fingerprint")
        .string(p.fingerprint)
        .key("samples")
        .begin_object(json::layout::line)
        .key("begin")
        .integer(index(p.begin))
        .key("end")
        .integer(index(p.end))
        .key("count")
        .integer(index(p.count))
        .end_object()
        .key("loss")
        .string(s.loss_kind.name)
        .key("loss_parameters")
        .begin_array();
    for (const auto& q : s.loss_kind.params) w.string(to_string(q));
    w.end_array()
        .key("reduction")
        .string(to_string(p.red))
        .key("arith")
        .string(s.arith.str())
        .key("engine")
        .string(s.engine)
        .key("range_engine")
        .string(p.range_engine)
        .key("cost_sum")
        .string(to_string(s.cost_lo));
    w.key("layers").begin_array(json::layout::block);
    for (std::size_t l = 0; l < s.weights.size(); ++l) {
        w.begin_object().key("weights");
        detail::write_exact_tensor(w, s.weights[l], false);
        w.key("bias");
        detail::write_exact_tensor(w, s.bias[l], true);
        w.end_object();
    }
    w.end_array();
    w.key("kinks");
    detail::write_kinks(w, s.kinks);
    w.key("kink_enclosures").begin_array(json::layout::block);
    for (const kink_entry_ref& e : kink_entries(s))
        w.begin_object(json::layout::line)
            .key("tensor")
            .string("layers[" + std::to_string(e.layer) + "]." + (e.bias ? "bias" : "weights"))
            .key("entry")
            .begin_array()
            .integer(index(e.row))
            .integer(index(e.col))
            .end_array()
            .key("lower")
            .string(to_string(e.tensor.clarke_lo(e.row, e.col)))
            .key("upper")
            .string(to_string(e.tensor.clarke_hi(e.row, e.col)))
            .key("one")
            .string(to_string(e.tensor.one(e.row, e.col)))
            .end_object();
    w.end_array();
    w.end_object();
}

}  // namespace

std::string to_json(const partial_reference& p) {
    json::writer w;
    write_partial(w, p);
    return w.str();
}

void write_json(std::ostream& out, const partial_reference& p) {
    json::writer w(out);
    write_partial(w, p);
}

namespace {

using json::kind;
using json::value;

[[noreturn]] void fail(const std::string& path, const value& v, const std::string& why) {
    throw input_error(path, v.line, v.column, why);
}

/// The members of an object, each key known; the required ones present.
const value& object_with(const value& v, const std::string& path, std::initializer_list<std::string_view> keys) {
    if (v.kind != kind::object) fail(path, v, "expected an object, got " + json::describe(v));
    for (const auto& m : v.members)
        if (std::find(keys.begin(), keys.end(), m.key) == keys.end())
            throw input_error(json::member_path(path, m.key), m.line, m.column, "unknown key");
    for (const auto k : keys)
        if (!v.find(k)) fail(path, v, "missing key " + json::quote(k));
    return v;
}

const value& member(const value& v, std::string_view k) { return *v.find(k); }

std::string text_of(const value& v, const std::string& path) {
    if (v.kind != kind::string) fail(path, v, "expected a string, got " + json::describe(v));
    return v.text;
}

/// A whole number 0 ≤ v ≤ 10¹⁸.
Eigen::Index whole(const value& v, const std::string& path) {
    if (v.kind != kind::number || v.text.empty() || v.text.size() > 18 ||
        v.text.find_first_not_of("0123456789") != std::string::npos)
        fail(path, v, "expected a whole number ≥ 0, got " + json::describe(v));
    return static_cast<Eigen::Index>(std::stoll(v.text));
}

exact exact_of(const value& v, const std::string& path, const partial_limits& lim) {
    if (v.kind != kind::string) fail(path, v, "expected an exact string \"p/q\", got " + json::describe(v));
    try {
        return parse_exact(v.text, lim.number);
    } catch (const conversion_error& e) {
        fail(path, v, std::string("not an exact number: ") + e.what());
    }
}

const value& array_of(const value& v, const std::string& path) {
    if (v.kind != kind::array) fail(path, v, "expected an array, got " + json::describe(v));
    return v;
}

matrix<exact> tensor_of(const value& v, const std::string& path, bool as_vector, const partial_limits& lim) {
    array_of(v, path);
    if (v.items.empty()) fail(path, v, "expected at least one row");
    if (as_vector) {
        matrix<exact> M(static_cast<Eigen::Index>(v.items.size()), 1);
        for (std::size_t i = 0; i < v.items.size(); ++i)
            M(static_cast<Eigen::Index>(i), 0) = exact_of(v.items[i], json::element_path(path, i), lim);
        return M;
    }
    const std::size_t cols = array_of(v.items[0], json::element_path(path, 0)).items.size();
    if (cols == 0) fail(json::element_path(path, 0), v.items[0], "expected at least one column");
    matrix<exact> M(static_cast<Eigen::Index>(v.items.size()), static_cast<Eigen::Index>(cols));
    for (std::size_t i = 0; i < v.items.size(); ++i) {
        const std::string row = json::element_path(path, i);
        const value& r = array_of(v.items[i], row);
        if (r.items.size() != cols)
            fail(row, r,
                 "ragged rows: " + std::to_string(r.items.size()) + " values, row 0 has " + std::to_string(cols));
        for (std::size_t j = 0; j < cols; ++j)
            M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
                exact_of(r.items[j], json::element_path(row, j), lim);
    }
    return M;
}

tensor_range range_of(matrix<exact> M) {
    tensor_range t;
    t.kink_dependent.assign(static_cast<std::size_t>(M.size()), false);
    t.lo = t.hi = exact_tensor(std::move(M));
    return t;
}

}  // namespace

partial_reference read_partial(std::string_view text, const partial_limits& lim) {
    const value doc = json::parse(text, lim.syntax);
    object_with(doc, "",
                {"format", "matbp_version", "model_fingerprint", "samples", "loss", "loss_parameters", "reduction",
                 "arith", "engine", "range_engine", "cost_sum", "layers", "kinks", "kink_enclosures"});
    partial_reference p;
    const value& fmt = member(doc, "format");
    if (text_of(fmt, "format") != "matbp-partial/1")
        fail("format", fmt,
             "expected \"matbp-partial/1\", got " + json::describe(fmt) + " (written by another version?)");
    text_of(member(doc, "matbp_version"), "matbp_version");
    {
        const value& f = member(doc, "model_fingerprint");
        p.fingerprint = text_of(f, "model_fingerprint");
        if (p.fingerprint.size() != 71 || !p.fingerprint.starts_with("sha256:") ||
            p.fingerprint.find_first_not_of("0123456789abcdef", 7) != std::string::npos)
            fail("model_fingerprint", f, "expected \"sha256:\" and 64 lowercase hex digits");
    }
    {
        const value& s = object_with(member(doc, "samples"), "samples", {"begin", "end", "count"});
        p.begin = whole(member(s, "begin"), "samples.begin");
        p.end = whole(member(s, "end"), "samples.end");
        p.count = whole(member(s, "count"), "samples.count");
        if (static_cast<std::size_t>(p.count) > lim.max_samples)
            fail("samples.count", member(s, "count"),
                 "more than " + std::to_string(lim.max_samples) + " samples, the most a model has");
        if (!(p.begin < p.end && p.end <= p.count))
            fail("samples", s,
                 "the range [" + std::to_string(p.begin) + ", " + std::to_string(p.end) +
                     ") is not a nonempty range of the " + std::to_string(p.count) +
                     " samples (0 ≤ begin < end ≤ count)");
    }
    gradient_reference& r = p.sums;
    {
        const value& l = member(doc, "loss");
        const function_info* info = find_loss(text_of(l, "loss"));
        if (!info || info->name != l.text) fail("loss", l, "not a loss's canonical name: " + json::describe(l));
        if (!info->exact_evaluation) fail("loss", l, l.text + " has no exact evaluation: no exact partial exists");
        const value& ps = array_of(member(doc, "loss_parameters"), "loss_parameters");
        const bool list = !info->parameters.empty() && info->parameters.back().list;
        if (list ? ps.items.size() < info->parameters.size() : ps.items.size() != info->parameters.size())
            fail("loss_parameters", ps,
                 l.text + " takes " + std::to_string(info->parameters.size()) + " parameter(s), got " +
                     std::to_string(ps.items.size()));
        r.loss_kind.name = l.text;
        for (std::size_t i = 0; i < ps.items.size(); ++i)
            r.loss_kind.params.push_back(exact_of(ps.items[i], json::element_path("loss_parameters", i), lim));
        if (info->check)
            if (const auto problem = info->check(r.loss_kind.params)) fail("loss_parameters", ps, problem->what);
    }
    {
        const value& red = member(doc, "reduction");
        const std::string t = text_of(red, "reduction");
        if (t != "mean" && t != "sum")
            fail("reduction", red, "expected \"mean\" or \"sum\", got " + json::describe(red));
        p.red = t == "mean" ? reduction::mean : reduction::sum;
    }
    {
        const value& a = member(doc, "arith");
        if (text_of(a, "arith") != "exact")
            fail("arith", a,
                 "expected \"exact\", got " + json::describe(a) + ": only exact partial sums combine bit-identically");
        r.arith = arith_spec{arith_spec::kind::exact, 0};
        const value& e = member(doc, "engine");
        r.engine = text_of(e, "engine");
        if (r.engine != "dyadic" && r.engine != "rational")
            fail("engine", e, "expected \"dyadic\" or \"rational\", got " + json::describe(e));
        const value& re = member(doc, "range_engine");
        p.range_engine = text_of(re, "range_engine");
        if (p.range_engine != "dyadic" && p.range_engine != "rational")
            fail("range_engine", re, "expected \"dyadic\" or \"rational\", got " + json::describe(re));
    }
    r.red = reduction::sum;
    r.cost_lo = r.cost_hi = exact_of(member(doc, "cost_sum"), "cost_sum", lim);
    {
        const value& layers = array_of(member(doc, "layers"), "layers");
        if (layers.items.empty()) fail("layers", layers, "expected at least one layer");
        for (std::size_t l = 0; l < layers.items.size(); ++l) {
            const std::string path = json::element_path("layers", l);
            const value& L = object_with(layers.items[l], path, {"weights", "bias"});
            matrix<exact> W = tensor_of(member(L, "weights"), path + ".weights", false, lim);
            matrix<exact> b = tensor_of(member(L, "bias"), path + ".bias", true, lim);
            if (b.rows() != W.rows())
                fail(path + ".bias", member(L, "bias"),
                     std::to_string(b.rows()) + " values for " + std::to_string(W.rows()) + " rows of weights");
            if (l > 0 && W.cols() != r.weights.back().lo.rows())
                fail(path + ".weights", member(L, "weights"),
                     std::to_string(W.cols()) + " columns, but the layer before has " +
                         std::to_string(r.weights.back().lo.rows()) + " rows");
            r.weights.push_back(range_of(std::move(W)));
            r.bias.push_back(range_of(std::move(b)));
        }
    }
    const auto k = static_cast<Eigen::Index>(r.weights.size());
    {
        const value& ks = array_of(member(doc, "kinks"), "kinks");
        for (std::size_t t = 0; t < ks.items.size(); ++t) {
            const std::string path = json::element_path("kinks", t);
            const value& K = object_with(ks.items[t], path, {"layer", "sample", "unit", "site"});
            kink kk;
            kk.layer = whole(member(K, "layer"), path + ".layer") + 1;
            kk.sample = whole(member(K, "sample"), path + ".sample");
            kk.unit = whole(member(K, "unit"), path + ".unit");
            const std::string site = text_of(member(K, "site"), path + ".site");
            if (site != "activation" && site != "loss")
                fail(path + ".site", member(K, "site"), "expected \"activation\" or \"loss\"");
            kk.site = site == "loss" ? kink_site::loss : kink_site::activation;
            if (kk.layer > k || (kk.site == kink_site::loss && kk.layer != k))
                fail(path + ".layer", member(K, "layer"),
                     "no such layer" + std::string(kk.site == kink_site::loss ? " (a loss kink is at the last)" : ""));
            if (kk.sample < p.begin || kk.sample >= p.end)
                fail(path + ".sample", member(K, "sample"), "outside the part's range " + range_text(p));
            if (kk.unit >= r.bias[static_cast<std::size_t>(kk.layer - 1)].lo.rows())
                fail(path + ".unit", member(K, "unit"), "no such unit in that layer");
            if (!r.kinks.empty() && !(kink_key(r.kinks.back()) < kink_key(kk)))
                fail(path, K, "out of order or repeated (activation kinks by layer, sample, unit, then loss kinks)");
            r.kinks.push_back(kk);
        }
    }
    {
        const value& es = array_of(member(doc, "kink_enclosures"), "kink_enclosures");
        if (es.items.empty() != r.kinks.empty())
            fail("kink_enclosures", es,
                 r.kinks.empty() ? "entries without kinks"
                                 : "no entries, but the part has kinks (each kink's own "
                                   "bias entry depends on it)");
        if (!r.kinks.empty())
            for (std::size_t l = 0; l < r.weights.size(); ++l)
                for (tensor_range* t : {&r.weights[l], &r.bias[l]}) {
                    t->clarke_lo = t->clarke_hi = t->one = t->lo;
                }
        std::tuple<std::size_t, bool, Eigen::Index, Eigen::Index> last{0, false, -1, -1};
        for (std::size_t t = 0; t < es.items.size(); ++t) {
            const std::string path = json::element_path("kink_enclosures", t);
            const value& E = object_with(es.items[t], path, {"tensor", "entry", "lower", "upper", "one"});
            const std::string name = text_of(member(E, "tensor"), path + ".tensor");
            std::size_t l = 0;
            bool bias = false, ok = false;
            for (l = 0; l < r.weights.size() && !ok; ++l)
                for (const bool b : {false, true})
                    if (name == "layers[" + std::to_string(l) + "]." + (b ? "bias" : "weights")) ok = true, bias = b;
            if (!ok) fail(path + ".tensor", member(E, "tensor"), "no such tensor: " + json::quote(name));
            --l;
            tensor_range& T = bias ? r.bias[l] : r.weights[l];
            const value& at = array_of(member(E, "entry"), path + ".entry");
            if (at.items.size() != 2) fail(path + ".entry", at, "expected [row, column]");
            const Eigen::Index i = whole(at.items[0], path + ".entry[0]"), j = whole(at.items[1], path + ".entry[1]");
            if (i >= T.lo.rows() || j >= T.lo.cols()) fail(path + ".entry", at, "outside the tensor");
            const std::tuple<std::size_t, bool, Eigen::Index, Eigen::Index> key{l, bias, j, i};
            if (t > 0 && !(last < key))
                fail(path, E, "out of order or repeated (by layer, weights before bias, column, row)");
            last = key;
            T.kink_dependent[static_cast<std::size_t>(i + j * T.lo.rows())] = true;
            T.clarke_lo(i, j) = exact_of(member(E, "lower"), path + ".lower", lim);
            T.clarke_hi(i, j) = exact_of(member(E, "upper"), path + ".upper", lim);
            T.one(i, j) = exact_of(member(E, "one"), path + ".one", lim);
            if (!(T.clarke_lo(i, j) <= T.lo(i, j) && T.lo(i, j) <= T.clarke_hi(i, j) &&
                  T.clarke_lo(i, j) <= T.one(i, j) && T.one(i, j) <= T.clarke_hi(i, j)))
                fail(path, E, "not an enclosure: needs lower ≤ the entry's value ≤ upper and lower ≤ one ≤ upper");
        }
    }
    return p;
}

partial_reference read_partial_file(const std::string& path, const partial_limits& lim) {
    const auto refuse_file = [&](const std::string& why) { throw input_error("", 0, 0, why, path); };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) refuse_file("is a directory, not a file");
    errno = 0;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // a FIFO without writer: empty
    if (fd < 0) refuse_file(std::string("cannot open: ") + std::strerror(errno));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(::fdopen(fd, "rb"), &std::fclose);
    if (!f) {
        ::close(fd);
        refuse_file(std::string("cannot open: ") + std::strerror(errno));
    }
    const std::size_t max = lim.syntax.max_bytes, cap = max == static_cast<std::size_t>(-1) ? max : max + 1;
    std::string text;
    char buf[1 << 16];
    while (text.size() < cap) {
        const std::size_t want = std::min(sizeof buf, cap - text.size());
        const std::size_t got = std::fread(buf, 1, want, f.get());
        text.append(buf, got);
        if (got < want) {
            if (std::ferror(f.get())) refuse_file(std::string("cannot read: ") + std::strerror(errno));
            break;
        }
    }
    if (text.size() > max)
        throw resource_error(resource::file_bytes, "", "larger than the limit of " + std::to_string(max) + " bytes",
                             path);
    if (text.empty()) refuse_file("the file is empty");
    try {
        partial_reference p = read_partial(text, lim);
        p.source = path;
        return p;
    } catch (const input_error& e) {
        throw e.in_file(path);
    } catch (const resource_error& e) {
        throw e.in_file(path);
    }
}

}  // namespace matbp
