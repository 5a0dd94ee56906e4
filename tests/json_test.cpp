// Tests for src/matbp/json.hpp.
//
// Test plan (expected positions and texts are counted by hand from the literal inputs; every
// rejected input is also checked to leave no other kind of exception)
//   accepted
//     accepts_every_kind                  null, booleans, numbers, strings, arrays, objects; keys in source order
//     numbers_keep_their_lexeme           "-0", "1.50", "1E+2", "0.1e-0007" come back as written
//     escapes_decode                      \" \\ \/ \b \f \n \r \t \u00e9, a surrogate pair to U+1F600, \u0000
//     raw_utf8_passes_through             2-, 3- and 4-byte sequences, U+10FFFF, U+FFFF
//     positions_are_line_and_code_point_column   columns count code points after non-ASCII text
//     nesting_up_to_the_limit             depth 64 accepted by default; a custom lower limit
//     whitespace_around_the_value         space, tab, CR, LF before and after
//   rejected (one case per rule of the header comment; each checks line:column and the text)
//     rejects_byte_order_mark, rejects_invalid_utf8 (overlong, surrogate, beyond U+10FFFF,
//     truncated, stray continuation), rejects_control_characters, rejects_bad_escapes,
//     rejects_unpaired_surrogates, rejects_leading_zero, rejects_plus_sign, rejects_bare_fraction,
//     rejects_trailing_point, rejects_bad_exponent, rejects_nan_and_infinity, rejects_trailing_commas,
//     rejects_comments, rejects_trailing_garbage, rejects_duplicate_keys (path of the second key),
//     rejects_too_deep, rejects_too_large (a resource_error), rejects_too_long_string_and_number,
//     rejects_truncated_input, rejects_missing_separators
//   robustness
//     never_crashes_on_random_bytes       RapidCheck: parse either returns or throws input_error,
//                                         on random byte strings and on mutations of a valid text
//   numbers::compact (the model reader's mode; compact arrays keep numbers as tokens)
//     compact_numbers_same_as_values      the same texts accepted and refused with the same
//                                         message, line, column and path in both modes; accepted
//                                         trees equal once tokens are made values (number_values):
//                                         all-number arrays, mixed ones (a non-number after numbers,
//                                         after newlines and multi-byte strings), errors inside them
//     compact_numbers_same_on_mutations   RapidCheck: the same on random edits of a document
//     number_value_locates_a_token        a token's lexeme, line and code-point column
//     digit_runs_end_at_the_first_non_digit   the eight-at-a-time digit scan stops at ':' ';' '?' '/'
//   helpers
//     paths_and_messages                  member_path / element_path quoting; input_error's message forms
//   usage_example_of_json_hpp
#define BOOST_TEST_MODULE json
#include "matbp/json.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <string>

using namespace matbp;
using json::kind;

namespace {

/// The input_error parse(text) raises; fails the test if it raises nothing.
input_error rejection(std::string_view text, const json::limits& lim = {}) {
    try {
        json::parse(text, lim);
    } catch (const input_error& e) {
        return e;
    }
    BOOST_FAIL("accepted: " + std::string(text.substr(0, 80)));
    throw;  // unreachable
}

/// parse(text) fails at line:column with a message containing `words`.
void expect_rejected(std::string_view text, std::size_t line, std::size_t column, const std::string& words,
                     const json::limits& lim = {}) {
    const input_error e = rejection(text, lim);
    BOOST_TEST_CONTEXT("input " << json::quote(text.substr(0, 80)) << ", message: " << e.what()) {
        BOOST_TEST(e.line() == line);
        BOOST_TEST(e.column() == column);
        BOOST_TEST(std::string(e.what()).find(words) != std::string::npos);
        BOOST_TEST(std::string(e.what()).starts_with(std::to_string(line) + ":" + std::to_string(column) + ": "));
    }
}

}  // namespace

