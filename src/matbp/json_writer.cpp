#include "matbp/json_writer.hpp"

#include "matbp/contract.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace matbp::json {

bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.size() - i >= 8) {  // eight ASCII bytes at once
            std::uint64_t x;
            std::memcpy(&x, s.data() + i, sizeof x);
            if ((x & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return false;                     // continuation byte, C0/C1 (overlong) or F5–FF
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

namespace {

/// Significant digits of a decimal number's text: its digits before any exponent, without
/// leading and trailing zeros (at least one).
std::size_t significant_digits(const char* b, const char* e) {
    std::size_t n = 0, first = 0, last = 0;  // digits seen; 1-based positions of the first and last nonzero
    for (const char* c = b; c != e && *c != 'e' && *c != 'E'; ++c)
        if (*c >= '0' && *c <= '9') {
            ++n;
            if (*c != '0') {
                if (first == 0) first = n;
                last = n;
            }
        }
    if (first == 0) return 1;
    return last - first + 1;
}
/// A byte a JSON string must escape.
bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void append_string(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // The run up to the next byte to escape, in one append.
        std::size_t j = i;
        while (j < s.size() && !needs_escape(static_cast<unsigned char>(s[j]))) ++j;
        out.append(s.data() + i, j - i);
        if (j == s.size()) break;
        i = j + 1;
        const char ch = s[j];
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20)
                    out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
                else
                    out += ch;
        }
    }
    out += '"';
}
}  // namespace

void writer::newline_indent(std::size_t depth) {
    out_ += '\n';
    out_.append(depth, ' ');
}

void writer::before_value() {
    MATBP_REQUIRE("RFC8259", !complete_);
    if (open_.empty()) return;
    frame& f = open_.back();
    if (f.object) {
        MATBP_REQUIRE("RFC8259", f.key_pending);  // an object member's value follows its key
        f.key_pending = false;
        return;
    }
    if (!f.empty) out_ += ",";
    if (f.line) {
        if (!f.empty) out_ += ' ';
    } else {
        newline_indent(open_.size());
    }
    f.empty = false;
}

void writer::after_value() {
    if (open_.empty()) {
        complete_ = true;
        if (sink_) {
            out_ += '\n';
            flush();
        }
    } else if (sink_ && out_.size() >= piece_) {
        flush();
    }
}

void writer::flush() {
    sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
    out_.clear();
}

writer& writer::begin_object(layout l) {
    before_value();
    const bool line = l == layout::line || (!open_.empty() && open_.back().line);
    open_.push_back({true, line});
    out_ += '{';
    return *this;
}

writer& writer::begin_array(layout l) {
    before_value();
    const bool line = l == layout::line || (!open_.empty() && open_.back().line);
    open_.push_back({false, line});
    out_ += '[';
    return *this;
}

writer& writer::end_object() {
    MATBP_REQUIRE("RFC8259", !open_.empty() && open_.back().object && !open_.back().key_pending);
    const frame f = open_.back();
    open_.pop_back();
    if (!f.line && !f.empty) newline_indent(open_.size());
    out_ += '}';
    after_value();
    return *this;
}

writer& writer::end_array() {
    MATBP_REQUIRE("RFC8259", !open_.empty() && !open_.back().object);
    const frame f = open_.back();
    open_.pop_back();
    if (!f.line && !f.empty) newline_indent(open_.size());
    out_ += ']';
    after_value();
    return *this;
}

writer& writer::key(std::string_view k) {
    MATBP_REQUIRE("RFC8259", !open_.empty() && open_.back().object && !open_.back().key_pending);
    MATBP_REQUIRE("RFC8259", is_valid_utf8(k));
    frame& f = open_.back();
    if (!f.empty) out_ += ",";
    if (f.line) {
        if (!f.empty) out_ += ' ';
    } else {
        newline_indent(open_.size());
    }
    f.empty = false;
    f.key_pending = true;
    append_string(out_, k);
    out_ += ": ";
    return *this;
}

writer& writer::string(std::string_view s) {
    MATBP_REQUIRE("RFC8259", is_valid_utf8(s));
    before_value();
    append_string(out_, s);
    after_value();
    return *this;
}

writer& writer::number(double d) {
    MATBP_REQUIRE("RFC8259", std::isfinite(d));  // JSON has no inf or nan: the caller chooses a representation
    before_value();
    // The fewest significant digits that read back: std::to_chars's plain form is the fewest
    // *characters*, which for an integral double of 17 digits (−18014398509481992) has one digit
    // more than its scientific form (−1.801439850948199e+16); take the scientific form then.
    char plain[32], sci[32];
    const char* pe = std::to_chars(plain, plain + sizeof plain, d).ptr;
    // Only an integer written out (no '.', no exponent) can have more digits than its scientific
    // form: the others are written with the shortest digits already.
    const bool integer_form =
        std::find_if(static_cast<const char*>(plain), pe, [](char c) { return c == '.' || c == 'e'; }) == pe;
    const char* se = integer_form ? std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific).ptr : sci;
    const bool fewer = integer_form && significant_digits(sci, se) < significant_digits(plain, pe);
    const char* b = fewer ? sci : plain;
    out_.append(b, static_cast<std::size_t>((fewer ? se : pe) - b));
    after_value();
    return *this;
}

writer& writer::signed_integer(std::int64_t n) {
    before_value();
    out_ += std::to_string(n);
    after_value();
    return *this;
}

writer& writer::unsigned_integer(std::uint64_t n) {
    before_value();
    out_ += std::to_string(n);
    after_value();
    return *this;
}

writer& writer::boolean(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    after_value();
    return *this;
}

writer& writer::null() {
    before_value();
    out_ += "null";
    after_value();
    return *this;
}

std::string writer::str() const {
    MATBP_REQUIRE("RFC8259", complete_ && !sink_);
    return out_ + "\n";
}

}  // namespace matbp::json
