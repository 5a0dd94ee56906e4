#pragma once
// matbp/oracle_json_detail.hpp — pieces of the oracle's JSON documents that more than one
// document writes (oracle_json.cpp: matbp-gradients/1 and matbp-check/1; shard.cpp:
// matbp-partial/1). Internal to the library: not installed as an API of its own.

#include "matbp/json_writer.hpp"
#include "matbp/network.hpp"
#include "matbp/oracle.hpp"

#include <vector>

namespace matbp::detail {

/// Units (D11's kinks, T3's near-kink units) as a block array of {"layer", "sample", "unit",
/// "site"}, indices 0-based (kink::layer is 1-based, so "layer" is layer − 1).
void write_kinks(json::writer& w, const std::vector<kink>& kinks);

/// A weight matrix (a block array of rows, each on one line) or a bias (`as_vector`: one array
/// on one line) as matbp-gradients/1 writes it with exact values: "p/q" strings, an entry with
/// lo < hi as {"lower", "upper"}. A point tensor held in dyadic form is read off that form, with
/// no rational made (the bytes are the rationals': oracle_test's
/// dyadic_reference_writes_as_its_rationals; the memory it saves: tests/bench/IO.md, Streaming).
void write_exact_tensor(json::writer& w, const tensor_range& t, bool as_vector);

}  // namespace matbp::detail
