#include "matbp/model.hpp"

#include "matbp/convert.hpp"
#include "matbp/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <tuple>

namespace matbp {

const function_info& activation_spec::info() const {
    const function_info* f = find_activation(name);
    MATBP_REQUIRE("D10", f != nullptr && f->name == name);
    return *f;
}

const function_info& loss_spec::info() const {
    const function_info* f = find_loss(name);
    MATBP_REQUIRE("D9", f != nullptr && f->name == name);
    return *f;
}

activation_spec to_spec(const activation<exact>& f) { return {activation_name<exact>(f), parameters_of<exact>(f)}; }
loss_spec to_spec(const loss_function<exact>& l) { return {loss_name<exact>(l), registry_parameters<exact>(l)}; }

namespace {
bool same(const matrix<exact>& a, const matrix<exact>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && a == b;
}
}  // namespace

bool operator==(const layer_spec& a, const layer_spec& b) {
    return same(a.weights, b.weights) && same(a.bias, b.bias) && a.activation == b.activation;
}

bool operator==(const model_spec& a, const model_spec& b) {
    return a.layers == b.layers && a.loss_kind == b.loss_kind && a.red == b.red && same(a.inputs, b.inputs) &&
           same(a.targets, b.targets);
}

namespace {

using Eigen::Index;
using json::element_path;
using json::kind;
using json::member_path;
using json::value;

/// As read_model builds it: a canonical name of the registry, as many values as its parameters
/// take (at least one for a list), passing the entry's check.
bool canonical(std::span<const function_info* const> registry, const std::string& name,
               const std::vector<exact>& params) {
    const function_info* f = nullptr;
    for (const auto* g : registry)
        if (g->name == name) f = g;
    if (!f) return false;
    const auto& ps = f->parameters;
    const bool counts = !ps.empty() && ps.back().list ? params.size() >= ps.size() : params.size() == ps.size();
    return counts && (!f->check || !f->check(params));
}

/// "1 row", "2 rows"; "1 entry", "2 entries".
std::string count(std::size_t n, const std::string& noun) {
    if (n == 1) return "1 " + noun;
    return std::to_string(n) + " " + (noun.ends_with("y") ? noun.substr(0, noun.size() - 1) + "ies" : noun + "s");
}

[[noreturn]] void fail(const std::string& path, const value& v, const std::string& what) {
    throw input_error(path, v.line, v.column, what);
}

void expect(const value& v, kind k, const std::string& path, const std::string& what) {
    if (v.kind != k) fail(path, v, "expected " + what + ", got " + json::describe(v));
}

const value& required(const value& obj, const std::string& path, std::string_view key) {
    if (const value* v = obj.find(key)) return *v;
    fail(path, obj, "missing " + json::quote(key));
}

/// Typo protection: a key not in `known` is an error, never silently ignored.
void only_keys(const value& obj, const std::string& path, const std::vector<std::string_view>& known,
               const std::string& context = "") {
    for (const auto& m : obj.members) {
        if (std::find(known.begin(), known.end(), m.key) != known.end()) continue;
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        throw input_error(member_path(path, m.key), m.line, m.column,
                          "unknown key" + context + "; expected one of: " + list);
    }
}

/// The one C locale, so that a caller's setlocale cannot change what "0.5" means.
locale_t c_locale() {
    static const locale_t c = [] {
        const locale_t l = newlocale(LC_ALL_MASK, "C", locale_t{});
        if (l == locale_t{}) throw std::runtime_error("matbp: newlocale(\"C\") failed");
        return l;
    }();
    return c;
}

/// An element of a compact array (json::numbers::compact): its lexeme in the parsed text. The
/// number code below takes it or a value alike: kind_of, lexeme, and located (the value, with its
/// position, that a message names; for a token, found by scanning the text, so only on error).
struct token_ref {
    std::string_view text;
    const json::number_token& token;
};
kind kind_of(const value& v) { return v.kind; }
kind kind_of(const token_ref&) { return kind::number; }
std::string_view lexeme(const value& v) { return v.text; }
std::string_view lexeme(const token_ref& r) { return r.token.lexeme(r.text); }
const value& located(const value& v) { return v; }
value located(const token_ref& r) { return json::number_value(r.text, r.token); }

/// One tensor's entries as read: doubles while every entry is a double (a JSON number, an IEEE
/// tensor's element, or a string whose exact value a double holds), rationals from the first
/// entry that is not; either way the values read, exactly. Zeros are held as +0 (a −0 in the
/// text is the rational 0, and the double path must not see a sign the model does not have).
class tensor_builder {
public:
    tensor_builder(Index rows, Index cols) : d_(matrix<double>::Zero(rows, cols)) {}
    void set(Index i, Index j, double x) {
        if (rational_)
            q_(i, j) = to_exact(x);
        else
            d_(i, j) = x == 0 ? 0.0 : x;
    }
    void set(Index i, Index j, exact x) {
        if (!rational_) {
            const double d = to_double(x);
            if (std::isfinite(d) && to_exact(d) == x) return set(i, j, d);
            q_ = d_.unaryExpr([](double v) { return to_exact(v); });
            d_.resize(0, 0);
            rational_ = true;
        }
        q_(i, j) = std::move(x);
    }
    exact_tensor done() && { return rational_ ? exact_tensor(std::move(q_)) : exact_tensor::of_doubles(std::move(d_)); }

private:
    matrix<double> d_;
    matrix<exact> q_;
    bool rational_ = false;
};

class reader {
public:
    /// `text`: the JSON text the documents given to model() and gradients() were parsed from,
    /// which their compact arrays' tokens refer to.
    explicit reader(const model_limits& lim, std::string_view text, const safetensors::file* tensors = nullptr)
            : lim_(lim), text_(text), tensors_(tensors) {}

