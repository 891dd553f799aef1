#include <atomic>
#include <cstdio>

#include <ATen/core/Tensor.h>
#include <noisegraph/io/atomic_write.hpp>
#include <noisegraph/node.hpp>

#include "nodes.hpp"

namespace {

std::string describe_value(const ng::Value& v) {
  char buf[64];
  if (auto* d = std::get_if<double>(&v.data)) {
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  if (auto* i = std::get_if<int64_t>(&v.data)) return std::to_string(*i);
  if (auto* b = std::get_if<bool>(&v.data)) return *b ? "true" : "false";
  if (auto* s = std::get_if<std::string>(&v.data)) return *s;
  if (auto* t = std::get_if<at::Tensor>(&v.data)) {
    std::snprintf(buf, sizeof buf, "tensor mean %.17g", t->mean().item<double>());
    return buf;
  }
  return "(value)";
}

}  // namespace

void register_sink_nodes(ng::Registrar& r) {
  // The output node of test graphs: writes its input to <output dir>/<name or node id>.txt,
  // reports the file and logs the value.
  ng::NodeSpec sink("testing.sink", {1, 0});
  sink.display("Sink").category("testing").output_node()
      .describe("Writes its input as text to <output dir>/<name>.txt (name defaults to the node id).")
      .input("value", ng::type::Any)
      .param("name", "").describe("file name without .txt; empty = node id");
  sink.run([](ng::NodeCall& call) {
    const std::string text = describe_value(call.input("value"));
    std::string name = call.param_string("name");
    if (name.empty()) name = call.node_id();
    const auto path = call.context().output_dir() / (name + ".txt");
    ng::io::write_file_atomic(path, text + "\n");
    call.context().log(ng::LogLevel::Info, "value " + text);
    call.context().report_file(path);
  });
  r.add(std::move(sink));

  // Counts its executions in this process, so tests can see what the cache skipped.
  ng::NodeSpec count("testing.count", {1, 0});
  count.display("Count").category("testing")
      .describe("Outputs value + offset, and `runs`: how often any testing.count ran in this process.")
      .optional_input("value", ng::type::Float)
      .output("value", ng::type::Float).output("runs", ng::type::Int)
      .param("offset", 0.0);
  count.run([](ng::NodeCall& call) {
    static std::atomic<int64_t> runs{0};
    const int64_t n = ++runs;
    call.context().log(ng::LogLevel::Debug, "run " + std::to_string(n));
    call.set("value", (call.has("value") ? call.float_input("value") : 0.0) + call.param_float("offset"));
    call.set("runs", n);
  });
  r.add(std::move(count));
}
