// Tests for src/matbp/json_writer.hpp (and version.hpp, whose string every document carries).
//
// Test plan (every written document is read back by the strict reader json::parse, which rejects
// NaN, Infinity, bad escapes and invalid UTF-8)
//   writes_every_kind                   null, booleans, integers (int64 and uint64 extremes),
//                                       strings, nested arrays and objects; block and line layouts
//   doubles_round_trip_shortest         RapidCheck: any finite double is written as the shortest
//                                       text that strtod reads back to the same double (−0, subnormals,
//                                       the largest double included)
//   doubles_fewest_digits_not_fewest_characters   −18014398509481992 as −1.801439850948199e+16 (soak finding)
//   strings_escaped_per_rfc8259         `"`, `\`, every control character U+0000–U+001F, DEL and
//                                       non-ASCII UTF-8 survive the round trip exactly
//   refuses_non_finite_doubles          inf, −inf, nan: contract_violation "RFC8259", nothing written
//   refuses_misplaced_tokens            a value in an object without a key, a key in an array, two
//                                       keys, closing the wrong container, a second top-level value,
//                                       str() before the document is complete, invalid UTF-8
//   strings_round_trip_with_escapes_anywhere   RapidCheck: bytes to escape between plain runs of
//                                       any length come back exactly
//   is_valid_utf8_matches_the_reader    RapidCheck: is_valid_utf8(s) iff json::parse accepts "s"
//                                       (printable ASCII and byte mutations)
//   streamed_document_eq_str            RapidCheck: the same calls streamed to a sink in pieces of 1–299
//                                       bytes give str()'s bytes (nested containers, escapes, doubles)
//   streamed_document_flushes_before_it_completes   a 1000-element array reaches the sink before it
//                                       closes; str() on a streaming writer: contract_violation "RFC8259"
//   version_is_cmake_project_version    version() == the PROJECT_VERSION CMake passes this test
//   usage_example_of_json_writer_hpp
#define BOOST_TEST_MODULE json_writer
#include "matbp/json_writer.hpp"

#include "matbp/json.hpp"
#include "matbp/version.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace matbp;