    model_spec model(const value& doc) {
        expect(doc, kind::object, "", "a matbp/1 model (a JSON object)");
        only_keys(doc, "", {"format", "layers", "loss", "reduction", "inputs", "targets", "comment"});
        const value& format = required(doc, "", "format");
        if (format.kind != kind::string || format.text != "matbp/1")
            fail("format", format, "expected \"matbp/1\", got " + json::describe(format));
        if (const value* c = doc.find("comment")) expect(*c, kind::string, "comment", "a string");

        model_spec m;
        const value& layers = required(doc, "", "layers");
        expect(layers, kind::array, "layers", "an array of layers");
        if (layers.size() == 0) fail("layers", layers, "no layers; a network has at least one");
        if (layers.size() > lim_.max_layers)
            fail("layers", layers, over(count(layers.size(), "layer"), "max_layers", lim_.max_layers));
        const std::vector<value>& layer_values = elements(layers);
        for (std::size_t l = 0; l < layer_values.size(); ++l)
            m.layers.push_back(layer(layer_values[l], l, l == 0 ? 0 : m.layers.back().weights.rows()));

        if (const value* v = doc.find("loss")) {
            const auto [name, params] = member(*v, "loss", loss_registry(), "loss");
            m.loss_kind = loss_spec{name, params};
        }
        if (const value* v = doc.find("reduction")) {
            static const std::pair<std::string_view, reduction> kinds[] = {{"mean", reduction::mean},
                                                                           {"sum", reduction::sum}};
            m.red = choice(*v, "reduction", kinds);
        }

        const Index m0 = m.layers.front().weights.cols(), mk = m.layers.back().weights.rows();
        const value& inputs = required(doc, "", "inputs");
        const auto* tX = tensor_ref(inputs, "inputs");
        const std::size_t n =
            tX ? rank2(*tX, inputs, "inputs").first : rows(inputs, "inputs", "an array of samples").size();
        if (n == 0) fail("inputs", inputs, "no samples; the batch needs at least one");
        if (n > lim_.max_samples) fail("inputs", inputs, over(count(n, "sample"), "max_samples", lim_.max_samples));
        const std::string why_x = "layers[0].weights has " + count(m0, "column");
        m.inputs = tX ? tensor_rows(*tX, inputs, "inputs", m0, why_x, true)
                      : read_rows(elements(inputs), "inputs", m0, why_x, true);

        const value& targets = required(doc, "", "targets");
        const auto* tY = tensor_ref(targets, "targets");
        const std::size_t ny =
            tY ? rank2(*tY, targets, "targets").first : rows(targets, "targets", "an array of samples").size();
        if (ny != n) fail("targets", targets, rows_text(tY, ny) + ", but inputs has " + count(n, "sample"));
        const std::string why_y = "the last layer has " + count(mk, "unit");
        m.targets = tY ? tensor_rows(*tY, targets, "targets", mk, why_y, true)
                       : read_rows(elements(targets), "targets", mk, why_y, true);
        return m;
    }

    reported_gradients gradients(const value& doc, const model_spec& shapes) {
        expect(doc, kind::object, "", "a JSON object with \"layers\"");
        const value& layers = required(doc, "", "layers");
        expect(layers, kind::array, "layers", "an array of layers");
        if (layers.size() != shapes.layers.size())
            fail("layers", layers,
                 count(layers.size(), "entry") + ", but the model has " + count(shapes.layers.size(), "layer"));
        reported_gradients out;
        const std::vector<value>& layer_values = elements(layers);
        for (std::size_t l = 0; l < layer_values.size(); ++l) {
            const value& L = layer_values[l];
            const std::string p = element_path("layers", l);
            expect(L, kind::object, p, "an object with \"weights\" and \"bias\"");
            only_keys(L, p, {"weights", "bias"});
            const Index r = shapes.layers[l].weights.rows(), c = shapes.layers[l].weights.cols();
            const std::string wp = member_path(p, "weights");
            const value& W = required(L, p, "weights");
            const auto* tW = tensor_ref(W, wp);
            const std::size_t rows_given = tW ? rank2(*tW, W, wp).first : rows(W, wp, "an array of rows").size();
            if (rows_given != static_cast<std::size_t>(r))
                fail(wp, W, rows_text(tW, rows_given) + ", but the model's " + wp + " has " + count(r, "row"));
            const std::string why = "the model's " + wp + " has " + count(c, "column");
            exact_tensor gW = tW ? tensor_rows(*tW, W, wp, c, why, false) : read_rows(elements(W), wp, c, why, false);
            exact_tensor gb = column(required(L, p, "bias"), member_path(p, "bias"), r,
                                     "the model's " + member_path(p, "bias") + " has " + count(r, "value"));
            out.emplace_back(std::move(gW), std::move(gb));
        }
        return out;
    }

private:
    const model_limits& lim_;
    std::string_view text_;
    const safetensors::file* tensors_;
    /// Compact arrays that had to be values (elements); a deque keeps references valid.
    mutable std::deque<std::vector<value>> materialized_;

