// matbp._core — the C++ side of `import matbp` (src/python/matbp/__init__.py is the user's API).
//
// Data crosses as buffers: weights, biases, inputs, targets and reported gradients are numpy
// float64 arrays (float32 data converted by numpy first, exactly), each double taken exactly by
// to_exact. Only activation and loss parameters (a handful of scalars) may come as exact text
// ("p/q", what Fraction's str gives) besides Python floats. Reading a model from a file or a
// dict goes through the one matbp/1 reader (model.hpp).
//
// The computation runs with the GIL released; resource_limits::poll takes the GIL back after
// every layer's stage and turns a pending Ctrl-C (PyErr_CheckSignals) into KeyboardInterrupt.
#include "matbp/convert.hpp"
#include "matbp/error.hpp"
#include "matbp/model.hpp"
#include "matbp/oracle.hpp"
#include "matbp/oracle_bounds.hpp"
#include "matbp/registry.hpp"
#include "matbp/version.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using namespace pybind11::literals;
using namespace matbp;

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::string index_path(const std::string& path, py::ssize_t i) { return path + "[" + std::to_string(i) + "]"; }

/// A 2-D float64 buffer as an exact matrix, rows × cols as stored; transposed: cols × rows
/// (a batch n × m becomes m × n, samples as columns). Non-finite entries are input_error at `path`.
/// A float64 array as the exact values of its doubles, held as doubles (exact_tensor.hpp; a −0
/// is the rational 0 and held as +0, as the model reader holds it).
exact_tensor matrix_of(const f64_array& a, const std::string& path, bool transposed) {
    if (a.ndim() != 2) throw input_error(path, 0, 0, "expected a 2-D array, got " + std::to_string(a.ndim()) + "-D");
    const auto r = a.shape(0), c = a.shape(1);
    if (r < 1 || c < 1)
        throw input_error(
            path, 0, 0, "expected a non-empty array, got shape (" + std::to_string(r) + ", " + std::to_string(c) + ")");
    auto v = a.unchecked<2>();
    matrix<double> M(transposed ? c : r, transposed ? r : c);
    for (py::ssize_t i = 0; i < r; ++i)
        for (py::ssize_t j = 0; j < c; ++j) {
            const double d = v(i, j);
            if (!std::isfinite(d)) throw input_error(index_path(index_path(path, i), j), 0, 0, "not a finite number");
            (transposed ? M(j, i) : M(i, j)) = d == 0 ? 0.0 : d;
        }
    return exact_tensor::of_doubles(std::move(M));
}

exact_tensor vector_of(const f64_array& a, const std::string& path) {
    if (a.ndim() != 1) throw input_error(path, 0, 0, "expected a 1-D array, got " + std::to_string(a.ndim()) + "-D");
    auto v = a.unchecked<1>();
    matrix<double> M(a.shape(0), 1);
    for (py::ssize_t i = 0; i < a.shape(0); ++i) {
        if (!std::isfinite(v(i))) throw input_error(index_path(path, i), 0, 0, "not a finite number");
        M(i, 0) = v(i) == 0 ? 0.0 : v(i);
    }
    return exact_tensor::of_doubles(std::move(M));
}

/// One parameter value: a Python float (the double, exactly), int, or exact text ("p/q").
exact scalar_of(const py::handle& h, const std::string& path) {
    try {
        if (py::isinstance<py::str>(h)) return parse_exact(h.cast<std::string>());
        if (py::isinstance<py::int_>(h)) return parse_exact(py::str(h).cast<std::string>());
        const double d = h.cast<double>();
        if (!std::isfinite(d)) throw input_error(path, 0, 0, "not a finite number");
        return to_exact(d);
    } catch (const conversion_error& e) {
        throw input_error(path, 0, 0, e.what());
    } catch (const py::cast_error&) {
        throw input_error(path, 0, 0, "expected a number or an exact string");
    }
}

