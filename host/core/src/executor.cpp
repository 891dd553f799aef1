// Running a graph: validate, order, reuse cached outputs, run the rest, report.
#include "noisegraph/host/executor.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>
#include <unistd.h>

#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "noisegraph/host/validate.hpp"
#include "signature.hpp"

namespace ng::host {

namespace fs = std::filesystem;

using Outputs = std::map<std::string, ng::Value>;

struct Executor::Cache {
  std::map<std::string, std::shared_ptr<const Outputs>> by_signature;
  std::map<std::string, std::shared_ptr<const Outputs>> last_run;  // node id -> outputs
};

Observer::~Observer() = default;
void Observer::on_node_state(const std::string&, NodeState, const std::string&) {}
void Observer::on_progress(const std::string&, double, const std::string&) {}
void Observer::on_step(const std::string&, int, int, const at::Tensor&) {}
void Observer::on_log(const std::string&, ng::LogLevel, const std::string&) {}
void Observer::on_file(const std::string&, const fs::path&) {}

const char* to_string(NodeState state) {
  switch (state) {
    case NodeState::Queued: return "queued";
    case NodeState::Running: return "running";
    case NodeState::Cached: return "cached";
    case NodeState::Done: return "done";
    case NodeState::Failed: return "failed";
    case NodeState::Cancelled: return "cancelled";
  }
  return "?";
}

const char* to_string(RunResult::Status status) {
  switch (status) {
    case RunResult::Status::Ok: return "ok";
    case RunResult::Status::Failed: return "failed";
    case RunResult::Status::Cancelled: return "cancelled";
  }
  return "?";
}

std::string device_problem(const std::string& device) {
  try {
    c10::Device d(device);
    if (d.is_cpu()) return {};
    if (d.is_cuda()) {
      if (!at::hasCUDA()) return "device '" + device + "' requested, but this LibTorch build has no usable CUDA device";
      return {};
    }
    return "device '" + device + "' is not supported; use cpu or cuda";
  } catch (const std::exception&) {
    return "device '" + device + "' is not a device name; use cpu, cuda or cuda:N";
  }
}

std::vector<fs::path> default_model_search_path() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  fs::path installed = executable_dir() / ".." / NOISEGRAPH_INSTALL_DATADIR / "noisegraph" / "models";
  if (fs::is_directory(installed, ec)) dirs.push_back(installed.lexically_normal());
  if (fs::is_directory(NOISEGRAPH_SOURCE_MODELS_DIR, ec)) dirs.emplace_back(NOISEGRAPH_SOURCE_MODELS_DIR);
  return dirs;
}

namespace {

/// Everything a node may ask for while it runs, forwarded to the observer.
class HostContext : public ng::Context {
 public:
  struct Shared {
    const std::atomic<bool>* cancel = nullptr;
    Observer* observer = nullptr;
    c10::Device device{c10::kCPU};
    fs::path graph_dir, output_dir;
    std::vector<fs::path> models;
    const Graph* graph = nullptr;
    mutable std::optional<std::string> yaml;
    std::vector<FileRecord>* files = nullptr;
  };

  HostContext(const Shared& shared, std::string node) : s_(shared), node_(std::move(node)) {}

  void report_progress(double fraction, const std::string& message) override {
    if (s_.observer) s_.observer->on_progress(node_, fraction, message);
  }
  void report_step(int step, int total, const at::Tensor& preview) override {
    if (s_.observer) s_.observer->on_step(node_, step, total, preview);
    if (s_.observer && total > 0) s_.observer->on_progress(node_, double(step) / total, "step " + std::to_string(step) + "/" + std::to_string(total));
  }
  bool is_cancelled() const override { return s_.cancel->load(std::memory_order_relaxed); }
  void log(ng::LogLevel level, const std::string& message) override {
    if (s_.observer) s_.observer->on_log(node_, level, message);
  }
  c10::Device device() const override { return s_.device; }
  fs::path graph_dir() const override { return s_.graph_dir; }
  fs::path output_dir() const override { return s_.output_dir; }
  std::vector<fs::path> model_search_path() const override { return s_.models; }
  std::string graph_yaml() const override {
    if (!s_.yaml) s_.yaml = to_yaml(*s_.graph);
    return *s_.yaml;
  }
  void report_file(const fs::path& file) override {
    s_.files->push_back({node_, file});
    if (s_.observer) s_.observer->on_file(node_, file);
  }