    /// An array's elements as values: a compact array's numbers made values once (an array of
    /// numbers where rows or layers belong, to be refused with the message for its first element).
    const std::vector<value>& elements(const value& v) const {
        if (v.numbers.empty()) return v.items;
        return materialized_.emplace_back(json::number_values(text_, v));
    }
    std::size_t parameters_ = 0;
    mutable std::size_t exact_bits_ = 0;

    static std::string over(const std::string& what, const char* limit, std::size_t value) {
        return what + ", over the limit " + limit + " = " + std::to_string(value);
    }

    template <class T, std::size_t N>
    static T choice(const value& v, const std::string& path, const std::pair<std::string_view, T> (&kinds)[N]) {
        std::string list;
        for (const auto& [name, k] : kinds) {
            if (v.kind == kind::string && v.text == name) return k;
            list += (list.empty() ? "" : ", ") + std::string(name);
        }
        fail(path, v, "expected one of " + list + "; got " + json::describe(v));
    }

    /// A JSON number is the double it denotes (strtod rounds correctly), taken exactly; a string is
    /// an exact rational. `where` builds the path only when there is an error to report.
    template <class V, class Where>
    exact number(const V& v, const Where& where) const {
        return account(parse_number(v, where), v, where);
    }

    /// q, once its size is within the limits (`v` and `where` locate it for a message).
    template <class V, class Where>
    exact account(exact q, const V& v, const Where& where) const {
        // Every number's canonical text (write_model) must fit the per-number limit, so that what
        // was read can be written and read again; and all numbers together get a bit budget, so a
        // small file of "1e9999" strings cannot cost gigabytes.
        const auto num = bmp::numerator(q), den = bmp::denominator(q);
        // mpz_sizeinbase may overestimate by one digit: count exactly when it matters.
        std::size_t chars = mpz_sizeinbase(num.backend().data(), 10) + 1 +
                            (den == 1 ? 0 : mpz_sizeinbase(den.backend().data(), 10) + 1);
        if (chars > lim_.number.max_chars) chars = to_string(q).size();
        if (chars > lim_.number.max_chars)
            fail(where(), located(v),
                 "its exact value p/q would take " + std::to_string(chars) +
                     " characters to write, over the limit of " + std::to_string(lim_.number.max_chars));
        const std::size_t bits = mpz_sizeinbase(num.backend().data(), 2) + mpz_sizeinbase(den.backend().data(), 2);
        exact_bits_ += bits > 128 ? bits - 128 : 0;
        if (exact_bits_ > lim_.max_exact_bits)
            fail(where(), located(v),
                 over("the numbers so far hold " + std::to_string(exact_bits_) + " bits beyond 128 each",
                      "max_exact_bits", lim_.max_exact_bits));
        return q;
    }

    /// The fast path of number(): a JSON number whose double std::from_chars finds (correctly
    /// rounded, as strtod_l: both give the nearest double) and whose exact value is provably
    /// within the limits (its bits then added to the budget, as number() adds them); nullopt for
    /// anything else (an overflow, an underflow std::from_chars reports, a value near a limit, a
    /// string), which number() itself decides. model_test's fast_number_path_eq_slow_path checks
    /// the two agree.
    template <class V>
    std::optional<double> fast_double(const V& v) const {
        const std::string_view text = lexeme(v);
        if (kind_of(v) != kind::number || text.size() > lim_.number.max_chars) return std::nullopt;
        double d = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, d);
        if (ec == std::errc() && ptr == end && std::isfinite(d) && within_limits(dyadic_parts(d))) return d;
        return std::nullopt;
    }

    /// number(v, where), written into `out` (whose old value is overwritten), by fast_double
    /// where it applies.
    template <class V, class Where>
    void number_into(exact& out, const V& v, const Where& where) const {
        if (const auto d = fast_double(v))
            out = to_exact(*d);
        else
            out = number(v, where);
    }

