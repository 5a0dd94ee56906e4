// Tests for src/matbp/error.hpp.
//
// Test plan
//   messages_are_located          input_error, unsupported_error and resource_error write
//                                 `[file: ][path: ]reason` (input_error also `file:line:col: reason`),
//                                 with control characters escaped so a message stays one line
//   in_file_keeps_the_type        unsupported_error::in_file and resource_error::in_file keep their
//                                 type and fields; an unsupported_error is an input_error
//   library_messages_name_no_flag the errors compute_gradients and read_model raise for every limit
//                                 and unsupported request say nothing of "--" options
//   usage_example_of_error_hpp
#define BOOST_TEST_MODULE error
#include "matbp/error.hpp"

#include "matbp/model.hpp"
#include "matbp/oracle.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace matbp;

BOOST_AUTO_TEST_CASE(messages_are_located) {
    BOOST_TEST(std::string(input_error("", 3, 7, "bad", "m.json").what()) == "m.json:3:7: bad");
    BOOST_TEST(std::string(unsupported_error(unsupported_error::feature::exact_evaluation, "loss", "no").what()) ==
               "loss: no");
    BOOST_TEST(std::string(resource_error(resource::bits, "", "too big").what()) == "too big");
    BOOST_TEST(std::string(resource_error(resource::parameters, "layers[1].weights", "17 > 16", "m.json").what()) ==
               "m.json: layers[1].weights: 17 > 16");
    BOOST_TEST(std::string(resource_error(resource::file_bytes, "", "large", "a\nb").what()) == "a\\nb: large");
}

BOOST_AUTO_TEST_CASE(in_file_keeps_the_type) {
    const unsupported_error u(unsupported_error::feature::exact_evaluation, "layers[0].activation", "tanh");
    const unsupported_error uf = u.in_file("m.json");
    BOOST_TEST(std::string(uf.what()) == "m.json: layers[0].activation: tanh");
    BOOST_TEST((uf.what_feature() == unsupported_error::feature::exact_evaluation));
    const input_error& as_input = uf;  // a caller that only knows bad input still catches it
    BOOST_TEST(as_input.path() == "layers[0].activation");
    const resource_error r = resource_error(resource::time, "", "spent").in_file("m.json");
    BOOST_TEST((r.which() == resource::time));
    BOOST_TEST(r.file() == "m.json");
    BOOST_TEST(r.reason() == "spent");
}

namespace {
std::string message_of(auto f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(library_messages_name_no_flag) {
    model_spec m;
    for (int l = 0; l < 12; ++l) {
        matrix<exact> W(2, 2), b(2, 1);
        W << exact(3, 7), exact(-5, 11), exact(2, 3), exact(1, 13);
        b << exact(1, 17), exact(-1, 19);
        m.layers.push_back({W, b, {"polynomial", {exact(1, 3), 1, exact(1, 5), exact(1, 7)}}});
    }
    m.inputs = matrix<exact>(2, 1);
    m.inputs.edit() << exact(1, 2), exact(2, 3);
    m.targets = matrix<exact>::Ones(2, 1);
    resource_limits small;
    small.max_bits = 20000;
    resource_limits no_time;
    no_time.max_seconds = 1e-12;
    model_spec tanh_model = m;
    tanh_model.layers.resize(1);
    tanh_model.layers[0].activation = {"tanh", {}};
    model_spec softmax = tanh_model;
    softmax.layers[0].activation = {"identity", {}};
    softmax.loss_kind = {"softmax_cross_entropy", {}};
    model_spec huge = softmax;  // 2^2000 overflows double arithmetic
    huge.loss_kind = {"squared_error", {}};
    huge.layers[0].weights.edit()(0, 0) = exact(bmp::mpz_int(1) << 2000);
    model_limits few;
    few.max_parameters = 1;
    few.syntax.max_bytes = 10;
    const std::string text = write_model(tanh_model);
    const std::vector<std::string> messages{
        message_of([&] { compute_gradients(m, parse_arith("exact"), small); }),
        message_of([&] { compute_gradients(m, parse_arith("interval:64"), no_time); }),
        message_of([&] { compute_gradients(tanh_model, parse_arith("exact")); }),
        message_of([&] { compute_gradients(softmax, parse_arith("exact")); }),
        message_of([&] { compute_gradients(huge, parse_arith("double")); }),
        message_of([&] { parse_arith("interval:0"); }),
        message_of([&] { read_model(text, few); }),
        message_of([&] {
            model_limits one;
            one.max_parameters = 1;
            read_model(text, one);
        }),
    };
    for (const auto& msg : messages) {
        BOOST_TEST(!msg.empty());
        BOOST_TEST(msg.find("--") == std::string::npos, msg);
    }
}

BOOST_AUTO_TEST_CASE(usage_example_of_error_hpp) {
    const std::string text =
        R"({"format": "matbp/1", "layers": [{"weights": [[1, 2]], "bias": [0], "activation": "relu"}],
                                 "inputs": [[1, 2]], "targets": [[0]]})";
    matbp::model_limits lim;
    lim.max_parameters = 2;
    try {
        matbp::read_model(text, lim);
        BOOST_FAIL("accepted");
    } catch (const matbp::resource_error& e) {
        BOOST_TEST((e.which() == matbp::resource::parameters));
        BOOST_TEST(e.path() == "layers[0].weights");
    } catch (const matbp::input_error& e) {
        BOOST_FAIL(e.what());
    }
}
