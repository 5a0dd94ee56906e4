#include "matbp/json.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>

namespace matbp {

namespace json {

namespace {
// ASCII only: <cctype> would consult the C locale, and JSON's grammar does not depend on it.
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_word(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_hex(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

/// p[0..8) are all ASCII digits: each byte's high nibble is 3, and adding 6 keeps it 3 (SWAR;
/// json_test's compact_numbers_same_as_values and the number cases cover runs of every length).
bool eight_digits(const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    constexpr std::uint64_t high = 0xF0F0F0F0F0F0F0F0u, threes = 0x3030303030303030u, sixes = 0x0606060606060606u;
    return (x & high) == threes && ((x + sixes) & high) == threes;
}

/// The parser's position bookkeeping: the line, where it starts, and the UTF-8 continuation
/// bytes between its start and the position (a column counts code points).
struct position {
    std::size_t line = 1, line_start = 0, continuation = 0;
    /// Moves over s[from, to), text the parser has accepted: "\n" occurs only between tokens,
    /// bytes 0x80–0xBF only as continuation bytes of well-formed UTF-8 in strings.
    void advance(std::string_view s, std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c == '\n') {
                ++line;
                line_start = i + 1;
                continuation = 0;
            } else if ((c & 0xC0) == 0x80) {
                ++continuation;
            }
        }
    }
    std::size_t column_at(std::size_t offset) const { return offset - line_start - continuation + 1; }
};

/// A compact array's token as the value numbers::as_values makes; `at` is the position at t.offset.
value token_value(std::string_view text, const number_token& t, const position& at) {
    value v;
    v.kind = kind::number;
    v.text = std::string(t.lexeme(text));
    v.line = at.line;
    v.column = at.column_at(t.offset);
    return v;
}
}  // namespace

value number_value(std::string_view text, const number_token& t) {
    position p;
    p.advance(text, 0, t.offset);
    return token_value(text, t, p);
}

std::vector<value> number_values(std::string_view text, const value& array) {
    std::vector<value> out;
    out.reserve(array.numbers.size());
    position p;
    std::size_t at = 0;
    for (const auto& t : array.numbers) {
        p.advance(text, at, t.offset);
        at = t.offset;
        out.push_back(token_value(text, t, p));
    }
    return out;
}

const value* value::find(std::string_view key) const {
    for (const auto& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

std::string quote(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\')
            out += {'\\', static_cast<char>(c)};
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f)
            out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
        else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string member_path(const std::string& base, std::string_view key) {
    const bool identifier = !key.empty() && !is_digit(static_cast<unsigned char>(key[0])) &&
                            std::all_of(key.begin(), key.end(), [](unsigned char c) { return is_word(c); });
    if (!identifier) return base + "[" + quote(key) + "]";
    return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string element_path(const std::string& base, std::size_t index) {
    return base + "[" + std::to_string(index) + "]";
}

std::string describe(const value& v) {
    const auto cut = [](const std::string& s) {
        if (s.size() <= 40) return s;
        std::size_t n = 40;  // never split a UTF-8 sequence: back off over continuation bytes
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        return s.substr(0, n) + "…";
    };
    switch (v.kind) {
        case kind::null:
            return "null";
        case kind::boolean:
            return v.boolean ? "true" : "false";
        case kind::number:
            return cut(v.text);
        case kind::string:
            return "the string " + quote(cut(v.text));
        case kind::array:
            return "an array";
        case kind::object:
            return "an object";
    }
    return "?";
}

namespace {

constexpr std::size_t deepest_supported = 10000;

class parser {
public:
    parser(std::string_view text, const limits& lim, numbers mode)
            : s_(text), lim_(lim), compact_(mode == numbers::compact) {}

    value document() {
        if (s_.size() > lim_.max_bytes)
            throw resource_error(resource::file_bytes, "",
                                 "the text is " + std::to_string(s_.size()) + " bytes, over the limit of " +
                                     std::to_string(lim_.max_bytes));
        if (s_.starts_with("\xEF\xBB\xBF")) fail("a byte order mark is not allowed in JSON text");
        value v = parse_value(0);
        skip_space();
        if (pos_ < s_.size()) fail("unexpected " + here() + " after the top-level value");
        return v;
    }

private:
    std::string_view s_;
    const limits& lim_;
    const bool compact_;
    std::size_t last_compact_ = 0;  // elements of the last compact array: rows of a matrix are alike
    std::size_t pos_ = 0;
    std::size_t line_ = 1, line_start_ = 0;
    std::size_t continuation_ = 0;  // UTF-8 continuation bytes in [line_start_, pos_): columns count code points

    // The path to the value being parsed, for duplicate-key messages: keys point at locals of
    // the enclosing parse_object frames, which outlive the segment.
    struct segment {
        std::string_view key;
        std::size_t index;
        bool is_key;
    };
    std::vector<segment> path_;

    std::size_t column() const { return pos_ - line_start_ - continuation_ + 1; }
    bool at_end() const { return pos_ >= s_.size(); }
    unsigned char peek() const { return static_cast<unsigned char>(s_[pos_]); }

    [[noreturn]] void fail(const std::string& what) const { throw input_error("", line_, column(), what); }

    /// The character at pos_, as a message shows it.
    std::string here() const {
        if (at_end()) return "end of input";
        const unsigned char c = peek();
        if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
        static const char* hex = "0123456789ABCDEF";
        return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
    }

    std::string path_text() const {
        std::string p;
        for (const auto& s : path_) p = s.is_key ? member_path(p, s.key) : element_path(p, s.index);
        return p;
    }

    void skip_space() {
        for (; !at_end(); ++pos_) {
            const char c = s_[pos_];
            if (c == '\n') {
                ++line_;
                line_start_ = pos_ + 1;
                continuation_ = 0;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
        }
    }

    value parse_value(std::size_t depth) {
        skip_space();
        value v;
        v.line = line_;
        v.column = column();
        if (at_end()) fail("expected a value, got end of input");
        const unsigned char c = peek();
        if (c == '{' || c == '[') {
            if (depth + 1 > lim_.max_depth) fail("nesting deeper than the limit of " + std::to_string(lim_.max_depth));
            if (c == '{')
                parse_object(v, depth + 1);
            else
                parse_array(v, depth + 1);
        } else if (c == '"') {
            v.kind = kind::string;
            v.text = parse_string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = kind::number;
            v.text = parse_number();
        } else if (is_alpha(c)) {
            parse_word(v);
        } else if (c == '+') {
            fail("a number cannot start with '+'");
        } else if (c == '.') {
            fail("a number cannot start with '.'; put a digit before it");
        } else if (c == '/') {
            fail("comments are not allowed in JSON");
        } else {
            fail("expected a value, got " + here());
        }
        return v;
    }

    void parse_word(value& v) {
        const std::size_t start = pos_;
        while (!at_end() && is_word(peek())) ++pos_;
        const std::string_view w = s_.substr(start, pos_ - start);
        if (w == "true" || w == "false") {
            v.kind = kind::boolean;
            v.boolean = w == "true";
        } else if (w != "null") {
            const std::string shown = quote(w.substr(0, 20)) + (w.size() > 20 ? "…" : "");
            pos_ = start;
            fail("invalid literal " + shown + " (JSON has only true, false and null; no NaN or Infinity)");
        }
    }

    void parse_array(value& v, std::size_t depth) {
        v.kind = kind::array;
        ++pos_;
        skip_space();
        if (!at_end() && peek() == ']') {
            ++pos_;
            return;
        }
        path_.push_back({{}, 0, false});
        // numbers::compact: number elements go to v.numbers while every element is one; the first
        // other element moves them to v.items (materialize) and the array continues as values.
        bool compact = compact_;
        const position open{line_, line_start_, continuation_};
        const std::size_t open_pos = pos_;
        if (compact) v.numbers.reserve(last_compact_);
        for (;;) {
            path_.back().index = v.size();
            if (compact) skip_space();
            if (compact && !at_end() && (peek() == '-' || is_digit(peek()))) {
                const std::size_t start = pos_;
                lex_number();
                v.numbers.push_back({start, pos_ - start});
            } else {
                if (compact) {
                    materialize(v, open, open_pos);
                    compact = false;
                }
                v.items.push_back(parse_value(depth));
            }
            skip_space();
            if (!at_end() && peek() == ',') {
                const std::size_t comma_line = line_, comma_col = column();
                ++pos_;
                skip_space();
                if (!at_end() && peek() == ']')
                    throw input_error("", comma_line, comma_col, "trailing comma before ']'");
                continue;
            }
            if (!at_end() && peek() == ']') break;
            fail("expected ',' or ']' after an array element, got " + here());
        }
        ++pos_;
        path_.pop_back();
        if (!v.numbers.empty()) last_compact_ = v.numbers.size();
    }

    /// v.numbers as values in v.items, positions counted from the array's start (`open` at
    /// open_pos): linear in the array's length.
    void materialize(value& v, position at, std::size_t at_pos) const {
        v.items.reserve(v.numbers.size() + 1);
        for (const auto& t : v.numbers) {
            at.advance(s_, at_pos, t.offset);
            at_pos = t.offset;
            v.items.push_back(token_value(s_, t, at));
        }
        v.numbers = {};
    }

    void parse_object(value& v, std::size_t depth) {
        v.kind = kind::object;
        ++pos_;
        skip_space();
        if (!at_end() && peek() == '}') {
            ++pos_;
            return;
        }
        for (;;) {
            skip_space();
            if (at_end() || peek() != '"') fail("expected a string key, got " + here());
            const std::size_t key_line = line_, key_col = column();
            std::string key = parse_string();
            skip_space();
            if (at_end() || peek() != ':') fail("expected ':' after the key, got " + here());
            ++pos_;
            path_.push_back({key, 0, true});
            value child = parse_value(depth);
            path_.pop_back();
            v.members.push_back({std::move(key), std::move(child), key_line, key_col});
            skip_space();
            if (!at_end() && peek() == ',') {
                const std::size_t comma_line = line_, comma_col = column();
                ++pos_;
                skip_space();
                if (!at_end() && peek() == '}')
                    throw input_error("", comma_line, comma_col, "trailing comma before '}'");
                continue;
            }
            if (!at_end() && peek() == '}') break;
            fail("expected ',' or '}' after an object member, got " + here());
        }
        ++pos_;
        reject_duplicate_keys(v);
    }

    // Sorting indices keeps this O(n log n) for objects with many keys; the error names the
    // earliest member (in source order) whose key already appeared.
    void reject_duplicate_keys(const value& v) const {
        const auto& m = v.members;
        if (m.size() < 2) return;
        std::vector<std::size_t> order(m.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return m[a].key < m[b].key; });
        std::size_t first = 0, again = m.size();
        for (std::size_t i = 1; i < order.size(); ++i)
            if (m[order[i]].key == m[order[i - 1]].key && order[i] < again) {
                again = order[i];
                first = order[i - 1];
            }
        if (again == m.size()) return;
        const member& d = m[again];
        throw input_error(member_path(path_text(), d.key), d.line, d.column,
                          "duplicate key " + quote(d.key) + " (first at " + std::to_string(m[first].line) + ":" +
                              std::to_string(m[first].column) + ")");
    }

    std::string parse_number() {
        const std::size_t start = pos_;
        lex_number();
        return std::string(s_.substr(start, pos_ - start));
    }

    /// Moves over a number's lexeme (RFC 8259's grammar, within max_string).
    void lex_number() {
        const std::size_t start = pos_;
        const auto digit = [&] { return !at_end() && peek() >= '0' && peek() <= '9'; };
        const auto digits = [&] {  // a run of digits, in a local pointer (the hot loop of a matrix)
            const char* p = s_.data() + pos_;
            const char* const end = s_.data() + s_.size();
            while (end - p >= 8 && eight_digits(p)) p += 8;
            while (p != end && static_cast<unsigned char>(*p - '0') < 10) ++p;
            pos_ = static_cast<std::size_t>(p - s_.data());
        };
        if (peek() == '-') ++pos_;
        if (!digit()) fail("expected a digit after '-', got " + here());
        if (peek() == '0') {
            ++pos_;
            if (digit()) fail("leading zeros are not allowed");
        } else {
            digits();
        }
        if (!at_end() && peek() == '.') {
            ++pos_;
            if (!digit()) fail("expected a digit after the decimal point, got " + here());
            digits();
        }
        if (!at_end() && (peek() == 'e' || peek() == 'E')) {
            ++pos_;
            if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
            if (!digit()) fail("expected a digit in the exponent, got " + here());
            digits();
        }
        if (pos_ - start > lim_.max_string) {
            pos_ = start;
            fail("a number of more than " + std::to_string(lim_.max_string) + " characters");
        }
    }

    unsigned hex4() {
        unsigned u = 0;
        for (int k = 0; k < 4; ++k, ++pos_) {
            if (at_end() || !is_hex(peek())) fail("expected 4 hexadecimal digits after \\u, got " + here());
            const unsigned char c = peek();
            u = u * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return u;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // Length of the well-formed UTF-8 sequence at pos_ (Unicode Table 3-7), or 0.
    std::size_t utf8_length() const {
        const auto byte = [&](std::size_t k) -> unsigned {
            return pos_ + k < s_.size() ? static_cast<unsigned char>(s_[pos_ + k]) : 0u;
        };
        const unsigned b0 = byte(0);
        const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
            return byte(k) >= lo && byte(k) <= hi;
        };
        if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
        if (b0 == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
        if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // excludes surrogates
        if (b0 >= 0xE1 && b0 <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
        if (b0 == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
        if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
        if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
        return 0;
    }

    std::string parse_string() {
        const std::size_t open_line = line_, open_col = column();
        std::string out;
        ++pos_;
        for (;;) {
            if (out.size() > lim_.max_string)
                throw input_error("", open_line, open_col,
                                  "a string of more than " + std::to_string(lim_.max_string) + " bytes");
            if (at_end()) fail("unterminated string");
            const unsigned char c = peek();
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '\\') {
                parse_escape(out);
            } else if (c < 0x20) {
                fail("control character " + here() + " in a string; write it as an escape");
            } else if (c < 0x80) {
                out += static_cast<char>(c);
                ++pos_;
            } else {
                const std::size_t n = utf8_length();
                if (n == 0) fail("invalid UTF-8 sequence starting with " + here());
                out.append(s_.substr(pos_, n));
                pos_ += n;
                continuation_ += n - 1;
            }
        }
    }

    void parse_escape(std::string& out) {
        const std::size_t at_line = line_, at_col = column();
        ++pos_;
        if (at_end()) fail("unterminated string");
        const char e = s_[pos_];
        const std::string_view simple = "\"\\/bfnrt", decoded = "\"\\/\b\f\n\r\t";
        if (const auto k = simple.find(e); k != std::string_view::npos) {
            out += decoded[k];
            ++pos_;
            return;
        }
        if (e != 'u')
            throw input_error(
                "", at_line, at_col,
                "invalid escape \\" + (e >= 0x20 && e < 0x7f ? std::string(1, e) : " followed by " + here()));
        ++pos_;
        std::uint32_t cp = hex4();
        const auto unpaired = [&](const char* which) {
            throw input_error("", at_line, at_col, std::string("unpaired ") + which + " surrogate escape");
        };
        if (cp >= 0xDC00 && cp <= 0xDFFF) unpaired("low");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!s_.substr(pos_).starts_with("\\u")) unpaired("high");
            pos_ += 2;
            const std::uint32_t lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) unpaired("high");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(out, cp);
    }
};

}  // namespace

value parse(std::string_view text, const limits& lim, numbers mode) {
    if (lim.max_depth > deepest_supported)
        throw std::invalid_argument("json::limits::max_depth is " + std::to_string(lim.max_depth) +
                                    ", over the supported " + std::to_string(deepest_supported));
    return parser(text, lim, mode).document();
}

}  // namespace json
}  // namespace matbp