    /// The same into b(i, j) for a tensor being built, the double kept as a double.
    template <class V, class Where>
    void number_into(tensor_builder& b, Index i, Index j, const V& v, const Where& where) const {
        if (const auto d = fast_double(v))
            b.set(i, j, *d);
        else
            b.set(i, j, number(v, where));
    }

    /// A finite double's magnitude as m·2^e with m odd (m = 0 for ±0; split_double): the canonical
    /// p/q is ±m·2^e / 1 when e ≥ 0, else ±m / 2^−e (the sizes the limits count).
    struct dyadic_parts {
        std::uint64_t m = 0;
        long e = 0;
        explicit dyadic_parts(double d) {
            const double_parts p = split_double(d);
            m = p.odd;
            e = p.exp2;
        }
        std::size_t num_bits() const {  // mpz_sizeinbase(p, 2): 1 for 0
            if (m == 0) return 1;
            return static_cast<std::size_t>(std::bit_width(m)) + (e > 0 ? static_cast<std::size_t>(e) : 0);
        }
        std::size_t den_bits() const { return e < 0 ? static_cast<std::size_t>(-e) + 1 : 1; }
    };

    /// True, and x's bits beyond 128 added to the budget, when account(to_exact(x)) would accept
    /// it: its p/q text provably within max_chars and the budget not exceeded. False (nothing
    /// added) otherwise: account() then decides, exactly.
    bool within_limits(const dyadic_parts& x) const {
        const std::size_t num_bits = x.num_bits(), den_bits = x.den_bits();
        // Decimal digits of an integer below 2^b: at most ⌈b·log₁₀2⌉ ≤ b·0.30103 + 1; plus a sign
        // and a slash.
        const auto digits = [](std::size_t b) {
            return static_cast<std::size_t>(static_cast<double>(b) * 0.30103) + 2;
        };
        const std::size_t chars = 1 + digits(num_bits) + (den_bits == 1 ? 0 : 1 + digits(den_bits));
        if (chars > lim_.number.max_chars) return false;
        const std::size_t bits = num_bits + den_bits;
        const std::size_t beyond = bits > 128 ? bits - 128 : 0;
        if (exact_bits_ + beyond > lim_.max_exact_bits) return false;
        exact_bits_ += beyond;
        return true;
    }

    template <class V, class Where>
    exact parse_number(const V& v, const Where& where) const {
        const std::string_view text = lexeme(v);
        if (kind_of(v) == kind::number) {
            if (text.size() > lim_.number.max_chars)
                fail(where(), located(v),
                     "a number of " + std::to_string(text.size()) + " characters, over the limit of " +
                         std::to_string(lim_.number.max_chars));
            const double d = strtod_l(std::string(text).c_str(), nullptr, c_locale());
            if (std::isinf(d))
                fail(where(), located(v),
                     json::describe(located(v)) +
                         " is beyond the range of a double; write it as a string for its exact value");
            return to_exact(d);
        }
        if (kind_of(v) == kind::string) {
            try {
                return parse_exact(text, lim_.number);
            } catch (const conversion_error& e) {
                fail(where(), located(v), e.what());
            }
        }
        fail(where(), located(v), "expected a number or an exact string, got " + json::describe(located(v)));
    }

    /// Element j of an array (compact or not), as number_into.
    template <class Where>
    void element_into(exact& out, const value& array, std::size_t j, const Where& where) const {
        if (array.numbers.empty())
            number_into(out, array.items[j], where);
        else
            number_into(out, token_ref{text_, array.numbers[j]}, where);
    }
    /// Element k of an array (compact or not) into b(i, j), as number_into.
    template <class Where>
    void element_into(tensor_builder& b, Index i, Index j, const value& array, std::size_t k,
                      const Where& where) const {
        if (array.numbers.empty())
            number_into(b, i, j, array.items[k], where);
        else
            number_into(b, i, j, token_ref{text_, array.numbers[k]}, where);
    }

    const std::vector<value>& rows(const value& v, const std::string& path, const std::string& what) const {
        expect(v, kind::array, path, what);
        return elements(v);
    }

    /// Each JSON row must be an array of `cols` numbers (`why` says where that count comes from).
    /// Row i becomes row i of the result, or column i when samples_as_columns. Shapes are checked
    /// before the matrix is allocated, so its size is bounded by the values the text holds
    /// (a million empty rows against a wide first layer must not allocate rows × width).
    exact_tensor read_rows(const std::vector<value>& rs, const std::string& path, Index cols, const std::string& why,
                           bool samples_as_columns) const {
        const auto n = static_cast<Index>(rs.size());
        for (Index i = 0; i < n; ++i) {
            const value& row = rs[i];
            if (row.kind != kind::array)
                fail(element_path(path, i), row,
                     "expected an array of " + count(cols, "number") + ", got " + json::describe(row));
            if (static_cast<Index>(row.size()) != cols)
                fail(element_path(path, i), row, count(row.size(), "value") + ", but " + why);
        }
        tensor_builder M = samples_as_columns ? tensor_builder(cols, n) : tensor_builder(n, cols);
        for (Index i = 0; i < n; ++i)
            for (Index j = 0; j < cols; ++j) {
                element_into(M, samples_as_columns ? j : i, samples_as_columns ? i : j, rs[i],
                             static_cast<std::size_t>(j), [&] { return element_path(element_path(path, i), j); });
            }
        return std::move(M).done();
    }

