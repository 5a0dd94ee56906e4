#pragma once
// matbp/json.hpp — a strict JSON reader (RFC 8259); its errors are input_error (error.hpp).
//
// The reader is ours so that it can be strict where general-purpose readers are lenient, and so
// that numbers reach the model reader as the text the user wrote: a number keeps its lexeme and
// is never converted here (model.cpp decides what the text means, exactly).
//
// Rejected: a byte order mark, invalid UTF-8 (overlong forms, surrogates, code points beyond
// U+10FFFF, truncated sequences), raw control characters in strings, unknown escapes, unpaired
// surrogate escapes, leading zeros, '+' signs, ".5" and "1.", NaN/Infinity, trailing commas,
// comments, anything after the top-level value, duplicate keys in one object, and input beyond
// the limits (nesting depth, total size, length of one string or number).
//
// Positions: line and column are 1-based; a column counts code points, not bytes; only "\n" ends
// a line. A path is written `layers[2].weights[1][3]`; keys that are not identifiers are quoted,
// `["odd key"]`; the root is "".
//
// Usage (tests/json_test.cpp, case usage_example_of_json_hpp):
//   matbp::json::value v = matbp::json::parse(R"({"a": [1.50, "x"]})");
//   v.find("a")->items[0].text        // "1.50", the lexeme as written
//   v.find("a")->items[1].column      // 14
//   matbp::json::parse("[1,]")        // throws matbp::input_error "1:3: trailing comma before ']'"

#include "matbp/error.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace matbp {

namespace json {

enum class kind { null, boolean, number, string, array, object };

struct member;

/// A number element of a compact array (parse with numbers::compact): where its lexeme is in
/// the parsed text. number_value() makes it a value, position included.
struct number_token {
    std::size_t offset = 0, length = 0;
    std::string_view lexeme(std::string_view text) const { return text.substr(offset, length); }
};

/// One JSON value. Only the fields of its kind are used.
struct value {
    json::kind kind = json::kind::null;
    bool boolean = false;
    std::string text;             ///< number: the lexeme as written; string: the decoded UTF-8
    std::vector<value> items;     ///< array elements
    std::vector<member> members;  ///< object members, in source order, keys distinct
    /// A compact array's elements, all numbers (numbers::compact only; items is then empty).
    std::vector<number_token> numbers;
    std::size_t line = 0, column = 0;

    /// The member named `key` of an object, or nullptr.
    const value* find(std::string_view key) const;
    /// An array's element count: items.size() + numbers.size().
    std::size_t size() const { return items.size() + numbers.size(); }
};

struct member {
    std::string key;
    json::value value;
    std::size_t line = 0, column = 0;  ///< position of the key
};

struct limits {
    std::size_t max_depth = 64;  ///< arrays and objects nested; at most 10000 (checked)
    /// Size of the whole text. A dense array of one-digit numbers ("[1,1,…]") costs about 110
    /// bytes of memory per byte of text while parsed with numbers::as_values, so 64 MiB of text
    /// can take about 7 GB, and about 14 with numbers::compact, the model reader's mode (measured
    /// on 10 MB, peak RSS); the CLI's --max-file-bytes.
    std::size_t max_bytes = std::size_t{64} << 20;
    std::size_t max_string = std::size_t{1} << 20;  ///< bytes of one decoded string or one number lexeme
};

/// How arrays of numbers are stored. as_values: every element is a value in items. compact: an
/// array whose elements are all numbers keeps them in value::numbers instead (16 bytes each, no
/// allocation per number; the model reader's dense matrices), any other array as with
/// as_values. The same text is accepted or refused, with the same message, either way
/// (tests/json_test.cpp, compact_numbers_same_as_values).
enum class numbers { as_values, compact };

/// The value of a complete JSON text. Throws input_error (syntax errors: path "", line and
/// column of the offending character; duplicate keys: the path of the second occurrence).
/// Throws std::invalid_argument if lim.max_depth > 10000, the depth the stack is sized for.
/// With numbers::compact, number tokens refer to `text`, which must outlive their use.
value parse(std::string_view text, const limits& lim = {}, numbers mode = numbers::as_values);

/// Element t of a compact array of the value parse(text, …, numbers::compact) returned, as
/// numbers::as_values would have made it (lexeme, line, column). Scans `text` up to it: for
/// messages, not for every element.
value number_value(std::string_view text, const number_token& t);
/// All elements of a compact array as values, as numbers::as_values makes them: one scan of
/// `text`. For an array whose elements a reader expected to be something else than numbers.
std::vector<value> number_values(std::string_view text, const value& array);

/// "a number", "an array", "true", "\"abc\"" …: what a message says it got.
std::string describe(const value& v);

/// Paths for messages: `base.key` (or `base["odd key"]`, or `key` at the root) and `base[i]`.
std::string member_path(const std::string& base, std::string_view key);
std::string element_path(const std::string& base, std::size_t index);

/// `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);

}  // namespace json
}  // namespace matbp
