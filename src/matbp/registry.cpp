#include "matbp/registry.hpp"

#include "matbp/activation.hpp"
#include "matbp/json.hpp"
#include "matbp/loss.hpp"

#include <array>

namespace matbp {

namespace {
template <class... Gs>
constexpr std::array<const function_info*, sizeof...(Gs)> infos(type_list<Gs...>) {
    return {&Gs::info...};
}
constexpr auto activation_infos = infos(activation_types<exact>{});
constexpr auto loss_infos = infos(loss_types<exact>{});

const function_info* find(std::span<const function_info* const> registry, std::string_view name) {
    for (const auto* f : registry)
        if (f->named(name)) return f;
    return nullptr;
}
}  // namespace

std::span<const function_info* const> activation_registry() { return activation_infos; }
std::span<const function_info* const> loss_registry() { return loss_infos; }
const function_info* find_activation(std::string_view name) { return find(activation_infos, name); }
const function_info* find_loss(std::string_view name) { return find(loss_infos, name); }

std::string registry_names(std::span<const function_info* const> registry) {
    std::string s;
    for (const auto* f : registry) {
        s += (s.empty() ? "" : ", ") + std::string(f->name);
        std::string also;
        for (auto a : f->aliases)
            if (!a.empty()) also += (also.empty() ? "" : " or ") + std::string(a);
        if (!also.empty()) s += " (or " + also + ")";
    }
    return s;
}

namespace {
std::string info_json(const function_info& f, const std::string& extra) {
    std::string aliases;
    for (auto a : f.aliases)
        if (!a.empty()) aliases += (aliases.empty() ? "" : ", ") + json::quote(a);
    std::string params;
    for (const auto& p : f.parameters)
        params += std::string(params.empty() ? "" : ", ") + "{\"name\": " + json::quote(p.name) +
                  ", \"torch_name\": " + (p.torch_name.empty() ? "null" : json::quote(p.torch_name)) +
                  ", \"default\": " + (p.default_text.empty() ? "null" : json::quote(to_string(parse_exact(p.default_text)))) +
                  ", \"list\": " + (p.list ? "true" : "false") + ", \"meaning\": " + json::quote(p.meaning) + "}";
    return "{\"name\": " + json::quote(f.name) + ", \"aliases\": [" + aliases + "], \"exact\": " +
           (f.exact_evaluation ? "true" : "false") + ", \"torch\": " + (f.torch.empty() ? "null" : json::quote(f.torch)) +
           ", \"formula\": " + json::quote(f.formula) + extra + ", \"parameters\": [" + params + "]}";
}

template <class... Gs>
std::string activations_json(type_list<Gs...>) {
    std::string s;
    ((s += std::string(s.empty() ? "\n  " : ",\n  ") +
           info_json(Gs::info, std::string(", \"piecewise_linear\": ") + (piecewise_linear_activation<Gs> ? "true" : "false"))),
     ...);
    return s;
}

template <class... Gs>
std::string losses_json(type_list<Gs...>) {
    std::string s;
    ((s += std::string(s.empty() ? "\n  " : ",\n  ") +
           info_json(Gs::info, std::string(", \"mean_over\": ") + (Gs::mean == mean_over::samples ? "\"samples\"" : "\"entries\""))),
     ...);
    return s;
}
}  // namespace

std::string registry_json() {
    return "{\"format\": \"matbp-catalog/1\",\n \"activations\": [" + activations_json(activation_types<exact>{}) +
           "],\n \"losses\": [" + losses_json(loss_types<exact>{}) + "]}\n";
}

std::vector<exact> function_info::with_defaults(const std::vector<std::optional<std::vector<exact>>>& given) const {
    MATBP_REQUIRE("D10", given.size() == parameters.size());
    std::vector<exact> out;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        if (given[i]) {
            out.insert(out.end(), given[i]->begin(), given[i]->end());
        } else {
            MATBP_REQUIRE("D10", !parameters[i].default_text.empty());
            out.push_back(parse_exact(parameters[i].default_text));
        }
    }
    return out;
}

std::optional<parameter_problem> check_hardtanh(const std::vector<exact>& p) {
    if (p.size() == 2 && !(p[0] < p[1]))
        return parameter_problem{1, "max_val (" + to_string(p[1]) + ") must be greater than min_val (" + to_string(p[0]) + ")"};
    return std::nullopt;
}

std::optional<parameter_problem> check_huber(const std::vector<exact>& p) {
    if (p.size() == 1 && !(p[0] > 0)) return parameter_problem{0, "delta must be positive, not " + to_string(p[0])};
    return std::nullopt;
}

}  // namespace matbp