    /// A JSON array of exactly `n` numbers as an n × 1 matrix.
    exact_tensor column(const value& v, const std::string& path, Index n, const std::string& why) const {
        tensor_builder b(n, 1);
        if (const auto* t = tensor_ref(v, path)) {
            if (t->shape.size() != 1 || t->shape[0] != static_cast<std::uint64_t>(n))
                fail(path, v, "tensor " + json::quote(t->name) + " has shape " + shape_text(*t) + ", but " + why);
            for (Index i = 0; i < n; ++i) {
                auto where = [&] { return element_path(path, i); };
                b.set(i, 0, element(*t, static_cast<std::size_t>(i), v, where));
            }
            return std::move(b).done();
        }
        expect(v, kind::array, path, "an array of " + count(n, "number"));
        if (static_cast<Index>(v.size()) != n) fail(path, v, count(v.size(), "value") + ", but " + why);
        for (Index i = 0; i < n; ++i)
            element_into(b, i, 0, v, static_cast<std::size_t>(i), [&] { return element_path(path, i); });
        return std::move(b).done();
    }

    /// The tensor a value {"tensor": name} refers to, or nullptr for any other value. Such a
    /// reference is read only in a document from a safetensors file (read_model_file).
    const safetensors::tensor* tensor_ref(const value& v, const std::string& path) const {
        // Only an object with a "tensor" member is a reference; any other value gets the
        // message for what the position expects (an array of numbers, of rows, …).
        if (v.kind != kind::object || !v.find("tensor")) return nullptr;
        only_keys(v, path, {"tensor"});
        const std::string np = member_path(path, "tensor");
        const value& name = required(v, path, "tensor");
        expect(name, kind::string, np, "a tensor name");
        if (!tensors_) fail(path, v, "a tensor reference is read only from the __metadata__ of a safetensors file");
        const safetensors::tensor* t = tensors_->find(name.text);
        if (!t) fail(np, name, "no tensor " + json::quote(name.text) + " in the safetensors file");
        return t;
    }

    /// Element i of t (a finite double, its value exact), within the number limits; errors located
    /// at where().
    template <class Where>
    double element(const safetensors::tensor& t, std::size_t i, const value& v, const Where& where) const {
        try {
            const double d = tensors_->number(t, i);
            if (!within_limits(dyadic_parts(d))) account(to_exact(d), v, where);
            return d;
        } catch (const input_error& e) {
            if (!e.path().starts_with("tensors")) throw;
            fail(where(), v, e.reason());
        }
    }

    /// "3 rows", or for a tensor "tensor \"name\" has shape [3, 2]".
    static std::string rows_text(const safetensors::tensor* t, std::size_t n) {
        return t ? "tensor " + json::quote(t->name) + " has shape " + shape_text(*t) : count(n, "row");
    }

