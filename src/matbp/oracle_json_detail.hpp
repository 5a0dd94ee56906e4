#pragma once
// matbp/oracle_json_detail.hpp — pieces of the oracle's JSON documents that more than one
// document writes (oracle_json.cpp: matbp-gradients/1 and matbp-check/1; shard.cpp:
// matbp-partial/1). Internal to the library: not installed as an API of its own.

#include "matbp/json_writer.hpp"
#include "matbp/network.hpp"

#include <vector>

namespace matbp::detail {

/// Units (D11's kinks, T3's near-kink units) as a block array of {"layer", "sample", "unit",
/// "site"}, indices 0-based (kink::layer is 1-based, so "layer" is layer − 1).
void write_kinks(json::writer& w, const std::vector<kink>& kinks);

}  // namespace matbp::detail