/// A registry member named `name` with parameters {matbp name: value}, checked as the reader
/// checks it (model.cpp's member): known name, known parameter keys, defaults, the entry's check.
std::pair<std::string, std::vector<exact>> member_of(std::span<const function_info* const> registry,
                                                     const std::string& what, const std::string& name,
                                                     const py::dict& params, const std::string& path) {
    const function_info* f = nullptr;
    for (const auto* g : registry)
        if (g->named(name)) f = g;
    if (!f) throw input_error(path, 0, 0, "unknown " + what + " \"" + name + "\"; known: " + registry_names(registry));
    for (const auto& kv : params) {
        const auto key = kv.first.cast<std::string>();
        bool known = false;
        for (const auto& p : f->parameters) known = known || p.name == key;
        if (!known) throw input_error(path + "." + key, 0, 0, "unknown parameter for " + std::string(f->name));
    }
    std::vector<std::optional<std::vector<exact>>> given(f->parameters.size());
    for (std::size_t i = 0; i < f->parameters.size(); ++i) {
        const auto& p = f->parameters[i];
        const std::string key(p.name);
        if (!params.contains(key)) {
            if (p.default_text.empty())
                throw input_error(path, 0, 0, "missing \"" + key + "\" for " + std::string(f->name));
            continue;
        }
        std::vector<exact> values;
        if (p.list) {
            const auto items = params[key.c_str()].cast<py::sequence>();
            if (items.size() == 0) throw input_error(path + "." + key, 0, 0, "give at least one value");
            for (std::size_t j = 0; j < items.size(); ++j)
                values.push_back(scalar_of(items[j], index_path(path + "." + key, static_cast<py::ssize_t>(j))));
        } else {
            values.push_back(scalar_of(params[key.c_str()], path + "." + key));
        }
        given[i] = std::move(values);
    }
    auto values = f->with_defaults(given);
    if (f->check)
        if (auto problem = f->check(values))
            throw input_error(path + "." + std::string(f->parameters[problem->parameter].name), 0, 0, problem->what);
    return {std::string(f->name), std::move(values)};
}

/// A model from buffers. layers: [(W m_l × m_{l−1}, b (m_l,), activation name, {param: value})].
model_spec build_model(const py::list& layers, const std::string& loss, const py::dict& loss_params,
                       const std::string& red, const f64_array& X, const f64_array& Y) {
    model_spec m;
    if (layers.size() == 0) throw input_error("layers", 0, 0, "no layers");
    m.inputs = matrix_of(X, "inputs", true);
    Eigen::Index width = m.inputs.rows();
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const auto t = layers[l].cast<py::tuple>();
        const std::string path = "layers[" + std::to_string(l) + "]";
        layer_spec L;
        L.weights = matrix_of(t[0].cast<f64_array>(), path + ".weights", false);
        L.bias = vector_of(t[1].cast<f64_array>(), path + ".bias");
        if (L.weights.cols() != width)
            throw input_error(path + ".weights", 0, 0,
                              "has " + std::to_string(L.weights.cols()) + " columns; the layer's input has " +
                                  std::to_string(width) + " values");
        if (L.bias.rows() != L.weights.rows())
            throw input_error(path + ".bias", 0, 0,
                              "has " + std::to_string(L.bias.rows()) + " values; the weights have " +
                                  std::to_string(L.weights.rows()) + " rows");
        auto [name, params] = member_of(activation_registry(), "activation", t[2].cast<std::string>(),
                                        t[3].cast<py::dict>(), path + ".activation");
        L.activation = activation_spec{std::move(name), std::move(params)};
        width = L.weights.rows();
        m.layers.push_back(std::move(L));
    }
    auto [lname, lparams] = member_of(loss_registry(), "loss", loss, loss_params, "loss");
    m.loss_kind = loss_spec{std::move(lname), std::move(lparams)};
    if (red == "mean")
        m.red = reduction::mean;
    else if (red == "sum")
        m.red = reduction::sum;
    else
        throw input_error("reduction", 0, 0, "expected \"mean\" or \"sum\", got \"" + red + "\"");
    m.targets = matrix_of(Y, "targets", true);
    if (m.targets.cols() != m.inputs.cols())
        throw input_error(
            "targets", 0, 0,
            "has " + std::to_string(m.targets.cols()) + " rows; the inputs have " + std::to_string(m.inputs.cols()));
    if (m.targets.rows() != width)
        throw input_error("targets", 0, 0,
                          "rows have " + std::to_string(m.targets.rows()) + " values; the last layer has " +
                              std::to_string(width) + " units");
    return m;
}

