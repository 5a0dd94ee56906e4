// Tests for src/matbp/contract.hpp.
//
// Test plan
//   violation_carries_id_condition_location  the typed error names the statement, the condition
//                                            text and this file
//   levels_gate_postconditions               ENSURE fires at cheap, ENSURE_EXPENSIVE only at
//                                            expensive; REQUIRE fires at every level
//   guard_restores_level
//   tests_run_at_the_requested_level         the global fixture (support/contract_level.cpp) set
//                                            MATBP_CONTRACT_LEVEL's level, expensive when unset;
//                                            CTest runs it unset, at shapes (not the process
//                                            default, so a missing fixture fails) and with a bad
//                                            value (the run must fail)
//   usage_example_of_contract_hpp
#define BOOST_TEST_MODULE contract
#include "matbp/contract.hpp"

#include "support/contract_level.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace matbp;

namespace {
void needs_nonnegative(int n) { MATBP_REQUIRE("D1", n >= 0); }
void promises_cheap(bool ok) { MATBP_ENSURE("L1", ok); }
void promises_expensive(bool ok) { MATBP_ENSURE_EXPENSIVE("T1.step", ok); }

template <class F>
bool throws_with_id(F f, const std::string& id) {
    try {
        f();
    } catch (const contract_violation& e) {
        return e.id() == id;
    }
    return false;
}
}  // namespace

BOOST_AUTO_TEST_CASE(violation_carries_id_condition_location) {
    try {
        needs_nonnegative(-1);
        BOOST_FAIL("no violation raised");
    } catch (const contract_violation& e) {
        BOOST_TEST(e.id() == "D1");
        BOOST_TEST(e.kind() == "precondition");
        BOOST_TEST(e.condition() == "n >= 0");
        BOOST_TEST(std::string(e.where().file_name()).find("contract_test.cpp") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("D1") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(levels_gate_postconditions) {
    {
        contract_level_guard g(contract_level::shapes);
        BOOST_TEST(throws_with_id([] { needs_nonnegative(-1); }, "D1"));
        BOOST_TEST(!throws_with_id([] { promises_cheap(false); }, "L1"));
        BOOST_TEST(!throws_with_id([] { promises_expensive(false); }, "T1.step"));
    }
    {
        contract_level_guard g(contract_level::cheap);
        BOOST_TEST(throws_with_id([] { promises_cheap(false); }, "L1"));
        BOOST_TEST(!throws_with_id([] { promises_expensive(false); }, "T1.step"));
    }
    {
        contract_level_guard g(contract_level::expensive);
        BOOST_TEST(throws_with_id([] { promises_cheap(false); }, "L1"));
        BOOST_TEST(throws_with_id([] { promises_expensive(false); }, "T1.step"));
        BOOST_TEST(!throws_with_id([] { promises_expensive(true); }, "T1.step"));
    }
}

BOOST_AUTO_TEST_CASE(guard_restores_level) {
    // The guard sets a level other than the current one, so that a guard that does not restore
    // leaves a visible difference (mutant contract_2 survived a guard set to the test's own level).
    const auto before = current_contract_level();
    const auto other = before == contract_level::shapes ? contract_level::expensive : contract_level::shapes;
    {
        contract_level_guard g(other);
        BOOST_TEST((current_contract_level() == other));
    }
    BOOST_TEST((current_contract_level() == before));
}

BOOST_AUTO_TEST_CASE(tests_run_at_the_requested_level) {
    BOOST_TEST((current_contract_level() == testing::requested_contract_level()));
    if (std::getenv("MATBP_CONTRACT_LEVEL") == nullptr)
        BOOST_TEST((current_contract_level() == contract_level::expensive));
}

BOOST_AUTO_TEST_CASE(usage_example_of_contract_hpp) {
    auto f = [](int n) { MATBP_REQUIRE("D1", n >= 0); };
    try {
        f(-1);
        BOOST_FAIL("no violation raised");
    } catch (const matbp::contract_violation& e) {
        BOOST_TEST(e.id() == "D1");
    }
}
