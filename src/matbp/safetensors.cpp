// matbp/safetensors.cpp — see safetensors.hpp.
#include "matbp/safetensors.hpp"

#include "matbp/contract.hpp"
#include "matbp/convert.hpp"
#include "matbp/error.hpp"
#include "matbp/json.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace matbp::safetensors {

namespace {

struct dtype_entry {
    std::string_view name;
    std::size_t size;
    dtype type;
};

// Every dtype of the format, with its element size in bytes.
constexpr dtype_entry dtypes[] = {
    {"F64", 8, dtype::f64},       {"F32", 4, dtype::f32},       {"F16", 2, dtype::f16},    {"BF16", 2, dtype::bf16},
    {"F8_E4M3", 1, dtype::other}, {"F8_E5M2", 1, dtype::other}, {"I64", 8, dtype::other},  {"I32", 4, dtype::other},
    {"I16", 2, dtype::other},     {"I8", 1, dtype::other},      {"U64", 8, dtype::other},  {"U32", 4, dtype::other},
    {"U16", 2, dtype::other},     {"U8", 1, dtype::other},      {"BOOL", 1, dtype::other},
};

const dtype_entry* entry_of(std::string_view name) {
    for (const auto& e : dtypes)
        if (e.name == name) return &e;
    return nullptr;
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) { throw input_error(path, 0, 0, why); }

std::string tensor_path(std::string_view name) { return json::member_path("tensors", name); }

std::uint64_t le(const char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

void put_le(std::string& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// A JSON integer ≥ 0 that fits 64 bits, or nullopt.
std::optional<std::uint64_t> natural(const json::value& v) {
    if (v.kind != json::kind::number || v.text.empty() || v.text.size() > 20) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : v.text) {
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        n = n * 10 + d;
    }
    return n;
}

/// The value of a half-precision (p = 11, emin = −14) or bfloat16 (p = 8, emin = −126) bit
/// pattern as a double (exact: both are subsets of double); NaN or ±inf as such.
double decode_small(std::uint16_t bits, dtype t) {
    if (t == dtype::bf16) return static_cast<double>(std::bit_cast<float>(std::uint32_t(bits) << 16));
    const bool neg = bits >> 15;
    const int e = (bits >> 10) & 0x1f;
    const int m = bits & 0x3ff;
    double v;
    if (e == 0x1f)
        v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    else if (e == 0)
        v = std::ldexp(static_cast<double>(m), -24);
    else
        v = std::ldexp(static_cast<double>(1024 + m), e - 25);
    return neg ? -v : v;
}

/// x rounded to nearest, ties to even, in a binary format of p significand bits whose least
/// normal exponent is emin, with overflow to ±inf beyond max.
double round_to_format(double x, int p, int emin, double max) {
    if (!std::isfinite(x) || x == 0) return x;
    const int e = std::max(std::ilogb(x), emin);
    const double r = std::ldexp(std::nearbyint(std::ldexp(x, p - 1 - e)), e - (p - 1));
    return std::fabs(r) > max ? std::copysign(std::numeric_limits<double>::infinity(), x) : r;
}

std::uint16_t encode_f16(double x) {
    const double r = round_to_format(x, 11, -14, 65504.0);
    const std::uint16_t sign = std::signbit(r) ? 0x8000 : 0;
    if (std::isnan(r)) return 0x7e00;
    if (std::isinf(r)) return sign | 0x7c00;
    const double a = std::fabs(r);
    if (a == 0) return sign;
    if (a < std::ldexp(1.0, -14)) return sign | static_cast<std::uint16_t>(std::ldexp(a, 24));
    const int e = std::ilogb(a);
    const auto m = static_cast<std::uint16_t>(std::ldexp(a, 10 - e) - 1024);
    return sign | static_cast<std::uint16_t>((e + 15) << 10) | m;
}

std::uint16_t encode_bf16(double x) {
    const double r = round_to_format(x, 8, -126, 0x1.fep127);
    if (std::isnan(r)) return 0x7fc0;
    // r is a bfloat16 value, so as a float its low 16 bits are zero.
    return static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(static_cast<float>(r)) >> 16);
}

}  // namespace

std::string_view name_of(dtype t) {
    for (const auto& e : dtypes)
        if (e.type == t && t != dtype::other) return e.name;
    return "other";
}

