// Tests for src/matbp/shard.hpp.
//
// Test plan
//   C4_combined_shards_eq_unsharded          small-integer nets full of exact kinks (ReLU, leaky ReLU,
//                                            hardtanh, identity; squared_error, mse, l1 with its loss
//                                            kinks; mean and sum), n ≤ 5: EVERY split of the samples
//                                            into ranges, each part written by to_json (and by
//                                            write_json, streamed: the same bytes) and read back
//                                            by read_partial, combined in reverse order, == the
//                                            unsharded compute_gradients field by field (values,
//                                            flags, enclosures, one, kinks, engine) and to_json of
//                                            both byte-identical under values exact and double
//   C4_random_splits_of_larger_float64_nets  float64-valued nets (the dyadic engine) up to 6 wide,
//                                            8–40 samples with kinks (a quarter with one target 1/3:
//                                            rational whole batch, dyadic ranges), random splits into
//                                            2–7 parts: the same comparisons
//   C4_combine_refuses_bad_part_sets         overlap, duplicate, gap at the start, middle and end,
//                                            another model, mixed reductions, another loss, another
//                                            sample count, no parts: input_error naming the file
//   C4_preconditions                         compute_partial with begin ≥ end, begin < 0, end > n:
//                                            contract C4 fires; a transcendental model: unsupported_error;
//                                            to_json and write_json of a part whose weights or bias
//                                            are not points (hi = lo + 1): contract C4 fires
//   C4_read_partial_rejects_malformed        format, arith, unknown key, a number for an exact value,
//                                            ragged rows, a kink outside the range or out of order, an
//                                            enclosure whose bounds do not hold one or the value (a
//                                            kink entry's value moved outside): input_error
//                                            naming the JSON path
//   model_fingerprint_identifies_the_content equal for a copy; different when one weight, one input,
//                                            one target, the reduction, the loss or an activation
//                                            parameter changes
//   model_fingerprint_of_doubles_eq_of_their_rationals   a model held as doubles (±0, subnormals,
//                                            the largest double, byte-boundary powers of two, random
//                                            exponents) has its rationals' fingerprint; one ulp changes it
//   sha256_known_answers                     FIPS 180-2 appendix B's three messages ("abc", the
//                                            448-bit one, a million "a") and the empty string
//   usage_example_of_shard_hpp
#define BOOST_TEST_MODULE shard
#include "matbp/shard.hpp"

#include "matbp/backprop.hpp"
#include "matbp/convert.hpp"

#include "support/expect.hpp"
#include "support/generators.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>

using namespace matbp;
using namespace matbp::testing;

