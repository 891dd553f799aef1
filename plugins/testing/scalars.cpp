#include <noisegraph/node.hpp>

#include "nodes.hpp"

void register_scalar_nodes(ng::Registrar& r) {
  ng::NodeSpec constant("testing.constant", {1, 2});
  constant.display("Constant").category("testing").describe("Outputs its parameter.")
      .output("value", ng::type::Float)
      .param("value", 0.0).describe("the number to output");
  constant.run([](ng::NodeCall& call) { call.set("value", call.param_float("value")); });
  r.add(std::move(constant));

  ng::NodeSpec add("testing.add", {1, 0});
  add.display("Add").category("testing").describe("a + b.")
      .input("a", ng::type::Float).input("b", ng::type::Float)
      .output("sum", ng::type::Float);
  add.run([](ng::NodeCall& call) { call.set("sum", call.float_input("a") + call.float_input("b")); });
  r.add(std::move(add));

  // One parameter of every kind, with ranges, for validation and --set tests.
  ng::NodeSpec params("testing.params", {1, 1});
  params.display("All parameter kinds").category("testing")
      .describe("Outputs `number` (float), `seed` (as INT, wrapping above 2^63) and `seed_text` "
                "(the full unsigned value); checks nothing itself.")
      .output("number", ng::type::Float).output("seed", ng::type::Int).output("seed_text", ng::type::String)
      .param("count", 3).range(1, 10).describe("an integer in [1, 10]")
      .param("number", 0.5).range(0.0, 1.0).step(0.1).describe("a float in [0, 1]")
      .param("flag", false).describe("a bool")
      .param("label", "hello").describe("a string")
      .enum_param("mode", {"fast", "slow", "exact"}, "fast").describe("an enum")
      .seed_param("seed", 7).describe("a seed")
      .path_param("file", "").describe("a path");
  params.run([](ng::NodeCall& call) {
    call.set("number", call.param_float("number"));
    call.set("seed", int64_t(call.param_seed("seed")));
    call.set("seed_text", std::to_string(call.param_seed("seed")));
  });
  r.add(std::move(params));
}
