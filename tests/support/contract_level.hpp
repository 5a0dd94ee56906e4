#pragma once
// The contract level every test binary runs at (support/contract_level.cpp, a global fixture).

#include "matbp/contract.hpp"

namespace matbp::testing {
/// MATBP_CONTRACT_LEVEL's level: expensive when unset. Throws std::invalid_argument on any value
/// other than shapes, cheap, expensive.
contract_level requested_contract_level();
}  // namespace matbp::testing
