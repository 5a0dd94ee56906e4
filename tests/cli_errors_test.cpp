// Tests for src/cli/errors.hpp: the one mapping from an error to the command line's exit code and
// message. The binary's exit codes 0–3 are also tested end to end (tests/cli_test.py); exit 4
// needs a bug in matbp, so it is tested here, on the mapping main() calls.
//
// Test plan
//   usage_and_input_exit_2          usage_error, input_error, unsupported_error: 2; unsupported
//                                   exact evaluation gets the --arith hint
//   resources_exit_3_with_hints     every resource names its flag (--time-limit, --max-bits,
//                                   --max-parameters, --max-file-bytes, --arith); bad_alloc and
//                                   length_error are out of memory: 3; output_error (main's
//                                   failed std::cout) is "cannot write": 3
//   bugs_exit_4                     a real contract_violation (MATBP_REQUIRE), a logic_error, an
//                                   exception of unknown type: 4, asking for a report and naming
//                                   the statement ID
//   exit_codes_are_distinct         0 1 2 3 4, each in the help text every command prints
#define BOOST_TEST_MODULE cli_errors
#include "cli/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace matbp;
using namespace matbp::cli;

namespace {
failure of(auto thrower) {
    try {
        thrower();
    } catch (...) {
        return failure_of(std::current_exception());
    }
    BOOST_FAIL("nothing thrown");
    return {};
}
bool has(const failure& f, const std::string& s) { return f.message.find(s) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_CASE(usage_and_input_exit_2) {
    const auto u = of([] { throw usage_error("--format must be json or text"); });
    BOOST_TEST(u.code == 2);
    BOOST_TEST(u.message == "--format must be json or text");
    const auto i = of([] { throw input_error("layers[0].bias", 0, 0, "bad", "m.json"); });
    BOOST_TEST(i.code == 2);
    BOOST_TEST(i.message == "m.json: layers[0].bias: bad");
    const auto x = of([] {
        throw unsupported_error(unsupported_error::feature::exact_evaluation, "layers[1].activation",
                                "tanh has no exact evaluation");
    });
    BOOST_TEST(x.code == 2);
    BOOST_TEST(has(x, "layers[1].activation: tanh has no exact evaluation; use --arith interval:256"));
}

BOOST_AUTO_TEST_CASE(resources_exit_3_with_hints) {
    const std::pair<resource, const char*> cases[] = {{resource::time, "--time-limit"},
                                                      {resource::bits, "--max-bits"},
                                                      {resource::parameters, "--max-parameters"},
                                                      {resource::file_bytes, "--max-file-bytes"},
                                                      {resource::precision, "--arith"}};
    for (const auto& [r, flag] : cases) {
        const auto f = of([r = r] { throw resource_error(r, "", "limit hit", "m.json"); });
        BOOST_TEST(f.code == 3);
        BOOST_TEST(f.message.starts_with("m.json: limit hit ("));
        BOOST_TEST(has(f, flag), f.message);
    }
    const auto m = of([] { throw std::bad_alloc(); });
    BOOST_TEST(m.code == 3);
    BOOST_TEST(has(m, "out of memory"));
    const auto l = of([] { std::string().reserve(std::string().max_size() + 1); });
    BOOST_TEST(l.code == 3);
    const auto o = of([] { throw output_error("standard output"); });
    BOOST_TEST(o.code == 3);
    BOOST_TEST(o.message.starts_with("cannot write standard output ("), o.message);
    BOOST_TEST(has(o, "incomplete"));
}

BOOST_AUTO_TEST_CASE(bugs_exit_4) {
    const auto c = of([] { MATBP_REQUIRE("L5", 1 + 1 == 3); });
    BOOST_TEST(c.code == 4);
    BOOST_TEST(has(c, "internal error, a bug in matbp"));
    BOOST_TEST(has(c, "statement L5"));
    BOOST_TEST(has(c, "1 + 1 == 3"));
    BOOST_TEST(has(c, "please report it"));
    const auto e = of([] { throw std::logic_error("unreachable"); });
    BOOST_TEST(e.code == 4);
    BOOST_TEST(has(e, "unreachable"));
    BOOST_TEST(has(e, "please report it"));
    const auto n = of([] { throw 42; });
    BOOST_TEST(n.code == 4);
}

BOOST_AUTO_TEST_CASE(exit_codes_are_distinct) {
    const std::string help = MATBP_CLI_EXIT_CODES_HELP;
    for (const char* c : {"0 success", "1 a check failed", "2 bad usage", "3 a resource limit", "4 internal error"})
        BOOST_TEST(help.find(c) != std::string::npos, c);
    BOOST_TEST(success == 0);
    BOOST_TEST(check_failed == 1);
    BOOST_TEST(bad_input == 2);
    BOOST_TEST(resource_limit == 3);
    BOOST_TEST(internal_error == 4);
}
