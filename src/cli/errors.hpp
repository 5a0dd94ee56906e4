#pragma once
// cli/errors.hpp — the command line's exit codes, and the one place that maps an error to its
// exit code and its one-line message (with the flag hints the library leaves to front ends).
//
//   0  success, or the check passed             3  a resource limit stopped the run: time, bits,
//   1  a check failed                              parameters, file size, memory, the range or
//   2  bad usage or bad input, or a request        precision of the chosen arithmetic, or the
//      matbp does not support                      output could not be written (device full)
//                                               4  internal error: a bug in matbp (a violated
//                                                  contract names its statement ID)
//
// Output is written as it is made (a gradients document of W is 325 MB), so a run that stops
// with exit 3 or 4 may leave a prefix of its document on standard output: use the output only
// after exit 0 or 1. main() flushes std::cout before it returns and throws output_error when
// the stream has failed, so a failed write cannot end in exit 0 or 1 (tests/cli_test.py,
// output_full_exit_3_*). Not std::ios::exceptions: GCC 12's libstdc++ throws an ios_base::failure
// of the old ABI, which `catch (const std::ios_base::failure&)` does not catch (GCC PR 66145).
//
// Tested by tests/cli_errors_test.cpp (every code, every hint) and tests/cli_test.py (the binary).

#include "matbp/error.hpp"

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

namespace matbp::cli {

enum exit_code : int { success = 0, check_failed = 1, bad_input = 2, resource_limit = 3, internal_error = 4 };

/// The exit codes as every help text prints them (a macro, so that help texts concatenate it).
#define MATBP_CLI_EXIT_CODES_HELP                                                                \
    "Exit codes: 0 success or pass, 1 a check failed, 2 bad usage or input (or an unsupported\n" \
    "request), 3 a resource limit stopped the run (time, bits, parameters, file size, memory,\n" \
    "arithmetic range, or the output could not be written), 4 internal error (a bug in matbp:\n" \
    "please report it). Output is written as it is made: after exit 3 or 4 standard output\n"    \
    "may hold an incomplete document.\n"

/// A command line that cannot be run as written (an unknown option, a missing value, …).
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// An output stream that failed (its name, "standard output", is what()).
struct output_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct failure {
    int code;
    std::string message;  ///< one line, without the "matbp <command>: " prefix
};

/// The flag that raises a limit, for a resource_error's message.
inline std::string hint(resource r) {
    switch (r) {
        case resource::time:
            return "raise --time-limit, in seconds, 0 for none";
        case resource::bits:
            return "raise --max-bits, or use --arith interval:256";
        case resource::parameters:
            return "raise --max-parameters";
        case resource::file_bytes:
            return "raise --max-file-bytes";
        case resource::precision:
            return "use --arith exact, or --arith interval:BITS with more BITS";
    }
    return "";
}

/// The exit code and message for the exception `e` (from a catch (...) block). Never throws.
inline failure failure_of(std::exception_ptr e) noexcept {
    try {
        try {
            std::rethrow_exception(e);
        } catch (const usage_error& x) {
            return {bad_input, x.what()};
        } catch (const unsupported_error& x) {
            std::string m = x.what();
            if (x.what_feature() == unsupported_error::feature::exact_evaluation)
                m += "; use --arith interval:256 (certified enclosures) or --arith real:256";
            return {bad_input, m};
        } catch (const input_error& x) {
            return {bad_input, x.what()};
        } catch (const resource_error& x) {
            return {resource_limit, std::string(x.what()) + " (" + hint(x.which()) + ")"};
        } catch (const std::bad_alloc&) {
            return {resource_limit,
                    "out of memory: the model or its exact numbers are too large for this machine (lower "
                    "--max-file-bytes, --max-parameters or --max-bits, or use --arith interval:256)"};
        } catch (const output_error& x) {
            return {resource_limit, "cannot write " + std::string(x.what()) +
                                        " (a full device, or a closed pipe while SIGPIPE is ignored); what "
                                        "was written is incomplete"};
        } catch (const std::length_error& x) {
            return {resource_limit, std::string("out of memory: a size beyond what this machine can hold (") +
                                        x.what() + "; lower --max-file-bytes, --max-parameters or --max-bits)"};
        } catch (const contract_violation& x) {
            return {internal_error, "internal error, a bug in matbp: the " + x.kind() + " of statement " + x.id() +
                                        " does not hold: " + x.condition() + " (" + x.where().file_name() + ":" +
                                        std::to_string(x.where().line()) +
                                        "); please report it with the command and its input files"};
        } catch (const std::exception& x) {
            return {internal_error, std::string("internal error, a bug in matbp (please report it with the command and "
                                                "its input files): unexpected exception: ") +
                                        x.what()};
        } catch (...) {
            return {internal_error,
                    "internal error, a bug in matbp (please report it with the command and its input "
                    "files): an exception of unknown type"};
        }
    } catch (...) {  // building the message itself failed (out of memory)
        return {internal_error, "internal error"};
    }
}

}  // namespace matbp::cli
