#include "matbp/registry.hpp"

#include "matbp/activation.hpp"
#include "matbp/json_writer.hpp"
#include "matbp/version.hpp"
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
void write_info(json::writer& w, const function_info& f) {
    w.key("name").string(f.name).key("aliases").begin_array();
    for (auto a : f.aliases)
        if (!a.empty()) w.string(a);
    w.end_array().key("exact").boolean(f.exact_evaluation);
    if (f.torch.empty())
        w.key("torch").null();
    else
        w.key("torch").string(f.torch);
    w.key("formula").string(f.formula).key("parameters").begin_array(json::layout::line);
    for (const auto& p : f.parameters) {
        w.begin_object(json::layout::line).key("name").string(p.name);
        if (p.torch_name.empty())
            w.key("torch_name").null();
        else
            w.key("torch_name").string(p.torch_name);
        if (p.default_text.empty())
            w.key("default").null();
        else
            w.key("default").string(to_string(parse_exact(p.default_text)));
        w.key("list").boolean(p.list).key("meaning").string(p.meaning).end_object();
    }
    w.end_array();
}

template <class... Gs>
void write_activations(json::writer& w, type_list<Gs...>) {
    ((w.begin_object(json::layout::line), write_info(w, Gs::info),
      w.key("piecewise_linear").boolean(piecewise_linear_activation<Gs>).end_object()),
     ...);
}

template <class... Gs>
void write_losses(json::writer& w, type_list<Gs...>) {
    ((w.begin_object(json::layout::line), write_info(w, Gs::info),
      w.key("mean_over").string(Gs::mean == mean_over::samples ? "samples" : "entries").end_object()),
     ...);
}
}  // namespace

std::string registry_json() {
    json::writer w;
    w.begin_object().key("format").string("matbp-catalog/1").key("matbp_version").string(version());
    w.key("activations").begin_array(json::layout::block);
    write_activations(w, activation_types<exact>{});
    w.end_array().key("losses").begin_array(json::layout::block);
    write_losses(w, loss_types<exact>{});
    w.end_array().end_object();
    return w.str();
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

}  // namespace matbp