namespace {

bool violates(auto f) {
    try {
        f();
    } catch (const contract_violation& e) {
        return e.id() == "RFC8259";
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(writes_every_kind) {
    json::writer w;
    w.begin_object()
        .key("null")
        .null()
        .key("t")
        .boolean(true)
        .key("f")
        .boolean(false)
        .key("min")
        .integer(std::numeric_limits<std::int64_t>::min())
        .key("max")
        .integer(std::numeric_limits<std::uint64_t>::max())
        .key("s")
        .string("x")
        .key("rows")
        .begin_array(json::layout::block)
        .begin_array()
        .integer(1)
        .integer(2)
        .end_array()
        .begin_object(json::layout::line)
        .key("a")
        .begin_array()
        .end_array()
        .key("b")
        .begin_object()
        .end_object()
        .end_object()
        .end_array()
        .key("empty")
        .begin_array(json::layout::block)
        .end_array()
        .end_object();
    BOOST_TEST(w.complete());
    const std::string text = w.str();
    BOOST_TEST(text ==
               "{\n \"null\": null,\n \"t\": true,\n \"f\": false,\n \"min\": -9223372036854775808,\n"
               " \"max\": 18446744073709551615,\n \"s\": \"x\",\n \"rows\": [\n  [1, 2],\n"
               "  {\"a\": [], \"b\": {}}\n ],\n \"empty\": []\n}\n");
    const json::value v = json::parse(text);
    BOOST_TEST(v.find("min")->text == "-9223372036854775808");
    BOOST_TEST((v.find("rows")->items[1].find("b")->kind == json::kind::object));
}

RC_BOOST_PROP(doubles_round_trip_shortest, ()) {
    const auto bits = *rc::gen::arbitrary<std::uint64_t>();
    double d = std::bit_cast<double>(bits);
    if (!std::isfinite(d)) d = *rc::gen::element(0.0, -0.0, 5e-324, std::numeric_limits<double>::max(), -2.5);
    json::writer w;
    w.begin_array().number(d).end_array();
    const json::value v = json::parse(w.str());
    const std::string& t = v.items.at(0).text;
    const double back = std::strtod(t.c_str(), nullptr);
    RC_ASSERT(std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(d));
    // Shortest: one significant digit fewer never reads back (checked via %.*g at each precision).
    for (int p = 1; p < 17; ++p) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*g", p, d);
        if (std::strtod(buf, nullptr) == d) {
            std::string digits;
            for (char c : t) {
                if (c == 'e' || c == 'E') break;
                if (c >= '0' && c <= '9') digits += c;
            }
            while (digits.size() > 1 && digits.front() == '0') digits.erase(0, 1);
            while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
            RC_ASSERT(digits.size() <= static_cast<std::size_t>(p));
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(doubles_fewest_digits_not_fewest_characters) {
    // Found by the soak run (seed 7582519404807317815): std::to_chars's plain form of this
    // integral double has 17 digits, its scientific form 16, and both read back.
    json::writer w;
    w.begin_array().number(-18014398509481992.0).number(100.0).number(0.1).end_array();
    const json::value v = json::parse(w.str());
    BOOST_TEST(v.items.at(0).text == "-1.801439850948199e+16");
    BOOST_TEST(v.items.at(1).text == "100");
    BOOST_TEST(v.items.at(2).text == "0.1");
}

BOOST_AUTO_TEST_CASE(strings_escaped_per_rfc8259) {
    std::string all;
    for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
    all += "\"\\/\x7f é € 😀";
    json::writer w;
    w.begin_object().key(all).string(all).end_object();
    const std::string text = w.str();
    for (char c : text.substr(0, text.size() - 1))
        if (c != '\n') BOOST_TEST(static_cast<unsigned char>(c) >= 0x20);  // no raw control character
    const json::value v = json::parse(text);
    BOOST_TEST(v.members.at(0).key == all);
    BOOST_TEST(v.members.at(0).value.text == all);
    BOOST_TEST(text.find("\\u0000") != std::string::npos);
    BOOST_TEST(text.find("\\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_non_finite_doubles) {
    for (double d : {double(INFINITY), -double(INFINITY), std::nan("")}) {
        json::writer w;
        w.begin_array();
        BOOST_TEST(violates([&] { w.number(d); }));
        w.end_array();
        BOOST_TEST(w.str() == "[]\n");  // nothing of the refused value was written
    }
}

BOOST_AUTO_TEST_CASE(refuses_misplaced_tokens) {
    BOOST_TEST(violates([] { json::writer().begin_object().integer(1); }));             // value without a key
    BOOST_TEST(violates([] { json::writer().begin_array().key("a"); }));                // key in an array
    BOOST_TEST(violates([] { json::writer().begin_object().key("a").key("b"); }));      // two keys
    BOOST_TEST(violates([] { json::writer().begin_object().key("a").end_object(); }));  // key without value
    BOOST_TEST(violates([] { json::writer().begin_object().end_array(); }));            // wrong container
    BOOST_TEST(violates([] { json::writer().begin_array().end_object(); }));
    BOOST_TEST(violates([] { json::writer().end_array(); }));                     // nothing open
    BOOST_TEST(violates([] { json::writer().integer(1).integer(2); }));           // second top-level value
    BOOST_TEST(violates([] { json::writer().begin_array().str(); }));             // incomplete
    BOOST_TEST(violates([] { (void)json::writer().str(); }));                     // empty
    BOOST_TEST(violates([] { json::writer().string("\xff"); }));                  // invalid UTF-8
    BOOST_TEST(violates([] { json::writer().begin_object().key("\xc0\xaf"); }));  // overlong
    BOOST_TEST(!violates([] { (void)json::writer().integer(1).str(); }));         // the control
}

RC_BOOST_PROP(streamed_document_eq_str, ()) {
    // The same calls on a writer kept in memory and on one streaming to a sink in pieces of
    // `piece` bytes (1 byte: a piece after every value) give the same bytes.
    const auto piece = static_cast<std::size_t>(*rc::gen::inRange(1, 300));
    const auto rows = *rc::gen::inRange(0, 40);
    const auto items = *rc::gen::container<std::vector<double>>(
        rc::gen::map(rc::gen::arbitrary<double>(), [](double d) { return std::isfinite(d) ? d : 0.5; }));
    auto emit = [&](json::writer& w) {
        w.begin_object().key("format").string("x\"y\n").key("rows").begin_array(json::layout::block);
        for (int r = 0; r < rows; ++r) {
            w.begin_array();
            for (const double d : items) w.number(d);
            w.integer(r).end_array();
        }
        w.end_array().key("nested").begin_object(json::layout::line).key("a").null().end_object().end_object();
    };
    json::writer kept;
    emit(kept);
    std::ostringstream sink;
    json::writer streamed(sink, piece);
    emit(streamed);
    RC_ASSERT(streamed.complete());
    RC_ASSERT(sink.str() == kept.str());
}

BOOST_AUTO_TEST_CASE(streamed_document_flushes_before_it_completes) {
    // A document larger than the piece reaches the sink while it is being written (its size is
    // not held here), and str() is refused on a streaming writer (the sink has the document).
    std::ostringstream sink;
    json::writer w(sink, 64);
    w.begin_array();
    for (int k = 0; k < 1000; ++k) w.integer(k);
    BOOST_TEST(sink.str().size() >= 4826u);  // all but fewer than 64 of the 4889 bytes so far
    BOOST_TEST(!w.complete());
    w.end_array();
    BOOST_TEST(w.complete());
    BOOST_TEST(sink.str().size() == 4891u);  // "[0, 1, …, 999]\n"
    BOOST_TEST(sink.str().back() == '\n');
    BOOST_TEST(violates([&] { (void)w.str(); }));
}

RC_BOOST_PROP(strings_round_trip_with_escapes_anywhere, ()) {
    // Runs of plain bytes between bytes to escape, of every length (the writer appends each run
    // at once): the reader gets the same string back.
    const auto pieces = *rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
        "a", "bcdefghij", "\"", "\\", "\n", "\x01", "\x1f", "\t", "\xC3\xA9", "\xF0\x9F\x98\x80", "/", " "));
    std::string s;
    for (const auto& p : pieces) s += p;
    json::writer w;
    w.begin_array().string(s).end_array();
    RC_ASSERT(json::parse(w.str()).items.at(0).text == s);
}

RC_BOOST_PROP(is_valid_utf8_matches_the_reader, ()) {
    std::string s = *rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f));
    const auto flips = *rc::gen::container<std::vector<std::pair<std::size_t, unsigned char>>>(
        rc::gen::pair(rc::gen::arbitrary<std::size_t>(), rc::gen::inRange<unsigned char>(0x80, 0xff)));
    for (const auto& [at, byte] : flips)
        if (!s.empty()) s[at % s.size()] = static_cast<char>(byte);
    std::string escaped;  // the reader must see the bytes as a string's content
    for (char c : s) {
        if (c == '"' || c == '\\') escaped += '\\';
        escaped += c;
    }
    bool reader_accepts = true;
    try {
        json::parse("\"" + escaped + "\"");
    } catch (const input_error&) {
        reader_accepts = false;
    }
    RC_ASSERT(json::is_valid_utf8(s) == reader_accepts);
}

BOOST_AUTO_TEST_CASE(version_is_cmake_project_version) { BOOST_TEST(std::string(version()) == MATBP_EXPECTED_VERSION); }

BOOST_AUTO_TEST_CASE(usage_example_of_json_writer_hpp) {
    matbp::json::writer w;
    w.begin_object().key("cost").number(0.5).key("kinks").begin_array().integer(3).end_array().end_object();
    BOOST_TEST(w.str() == "{\n \"cost\": 0.5,\n \"kinks\": [3]\n}\n");
    std::ostringstream out;
    matbp::json::writer s(out);
    s.begin_object().key("cost").number(0.5).key("kinks").begin_array().integer(3).end_array().end_object();
    BOOST_TEST(out.str() == w.str());
}
