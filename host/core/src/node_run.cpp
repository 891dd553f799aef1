// One node's run: its context, the guarded call and the check of its outputs (node_run.hpp).
#include "node_run.hpp"

#include <torch/version.h>

#include <new>

#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/plugin_registry.hpp"

namespace ng::host {

namespace fs = std::filesystem;

void HostContext::report_progress(double fraction, const std::string& message) {
  if (s_.observer) s_.observer->on_progress(node_, fraction, message);
}

void HostContext::report_step(int step, int total, const at::Tensor& preview) {
  if (!s_.observer) return;
  s_.observer->on_step(node_, step, total, preview);
  if (total > 0)
    s_.observer->on_progress(node_, double(step) / total, "step " + std::to_string(step) + "/" + std::to_string(total));
}

void HostContext::log(ng::LogLevel level, const std::string& message) {
  if (s_.observer) s_.observer->on_log(node_, level, message);
}

std::string HostContext::graph_yaml() const {
  // Results are bit-identical only at the same thread count (README, "Reproducibility"),
  // so the graph embedded in outputs says how it ran; a YAML comment, ignored on load.
  if (!s_.yaml)
    s_.yaml = "# run with LibTorch " TORCH_VERSION ", " + std::to_string(s_.threads) + " thread(s), device " +
              s_.device.str() + "\n" + to_yaml(*s_.graph);
  return *s_.yaml;
}

void HostContext::report_file(const fs::path& file) {
  s_.files->push_back({node_, file});
  if (s_.observer) s_.observer->on_file(node_, file);
}

namespace {

// Does `v` have the C++ shape types.hpp promises for `type`? Unknown (plugin-defined)
// types only need a value.
bool value_fits(const std::string& type, const ng::Value& v) {
  if (v.empty()) return false;
  if (type == ng::type::Image || type == ng::type::Mask || type == ng::type::Sigmas)
    return v.holds<at::Tensor>() && std::get<at::Tensor>(v.data).defined();
  if (type == ng::type::Latent) return v.holds<ng::Latent>();
  if (type == ng::type::Conditioning) return v.holds<ng::Conditioning>();
  if (type == ng::type::Int) return v.holds<int64_t>();
  if (type == ng::type::Float) return v.holds<double>() || v.holds<int64_t>();
  if (type == ng::type::Bool) return v.holds<bool>();
  if (type == ng::type::String) return v.holds<std::string>();
  if (type == ng::type::Model || type == ng::type::Autoencoder || type == ng::type::Classifier ||
      type == ng::type::PromptEncoder || type == ng::type::Sampler || type == ng::type::Noise ||
      type == ng::type::Guider)
    return v.holds<std::shared_ptr<ng::Object>>() && std::get<std::shared_ptr<ng::Object>>(v.data) != nullptr;
  return true;
}

}  // namespace

ng::RunResult run_node(const NodeType& type, const std::string& id, std::map<std::string, ng::Value> inputs,
                       std::map<std::string, ng::ParamValue> params, HostContext& ctx, Outputs& outputs) {
  const ng::NodeSpec& spec = type.spec;
  ng::RunResult outcome;
  // The plugin's wrapper (NodeSpec::run) catches what the node throws; these catch what
  // escapes anyway (building the call, moving outputs).
  try {
    ng::NodeCall call(id, spec, std::move(inputs), std::move(params), ctx);
    outcome = spec.runner()(call);
    outputs = std::move(call.outputs());
  } catch (const c10::Error& e) {
    outcome = {ng::RunResult::Status::Failed, ng::one_line_torch_message(e.what_without_backtrace())};
  } catch (const std::bad_alloc&) {
    outcome = {ng::RunResult::Status::Failed, "out of memory (try a smaller size or batch)"};
  } catch (const std::exception& e) {
    outcome = {ng::RunResult::Status::Failed, e.what()};
  } catch (...) {
    outcome = {ng::RunResult::Status::Failed, "unknown exception"};
  }
  if (outcome.status != ng::RunResult::Status::Ok) return outcome;
  for (const auto& port : spec.outputs()) {
    auto it = outputs.find(port.name);
    if (it == outputs.end() || it->second.empty())
      return {ng::RunResult::Status::Failed,
              "did not set its output '" + port.name + "' (a bug in the plugin '" + type.plugin + "')"};
    if (!value_fits(port.type, it->second))
      return {ng::RunResult::Status::Failed, "set output '" + port.name + "' to a value that is not a " + port.type +
                                                 " (a bug in the plugin '" + type.plugin + "')"};
  }
  return outcome;
}

}  // namespace ng::host
