#include "matbp/contract.hpp"

#include <atomic>

namespace matbp {

namespace {
std::atomic<contract_level> g_level{contract_level::cheap};

std::string describe(const std::string& id, const std::string& kind, const std::string& cond,
                     const std::source_location& w) {
    return "matbp: " + kind + " of " + id + " violated: " + cond + " (" + w.file_name() + ":" +
           std::to_string(w.line()) + ", " + w.function_name() + ")";
}
}  // namespace

contract_violation::contract_violation(std::string id, std::string kind, std::string condition,
                                       std::source_location where)
        : std::logic_error(describe(id, kind, condition, where)),
          id_(std::move(id)),
          kind_(std::move(kind)),
          condition_(std::move(condition)),
          where_(where) {}

contract_level current_contract_level() noexcept { return g_level.load(std::memory_order_relaxed); }

contract_level_guard::contract_level_guard(contract_level level) noexcept : saved_(g_level.exchange(level)) {}
contract_level_guard::~contract_level_guard() { g_level.store(saved_); }

void detail::contract_fail(const char* id, const char* kind, const char* condition, std::source_location where) {
    throw contract_violation(id, kind, condition, where);
}

}  // namespace matbp