py::object fraction_class() { return py::module_::import("fractions").attr("Fraction"); }

py::object py_int(const bmp::mpz_int& z) {
    // Hex: linear in the size (boost writes only non-negative numbers in base 16).
    const std::string s = (z < 0 ? "-" : "") + bmp::mpz_int(abs(z)).str(0, std::ios_base::hex);
    return py::reinterpret_steal<py::object>(PyLong_FromString(s.c_str(), nullptr, 16));
}

py::object fraction_of(const exact& q, const py::object& Fraction) {
    return Fraction(py_int(bmp::numerator(q)), py_int(bmp::denominator(q)));
}

/// Units (D11's kinks, T3's near-kink units) as (layer 0-based, sample, unit, site) tuples.
py::list units_of(const std::vector<kink>& units) {
    py::list out;
    for (const auto& k : units)
        out.append(py::make_tuple(k.layer - 1, k.sample, k.unit, k.site == kink_site::loss ? "loss" : "activation"));
    return out;
}

/// The double of an enclosure [lo, hi]: the correctly rounded value when lo = hi, else the
/// nearest double to the midpoint.
double double_of(const exact& lo, const exact& hi) { return lo == hi ? to_double(lo) : to_double((lo + hi) / 2); }

py::array_t<double> doubles_of(const tensor_range& t, bool as_vector) {
    const auto r = t.lo.rows(), c = t.lo.cols();
    py::array_t<double> out =
        py::array_t<double>(as_vector ? std::vector<py::ssize_t>{r} : std::vector<py::ssize_t>{r, c});
    double* p = out.mutable_data();
    // A point held dyadic (the exact fast path's result) is rounded off its dyadic form: the same
    // doubles (dyadic_entries::rounded is to_double), no rational made.
    if (const dyadic_matrix* D = t.lo.dyadic(); D && t.lo == t.hi)
        if (const auto E = dyadic_entries::of(*D, t.lo.scale())) {
            for (Eigen::Index i = 0; i < r; ++i)
                for (Eigen::Index j = 0; j < c; ++j) p[i * c + j] = E->rounded(static_cast<std::size_t>(i + j * r), 0);
            return out;
        }
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j) p[i * c + j] = double_of(lo(i, j), hi(i, j));
    return out;
}

/// An object array of Fractions (exact) or of (lo, hi) Fraction pairs (an enclosure).
py::object fractions_of(const tensor_range& t, bool as_vector) {
    const auto r = t.lo.rows(), c = t.lo.cols();
    const matrix<exact>& lo = t.lo.rational();
    const matrix<exact>& hi = t.hi.rational();
    const py::object Fraction = fraction_class();
    py::object a = py::module_::import("numpy").attr("empty")(py::make_tuple(r, c), "dtype"_a = "object");
    for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j)
            a[py::make_tuple(i, j)] =
                lo(i, j) == hi(i, j)
                    ? fraction_of(lo(i, j), Fraction)
                    : py::object(py::make_tuple(fraction_of(lo(i, j), Fraction), fraction_of(hi(i, j), Fraction)));
    if (as_vector) return a.attr("reshape")(r);
    return a;
}

py::array_t<bool> kink_mask(const tensor_range& t, bool as_vector) {
    const auto r = t.lo.rows(), c = t.lo.cols();
    py::array_t<bool> out = py::array_t<bool>(as_vector ? std::vector<py::ssize_t>{r} : std::vector<py::ssize_t>{r, c});
    bool* p = out.mutable_data();
    for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j) p[i * c + j] = t.kink_dependent[static_cast<std::size_t>(i + j * r)];
    return out;
}