    static std::string shape_text(const safetensors::tensor& t) {
        std::string s = "[";
        for (std::size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
        return s + "]";
    }

    /// A matrix tensor's [rows, columns], each within max_width or max_samples.
    std::pair<std::size_t, std::size_t> rank2(const safetensors::tensor& t, const value& v,
                                              const std::string& path) const {
        if (t.shape.size() != 2)
            fail(path, v,
                 "tensor " + json::quote(t.name) + " has shape " + shape_text(t) + "; expected [rows, columns]");
        const std::uint64_t cap = std::max<std::uint64_t>(lim_.max_width, lim_.max_samples);
        if (t.shape[0] > cap || t.shape[1] > cap)
            fail(path, v, "tensor " + json::quote(t.name) + " has shape " + shape_text(t) + ", over the limits");
        return {static_cast<std::size_t>(t.shape[0]), static_cast<std::size_t>(t.shape[1])};
    }

    /// read_rows for a tensor of shape [rows, cols] (rows checked by the caller).
    exact_tensor tensor_rows(const safetensors::tensor& t, const value& v, const std::string& path, Index cols,
                             const std::string& why, bool samples_as_columns) const {
        const auto [r, c] = rank2(t, v, path);
        if (static_cast<Index>(c) != cols)
            fail(path, v, "tensor " + json::quote(t.name) + " has shape " + shape_text(t) + ", but " + why);
        const auto n = static_cast<Index>(r);
        tensor_builder M = samples_as_columns ? tensor_builder(cols, n) : tensor_builder(n, cols);
        for (Index i = 0; i < n; ++i)
            for (Index j = 0; j < cols; ++j) {
                auto where = [&] { return element_path(element_path(path, i), j); };
                const double d = element(t, static_cast<std::size_t>(i * cols + j), v, where);
                M.set(samples_as_columns ? j : i, samples_as_columns ? i : j, d);
            }
        return std::move(M).done();
    }

    void count_parameters(std::size_t more, const std::string& path, const value& /*where*/) {
        parameters_ += more;
        if (parameters_ > lim_.max_parameters)
            throw resource_error(resource::parameters, path,
                                 over("the parameters so far number " + std::to_string(parameters_), "max_parameters",
                                      lim_.max_parameters));
    }

    /// Layer l (0-based, as the JSON indexes it); prev_rows = m_{l−1} for l > 0, while the first
    /// layer's columns define m₀.
    layer_spec layer(const value& L, std::size_t l, Index prev_rows) {
        const std::string p = element_path("layers", l);
        expect(L, kind::object, p, "a layer object with \"weights\", \"bias\" and \"activation\"");
        only_keys(L, p, {"weights", "bias", "activation"});
        layer_spec s;

        const std::string wp = member_path(p, "weights");
        const value& W = required(L, p, "weights");
        const auto* tW = tensor_ref(W, wp);
        const std::string w0 = element_path(wp, 0);
        std::size_t rows_n = 0, cols = 0;
        if (tW) {
            std::tie(rows_n, cols) = rank2(*tW, W, wp);
        } else {
            rows_n = rows(W, wp, "an array of rows").size();
            if (rows_n > 0) {
                expect(elements(W)[0], kind::array, w0, "an array of numbers");
                cols = elements(W)[0].size();
            }
        }
        const value& at0 = tW || rows_n == 0 ? W : elements(W)[0];
        const std::string& p0 = tW ? wp : w0;
        if (rows_n == 0) fail(wp, W, "no rows; every width must be at least 1");
        if (rows_n > lim_.max_width) fail(wp, W, over(count(rows_n, "row"), "max_width", lim_.max_width));
        if (cols == 0) fail(p0, at0, "no values; every width must be at least 1");
        if (cols > lim_.max_width) fail(p0, at0, over(count(cols, "value"), "max_width", lim_.max_width));
        if (l > 0 && static_cast<Index>(cols) != prev_rows)
            fail(wp, W,
                 count(cols, "column") + ", but " + member_path(element_path("layers", l - 1), "weights") + " has " +
                     count(static_cast<std::size_t>(prev_rows), "row") + " (widths must chain)");
        count_parameters(rows_n * (cols + 1), wp, W);
        const std::string why = w0 + " has " + count(cols, "value");
        s.weights = tW ? tensor_rows(*tW, W, wp, static_cast<Index>(cols), why, false)
                       : read_rows(elements(W), wp, static_cast<Index>(cols), why, false);

        const Index r = s.weights.rows();
        s.bias = column(required(L, p, "bias"), member_path(p, "bias"), r, wp + " has " + count(r, "row"));
        s.activation = activation(required(L, p, "activation"), member_path(p, "activation"));
        return s;
    }

    activation_spec activation(const value& v, const std::string& path) {
        auto [name, params] = member(v, path, activation_registry(), "activation");
        return activation_spec{std::move(name), std::move(params)};
    }

    /// A registry member (D9, D10): a name, or {"name": …, parameters}; every parameter a number
    /// (a list parameter: an array of at least one), defaults from the entry, then its check.
    std::pair<std::string, std::vector<exact>> member(const value& v, const std::string& path,
                                                      std::span<const function_info* const> registry,
                                                      const std::string& what) {
        const bool object = v.kind == kind::object;
        if (!object && v.kind != kind::string)
            fail(path, v, "expected " + article(what) + " name or {\"name\": …}, got " + json::describe(v));
        const std::string np = object ? member_path(path, "name") : path;
        const value& name = object ? required(v, path, "name") : v;
        expect(name, kind::string, np, article(what) + " name");
        const function_info* f = nullptr;
        for (const auto* g : registry)
            if (g->named(name.text)) f = g;
        if (!f)
            fail(np, name, "unknown " + what + " " + json::quote(name.text) + "; known: " + registry_names(registry));
        const std::string canonical(f->name);
        std::vector<std::optional<std::vector<exact>>> given(f->parameters.size());
        if (object) {
            std::vector<std::string_view> keys{"name"};
            for (const auto& p : f->parameters) keys.push_back(p.name);
            only_keys(v, path, keys, " for " + canonical);
        }
        for (std::size_t i = 0; i < f->parameters.size(); ++i) {
            const parameter_info& p = f->parameters[i];
            const value* pv = object ? v.find(p.name) : nullptr;
            if (!pv) {
                if (!p.default_text.empty()) continue;
                if (!object)
                    fail(path, v,
                         canonical + " needs " + json::quote(p.name) + ": {\"name\": \"" + canonical + "\", \"" +
                             std::string(p.name) + "\": " + (p.list ? "[…]" : "…") + "}");
                fail(path, v, "missing " + json::quote(p.name) + " for " + canonical);
            }
            const std::string pp = member_path(path, p.name);
            std::vector<exact> values;
            if (p.list) {
                expect(
                    *pv, kind::array, pp,
                    "an array of numbers" + (p.meaning.empty() ? std::string() : " (" + std::string(p.meaning) + ")"));
                if (pv->size() == 0) fail(pp, *pv, "no " + std::string(p.name) + "; give at least one");
                count_parameters(pv->size(), pp, *pv);
                values.resize(pv->size());
                for (std::size_t j = 0; j < pv->size(); ++j)
                    element_into(values[j], *pv, j, [&] { return element_path(pp, j); });
            } else {
                values.push_back(number(*pv, [&] { return pp; }));
            }
            given[i] = std::move(values);
        }
        std::vector<exact> params = f->with_defaults(given);
        if (f->check)
            if (auto problem = f->check(params)) {
                const std::string_view key = f->parameters[problem->parameter].name;
                const value* at = object ? v.find(key) : nullptr;
                fail(at ? member_path(path, key) : path, at ? *at : v, problem->what);
            }
        return {canonical, std::move(params)};
    }

    static std::string article(const std::string& noun) {
        return (noun.find_first_of("aeiou") == 0 ? "an " : "a ") + noun;
    }
};

[[noreturn]] void refuse(const std::string& file, const std::string& why) { throw input_error("", 0, 0, why, file); }

/// At most max_bytes + 1 bytes, so an endless file (/dev/zero) is refused rather than read.
std::string read_file(const std::string& file, std::size_t max_bytes) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) refuse(file, "is a directory, not a file");
    errno = 0;
    // O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever; with it the
    // FIFO reads as empty. Reads then block as usual (the flag is cleared).
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) refuse(file, std::string("cannot open: ") + std::strerror(errno));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(::fdopen(fd, "rb"), &std::fclose);
    if (!f) {
        ::close(fd);
        refuse(file, std::string("cannot open: ") + std::strerror(errno));
    }
    const std::size_t cap = max_bytes == static_cast<std::size_t>(-1) ? max_bytes : max_bytes + 1;
    std::string text;
    // A regular file's size, when it is within the cap, is read in one piece into a string sized
    // once (no regrowth, no copy through a buffer); the loop still reads to the end, so a file
    // that grows meanwhile is read as any stream, up to the cap.
    struct stat st {};
    std::size_t chunk = std::size_t{1} << 16;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) < cap)
        chunk = static_cast<std::size_t>(st.st_size) + 1;  // + 1: the read that finds the end
    while (text.size() < cap) {
        const std::size_t want = std::min(chunk, cap - text.size());
        const std::size_t had = text.size();
        text.resize(had + want);
        const std::size_t got = std::fread(text.data() + had, 1, want, f.get());
        text.resize(had + got);
        if (got < want) {
            if (std::ferror(f.get())) refuse(file, std::string("cannot read: ") + std::strerror(errno));
            break;
        }
        chunk = std::size_t{1} << 16;
    }
    if (text.size() > max_bytes)
        throw resource_error(resource::file_bytes, "",
                             "larger than the limit of " + std::to_string(max_bytes) + " bytes", file);
    if (text.empty()) refuse(file, "the file is empty");
    return text;
}