 private:
  const Shared& s_;
  std::string node_;
};

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

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string check_output_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create output folder '" + dir.string() + "': " + ec.message();
  if (!fs::is_directory(dir, ec)) return "output folder '" + dir.string() + "' is not a folder";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "output folder '" + dir.string() + "' is not writable";
  return {};
}

}  // namespace

Executor::Executor(const PluginRegistry& registry) : registry_(registry), cache_(std::make_unique<Cache>()) {}
Executor::~Executor() = default;

void Executor::clear_cache() { cache_ = std::make_unique<Cache>(); }
std::size_t Executor::cache_size() const { return cache_->by_signature.size(); }

const Outputs* Executor::outputs_of(const std::string& node) const {
  auto it = cache_->last_run.find(node);
  return it == cache_->last_run.end() ? nullptr : it->second.get();
}

RunResult Executor::run(const Graph& input_graph, const RunOptions& options, Observer* observer) {
  const auto t_start = std::chrono::steady_clock::now();
  cancel_.store(false);
  RunResult result;
  std::map<std::string, std::shared_ptr<const Outputs>> produced;  // node id -> outputs this run
  auto fail = [&](RunResult::Status status, const std::string& node, const std::string& type, const std::string& message) {
    cache_->last_run = produced;  // partial results stay inspectable
    result.status = status;
    result.failed_node = node;
    result.failed_type = type;
    result.message = message;
    result.wall_ms = ms_since(t_start);
    return result;
  };

  // --seed: every Seed parameter takes the given value (before validation checks it).
  Graph graph = input_graph;
  if (options.seed) {
    for (auto& [id, node] : graph.nodes)
      if (const NodeType* t = registry_.find(node.type))
        for (const auto& p : t->spec.params())
          if (p.kind == ng::ParamKind::Seed) node.params.set(p.name, Scalar::from(ng::ParamValue(*options.seed)));
  }

  result.problems = validate(graph, registry_);
  if (!result.problems.empty()) {
    const Problem& first = result.problems.front();
    const GraphNode* n = graph.find(first.node);
    std::string message = std::to_string(result.problems.size()) + " problem(s) in the graph; first: " + format_problem(first);
    return fail(RunResult::Status::Failed, first.node, n ? n->type : std::string(), message);
  }

  std::vector<std::string> targets = options.targets;
  if (targets.empty()) {
    for (const auto& [id, node] : graph.nodes)
      if (registry_.find(node.type)->spec.is_output_node()) targets.push_back(id);
    if (targets.empty())
      return fail(RunResult::Status::Failed, {}, {},
                  "the graph has no output node, so nothing would run (add e.g. an image.save node)");
  }
  for (const auto& t : targets)
    if (!graph.find(t)) return fail(RunResult::Status::Failed, t, {}, "target node '" + t + "' is not in the graph");
  const std::vector<std::string> order = upstream_order(graph, targets);  // validated: no cycle

  if (std::string why = device_problem(options.device); !why.empty())
    return fail(RunResult::Status::Failed, {}, {}, why);

  HostContext::Shared shared;
  shared.cancel = &cancel_;
  shared.observer = observer;
  shared.device = c10::Device(options.device);
  std::error_code ec;
  shared.graph_dir = options.graph_dir;
  if (shared.graph_dir.empty()) shared.graph_dir = graph.source_file.parent_path();
  if (shared.graph_dir.empty()) shared.graph_dir = fs::current_path(ec);
  shared.output_dir = fs::absolute(options.output_dir, ec).lexically_normal();
  shared.models = options.model_search_path;
  for (auto& d : default_model_search_path()) shared.models.push_back(d);
  shared.graph = &graph;
  shared.files = &result.files;

  if (std::string why = check_output_dir(shared.output_dir); !why.empty())
    return fail(RunResult::Status::Failed, {}, {}, why);

  int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);

  if (observer)
    for (const auto& id : order) observer->on_node_state(id, NodeState::Queued, {});

  std::map<std::string, std::string> signatures;                   // node id -> signature
  std::map<std::string, std::shared_ptr<const Outputs>> used;      // signature -> outputs this run

  for (const auto& id : order) {
    const GraphNode& node = graph.nodes.at(id);
    const NodeType& type = *registry_.find(node.type);
    const ng::NodeSpec& spec = type.spec;
    if (cancel_.load()) {
      if (observer) observer->on_node_state(id, NodeState::Cancelled, {});
      return fail(RunResult::Status::Cancelled, id, node.type, "cancelled before node '" + id + "' started");
    }

    std::map<std::string, ng::ParamValue> params = resolve_params(node, spec);
    std::map<std::string, ng::Value> inputs;
    std::map<std::string, std::string> input_signatures;
    for (const auto& [port, link] : node.inputs) {
      const Outputs& up = *produced.at(link.node);
      inputs[port] = up.at(link.output);
      input_signatures[port] = signatures.at(link.node) + "/" + link.output;
    }
    HostContext ctx(shared, id);
    const std::string sig = node_signature(spec, params, input_signatures, ctx);
    signatures[id] = sig;

    if (!spec.is_output_node()) {
      auto hit = cache_->by_signature.find(sig);
      if (hit != cache_->by_signature.end()) {
        produced[id] = hit->second;
        used[sig] = hit->second;
        result.nodes.push_back({id, node.type, 0.0, true});
        if (observer) observer->on_node_state(id, NodeState::Cached, {});
        continue;
      }
    }

    if (observer) observer->on_node_state(id, NodeState::Running, {});
    const auto t0 = std::chrono::steady_clock::now();
    ng::RunResult outcome;
    Outputs outputs;
    try {
      ng::NodeCall call(id, spec, std::move(inputs), std::move(params), ctx);
      outcome = spec.runner()(call);
      outputs = std::move(call.outputs());
    } catch (const std::exception& e) {
      outcome = {ng::RunResult::Status::Failed, e.what()};
    } catch (...) {
      outcome = {ng::RunResult::Status::Failed, "unknown exception"};
    }
    const double wall = ms_since(t0);
    result.nodes.push_back({id, node.type, wall, false});

    if (outcome.status == ng::RunResult::Status::Cancelled ||
        (outcome.status == ng::RunResult::Status::Failed && cancel_.load())) {
      if (observer) observer->on_node_state(id, NodeState::Cancelled, {});
      return fail(RunResult::Status::Cancelled, id, node.type, "cancelled while node '" + id + "' was running");
    }
    if (outcome.status == ng::RunResult::Status::Ok) {
      for (const auto& port : spec.outputs()) {
        auto it = outputs.find(port.name);
        if (it == outputs.end() || it->second.empty()) {
          outcome = {ng::RunResult::Status::Failed, "did not set its output '" + port.name + "' (a bug in the plugin '" + type.plugin + "')"};
          break;
        }
        if (!value_fits(port.type, it->second)) {
          outcome = {ng::RunResult::Status::Failed, "set output '" + port.name + "' to a value that is not a " + port.type +
                                                        " (a bug in the plugin '" + type.plugin + "')"};
          break;
        }
      }
    }
    if (outcome.status != ng::RunResult::Status::Ok) {
      if (observer) observer->on_node_state(id, NodeState::Failed, outcome.message);
      return fail(RunResult::Status::Failed, id, node.type, outcome.message);
    }

    auto shared_outputs = std::make_shared<const Outputs>(std::move(outputs));
    produced[id] = shared_outputs;
    if (!spec.is_output_node()) {  // output nodes always run: caching them would only cost memory
      used[sig] = shared_outputs;
      cache_->by_signature[sig] = shared_outputs;
    }
    if (observer) observer->on_node_state(id, NodeState::Done, {});
  }

  // Keep what this run used: bounded memory, and everything needed to redo it.
  cache_->by_signature = std::move(used);
  cache_->last_run = std::move(produced);
  result.wall_ms = ms_since(t_start);
  return result;
}

}  // namespace ng::host
