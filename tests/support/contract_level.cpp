// Linked into every test binary (tests/CMakeLists.txt, matbp_test): a Boost.Test global fixture
// that sets the contract level (contract.hpp) for the whole run from MATBP_CONTRACT_LEVEL —
// "shapes", "cheap" or "expensive"; unset means expensive, so every test runs every
// postcondition by default. CTest's <suite>_cheap variants set it to cheap, the level users get.
// Any other value stops the run with a message naming the variable (no test runs at a level
// nobody asked for). contract_test's case tests_run_at_the_requested_level checks the result.
#include "support/contract_level.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace matbp::testing {

contract_level requested_contract_level() {
    const char* v = std::getenv("MATBP_CONTRACT_LEVEL");
    if (v == nullptr) return contract_level::expensive;
    const std::string s(v);
    if (s == "shapes") return contract_level::shapes;
    if (s == "cheap") return contract_level::cheap;
    if (s == "expensive") return contract_level::expensive;
    throw std::invalid_argument("MATBP_CONTRACT_LEVEL=\"" + s + "\": expected shapes, cheap or expensive");
}

namespace {
struct contract_level_from_environment {
    std::unique_ptr<contract_level_guard> guard;
    void setup() {
        guard = std::make_unique<contract_level_guard>(requested_contract_level());
        BOOST_TEST_MESSAGE("contract level " << static_cast<int>(current_contract_level())
                                             << " (0 shapes, 1 cheap, 2 expensive)");
    }
    void teardown() { guard.reset(); }
};
}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(contract_level_from_environment);

}  // namespace matbp::testing
