#pragma once
// matbp/error.hpp — the typed errors of the library: one type per way a run can fail.
//
//   input_error         bad input: a JSON syntax error, or valid JSON that is not a valid model
//                       or gradients file; names the file, the JSON path or line:column.
//   unsupported_error   a valid input asks for what matbp does not do, e.g. an exact evaluation
//                       of tanh (an input_error too, so a caller that only knows bad input still
//                       catches it).
//   resource_error      a resource limit stopped the run: time, bits of an exact number, parameters,
//                       bytes of a file, or the precision or range of the chosen arithmetic.
//   contract_violation  (contract.hpp) a condition inside matbp does not hold: a bug in matbp,
//                       with the statement ID it guards.
//
// Messages say what is wrong and where, and name no command-line flag: a front end (the CLI,
// src/cli/errors.hpp) adds its own hints and maps each type to its exit code.
//
// Usage (tests/error_test.cpp, case usage_example_of_error_hpp):
//   try { matbp::read_model(text); }
//   catch (const matbp::resource_error& e) { e.which() == matbp::resource::parameters; }
//   catch (const matbp::input_error& e) { e.path(); /* "layers[0].bias" */ }

#include "matbp/contract.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace matbp {

/// Bad input (a JSON syntax error, or a document that is valid JSON but not a valid model).
/// The message is `<where>: <what is wrong>`, where is the JSON path when there is one, else
/// `line:column`; a file name, when known, comes first: `model.json:3:7: …`, `model.json: layers[0].bias: …`.
class input_error : public std::runtime_error {
public:
    input_error(std::string path, std::size_t line, std::size_t column, std::string reason, std::string file = "");
    /// JSON path of the offending value; "" for syntax errors and for the root.
    const std::string& path() const noexcept { return path_; }
    /// 1-based position of the offending text; 0 when the error is not about a position
    /// (a file that cannot be read).
    std::size_t line() const noexcept { return line_; }
    std::size_t column() const noexcept { return column_; }
    /// The file the text came from, "" when parsed from memory.
    const std::string& file() const noexcept { return file_; }
    /// What is wrong, without the location prefix.
    const std::string& reason() const noexcept { return reason_; }
    /// The same error, attributed to `file`.
    input_error in_file(std::string file) const;

private:
    std::string path_, reason_, file_;
    std::size_t line_, column_;
};

/// A valid input asks for something matbp does not do. `path` names the part of the model that
/// asks for it ("layers[1].activation", "loss").
class unsupported_error : public input_error {
public:
    enum class feature {
        exact_evaluation,  ///< a transcendental function over ℚ: only interval or real arithmetic evaluates it
    };
    unsupported_error(feature what, std::string path, std::string reason, std::string file = "");
    feature what_feature() const noexcept { return feature_; }
    unsupported_error in_file(std::string file) const;

private:
    feature feature_;
};

/// The resources a run can run out of.
enum class resource {
    time,        ///< the wall-clock budget (resource_limits::max_seconds)
    bits,        ///< bits of an exact numerator or denominator (resource_limits::max_bits)
    parameters,  ///< parameters of a model (model_limits::max_parameters)
    file_bytes,  ///< bytes of a JSON text or file (json::limits::max_bytes)
    precision,   ///< the precision or exponent range of the chosen arithmetic (a double overflowed,
                 ///< an interval enclosure became unbounded)
};

/// A resource limit stopped the run. The message is located like input_error's:
/// `[file: ][path: ]reason`, with the limit's value in the reason.
class resource_error : public std::runtime_error {
public:
    resource_error(matbp::resource which, std::string path, std::string reason, std::string file = "");
    matbp::resource which() const noexcept { return which_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& reason() const noexcept { return reason_; }
    const std::string& file() const noexcept { return file_; }
    /// The same error, attributed to `file`.
    resource_error in_file(std::string file) const;

private:
    matbp::resource which_;
    std::string path_, reason_, file_;
};

}  // namespace matbp