std::string exact_array(const auto& values) {
    std::string s = "[";
    for (Index i = 0; i < values.size(); ++i) s += (i ? ", " : "") + json::quote(to_string(values(i)));
    return s + "]";
}

/// Rows of M (samples_as_columns: columns of M), one per line at the given indentation.
std::string exact_rows(const matrix<exact>& M, bool samples_as_columns, const std::string& indent) {
    const matrix<exact> R = samples_as_columns ? matrix<exact>(M.transpose()) : M;
    std::string s = "[\n";
    for (Index i = 0; i < R.rows(); ++i) s += indent + "  " + exact_array(R.row(i)) + (i + 1 < R.rows() ? ",\n" : "\n");
    return s + indent + "]";
}

/// A registry member as matbp/1 text: its name, or an object with every parameter written out.
std::string member_text(std::span<const function_info* const> registry, const std::string& name,
                        const std::vector<exact>& params) {
    const function_info* f = nullptr;
    for (const auto* g : registry)
        if (g->name == name) f = g;
    MATBP_REQUIRE("D10", f != nullptr);
    if (f->parameters.empty()) return json::quote(name);
    std::string s = "{\"name\": " + json::quote(name);
    for (std::size_t i = 0; i < f->parameters.size(); ++i) {
        const auto& p = f->parameters[i];
        s += ", " + json::quote(p.name) + ": ";
        if (p.list) {
            std::string list;
            for (std::size_t j = i; j < params.size(); ++j)
                list += (list.empty() ? "" : ", ") + json::quote(to_string(params[j]));
            s += "[" + list + "]";
        } else {
            s += json::quote(to_string(params[i]));
        }
    }
    return s + "}";
}

}  // namespace

model_spec read_model(std::string_view json_text, const model_limits& limits) {
    return reader(limits, json_text).model(json::parse(json_text, limits.syntax, json::numbers::compact));
}