// ---- accepted --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(accepts_every_kind) {
    const json::value v = json::parse(R"({"z": null, "t": true, "f": false, "n": -12, "s": "hi", "a": [], "o": {}})");
    BOOST_TEST((v.kind == kind::object));
    BOOST_TEST_REQUIRE(v.members.size() == 7u);
    const char* keys[] = {"z", "t", "f", "n", "s", "a", "o"};  // source order, not sorted
    for (std::size_t i = 0; i < 7; ++i) BOOST_TEST(v.members[i].key == keys[i]);
    BOOST_TEST((v.find("z")->kind == kind::null));
    BOOST_TEST((v.find("t")->kind == kind::boolean && v.find("t")->boolean));
    BOOST_TEST((v.find("f")->kind == kind::boolean && !v.find("f")->boolean));
    BOOST_TEST((v.find("n")->kind == kind::number && v.find("n")->text == "-12"));
    BOOST_TEST((v.find("s")->kind == kind::string && v.find("s")->text == "hi"));
    BOOST_TEST((v.find("a")->kind == kind::array && v.find("a")->items.empty()));
    BOOST_TEST((v.find("o")->kind == kind::object && v.find("o")->members.empty()));
    BOOST_TEST(v.find("missing") == nullptr);
    // A scalar is a complete JSON text too (RFC 8259 §2).
    BOOST_TEST(json::parse("7").text == "7");
    BOOST_TEST(json::parse("\"\"").text == "");
}

BOOST_AUTO_TEST_CASE(numbers_keep_their_lexeme) {
    const char* lexemes[] = {"0",    "-0",        "1.50",
                             "1E+2", "0.1e-0007", "123456789012345678901234567890",
                             "-0.0", "1e999",     "2.4703282292062327e-324"};
    for (const char* t : lexemes) {
        const json::value v = json::parse(std::string("[") + t + "]");
        BOOST_TEST((v.items.at(0).kind == kind::number));
        BOOST_TEST(v.items.at(0).text == t);
    }
}

