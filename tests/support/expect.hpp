#pragma once
// expect_violation: the call must raise matbp::contract_violation carrying statement `id`.
#include "matbp/contract.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace matbp::testing {
template <class F>
void expect_violation(const std::string& id, F f) {
    try {
        f();
    } catch (const contract_violation& e) {
        BOOST_TEST(e.id() == id, "violation carries " << e.id() << ", expected " << id << ": " << e.what());
        return;
    }
    BOOST_FAIL("expected a contract_violation of " + id);
}
}  // namespace matbp::testing
