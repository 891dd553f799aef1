// value.int, value.float, value.string, value.bool: constants that feed other nodes'
// inputs, so one value can drive several nodes and be changed in one place.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::value {
namespace {

NodeSpec int_spec() {
  NodeSpec spec("value.int", {1, 0});
  spec.display("Integer").category("value").describe("A whole number.")
      .output("value", type::Int)
      .param("value", 0).describe("the number");
  spec.run([](NodeCall& call) { call.set("value", call.param_int("value")); });
  return spec;
}

NodeSpec float_spec() {
  NodeSpec spec("value.float", {1, 0});
  spec.display("Float").category("value").describe("A real number.")
      .output("value", type::Float)
      .param("value", 0.0).describe("the number");
  spec.run([](NodeCall& call) { call.set("value", call.param_float("value")); });
  return spec;
}

NodeSpec string_spec() {
  NodeSpec spec("value.string", {1, 0});
  spec.display("Text").category("value").describe("A piece of text, such as a prompt shared by several nodes.")
      .output("value", type::String)
      .text_param("value", "").describe("the text");
  spec.run([](NodeCall& call) { call.set("value", call.param_string("value")); });
  return spec;
}

NodeSpec bool_spec() {
  NodeSpec spec("value.bool", {1, 0});
  spec.display("Boolean").category("value").describe("True or false.")
      .output("value", type::Bool)
      .param("value", false).describe("the truth value");
  spec.run([](NodeCall& call) { call.set("value", call.param_bool("value")); });
  return spec;
}

}  // namespace

void register_value_nodes(Registrar& r) {
  r.add(int_spec());
  r.add(float_spec());
  r.add(string_spec());
  r.add(bool_spec());
}

}  // namespace ng::value
