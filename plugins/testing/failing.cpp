#include <chrono>
#include <thread>

#include <noisegraph/node.hpp>

#include "nodes.hpp"

void register_failing_nodes(ng::Registrar& r) {
  ng::NodeSpec fail("testing.fail", {1, 0});
  fail.display("Fail").category("testing")
      .describe("Fails on purpose: throws, forgets its output, or sets the wrong type.")
      .optional_input("value", ng::type::Float)
      .output("value", ng::type::Float)
      .enum_param("mode", {"throw", "no_output", "wrong_type"}, "throw")
      .param("message", "testing.fail was asked to fail");
  fail.run([](ng::NodeCall& call) {
    const std::string mode = call.param_string("mode");
    if (mode == "throw") throw ng::Error(call.param_string("message"));
    if (mode == "wrong_type") call.set("value", std::string("not a number"));
  });
  r.add(std::move(fail));

  // Behaves like a sampler: `steps` steps of `step_ms` each, checking for cancellation and
  // reporting every step.
  ng::NodeSpec slow("testing.slow", {1, 0});
  slow.display("Slow").category("testing").describe("Passes its input on after `steps` x `step_ms` ms.")
      .optional_input("value", ng::type::Float)
      .output("value", ng::type::Float)
      .param("steps", 10).range(1, 100000)
      .param("step_ms", 10).range(0, 10000);
  slow.run([](ng::NodeCall& call) {
    const int steps = int(call.param_int("steps"));
    for (int i = 1; i <= steps; ++i) {
      call.context().check_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(call.param_int("step_ms")));
      call.context().report_step(i, steps, at::Tensor());
    }
    call.set("value", call.has("value") ? call.float_input("value") : 0.0);
  });
  r.add(std::move(slow));
}