namespace {

/// The matbp/1 text a safetensors file carries as __metadata__.matbp, parsed.
value metadata_document(const safetensors::file& f, const model_limits& limits, const char* what) {
    const std::string* doc = f.meta("matbp");
    if (!doc)
        throw input_error("header.__metadata__", 0, 0,
                          std::string("a safetensors ") + what +
                              " carries its matbp/1 document as the string __metadata__.matbp; this file has none");
    try {
        return json::parse(*doc, limits.syntax);
    } catch (const input_error& e) {
        throw input_error("header.__metadata__.matbp", 0, 0, e.what());
    }
}

}  // namespace

reported_gradients read_gradients(std::string_view json_text, const model_spec& shapes, const model_limits& limits) {
    return reader(limits, json_text).gradients(json::parse(json_text, limits.syntax, json::numbers::compact), shapes);
}

model_spec read_model_bytes(std::string bytes, const model_limits& limits) {
    if (!safetensors::sniff(bytes)) return read_model(bytes, limits);
    const safetensors::file f = safetensors::parse(std::move(bytes));
    return reader(limits, {}, &f).model(metadata_document(f, limits, "model"));
}

reported_gradients read_gradients_bytes(std::string bytes, const model_spec& shapes, const model_limits& limits) {
    if (!safetensors::sniff(bytes)) return read_gradients(bytes, shapes, limits);
    const safetensors::file f = safetensors::parse(std::move(bytes));
    if (f.meta("matbp"))
        return reader(limits, {}, &f).gradients(metadata_document(f, limits, "gradients file"), shapes);
    // Without a document: the tensors named after the JSON paths, layers.<l>.weights and .bias.
    std::string doc = "{\"layers\": [";
    for (std::size_t l = 0; l < shapes.layers.size(); ++l)
        doc += (l ? ", " : "") + std::string("{\"weights\": {\"tensor\": \"layers.") + std::to_string(l) +
               ".weights\"}, \"bias\": {\"tensor\": \"layers." + std::to_string(l) + ".bias\"}}";
    return reader(limits, {}, &f).gradients(json::parse(doc + "]}"), shapes);
}

model_spec read_model_file(const std::string& path, const model_limits& limits) {
    std::string bytes = read_file(path, limits.syntax.max_bytes);
    try {
        return read_model_bytes(std::move(bytes), limits);
    } catch (const input_error& e) {
        throw e.in_file(path);
    } catch (const resource_error& e) {
        throw e.in_file(path);
    }
}

reported_gradients read_gradients_file(const std::string& path, const model_spec& shapes, const model_limits& limits) {
    std::string bytes = read_file(path, limits.syntax.max_bytes);
    try {
        return read_gradients_bytes(std::move(bytes), shapes, limits);
    } catch (const input_error& e) {
        throw e.in_file(path);
    } catch (const resource_error& e) {
        throw e.in_file(path);
    }
}

std::string write_model(const model_spec& m) {
    MATBP_REQUIRE("D12", !m.layers.empty());
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        const auto& L = m.layers[l];
        MATBP_REQUIRE("D12", L.weights.rows() >= 1 && L.weights.cols() >= 1);
        MATBP_REQUIRE("D12", L.bias.rows() == L.weights.rows() && L.bias.cols() == 1);
        MATBP_REQUIRE("D12", l == 0 || L.weights.cols() == m.layers[l - 1].weights.rows());
        MATBP_REQUIRE("D10", canonical(activation_registry(), L.activation.name, L.activation.params));
    }
    MATBP_REQUIRE("D9", canonical(loss_registry(), m.loss_kind.name, m.loss_kind.params));
    MATBP_REQUIRE("D14", m.inputs.rows() == m.layers.front().weights.cols() && m.inputs.cols() >= 1);
    MATBP_REQUIRE("D14", m.targets.rows() == m.layers.back().weights.rows() && m.targets.cols() == m.inputs.cols());

    std::string s = "{\n  \"format\": \"matbp/1\",\n  \"layers\": [\n";
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        const auto& L = m.layers[l];
        s += "    {\n      \"weights\": " + exact_rows(L.weights, false, "      ") + ",\n";
        s += "      \"bias\": " + exact_array(L.bias.rational().col(0)) + ",\n";
        s += "      \"activation\": " + member_text(activation_registry(), L.activation.name, L.activation.params) +
             "\n";
        s += l + 1 < m.layers.size() ? "    },\n" : "    }\n";
    }
    s += "  ],\n";
    s += "  \"loss\": " + member_text(loss_registry(), m.loss_kind.name, m.loss_kind.params) + ",\n";
    s += "  \"reduction\": " + json::quote(to_string(m.red)) + ",\n";
    s += "  \"inputs\": " + exact_rows(m.inputs, true, "  ") + ",\n";
    s += "  \"targets\": " + exact_rows(m.targets, true, "  ") + "\n}\n";
    return s;
}

}  // namespace matbp