gradient_reference compute(const model_spec& m, const std::optional<std::string>& arith, std::size_t max_bits,
                           double time_limit, unsigned threads) {
    const arith_spec a = arith ? parse_arith(*arith) : default_arith(m);
    resource_limits lim;
    lim.max_bits = max_bits;
    lim.max_seconds = time_limit;
    lim.threads = threads;
    lim.poll = [] {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    };
    py::gil_scoped_release release;
    return compute_gradients(m, a, lim);
}

/// reported: per layer (W or None, b or None); a None tensor is not judged (the reference's own
/// values stand in, and the tensor is left out of the report). names: per layer (W name, b name).
/// verdict "bound" (T3, check_by_bound at the D17 precision named `precision`) or "normwise"
/// (max_rel decides; max_rel with "bound" is an input_error).
check_report check(const gradient_reference& ref, const model_spec& spec, const py::list& reported,
                   const py::list& names, const std::string& precision, const std::string& verdict,
                   std::optional<double> max_rel, std::optional<std::uint64_t> max_ulps, bool strict_kinks) {
    if (reported.size() != ref.weights.size() || names.size() != ref.weights.size())
        throw input_error("gradients", 0, 0, "expected " + std::to_string(ref.weights.size()) + " layers");
    check_options opt;
    const auto pm = precision_by_name(precision);
    if (!pm) {
        std::string known;
        for (const auto& q : precision_models()) known += (known.empty() ? "\"" : ", \"") + q.name + "\"";
        throw input_error("precision", 0, 0, "expected one of " + known + ", got \"" + precision + "\"");
    }
    if (precision != "float64") opt.format = float_format::float32;
    if (verdict != "bound" && verdict != "normwise")
        throw input_error("verdict", 0, 0, "expected \"bound\" or \"normwise\", got \"" + verdict + "\"");
    if (max_rel && verdict != "normwise")
        throw input_error("max_rel", 0, 0, "the normwise rule's threshold: it needs verdict=\"normwise\"");
    opt.max_rel = max_rel;
    opt.max_ulps = max_ulps;
    opt.strict_kinks = strict_kinks;
    reported_gradients g;
    std::vector<bool> judged;
    std::vector<std::string> tensor_names;
    for (std::size_t l = 0; l < reported.size(); ++l) {
        const auto pair = reported[l].cast<py::tuple>();
        const auto nm = names[l].cast<py::tuple>();
        std::pair<exact_tensor, exact_tensor> p{ref.weights[l].lo, ref.bias[l].lo};  // unjudged: the reference
        for (int which = 0; which < 2; ++which) {
            const bool given = !pair[which].is_none();
            judged.push_back(given);
            tensor_names.push_back(nm[which].is_none() ? std::string() : nm[which].cast<std::string>());
            if (!given) continue;
            const std::string path = tensor_names.back();
            const auto& want = which == 0 ? ref.weights[l].lo : ref.bias[l].lo;
            exact_tensor M = which == 0 ? matrix_of(pair[0].cast<f64_array>(), path, false)
                                        : vector_of(pair[1].cast<f64_array>(), path);
            if (M.rows() != want.rows() || M.cols() != want.cols())
                throw input_error(path, 0, 0,
                                  "shape " + std::to_string(M.rows()) + "×" + std::to_string(M.cols()) + ", expected " +
                                      std::to_string(want.rows()) + "×" + std::to_string(want.cols()));
            (which == 0 ? p.first : p.second) = std::move(M);
        }
        g.push_back(std::move(p));
    }
    check_report rep;
    {
        py::gil_scoped_release release;
        if (verdict == "bound") {
            gradient_reference extended = ref;  // check_by_bound extends the enclosures
            rep = check_by_bound(extended, spec, g, *pm, opt);
        } else {
            rep = check_gradients(ref, g, opt);
            rep.precision = precision;
        }
    }
    // check_gradients reports weights and bias of each layer in order; keep the judged ones.
    if (rep.tensors.size() != judged.size()) throw std::logic_error("matbp._core.check: unexpected tensor count");
    std::vector<tensor_check> kept;
    for (std::size_t i = 0; i < judged.size(); ++i)
        if (judged[i]) {
            kept.push_back(rep.tensors[i]);
            kept.back().name = tensor_names[i];
        }
    rep.tensors = std::move(kept);
    summarize(rep);
    return rep;
}