BOOST_AUTO_TEST_CASE(escapes_decode) {
    const json::value v = json::parse(R"("\"\\\/\b\f\n\r\t\u00e9\u00E9\ud83d\ude00")");
    BOOST_TEST(v.text == "\"\\/\b\f\n\r\t\xC3\xA9\xC3\xA9\xF0\x9F\x98\x80");  // é = C3 A9, U+1F600 = F0 9F 98 80
    const json::value nul = json::parse(R"("a\u0000b")");
    BOOST_TEST(nul.text == std::string("a\0b", 3));
    BOOST_TEST(json::parse(R"("\u20AC")").text == "\xE2\x82\xAC");            // € U+20AC
    BOOST_TEST(json::parse(R"("\uDBFF\uDFFF")").text == "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

BOOST_AUTO_TEST_CASE(raw_utf8_passes_through) {
    const std::string s = "\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBF \xED\x9F\xBF\"";
    BOOST_TEST(json::parse(s).text == s.substr(1, s.size() - 2));
}

BOOST_AUTO_TEST_CASE(positions_are_line_and_code_point_column) {
    //            col 1234567890...
    const std::string text =
        "{\n"
        "  \"a\": [1,\n"
        "        \"\xC3\xA9\xC3\xA9\", true],\n"  // "éé" occupies columns 9–12
        "  \"b\": null\n"
        "}";
    const json::value v = json::parse(text);
    BOOST_TEST(v.line == 1u);
    BOOST_TEST(v.column == 1u);
    BOOST_TEST(v.members[0].line == 2u);
    BOOST_TEST(v.members[0].column == 3u);
    const auto& a = v.members[0].value;
    BOOST_TEST(a.line == 2u);
    BOOST_TEST(a.column == 8u);
    BOOST_TEST(a.items[0].column == 9u);
    BOOST_TEST(a.items[1].line == 3u);
    BOOST_TEST(a.items[1].column == 9u);
    BOOST_TEST(a.items[2].column == 15u);  // after `"éé", ` : 9 + 4 code points + ", "
    BOOST_TEST(v.members[1].value.line == 4u);
    BOOST_TEST(v.members[1].value.column == 8u);
    // The same code-point count places an error after non-ASCII text.
    expect_rejected("[\"\xE2\x82\xAC\", x]", 1, 7, "invalid literal \"x\"");
}

BOOST_AUTO_TEST_CASE(nesting_up_to_the_limit) {
    const auto nested = [](std::size_t d) { return std::string(d, '[') + std::string(d, ']'); };
    BOOST_CHECK_NO_THROW(json::parse(nested(64)));
    expect_rejected(nested(65), 1, 65, "nesting deeper than the limit of 64");
    json::limits lim;
    lim.max_depth = 3;
    BOOST_CHECK_NO_THROW(json::parse(R"({"a": [{}]})", lim));
    expect_rejected(R"({"a": [{"b": []}]})", 1, 14, "nesting deeper than the limit of 3", lim);
    lim.max_depth = 10001;
    BOOST_CHECK_THROW(json::parse("[]", lim), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(whitespace_around_the_value) {
    BOOST_TEST(json::parse(" \t\r\n [ 1 ,\r\n 2 ] \n\t").items.size() == 2u);
}

// ---- rejected --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rejects_byte_order_mark) { expect_rejected("\xEF\xBB\xBF{}", 1, 1, "byte order mark"); }

BOOST_AUTO_TEST_CASE(rejects_invalid_utf8) {
    expect_rejected("\"\xC0\xAF\"", 1, 2, "invalid UTF-8 sequence starting with byte 0xC0");      // overlong '/'
    expect_rejected("\"\xE0\x80\xAF\"", 1, 2, "invalid UTF-8");                                   // overlong, 3 bytes
    expect_rejected("\"\xF0\x80\x80\xAF\"", 1, 2, "invalid UTF-8");                               // overlong, 4 bytes
    expect_rejected("\"\xED\xA0\x80\"", 1, 2, "invalid UTF-8 sequence starting with byte 0xED");  // U+D800
    expect_rejected("\"\xF4\x90\x80\x80\"", 1, 2, "invalid UTF-8");                               // U+110000
    expect_rejected("\"ab\xE2\x82\"", 1, 4, "invalid UTF-8");                                     // truncated
    expect_rejected("\"ab\xE2\x82", 1, 4, "invalid UTF-8");                               // truncated at the end
    expect_rejected("\"\x80\"", 1, 2, "invalid UTF-8 sequence starting with byte 0x80");  // stray continuation
    expect_rejected("\"\xFF\"", 1, 2, "invalid UTF-8");
    expect_rejected("[\xC3\xA9]", 1, 2, "expected a value, got byte 0xC3");  // non-ASCII outside strings
}

BOOST_AUTO_TEST_CASE(rejects_control_characters) {
    expect_rejected("\"a\tb\"", 1, 3, "control character byte 0x09 in a string");
    expect_rejected("[\"a\nb\"]", 1, 4, "control character byte 0x0A");
    expect_rejected(std::string("\"\0\"", 3), 1, 2, "control character byte 0x00");
    BOOST_TEST(json::parse("\"\x7f\"").text == "\x7f");  // DEL is not a control character in RFC 8259
}

BOOST_AUTO_TEST_CASE(rejects_bad_escapes) {
    expect_rejected(R"(["ok", "a\x"])", 1, 10, "invalid escape \\x");
    expect_rejected(R"("\a")", 1, 2, "invalid escape \\a");
    expect_rejected(R"("\u12")", 1, 6, "expected 4 hexadecimal digits after \\u, got '\"'");
    expect_rejected(R"("\u12G4")", 1, 6, "expected 4 hexadecimal digits");
    expect_rejected("\"\\", 1, 3, "unterminated string");
}

BOOST_AUTO_TEST_CASE(rejects_unpaired_surrogates) {
    expect_rejected(R"("\ud83d")", 1, 2, "unpaired high surrogate escape");
    expect_rejected(R"("\ud83dx")", 1, 2, "unpaired high surrogate escape");
    expect_rejected(R"("\ud83d\u0041")", 1, 2, "unpaired high surrogate escape");
    expect_rejected(R"("\ud83d\ud83d")", 1, 2, "unpaired high surrogate escape");
    expect_rejected(R"(["\ude00"])", 1, 3, "unpaired low surrogate escape");
}

BOOST_AUTO_TEST_CASE(rejects_leading_zero) {
    expect_rejected("[01]", 1, 3, "leading zeros are not allowed");
    expect_rejected("-00", 1, 3, "leading zeros are not allowed");
}

BOOST_AUTO_TEST_CASE(rejects_plus_sign) { expect_rejected("[+1]", 1, 2, "a number cannot start with '+'"); }

BOOST_AUTO_TEST_CASE(rejects_bare_fraction) {
    expect_rejected("[.5]", 1, 2, "a number cannot start with '.'");
    expect_rejected("-.5", 1, 2, "expected a digit after '-', got '.'");
}

BOOST_AUTO_TEST_CASE(rejects_trailing_point) {
    expect_rejected("[1.]", 1, 4, "expected a digit after the decimal point, got ']'");
    expect_rejected("1.e5", 1, 3, "expected a digit after the decimal point, got 'e'");
}

BOOST_AUTO_TEST_CASE(rejects_bad_exponent) {
    expect_rejected("1e", 1, 3, "expected a digit in the exponent, got end of input");
    expect_rejected("1e+", 1, 4, "expected a digit in the exponent");
    expect_rejected("[1E-x]", 1, 5, "expected a digit in the exponent, got 'x'");
}

BOOST_AUTO_TEST_CASE(rejects_nan_and_infinity) {
    expect_rejected("[NaN]", 1, 2, "invalid literal \"NaN\"");
    expect_rejected("Infinity", 1, 1, "invalid literal \"Infinity\"");
    expect_rejected("-Infinity", 1, 2, "expected a digit after '-', got 'I'");
    expect_rejected("[nan]", 1, 2, "invalid literal \"nan\"");
    expect_rejected("[True]", 1, 2, "invalid literal \"True\"");
    expect_rejected("nulll", 1, 1, "invalid literal \"nulll\"");
}

BOOST_AUTO_TEST_CASE(rejects_trailing_commas) {
    expect_rejected("[1,]", 1, 3, "trailing comma before ']'");
    expect_rejected("{\"a\": 1,\n}", 1, 8, "trailing comma before '}'");
    expect_rejected("[,]", 1, 2, "expected a value, got ','");
    expect_rejected("[1,,2]", 1, 4, "expected a value, got ','");
}

BOOST_AUTO_TEST_CASE(rejects_comments) {
    expect_rejected("// note\n{}", 1, 1, "comments are not allowed");
    expect_rejected("[1, /* two */ 2]", 1, 5, "comments are not allowed");
    expect_rejected("{} # note", 1, 4, "unexpected '#' after the top-level value");
}

BOOST_AUTO_TEST_CASE(rejects_trailing_garbage) {
    expect_rejected("{}\n{}", 2, 1, "unexpected '{' after the top-level value");
    expect_rejected("1 2", 1, 3, "unexpected '2' after the top-level value");
    expect_rejected("[1]]", 1, 4, "unexpected ']' after the top-level value");
    expect_rejected(std::string("{}\0", 3), 1, 3, "unexpected byte 0x00 after the top-level value");
}

BOOST_AUTO_TEST_CASE(rejects_duplicate_keys) {
    const input_error e = rejection("{\"layers\": [{\"bias\": [1],\n  \"weights\": [], \"bias\": [2]}]}");
    BOOST_TEST(e.path() == "layers[0].bias");
    BOOST_TEST(e.line() == 2u);
    BOOST_TEST(e.column() == 18u);
    BOOST_TEST(std::string(e.what()) == "layers[0].bias: duplicate key \"bias\" (first at 1:14)");
    // Many keys (the sort-based check), the earliest repeat in source order is reported.
    std::string many = "{";
    for (int i = 0; i < 1000; ++i) many += "\"k" + std::to_string(i) + "\": 0, ";
    many += "\"k500\": 1, \"k7\": 1}";
    BOOST_TEST(rejection(many).path() == "k500");
    // Equal after decoding escapes is equal.
    BOOST_TEST(rejection(R"({"a": 1, "\u0061": 2})").path() == "a");
    BOOST_TEST(rejection(R"({"x y": {"a": 1, "a": 2}})").path() == "[\"x y\"].a");
}

BOOST_AUTO_TEST_CASE(rejects_too_deep) {
    // Far beyond any stack: the limit, not recursion, stops it.
    expect_rejected(std::string(1000000, '['), 1, 65, "nesting deeper than the limit of 64");
    expect_rejected(std::string(100, '{'), 1, 2, "expected a string key, got '{'");  // not nesting at all
    std::string objects;
    for (int i = 0; i < 65; ++i) objects += "{\"a\":";
    expect_rejected(objects, 1, 5 * 64 + 1, "nesting deeper than the limit of 64");
}

BOOST_AUTO_TEST_CASE(rejects_too_large) {
    json::limits lim;
    lim.max_bytes = 10;
    BOOST_CHECK_NO_THROW(json::parse("[1,2,3,45]", lim));  // exactly 10 bytes
    // A size limit is a resource limit (error.hpp), not bad input: the same text fits a larger limit.
    try {
        json::parse("[1,2,3,456]", lim);
        BOOST_FAIL("accepted");
    } catch (const resource_error& e) {
        BOOST_TEST((e.which() == resource::file_bytes));
        BOOST_TEST(std::string(e.what()) == "the text is 11 bytes, over the limit of 10");
    }
}

BOOST_AUTO_TEST_CASE(rejects_too_long_string_and_number) {
    json::limits lim;
    lim.max_string = 4;
    BOOST_TEST(json::parse("[\"abcd\", 1234]", lim).items.size() == 2u);
    expect_rejected("[\"abcde\"]", 1, 2, "a string of more than 4 bytes", lim);
    expect_rejected("[\"\xC3\xA9\xC3\xA9\xC3\xA9\"]", 1, 2, "a string of more than 4 bytes", lim);  // 6 bytes
    expect_rejected("[1, 12345]", 1, 5, "a number of more than 4 characters", lim);
}

BOOST_AUTO_TEST_CASE(rejects_truncated_input) {
    expect_rejected("", 1, 1, "expected a value, got end of input");
    expect_rejected("  \n ", 2, 2, "expected a value, got end of input");
    expect_rejected("[1", 1, 3, "expected ',' or ']' after an array element, got end of input");
    expect_rejected("{\"a\"", 1, 5, "expected ':' after the key, got end of input");
    expect_rejected("{\"a\":", 1, 6, "expected a value, got end of input");
    expect_rejected("\"abc", 1, 5, "unterminated string");
    expect_rejected("-", 1, 2, "expected a digit after '-', got end of input");
}

BOOST_AUTO_TEST_CASE(rejects_missing_separators) {
    expect_rejected("[1 2]", 1, 4, "expected ',' or ']' after an array element, got '2'");
    expect_rejected("{\"a\" 1}", 1, 6, "expected ':' after the key, got '1'");
    expect_rejected("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}' after an object member, got '\"'");
    expect_rejected("{a: 1}", 1, 2, "expected a string key, got 'a'");
    expect_rejected("{'a': 1}", 1, 2, "expected a string key, got '''");
}

// ---- robustness ------------------------------------------------------------------------------

namespace {
/// True iff parse returns or throws input_error (any other exception propagates and fails).
void parse_or_reject(const std::string& text) {
    try {
        json::parse(text);
    } catch (const input_error&) {
    }
}
}  // namespace

RC_BOOST_PROP(never_crashes_on_random_bytes, (const std::string& bytes)) { parse_or_reject(bytes); }

RC_BOOST_PROP(never_crashes_on_mutated_documents, ()) {
    std::string text = R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", {"b": [true, false, null]}], "c": "é"})";
    const auto edits = *rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
        rc::gen::pair(rc::gen::inRange<std::size_t>(0, text.size()), rc::gen::arbitrary<char>()));
    for (const auto& [at, c] : edits) text[at] = c;
    parse_or_reject(text);
}

// ---- numbers::compact --------------------------------------------------------------------------

namespace {
/// `c` (parsed from `text` with numbers::compact) is `a` (numbers::as_values) with the numbers of
/// all-number arrays kept as tokens.
bool same_tree(const json::value& a, const json::value& c, std::string_view text) {
    if (a.kind != c.kind || a.boolean != c.boolean || a.text != c.text || a.line != c.line || a.column != c.column)
        return false;
    if (a.members.size() != c.members.size()) return false;
    for (std::size_t i = 0; i < a.members.size(); ++i) {
        const auto &x = a.members[i], &y = c.members[i];
        if (x.key != y.key || x.line != y.line || x.column != y.column || !same_tree(x.value, y.value, text))
            return false;
    }
    if (!a.numbers.empty()) return false;  // as_values never makes tokens
    if (!c.numbers.empty()) {
        if (!c.items.empty()) return false;  // a compact array is all tokens
        const std::vector<json::value> made = json::number_values(text, c);
        if (made.size() != a.items.size()) return false;
        for (std::size_t i = 0; i < made.size(); ++i)
            if (a.items[i].kind != kind::number || !same_tree(a.items[i], made[i], text)) return false;
        return true;
    }
    if (a.items.size() != c.items.size()) return false;
    for (std::size_t i = 0; i < a.items.size(); ++i)
        if (!same_tree(a.items[i], c.items[i], text)) return false;
    return true;
}

/// The outcome of parse(text) in one mode: "ok", or the error (kind, message, path, position).
std::string outcome(const std::string& text, json::numbers mode, const json::limits& lim, json::value& out) {
    try {
        out = json::parse(text, lim, mode);
        return "ok";
    } catch (const input_error& e) {
        return "input_error " + e.path() + " " + std::to_string(e.line()) + ":" + std::to_string(e.column()) + " " +
               e.what();
    } catch (const resource_error& e) {
        return std::string("resource_error ") + e.what();
    }
}

/// Both modes give the same outcome, and equal trees when they accept.
bool same_both_ways(const std::string& text, const json::limits& lim = {}) {
    json::value a, c;
    const std::string x = outcome(text, json::numbers::as_values, lim, a);
    const std::string y = outcome(text, json::numbers::compact, lim, c);
    if (x != y) {
        BOOST_TEST_MESSAGE("as_values: " << x << "\ncompact:   " << y);
        return false;
    }
    return x != "ok" || same_tree(a, c, text);
}
}  // namespace

BOOST_AUTO_TEST_CASE(compact_numbers_same_as_values) {
    json::limits small;
    small.max_string = 4;
    small.max_depth = 3;
    const std::vector<std::string> texts = {
        "[1, -2.5e3, 0, -0, 1E+2, 0.1e-0007]",
        "[[1, 2], [3, 4], [5, 6, 7], []]",
        "{\"a\": [1,\n  2,\n\t-3], \"\xC3\xA9\xE2\x82\xAC\": [4, 5]}",
        // a non-number after numbers: the numbers become values, positions across lines and
        // after multi-byte text
        "[1, 2, \"x\"]",
        "{\"\xF0\x9F\x98\x80\xC3\xA9\": [1,\n   22, \"\xC3\xA9\", 3,\n 4, true, [5]]}",
        "[\"\xC3\xA9\", 1, 2]",
        "[1,\n 2,\n  3,\n   4, \"x\"]",  // numbers on four lines before the string
        "[1, [2, 3], 4]",
        "[1, {\"k\": [2]}, 3]",
        "[null, 1]",
        // errors inside a compact array, and after one became values
        "[1, 2,]",
        "[1, 01]",
        "[1 2]",
        "[1, -]",
        "[1, 1e]",
        "[1, 1.]",
        "[1, .5]",
        "[1, +1]",
        "[1, tru]",
        "[1, NaN]",
        "[1, 2",
        "[1, {\"a\": 1, \"a\": 2}]",
        "{\"m\": [[1, 2], [3, {\"b\": 0, \"b\": 1}]]}",
        "[\n1,\n\"\xC3\xA9\xC3\xA9\", x]",
        "[1, 12345]",
        "[1, [2, [3, [4]]]]",
    };
    for (const auto& t : texts) {
        BOOST_TEST_CONTEXT("text " << json::quote(t)) {
            BOOST_TEST(same_both_ways(t));
            BOOST_TEST(same_both_ways(t, small));
        }
    }
    // An all-number array is compact: its numbers are tokens, items is empty.
    const std::string text = "{\"a\": [1, -2.5]}";
    const json::value v = json::parse(text, {}, json::numbers::compact);
    const json::value& a = *v.find("a");
    BOOST_TEST(a.items.empty());
    BOOST_TEST(a.numbers.size() == 2u);
    BOOST_TEST(a.size() == 2u);
    BOOST_TEST(a.numbers[1].lexeme(text) == "-2.5");
}

RC_BOOST_PROP(compact_numbers_same_on_mutations, ()) {
    std::string text = "{\"a\": [1, -2.5e3, 7],\n \"\xC3\xA9\": [[0.5, 1e-3], [2, \"x\"]], \"c\": [3, [4], true]}";
    const auto edits = *rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
        rc::gen::pair(rc::gen::inRange<std::size_t>(0, text.size()),
                      rc::gen::element(',', ' ', '\n', '[', ']', '"', '-', '0', '1', '9', '.', 'e', 'x', '{', '}')));
    for (const auto& [at, ch] : edits) text[at] = ch;
    RC_ASSERT(same_both_ways(text));
}

BOOST_AUTO_TEST_CASE(digit_runs_end_at_the_first_non_digit) {
    // The lexer takes digits eight at a time: a byte just past '9' (':', ';', '<', '?') or just
    // before '0' ('/') inside those eight ends the run there.
    expect_rejected("[12345678;]", 1, 10, "expected ',' or ']' after an array element, got ';'");
    expect_rejected("[1234567:8]", 1, 9, "expected ',' or ']' after an array element, got ':'");
    expect_rejected("[1.2345678901234?]", 1, 17, "got '?'");
    expect_rejected("[1e1234567/]", 1, 11, "got '/'");
    const std::string digits = "-1234567890123456789.12345678901234567e-12345678";
    for (json::numbers mode : {json::numbers::as_values, json::numbers::compact}) {
        const std::string text = "[" + digits + "]";
        const json::value v = json::parse(text, {}, mode);
        const std::string lexeme = v.items.empty() ? std::string(v.numbers.at(0).lexeme(text)) : v.items.at(0).text;
        BOOST_TEST(lexeme == digits);
    }
}

BOOST_AUTO_TEST_CASE(number_value_locates_a_token) {
    const std::string text = "{\"\xC3\xA9\xE2\x82\xAC\": [1,\n  \"\xF0\x9F\x98\x80\", 2], \"b\": [3, -4e2]}";
    const json::value v = json::parse(text, {}, json::numbers::compact);
    const json::value& b = *v.find("b");
    BOOST_REQUIRE(b.numbers.size() == 2u);
    const json::value n = json::number_value(text, b.numbers[1]);
    BOOST_TEST((n.kind == kind::number));
    BOOST_TEST(n.text == "-4e2");
    BOOST_TEST(n.line == 2u);
    // line 2: `  "😀", 2], "b": [3, -4e2]}`: the emoji is one column
    BOOST_TEST(n.column == 21u);
}

// ---- helpers ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(paths_and_messages) {
    BOOST_TEST(json::member_path("", "layers") == "layers");
    BOOST_TEST(json::member_path(json::element_path("layers", 2), "weights") == "layers[2].weights");
    BOOST_TEST(json::element_path(json::element_path("w", 1), 3) == "w[1][3]");
    BOOST_TEST(json::member_path("a", "odd key") == "a[\"odd key\"]");
    BOOST_TEST(json::member_path("", "2x") == "[\"2x\"]");
    BOOST_TEST(json::member_path("", "") == "[\"\"]");
    BOOST_TEST(json::quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");

    BOOST_TEST(std::string(input_error("", 3, 7, "bad").what()) == "3:7: bad");
    BOOST_TEST(std::string(input_error("a.b", 3, 7, "bad").what()) == "a.b: bad");
    BOOST_TEST(std::string(input_error("", 0, 0, "empty").what()) == "empty");
    BOOST_TEST(std::string(input_error("", 3, 7, "bad").in_file("m.json").what()) == "m.json:3:7: bad");
    BOOST_TEST(std::string(input_error("a.b", 3, 7, "bad").in_file("m.json").what()) == "m.json: a.b: bad");
    BOOST_TEST(std::string(input_error("", 0, 0, "empty", "m.json").what()) == "m.json: empty");
    const input_error e("a.b", 3, 7, "bad", "m.json");
    BOOST_TEST(e.reason() == "bad");
    BOOST_TEST(e.file() == "m.json");
}

BOOST_AUTO_TEST_CASE(usage_example_of_json_hpp) {
    matbp::json::value v = matbp::json::parse(R"({"a": [1.50, "x"]})");
    BOOST_TEST(v.find("a")->items[0].text == "1.50");
    BOOST_TEST(v.find("a")->items[1].column == 14u);
    try {
        matbp::json::parse("[1,]");
        BOOST_FAIL("accepted");
    } catch (const matbp::input_error& e) {
        BOOST_TEST(std::string(e.what()) == "1:3: trailing comma before ']'");
    }
}
