#pragma once
// matbp/registry.hpp — what the activation and loss registries (activation.hpp, loss.hpp) say
// about each member, independent of the scalar type: its name and aliases, its parameters with
// their exact defaults, whether it is exact over ℚ, and its PyTorch counterpart.
//
// Everything that needs a name, a default, an exactness flag or a PyTorch counterpart reads it
// from a function_info: the model reader and writer (model.cpp), the oracle (oracle.cpp), the
// help texts, `matbp catalog` (which the PyTorch exporter reads), and the tests that hold the
// fuzz dictionary and the spec's tables to the registry (model_test.cpp, traceability.py).
//
// Usage (tests/activation_test.cpp, case usage_example_of_registry_hpp):
//   const matbp::function_info* f = matbp::find_activation("sigmoid");   // the entry "logistic"
//   f->parameters.size()                                                // 0
//   matbp::find_loss("huber")->parameters[0].default_text                // "1"

#include "matbp/contract.hpp"
#include "matbp/convert.hpp"
#include "matbp/scalar.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace matbp {

/// One parameter of an activation or a loss.
struct parameter_info {
    std::string_view name;          ///< key in the matbp/1 format
    std::string_view torch_name;    ///< PyTorch's constructor argument ("" if none)
    std::string_view default_text;  ///< exact default as parse_exact reads it; "" = required
    bool list = false;              ///< a list of numbers (at least one); the last parameter only
    std::string_view meaning;       ///< for help texts
};

/// A parameter problem found by a member's own check (hardtanh: min_val < max_val).
struct parameter_problem {
    std::size_t parameter;  ///< index into function_info::parameters: the path points there
    std::string what;
};

/// One member of a registry.
struct function_info {
    std::string_view name;                    ///< canonical name in the matbp/1 format
    std::array<std::string_view, 2> aliases;  ///< other accepted names ("" = unused)
    std::span<const parameter_info> parameters;
    bool exact_evaluation;     ///< evaluable over ℚ (D10, C2)
    std::string_view torch;    ///< PyTorch counterpart, e.g. "torch.nn.Hardtanh"; "" none
    std::string_view formula;  ///< one line for help texts and `matbp catalog`
    /// Checks the parameter values together (each is already an exact number); nullptr: none.
    std::optional<parameter_problem> (*check)(const std::vector<exact>&) = nullptr;

    bool named(std::string_view n) const { return n == name || (!n.empty() && (n == aliases[0] || n == aliases[1])); }
    /// Parameter values with every missing one filled from its default, in parameters order
    /// (a list parameter's values last). `given` has one entry per parameter, nullopt = absent.
    /// Requires: every absent parameter has a default.
    std::vector<exact> with_defaults(const std::vector<std::optional<std::vector<exact>>>& given) const;
};

/// Every activation (D10) and every loss (D9), in registry order.
std::span<const function_info* const> activation_registry();
std::span<const function_info* const> loss_registry();
/// The entry named `name` (or an alias), or nullptr.
const function_info* find_activation(std::string_view name);
const function_info* find_loss(std::string_view name);
/// "identity, relu, …, logistic (or sigmoid), …": the names for messages and help texts.
std::string registry_names(std::span<const function_info* const> registry);

/// Both registries as one JSON document (`matbp catalog`), for tools that map other frameworks'
/// modules to matbp's (tests/peer/torch_export.py) and for the tests that hold the spec's tables
/// and the fuzz dictionary to the registries (tests/traceability.py):
///   {"format": "matbp-catalog/1", "matbp_version",
///    "activations": [{"name", "aliases", "exact", "torch", "formula", "piecewise_linear",
///                     "parameters": [{"name", "torch_name", "default" (exact text or null),
///                                     "list", "meaning"}]}], "losses": [… the same keys but
///                     piecewise_linear, plus "mean_over": "samples" | "entries"]}
std::string registry_json();

// ---- Generic machinery over a registry's member types --------------------------------------
// A member type G has `static constexpr function_info info`; if it has parameters, it also has
// `static G from_params(const std::vector<T>&)` and `std::vector<T> params() const` (its scalar
// parameter type T is G's template argument).

template <class... Gs>
struct type_list {};

namespace detail {
template <class T, class List>
struct admissible_variant;
template <class T, class... Gs>
struct admissible_variant<T, type_list<Gs...>> {
    template <class... Us>
    static std::variant<Us...> to_variant(std::tuple<Us...>);
    using type = decltype(to_variant(std::tuple_cat(
        std::declval<
            std::conditional_t<(!exact_field<T> || Gs::info.exact_evaluation), std::tuple<Gs>, std::tuple<>>>()...)));
};

/// G with its scalar parameter replaced by U (G itself when it has none).
template <class G, class U>
struct rebind {
    using type = G;
};
template <template <class> class G, class T, class U>
struct rebind<G<T>, U> {
    using type = G<U>;
};
}  // namespace detail

/// The std::variant of the members of List admissible for T: all of them, or for an exact T
/// those with info.exact_evaluation.
template <class T, class List>
using admissible_variant_t = typename detail::admissible_variant<T, List>::type;

/// The registry entry of the member f holds.
template <class... Fs>
const function_info& info_of(const std::variant<Fs...>& f) {
    return std::visit([](const auto& g) -> const function_info& { return std::decay_t<decltype(g)>::info; }, f);
}

/// f's parameter values, in info.parameters order (a list parameter's values last).
template <class T, class... Fs>
std::vector<T> registry_parameters(const std::variant<Fs...>& f) {
    return std::visit(
        [](const auto& g) -> std::vector<T> {
            if constexpr (requires { g.params(); })
                return g.params();
            else
                return {};
        },
        f);
}

/// The member of V named `name` (or an alias) built from its parameter values; nullopt when no
/// member of Types has that name or it is not admissible for T (not in V).
/// Requires: as many values as the member takes (any number ≥ 1 for a list parameter).
template <class V, class T, class... Gs>
std::optional<V> make_registry_member(const char* id, type_list<Gs...>, std::string_view name,
                                      const std::vector<T>& params) {
    std::optional<V> out;
    (
        [&] {
            if (out || !Gs::info.named(name)) return;
            if constexpr (!exact_field<T> || Gs::info.exact_evaluation) {
                if constexpr (Gs::info.parameters.empty()) {
                    MATBP_REQUIRE(id, params.empty());
                    out = Gs{};
                } else {
                    MATBP_REQUIRE(id, Gs::info.parameters.back().list ? params.size() >= Gs::info.parameters.size()
                                                                      : params.size() == Gs::info.parameters.size());
                    out = Gs::from_params(params);
                }
            }
        }(),
        ...);
    return out;
}

/// An exact member with its parameters converted to U (rounded, or enclosed for intervals).
template <class V, class U, class... Fs>
V convert_registry_member(const std::variant<Fs...>& f) {
    return std::visit(
        [](const auto& g) -> V {
            using H = typename detail::rebind<std::decay_t<decltype(g)>, U>::type;
            if constexpr (requires { g.params(); }) {
                std::vector<U> p;
                for (const auto& v : g.params()) p.push_back(from_exact<U>(v));
                return H::from_params(p);
            } else {
                return H{};
            }
        },
        f);
}

}  // namespace matbp