py::object exact_or_inf(double d, const exact& q) {
    if (std::isfinite(d)) return py::float_(d);
    return fraction_of(q, fraction_class());
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "matbp's C++ core; use the package matbp";
    m.attr("__version__") = std::string(version());

    // The exception classes live as long as the module (released never: the translator needs them).
    static py::handle input_error_class, unsupported_class, resource_class, internal_class;
    input_error_class = py::exception<input_error>(m, "InputError", PyExc_ValueError).release();
    unsupported_class = py::exception<unsupported_error>(m, "UnsupportedError", input_error_class).release();
    resource_class = py::exception<resource_error>(m, "ResourceError", PyExc_RuntimeError).release();
    internal_class = py::exception<contract_violation>(m, "InternalError", PyExc_RuntimeError).release();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const unsupported_error& e) {  // most derived first
            PyErr_SetString(unsupported_class.ptr(), e.what());
        } catch (const input_error& e) {
            PyErr_SetString(input_error_class.ptr(), e.what());
        } catch (const resource_error& e) {
            PyErr_SetString(resource_class.ptr(), e.what());
        } catch (const contract_violation& e) {
            PyErr_SetString(internal_class.ptr(), e.what());
        } catch (const conversion_error& e) {
            PyErr_SetString(input_error_class.ptr(), e.what());
        }
    });

    m.def("catalog", &registry_json, "The activation and loss registries as JSON (matbp catalog).");
    m.def("kink_convention", [] { return std::string(kink_convention()); });

    py::class_<model_spec>(m, "ModelSpec")
        .def("to_json", &write_model, "Canonical matbp/1 text: every number an exact string.")
        .def_property_readonly("widths",
                               [](const model_spec& s) {
                                   std::vector<Eigen::Index> w{s.inputs.rows()};
                                   for (const auto& L : s.layers) w.push_back(L.weights.rows());
                                   return w;
                               })
        .def_property_readonly("samples", [](const model_spec& s) { return s.inputs.cols(); })
        .def_property_readonly("activations",
                               [](const model_spec& s) {
                                   std::vector<std::string> a;
                                   for (const auto& L : s.layers) a.push_back(L.activation.name);
                                   return a;
                               })
        .def_property_readonly("loss", [](const model_spec& s) { return s.loss_kind.name; })
        .def_property_readonly("reduction", [](const model_spec& s) { return to_string(s.red); })
        .def_property_readonly("exact", [](const model_spec& s) { return model_is_exact(s); })
        .def("__eq__", [](const model_spec& a, const model_spec& b) { return a == b; });

    m.def(
        "read_model_file", [](const std::string& path) { return read_model_file(path); }, "path"_a);
    m.def(
        "read_model_text", [](const std::string& text) { return read_model(text); }, "text"_a);
    m.def("build_model", &build_model, "layers"_a, "loss"_a, "loss_params"_a, "reduction"_a, "inputs"_a, "targets"_a);

    py::class_<gradient_reference>(m, "Reference")
        .def_property_readonly("arith", [](const gradient_reference& r) { return r.arith.str(); })
        .def_property_readonly("certified", [](const gradient_reference& r) { return r.arith.certified(); })
        .def_property_readonly("engine", [](const gradient_reference& r) { return r.engine; })
        .def_property_readonly("depth", [](const gradient_reference& r) { return r.weights.size(); })
        .def_property_readonly(
            "correctly_rounded",
            [](const gradient_reference& r) {
                // The true value lies in [lo, hi] and rounding is monotone: when both ends round to
                // the same double, so does the true value.
                for (const auto* ts : {&r.weights, &r.bias})
                    for (const auto& t : *ts) {
                        if (t.lo == t.hi) continue;  // points (one shared tensor): each rounds to itself
                        const matrix<exact>& lo = t.lo.rational();
                        const matrix<exact>& hi = t.hi.rational();
                        for (Eigen::Index i = 0; i < lo.size(); ++i)
                            if (to_double(lo(i)) != to_double(hi(i))) return false;
                    }
                return r.arith.certified();
            },
            "True iff every float64 value given is the correctly rounded true gradient: a certified "
            "arithmetic whose enclosures' ends round to the same double")
        .def(
            "cost",
            [](const gradient_reference& r, bool exact_values) -> py::object {
                if (!exact_values) return py::float_(double_of(r.cost_lo, r.cost_hi));
                const auto F = fraction_class();
                if (r.cost_lo == r.cost_hi) return fraction_of(r.cost_lo, F);
                return py::make_tuple(fraction_of(r.cost_lo, F), fraction_of(r.cost_hi, F));
            },
            "exact"_a = false)
        .def(
            "tensor",
            [](const gradient_reference& r, std::size_t l, bool bias, bool exact_values) -> py::object {
                if (l >= r.weights.size()) throw py::index_error("layer out of range");
                const auto& t = bias ? r.bias[l] : r.weights[l];
                if (exact_values) return fractions_of(t, bias);
                return doubles_of(t, bias);
            },
            "layer"_a, "bias"_a, "exact"_a = false)
        .def(
            "kink_mask",
            [](const gradient_reference& r, std::size_t l, bool bias) {
                if (l >= r.weights.size()) throw py::index_error("layer out of range");
                return kink_mask(bias ? r.bias[l] : r.weights[l], bias);
            },
            "layer"_a, "bias"_a)
        .def_property_readonly(
            "kink_enclosures",
            [](const gradient_reference& r) {
                const py::object F = fraction_class();
                py::list out;
                for (const kink_entry_ref& e : kink_entries(r)) {
                    const tensor_range& t = e.tensor;
                    const Eigen::Index i = e.row, j = e.col;
                    out.append(py::make_tuple(
                        "layers[" + std::to_string(e.layer) + "]." + (e.bias ? "bias" : "weights"),
                        py::make_tuple(i, j), fraction_of(t.lo(i, j), F), fraction_of(t.clarke_lo(i, j), F),
                        fraction_of(t.clarke_hi(i, j), F), fraction_of(t.one(i, j), F)));
                }
                return out;
            },
            "(tensor, (row, col), value, lower, upper, one) of every kink-dependent entry (C3), as Fractions")
        .def_property_readonly(
            "kinks", [](const gradient_reference& r) { return units_of(r.kinks); },
            "(layer 0-based, sample, unit, site) of every kink (D11)")
        .def(
            "to_json",
            [](const gradient_reference& r, const std::string& values) {
                json_options o;
                if (values == "double")
                    o.values = json_options::value_format::float64;
                else if (values != "exact")
                    throw input_error("values", 0, 0, "expected \"exact\" or \"double\"");
                return to_json(r, o);
            },
            "values"_a = "exact");

    m.def("compute", &compute, "model"_a, "arith"_a = py::none(), "max_bits"_a = resource_limits{}.max_bits,
          "time_limit"_a = resource_limits{}.max_seconds, "threads"_a = 0u,
          "The reference gradients (C1); the GIL is released, Ctrl-C is honoured after each layer's stage.");

    py::class_<tensor_check>(m, "TensorCheck")
        .def_readonly("name", &tensor_check::name)
        .def_property_readonly("worst_entry",
                               [](const tensor_check& t) { return py::make_tuple(t.worst_row, t.worst_col); })
        .def_readonly("worst_ulps", &tensor_check::worst_ulps)
        .def_property_readonly(
            "worst_abs_error",
            [](const tensor_check& t) { return exact_or_inf(t.worst_abs_error, t.worst_abs_error_exact); })
        .def_property_readonly(
            "max_abs_error", [](const tensor_check& t) { return exact_or_inf(t.max_abs_error, t.max_abs_error_exact); })
        .def_readonly("normwise_error", &tensor_check::normwise_rel)
        .def_readonly("relative", &tensor_check::relative)
        .def_readonly("kink_entries", &tensor_check::kink_entries)
        .def_readonly("worst_kink_ulps", &tensor_check::worst_kink_ulps)
        .def_property_readonly("worst_kink_entry",
                               [](const tensor_check& t) { return py::make_tuple(t.worst_kink_row, t.worst_kink_col); })
        .def_readonly("kink_outside", &tensor_check::kink_outside)
        .def_property_readonly("kink_match",
                               [](const tensor_check& t) -> py::object {
                                   if (t.kink_match.empty()) return py::none();
                                   return py::str(t.kink_match);
                               })
        .def_readonly("bound_use", &tensor_check::bound_use)
        .def_property_readonly("bound_use_entry",
                               [](const tensor_check& t) { return py::make_tuple(t.use_row, t.use_col); })
        .def_readonly("bound_use_ulps", &tensor_check::use_ulps)
        .def_property_readonly("bound_distance",
                               [](const tensor_check& t) { return fraction_of(t.use_distance, fraction_class()); })
        .def_property_readonly("bound",
                               [](const tensor_check& t) { return fraction_of(t.use_bound, fraction_class()); })
        .def_readonly("beyond_bound", &tensor_check::beyond_bound)
        .def_readonly("passed", &tensor_check::pass)
        .def_property_readonly("verdict", [](const tensor_check& t) { return t.pass ? "pass" : "FAIL"; });

    py::class_<check_report>(m, "CheckReport")
        .def_readonly("passed", &check_report::pass)
        .def_readonly("tensors", &check_report::tensors)
        .def_readonly("max_rel", &check_report::max_rel)
        .def_readonly("max_ulps", &check_report::max_ulps)
        .def_property_readonly(
            "precision",
            [](const check_report& r) -> std::string {
                return !r.precision.empty() ? r.precision : r.format == float_format::float32 ? "float32" : "float64";
            })
        .def_property_readonly(
            "ulp_format",
            [](const check_report& r) { return r.format == float_format::float32 ? "float32" : "float64"; })
        .def_readonly("verdict", &check_report::verdict)
        .def_property_readonly("verdict_note",
                               [](const check_report& r) -> py::object {
                                   if (r.verdict_note.empty()) return py::none();
                                   return py::str(r.verdict_note);
                               })
        .def_property_readonly("near_kinks", [](const check_report& r) { return units_of(r.near_kinks); })
        .def_readonly("strict_kinks", &check_report::strict_kinks)
        .def_property_readonly("arith", [](const check_report& r) { return r.arith.str(); })
        .def_readonly("engine", &check_report::engine)
        .def_readonly("kink_count", &check_report::kinks)
        .def_property_readonly("kink_match",
                               [](const check_report& r) -> py::object {
                                   if (r.kink_match.empty()) return py::none();
                                   return py::str(r.kink_match);
                               })
        .def_property_readonly("kink_rule",
                               [](const check_report& r) {
                                   return r.strict_kinks ? "convention" : r.enclosure ? "enclosure" : "not judged";
                               })
        .def("text", [](const check_report& r) { return to_text(r); })
        .def("to_json", [](const check_report& r) { return to_json(r); });

    m.def("check", &check, "reference"_a, "model"_a, "reported"_a, "names"_a, "precision"_a = "float64",
          "verdict"_a = "bound", "max_rel"_a = py::none(), "max_ulps"_a = py::none(), "strict_kinks"_a = false);
}