std::size_t tensor::elements() const {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

const tensor* file::find(std::string_view name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

const std::string* file::meta(std::string_view key) const {
    for (const auto& [k, v] : metadata)
        if (k == key) return &v;
    return nullptr;
}

exact file::value(const tensor& t, std::size_t i, const std::string& where) const {
    return to_exact(number(t, i, where));
}

double file::number(const tensor& t, std::size_t i, const std::string& where) const {
    MATBP_REQUIRE("safetensors", i < t.elements());
    auto path = [&] { return where.empty() ? tensor_path(t.name) + "[" + std::to_string(i) + "]" : where; };
    const char* p = bytes.data() + data_start + t.begin;
    double d = 0;
    switch (t.type) {
        case dtype::f64:
            d = std::bit_cast<double>(le(p + 8 * i, 8));
            break;
        case dtype::f32:
            d = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(le(p + 4 * i, 4))));
            break;
        case dtype::f16:
        case dtype::bf16:
            d = decode_small(static_cast<std::uint16_t>(le(p + 2 * i, 2)), t.type);
            break;
        case dtype::other:
            refuse(path(), "tensor " + json::quote(t.name) + " has dtype " + t.dtype_name +
                               "; matbp reads values from F64, F32, F16 and BF16 tensors");
    }
    if (!std::isfinite(d))
        refuse(path(), "element " + std::to_string(i) + " of tensor " + json::quote(t.name) + " is " +
                           (std::isnan(d) ? "NaN" : "infinite") + "; every value must be finite");
    return d;
}

bool sniff(std::string_view bytes) { return bytes.size() >= 9 && bytes[7] == '\0' && bytes[8] == '{'; }

