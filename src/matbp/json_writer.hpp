#pragma once
// matbp/json_writer.hpp — the one JSON writer of matbp (RFC 8259). Every JSON document matbp
// prints (grad, check, verify, and the bindings that come later) is written through it, so that
// every output is valid JSON whatever the numbers are.
//
// Valid by construction, checked by contract (statement ID "RFC8259"): keys only inside objects
// and each followed by one value; containers closed in order; exactly one top-level value; strings
// valid UTF-8, written with `"`, `\` and the control characters U+0000–U+001F escaped; integers
// exact; doubles finite only, written with the fewest significant digits that read back as the
// same double (std::to_chars, plain or scientific, whichever has fewer digits). A non-finite double is a contract
// violation, never `inf` or `nan` in the output: a caller with a value outside the double range must choose how to
// write it (oracle.hpp: the exact string "p/q").
//
// Layout: an object or array opened with layout::block puts each member or element on its own
// line, indented one space per level; layout::line keeps it, and everything inside it, on one
// line ("[1, 2]", "{\"a\": 1}").
//
// Usage (tests/json_writer_test.cpp, case usage_example_of_json_writer_hpp):
//   matbp::json::writer w;
//   w.begin_object().key("cost").number(0.5).key("kinks").begin_array().integer(3).end_array().end_object();
//   w.str()   // "{\n \"cost\": 0.5,\n \"kinks\": [3]\n}\n"
//   matbp::json::writer s(out);   // out a std::ostream: the same bytes, written to it as they are made

#include <concepts>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace matbp::json {

enum class layout { block, line };

class writer {
public:
    /// The document is kept and read with str().
    writer() = default;
    /// The document goes to `sink` as it is written: a piece whenever about `piece` bytes are
    /// pending, the rest (with the final newline) when the top-level value completes, so a
    /// document of any size holds about `piece` bytes here; the bytes are those str() would give.
    /// A failing sink is the caller's to notice (its stream state), as with any ostream.
    explicit writer(std::ostream& sink, std::size_t piece = std::size_t{1} << 16) : sink_(&sink), piece_(piece) {}
    /// Requires (every value, containers included): inside an object, right after key(); not
    /// after the document is complete.
    writer& begin_object(layout l = layout::block);
    /// Requires: the innermost open container is an object with no key pending.
    writer& end_object();
    writer& begin_array(layout l = layout::line);
    /// Requires: the innermost open container is an array.
    writer& end_array();
    /// Requires: the innermost open container is an object with no key pending; `k` valid UTF-8.
    writer& key(std::string_view k);
    /// Requires: `s` valid UTF-8.
    writer& string(std::string_view s);
    /// Requires: std::isfinite(d).
    writer& number(double d);
    template <std::integral I>
    writer& integer(I n) {
        if constexpr (std::is_signed_v<I>)
            return signed_integer(n);
        else
            return unsigned_integer(n);
    }
    writer& boolean(bool b);
    writer& null();
    /// True once one complete top-level value has been written.
    bool complete() const noexcept { return complete_; }
    /// The document, ending in a newline. Requires: complete(), and no sink (the sink has it).
    std::string str() const;

private:
    struct frame {
        bool object;
        bool line;
        bool empty = true;
        bool key_pending = false;
    };
    writer& signed_integer(std::int64_t n);
    writer& unsigned_integer(std::uint64_t n);
    void before_value();
    void after_value();
    void newline_indent(std::size_t depth);
    void flush();
    std::vector<frame> open_;
    std::string out_;
    bool complete_ = false;
    std::ostream* sink_ = nullptr;
    std::size_t piece_ = 0;
};

/// True iff `s` is well-formed UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace matbp::json
