#pragma once
// matbp/contract.hpp — preconditions and postconditions that name the statement they guard.
//
// A violated condition raises one typed error, matbp::contract_violation, carrying the
// statement ID (e.g. "L1"), the condition as written, and the source location.
//
// Levels (BDE style: every check is redundant; the program means the same with checks off):
//   shapes     always on: dimensions and domain conditions whose violation makes the result
//              meaningless (MATBP_REQUIRE).
//   cheap      postconditions of linear cost (MATBP_ENSURE); on by default.
//   expensive  postconditions that re-derive a lemma's other side (MATBP_ENSURE_EXPENSIVE); with
//              exact rationals every run then checks the lemma. Off by default; `matbp demo`
//              and `matbp verify` raise it for the induction; every test binary runs at it
//              unless MATBP_CONTRACT_LEVEL says otherwise (tests/support/contract_level.cpp),
//              and CTest's <suite>_cheap variants run the property suites at cheap.
// The level is a process-wide runtime setting (contract_level_guard), so no build compiles any
// check out.
//
// Usage (tests/contract_test.cpp, case usage_example_of_contract_hpp):
//   void f(int n) { MATBP_REQUIRE("D1", n >= 0); }
//   try { f(-1); } catch (const matbp::contract_violation& e) { /* e.id() == "D1" */ }

#include <source_location>
#include <stdexcept>
#include <string>

namespace matbp {

enum class contract_level { shapes = 0, cheap = 1, expensive = 2 };

class contract_violation : public std::logic_error {
public:
    contract_violation(std::string id, std::string kind, std::string condition, std::source_location where);
    /// The statement ID the condition belongs to ("D1", "T1.step", …).
    const std::string& id() const noexcept { return id_; }
    /// "precondition" or "postcondition".
    const std::string& kind() const noexcept { return kind_; }
    /// The condition as written in the source.
    const std::string& condition() const noexcept { return condition_; }
    const std::source_location& where() const noexcept { return where_; }

private:
    std::string id_, kind_, condition_;
    std::source_location where_;
};

contract_level current_contract_level() noexcept;

/// Sets the level for the guard's lifetime (process-wide), then restores it.
class contract_level_guard {
public:
    explicit contract_level_guard(contract_level level) noexcept;
    ~contract_level_guard();
    contract_level_guard(const contract_level_guard&) = delete;
    contract_level_guard& operator=(const contract_level_guard&) = delete;

private:
    contract_level saved_;
};

namespace detail {
[[noreturn]] void contract_fail(const char* id, const char* kind, const char* condition, std::source_location where);
}

}  // namespace matbp

/// Precondition, always checked.
#define MATBP_REQUIRE(id, ...)                                                                                 \
    do {                                                                                                       \
        if (!(__VA_ARGS__))                                                                                    \
            ::matbp::detail::contract_fail(id, "precondition", #__VA_ARGS__, std::source_location::current()); \
    } while (false)

/// Postcondition of linear cost, checked at level cheap and above.
#define MATBP_ENSURE(id, ...)                                                                                   \
    do {                                                                                                        \
        if (::matbp::current_contract_level() >= ::matbp::contract_level::cheap && !(__VA_ARGS__))              \
            ::matbp::detail::contract_fail(id, "postcondition", #__VA_ARGS__, std::source_location::current()); \
    } while (false)

/// Postcondition that re-derives the other side of a statement, checked at level expensive.
#define MATBP_ENSURE_EXPENSIVE(id, ...)                                                                         \
    do {                                                                                                        \
        if (::matbp::current_contract_level() >= ::matbp::contract_level::expensive && !(__VA_ARGS__))          \
            ::matbp::detail::contract_fail(id, "postcondition", #__VA_ARGS__, std::source_location::current()); \
    } while (false)