namespace {

/// The reference as compute_gradients and combine_partials return it, compared field by field
/// with == (exact rationals), and its two JSON documents byte by byte.
std::string difference(const gradient_reference& a, const gradient_reference& b) {
    if (a.arith.str() != b.arith.str()) return "arith";
    if (a.engine != b.engine) return "engine " + a.engine + " vs " + b.engine;
    if (a.loss_kind != b.loss_kind) return "loss";
    if (a.red != b.red) return "reduction";
    if (a.cost_lo != b.cost_lo || a.cost_hi != b.cost_hi) return "cost";
    if (a.kinks != b.kinks) return "kinks";
    if (a.weights.size() != b.weights.size()) return "depth";
    for (std::size_t l = 0; l < a.weights.size(); ++l)
        for (const bool bias : {false, true}) {
            const tensor_range& s = bias ? a.bias[l] : a.weights[l];
            const tensor_range& t = bias ? b.bias[l] : b.weights[l];
            const std::string name = "layers[" + std::to_string(l) + "]." + (bias ? "bias" : "weights");
            if (s.lo != t.lo || s.hi != t.hi) return name + " values";
            if (s.kink_dependent != t.kink_dependent) return name + " kink_dependent";
            if (s.has_enclosure() != t.has_enclosure()) return name + " has_enclosure";
            if (s.has_enclosure() && (s.clarke_lo != t.clarke_lo || s.clarke_hi != t.clarke_hi || s.one != t.one))
                return name + " enclosure";
        }
    for (const auto v : {json_options::value_format::exact, json_options::value_format::float64})
        if (to_json(a, {v}) != to_json(b, {v})) return "JSON text";
    return "";
}

/// The parts of the ranges [cuts[i], cuts[i+1]), each through its JSON document, in reverse.
std::vector<partial_reference> parts_of(const model_spec& m, const std::vector<Eigen::Index>& cuts) {
    std::vector<partial_reference> parts;
    for (std::size_t i = cuts.size() - 1; i-- > 0;) {
        const partial_reference computed = compute_partial(m, cuts[i], cuts[i + 1]);
        const std::string text = to_json(computed);
        std::ostringstream streamed;  // matbp grad --partial streams the document: the same bytes
        write_json(streamed, computed);
        if (streamed.str() != text) throw std::logic_error("write_json of a part differs from its to_json");
        partial_reference p = read_partial(text);
        p.source = "part" + std::to_string(i) + ".json";
        parts.push_back(std::move(p));
    }
    return parts;
}

rc::Gen<matrix<exact>> gen_small_ints(Eigen::Index rows, Eigen::Index cols, int bound) {
    return gen_matrix(rows, cols, rc::gen::map(rc::gen::inRange(-bound, bound + 1), [](int v) { return exact(v); }));
}

activation_spec gen_kinky_activation() {
    const int which = *rc::gen::inRange(0, 5);
    return which == 0   ? activation_spec{"relu", {}}
           : which == 1 ? activation_spec{"leaky_relu", {exact(1, 4)}}
           : which == 2 ? activation_spec{"leaky_relu", {exact(-1, 2)}}
           : which == 3 ? activation_spec{"hardtanh", {exact(-1), exact(1)}}
                        : activation_spec{"identity", {}};
}

/// Small-integer nets full of exact kinks: widths 1–3, depth 1–3, n samples.
model_spec gen_kinky_model(Eigen::Index n) {
    model_spec m;
    const int k = *rc::gen::inRange(1, 4);
    std::vector<Eigen::Index> w{*rc::gen::inRange(1, 4)};
    for (int l = 1; l <= k; ++l) w.push_back(*rc::gen::inRange(1, 4));
    for (int l = 1; l <= k; ++l)
        m.layers.push_back({*gen_small_ints(w[l], w[l - 1], 2), *gen_small_ints(w[l], 1, 1), gen_kinky_activation()});
    m.inputs = *gen_small_ints(w[0], n, 1);
    m.targets = *gen_small_ints(w[k], n, 1);
    m.loss_kind = *rc::gen::element(loss_spec{"squared_error", {}}, loss_spec{"mse", {}}, loss_spec{"l1", {}});
    m.red = *rc::gen::element(reduction::mean, reduction::sum);
    return m;
}

/// Float64 values: small integers and quarters (kinks) or spread doubles.
rc::Gen<exact> gen_float64_entry() {
    return rc::gen::oneOf(rc::gen::map(rc::gen::inRange(-8, 9), [](int v) { return exact(v, 4); }),
                          rc::gen::map(gen_float64(6), [](double d) { return to_exact(d); }));
}

model_spec gen_float64_model() {
    model_spec m;
    const int k = *rc::gen::inRange(1, 4);
    std::vector<Eigen::Index> w{*rc::gen::inRange(1, 7)};
    for (int l = 1; l <= k; ++l) w.push_back(*rc::gen::inRange(1, 7));
    for (int l = 1; l <= k; ++l)
        m.layers.push_back(
            {*gen_matrix(w[l], w[l - 1], gen_float64_entry()), *gen_small_ints(w[l], 1, 1), gen_kinky_activation()});
    const Eigen::Index n = *rc::gen::inRange(8, 41);
    m.inputs = *gen_matrix(w[0], n, gen_float64_entry());
    m.targets = *gen_matrix(w[k], n, gen_float64_entry());
    m.loss_kind = *rc::gen::element(loss_spec{"squared_error", {}}, loss_spec{"mse", {}});
    m.red = *rc::gen::element(reduction::mean, reduction::sum);
    // Sometimes one target of 1/3: the whole batch takes the rational engine, most ranges the
    // dyadic one, and the combined reference must still name the whole batch's.
    if (*rc::gen::inRange(0, 4) == 0) m.targets.edit()(0, *rc::gen::inRange<Eigen::Index>(0, n)) = exact(1, 3);
    return m;
}

const arith_spec exact_arith{arith_spec::kind::exact, 0};

/// The message of the input_error f throws ("" when none).
template <class F>
std::string input_error_of(F f) {
    try {
        f();
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

model_spec two_layer_model() {
    model_spec m;
    matrix<exact> W1(2, 2), b1(2, 1), W2(1, 2), b2(1, 1);
    W1 << 1, -1, 2, 1;
    b1 << 0, -1;
    W2 << 1, -2;
    b2 << 1;
    m.layers.push_back({W1, b1, {"relu", {}}});
    m.layers.push_back({W2, b2, {"identity", {}}});
    m.inputs.edit().resize(2, 6);
    m.inputs.edit() << 1, 0, 2, -1, 1, 3, 1, 0, -1, 1, 2, 0;  // sample 1 = (0, 0): a ReLU kink at unit 0
    m.targets.edit().resize(1, 6);
    m.targets.edit() << 1, 0, -1, 2, exact(1, 3), 0;
    return m;
}

}  // namespace

RC_BOOST_PROP(C4_combined_shards_eq_unsharded, ()) {
    const Eigen::Index n = *rc::gen::inRange(1, 6);
    const model_spec m = gen_kinky_model(n);
    const gradient_reference full = compute_gradients(m, exact_arith);
    RC_CLASSIFY(!full.kinks.empty(), "kinks");
    // Every split: a subset of the n − 1 inner cut points.
    for (unsigned mask = 0; mask < (1u << (n - 1)); ++mask) {
        std::vector<Eigen::Index> cuts{0};
        for (Eigen::Index c = 1; c < n; ++c)
            if (mask & (1u << (c - 1))) cuts.push_back(c);
        cuts.push_back(n);
        const std::string d = difference(combine_partials(parts_of(m, cuts)), full);
        if (!d.empty()) RC_FAIL("split mask " + std::to_string(mask) + ": " + d);
    }
}

RC_BOOST_PROP(C4_random_splits_of_larger_float64_nets, ()) {
    const model_spec m = gen_float64_model();
    const Eigen::Index n = m.inputs.cols();
    const gradient_reference full = compute_gradients(m, exact_arith);
    RC_CLASSIFY(!full.kinks.empty(), "kinks");
    RC_CLASSIFY(full.engine == "dyadic", "dyadic");
    const auto parts = *rc::gen::inRange(2, 8);
    std::vector<Eigen::Index> cuts{0, n};
    for (int i = 0; i + 1 < parts; ++i) cuts.push_back(*rc::gen::inRange<Eigen::Index>(1, n));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    const std::string d = difference(combine_partials(parts_of(m, cuts)), full);
    RC_ASSERT(d == "");
}

BOOST_AUTO_TEST_CASE(C4_combine_refuses_bad_part_sets) {
    const model_spec m = two_layer_model();
    auto part = [&](Eigen::Index a, Eigen::Index b, const std::string& name, const model_spec& of) {
        partial_reference p = compute_partial(of, a, b);
        p.source = name;
        return p;
    };
    const auto a = part(0, 2, "a.json", m), b = part(2, 4, "b.json", m), c = part(4, 6, "c.json", m);
    BOOST_TEST(difference(combine_partials({c, a, b}), compute_gradients(m, exact_arith)) == "");
    std::string e = input_error_of([&] { combine_partials({a, part(1, 4, "o.json", m), c}); });
    BOOST_TEST((contains(e, "o.json") && contains(e, "overlaps a.json's [0, 2)")), e);
    e = input_error_of([&] { combine_partials({a, b, part(2, 4, "d.json", m), c}); });
    BOOST_TEST(contains(e, "overlaps"), e);
    e = input_error_of([&] { combine_partials({b, c}); });
    BOOST_TEST((contains(e, "b.json") && contains(e, "samples 0 to 1 are in no part")), e);
    e = input_error_of([&] { combine_partials({a, c}); });
    BOOST_TEST((contains(e, "c.json") && contains(e, "samples 2 to 3 are in no part")), e);
    e = input_error_of([&] { combine_partials({a, b}); });
    BOOST_TEST((contains(e, "b.json") && contains(e, "samples 4 to 5 are in no part")), e);
    model_spec other = m;
    other.inputs.edit()(0, 5) += exact(1, 1024);
    e = input_error_of([&] { combine_partials({a, b, part(4, 6, "x.json", other)}); });
    BOOST_TEST((contains(e, "x.json") && contains(e, "model_fingerprint") && contains(e, "another model")), e);
    model_spec summed = m;
    summed.red = reduction::sum;
    e = input_error_of([&] { combine_partials({a, b, part(4, 6, "s.json", summed)}); });
    BOOST_TEST((contains(e, "s.json") && contains(e, "mixed reductions")), e);
    model_spec l1 = m;
    l1.loss_kind = {"l1", {}};
    e = input_error_of([&] { combine_partials({a, b, part(4, 6, "l.json", l1)}); });
    BOOST_TEST((contains(e, "l.json") && contains(e, "loss")), e);
    model_spec longer = m;
    longer.inputs.edit().conservativeResize(2, 7);
    longer.inputs.edit().col(6).setZero();
    longer.targets.edit().conservativeResize(1, 7);
    longer.targets.edit()(0, 6) = 0;
    e = input_error_of([&] { combine_partials({a, b, part(4, 7, "n.json", longer)}); });
    BOOST_TEST((contains(e, "n.json") && contains(e, "samples")), e);
    e = input_error_of([&] { combine_partials({}); });
    BOOST_TEST(contains(e, "no parts"), e);
}

BOOST_AUTO_TEST_CASE(C4_preconditions) {
    const model_spec m = two_layer_model();
    expect_violation("C4", [&] { compute_partial(m, 2, 2); });
    expect_violation("C4", [&] { compute_partial(m, 3, 2); });
    expect_violation("C4", [&] { compute_partial(m, -1, 2); });
    expect_violation("C4", [&] { compute_partial(m, 0, 7); });
    // A part holds one value per entry: sums that are not points cannot be written.
    for (const bool bias : {false, true}) {
        partial_reference p = compute_partial(m, 0, 2);
        tensor_range& t = bias ? p.sums.bias[0] : p.sums.weights[0];
        t.hi = exact_tensor(matrix<exact>(t.lo.rational().array() + exact(1)));
        expect_violation("C4", [&] { to_json(p); });
        std::ostringstream out;
        expect_violation("C4", [&] { write_json(out, p); });
    }
    model_spec t = m;
    t.layers[0].activation = {"tanh", {}};
    BOOST_CHECK_THROW(compute_partial(t, 0, 6), unsupported_error);
}

BOOST_AUTO_TEST_CASE(C4_read_partial_rejects_malformed) {
    const std::string good = to_json(compute_partial(two_layer_model(), 0, 3));
    BOOST_TEST(read_partial(good).end == 3);
    auto with = [&](const std::string& from, const std::string& to) {
        const auto at = good.find(from);
        BOOST_REQUIRE(at != std::string::npos);
        std::string s = good;
        s.replace(at, from.size(), to);
        return s;
    };
    auto path_of = [](const std::string& text) {
        try {
            read_partial(text);
        } catch (const input_error& e) {
            return e.path();
        }
        return std::string("(accepted)");
    };
    BOOST_TEST(path_of(with("matbp-partial/1", "matbp-partial/2")) == "format");
    BOOST_TEST(path_of(with("\"arith\": \"exact\"", "\"arith\": \"double\"")) == "arith");
    BOOST_TEST(path_of(with("\"cost_sum\"", "\"extra\": 1, \"cost_sum\"")) == "extra");
    BOOST_TEST(path_of(with("\"reduction\": \"mean\"", "\"reduction\": \"avg\"")) == "reduction");
    BOOST_TEST(path_of(with("\"begin\": 0", "\"begin\": 3")) == "samples");
    BOOST_TEST(path_of(with("\"end\": 3", "\"end\": 7")) == "samples");
    BOOST_TEST(path_of(with("\"bias\": [\"", "\"bias\": [1, \"")) == "layers[0].bias[0]");
    BOOST_TEST(path_of(with("\"sample\": 1", "\"sample\": 4")) == "kinks[1].sample");
    BOOST_TEST(path_of(with("\"kinks\": [",
                            "\"kinks\": [{\"layer\": 1, \"sample\": 0, \"unit\": 0, \"site\": "
                            "\"activation\"},")) == "kinks[1]");
    BOOST_TEST(path_of(with("\"lower\": \"", "\"lower\": \"1000+")) == "kink_enclosures[0].lower");
    BOOST_TEST(path_of(with("\"upper\": \"", "\"upper\": \"-1000")) == "kink_enclosures[0]");
    // The kink-dependent entry ∇b¹₀ (sample 1 puts ReLU unit 0 at 0) moved outside its enclosure,
    // its "one" value still inside: refused at its enclosure entry.
    std::string moved = good;
    const auto b0 = moved.find("\"bias\": [\"") + 10;
    moved.replace(b0, moved.find('"', b0) - b0, "1000");
    const std::string at = path_of(moved);
    BOOST_TEST((at.starts_with("kink_enclosures[") && at.back() == ']'), at);
    const auto rows = good.find("\"weights\": [");
    std::string ragged = good;
    ragged.insert(ragged.find(']', rows + 13), ", \"0\"");
    BOOST_TEST(path_of(ragged) == "layers[0].weights[1]");
}

BOOST_AUTO_TEST_CASE(model_fingerprint_identifies_the_content) {
    const model_spec m = two_layer_model();
    const std::string f = model_fingerprint(m);
    BOOST_TEST(f.size() == 71u);
    BOOST_TEST(model_fingerprint(model_spec(m)) == f);
    auto changed = [&](auto change) {
        model_spec x = m;
        change(x);
        return model_fingerprint(x) != f;
    };
    BOOST_TEST(changed([](model_spec& x) { x.layers[1].weights.edit()(0, 1) = exact(-2) + exact(1, 1 << 30); }));
    BOOST_TEST(changed([](model_spec& x) { x.layers[0].bias.edit()(1) = exact(-1) - exact(1, 1 << 30); }));
    BOOST_TEST(changed([](model_spec& x) { x.inputs.edit()(1, 5) = 1; }));
    BOOST_TEST(changed([](model_spec& x) { x.targets.edit()(0, 0) = exact(-1); }));
    BOOST_TEST(changed([](model_spec& x) { x.red = reduction::sum; }));
    BOOST_TEST(changed([](model_spec& x) { x.loss_kind = {"mse", {}}; }));
    BOOST_TEST(changed([](model_spec& x) { x.layers[0].activation = {"leaky_relu", {exact(1, 4)}}; }));
}

BOOST_AUTO_TEST_CASE(model_fingerprint_of_doubles_eq_of_their_rationals) {
    // A model held as doubles (as read from a file) hashes the bytes of each double's rational
    // without making it; the fingerprint must be the rationals' own, or a part computed from a
    // file would not combine with one computed from the same model built of rationals. Edge
    // doubles: ±0, the smallest subnormal, the largest double, powers of two on either side of a
    // byte boundary, integers with trailing zero bits, random doubles over the whole exponent range.
    std::mt19937_64 rng(20261201);
    const std::vector<double> edge = {0.0,
                                      -0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      -std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      -std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::min(),
                                      1.0,
                                      -0.5,
                                      128.0,
                                      256.0,
                                      0x1p-8,
                                      0x1p-9,
                                      12345678.0,
                                      -3.0 * 0x1p-1074,
                                      0x1.fffffffffffffp+52};
    auto tensor = [&](Eigen::Index r, Eigen::Index c) {
        matrix<double> M(r, c);
        for (Eigen::Index k = 0; k < M.size(); ++k) {
            if (k < static_cast<Eigen::Index>(edge.size())) {
                M(k) = edge[static_cast<std::size_t>(k)];
                continue;
            }
            const double m = std::uniform_real_distribution<double>(-1, 1)(rng);
            M(k) = std::ldexp(m, std::uniform_int_distribution<int>(-1074, 1023)(rng));
            if (!std::isfinite(M(k))) M(k) = 1;
        }
        return exact_tensor::of_doubles(M);
    };
    model_spec d;
    d.layers.push_back({tensor(4, 8), tensor(4, 1), {"relu", {}}});
    d.layers.push_back({tensor(3, 4), tensor(3, 1), {"identity", {}}});
    d.inputs = tensor(8, 5);
    d.targets = tensor(3, 5);
    d.loss_kind = {"mse", {}};
    d.red = reduction::mean;
    model_spec q = d;  // the same values as rationals: edit() makes the tensor hold its rationals
    for (auto& L : q.layers) {
        (void)L.weights.edit();
        (void)L.bias.edit();
    }
    (void)q.inputs.edit();
    (void)q.targets.edit();
    BOOST_REQUIRE(d.inputs.doubles() != nullptr);
    BOOST_REQUIRE(q.inputs.doubles() == nullptr);
    BOOST_TEST(model_fingerprint(d) == model_fingerprint(q));
    // And it still tells doubles apart: one entry one ulp away changes it.
    model_spec moved = d;
    matrix<double> X = *d.inputs.doubles();
    X(20) = std::nextafter(X(20), 2.0);
    moved.inputs = exact_tensor::of_doubles(X);
    BOOST_TEST(model_fingerprint(moved) != model_fingerprint(d));
}

BOOST_AUTO_TEST_CASE(sha256_known_answers) {
    // FIPS 180-2, appendix B.1–B.3, and the well-known digest of the empty message.
    BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    BOOST_TEST(sha256_hex(std::string(1000000, 'a')) ==
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(usage_example_of_shard_hpp) {
    model_spec model = two_layer_model();
    auto a = matbp::compute_partial(model, 0, 3), b = matbp::compute_partial(model, 3, 6);
    BOOST_TEST(difference(matbp::combine_partials({a, b}), compute_gradients(model, exact_arith)) == "");
}