file parse(std::string bytes, const limits& lim) {
    file f;
    if (bytes.size() < 8)
        refuse("header", "a safetensors file starts with an 8-byte header length; the file has " +
                             std::to_string(bytes.size()) + " bytes");
    const std::uint64_t n = le(bytes.data(), 8);
    if (n > bytes.size() - 8)
        refuse("header", "the header length " + std::to_string(n) + " runs past the end of the file (" +
                             std::to_string(bytes.size() - 8) + " bytes follow it)");
    if (n < 2) refuse("header", "the header length " + std::to_string(n) + " is too short for a JSON object");
    json::limits jl;
    jl.max_bytes = n;
    json::value h;
    try {
        h = json::parse(std::string_view(bytes).substr(8, n), jl);
    } catch (const input_error& e) {
        refuse("header", "not a JSON header: " + std::string(e.what()));
    }
    if (h.kind != json::kind::object) refuse("header", "expected a JSON object, got " + json::describe(h));
    f.data_start = static_cast<std::size_t>(8 + n);
    const std::size_t data_size = bytes.size() - f.data_start;

    for (const auto& m : h.members) {
        if (m.key == "__metadata__") {
            if (m.value.kind != json::kind::object)
                refuse("header.__metadata__", "expected an object of strings, got " + json::describe(m.value));
            for (const auto& e : m.value.members) {
                if (e.value.kind != json::kind::string)
                    refuse(json::member_path("header.__metadata__", e.key),
                           "expected a string, got " + json::describe(e.value));
                f.metadata.emplace_back(e.key, e.value.text);
            }
            continue;
        }
        const std::string p = tensor_path(m.key);
        if (f.tensors.size() >= lim.max_tensors)
            refuse(p, "more than " + std::to_string(lim.max_tensors) + " tensors, over the limit max_tensors");
        const json::value& v = m.value;
        if (v.kind != json::kind::object)
            refuse(p, "expected {\"dtype\", \"shape\", \"data_offsets\"}, got " + json::describe(v));
        for (const auto& k : v.members)
            if (k.key != "dtype" && k.key != "shape" && k.key != "data_offsets")
                refuse(p, "unknown key " + json::quote(k.key) + "; a tensor has dtype, shape and data_offsets");
        const json::value* dt = v.find("dtype");
        const json::value* shape = v.find("shape");
        const json::value* off = v.find("data_offsets");
        if (!dt || !shape || !off) refuse(p, "a tensor needs dtype, shape and data_offsets");
        tensor t;
        t.name = m.key;
        if (dt->kind != json::kind::string) refuse(p, "dtype: expected a string, got " + json::describe(*dt));
        const dtype_entry* de = entry_of(dt->text);
        if (!de) refuse(p, "unknown dtype " + json::quote(dt->text));
        t.dtype_name = dt->text;
        t.type = de->type;
        if (shape->kind != json::kind::array) refuse(p, "shape: expected an array, got " + json::describe(*shape));
        if (shape->items.size() > lim.max_rank)
            refuse(p, "shape has " + std::to_string(shape->items.size()) + " dimensions, over the limit of " +
                          std::to_string(lim.max_rank));
        std::uint64_t bytes_needed = de->size;
        bool overflow = false;
        for (const auto& d : shape->items) {
            const auto k = natural(d);
            if (!k) refuse(p, "shape: expected integers ≥ 0, got " + json::describe(d));
            t.shape.push_back(*k);
            if (*k != 0 && bytes_needed > std::numeric_limits<std::uint64_t>::max() / *k)
                overflow = true;
            else
                bytes_needed *= *k;
        }
        if (off->kind != json::kind::array || off->items.size() != 2)
            refuse(p, "data_offsets: expected [begin, end], got " + json::describe(*off));
        const auto b = natural(off->items[0]), e = natural(off->items[1]);
        if (!b || !e) refuse(p, "data_offsets: expected two integers ≥ 0");
        if (*b > *e)
            refuse(p, "data_offsets [" + std::to_string(*b) + ", " + std::to_string(*e) + "]: begin after end");
        if (*e > data_size)
            refuse(p, "data_offsets end " + std::to_string(*e) + " is past the end of the data (" +
                          std::to_string(data_size) + " bytes): the file is truncated");
        if (overflow || bytes_needed != *e - *b)
            refuse(p, "shape and dtype give " +
                          (overflow ? std::string("more than 2^64") : std::to_string(bytes_needed)) +
                          " bytes, but data_offsets span " + std::to_string(*e - *b));
        t.begin = static_cast<std::size_t>(*b);
        t.end = static_cast<std::size_t>(*e);
        f.tensors.push_back(std::move(t));
    }

    std::vector<const tensor*> order;
    for (const auto& t : f.tensors) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [](const tensor* a, const tensor* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::size_t at = 0;
    for (const tensor* t : order) {
        if (t->begin < at)
            refuse(tensor_path(t->name), "data_offsets [" + std::to_string(t->begin) + ", " + std::to_string(t->end) +
                                             ") overlap the previous tensor's data, which ends at " +
                                             std::to_string(at));
        if (t->begin > at)
            refuse(tensor_path(t->name), "data_offsets begin at " + std::to_string(t->begin) +
                                             ", leaving a hole after byte " + std::to_string(at) + " of the data");
        at = t->end;
    }
    if (at != data_size)
        refuse("header", std::to_string(data_size - at) + " bytes of data after the last tensor's end (" +
                             std::to_string(at) + "); every byte must belong to a tensor");
    f.bytes = std::move(bytes);
    return f;
}

std::string write(const std::vector<tensor_out>& tensors,
                  const std::vector<std::pair<std::string, std::string>>& metadata) {
    std::string header = "{";
    std::string data;
    bool first = true;
    auto sep = [&] {
        if (!first) header += ",";
        first = false;
    };
    if (!metadata.empty()) {
        sep();
        header += "\"__metadata__\":{";
        for (std::size_t i = 0; i < metadata.size(); ++i)
            header += (i ? "," : "") + json::quote(metadata[i].first) + ":" + json::quote(metadata[i].second);
        header += "}";
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const tensor_out& t = tensors[i];
        MATBP_REQUIRE("safetensors", t.type != dtype::other && t.name != "__metadata__");
        MATBP_REQUIRE("safetensors", std::accumulate(t.shape.begin(), t.shape.end(), std::uint64_t{1},
                                                     std::multiplies<>()) == t.values.size());
        for (std::size_t j = 0; j < i; ++j) MATBP_REQUIRE("safetensors", tensors[j].name != t.name);
        const std::size_t begin = data.size();
        for (double v : t.values) switch (t.type) {
                case dtype::f64:
                    put_le(data, std::bit_cast<std::uint64_t>(v), 8);
                    break;
                case dtype::f32:
                    put_le(data, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4);
                    break;
                case dtype::f16:
                    put_le(data, encode_f16(v), 2);
                    break;
                case dtype::bf16:
                    put_le(data, encode_bf16(v), 2);
                    break;
                case dtype::other:
                    break;
            }
        sep();
        header += json::quote(t.name) + ":{\"dtype\":\"" + std::string(name_of(t.type)) + "\",\"shape\":[";
        for (std::size_t k = 0; k < t.shape.size(); ++k) header += (k ? "," : "") + std::to_string(t.shape[k]);
        header += "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
    }
    header += "}";
    while ((8 + header.size()) % 8) header += ' ';  // the format aligns the data to 8 bytes
    std::string out;
    put_le(out, header.size(), 8);
    return out + header + data;
}

}  // namespace matbp::safetensors
