// Running a graph: validate, order, reuse cached outputs, run the rest, report.
#include "noisegraph/host/executor.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>
#include <unistd.h>

#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/memory_estimate.hpp"
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

int clamp_threads(int requested) {
  const int cores = std::max(1, int(std::thread::hardware_concurrency()));
  if (requested <= 0) return std::min(cores, kMaxThreads);
  return std::min({requested, cores * kMaxThreadsPerCore, kMaxThreads});
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
    int threads = 0;  // LibTorch threads of this run, recorded with the embedded graph
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
    // Results are bit-identical only at the same thread count (README, "Reproducibility"),
    // so the graph embedded in outputs says how it ran; a YAML comment, ignored on load.
    if (!s_.yaml)
      s_.yaml = "# run with LibTorch " TORCH_VERSION ", " + std::to_string(s_.threads) + " thread(s), device " +
                s_.device.str() + "\n" + to_yaml(*s_.graph);
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

  // Where paths resolve and may point; the same roots for validation and for the nodes.
  std::error_code ec;
  fs::path graph_dir = options.graph_dir;
  if (graph_dir.empty()) graph_dir = graph.source_file.parent_path();
  if (graph_dir.empty()) graph_dir = fs::current_path(ec);
  PathRoots roots;
  roots.graph_dir = graph_dir;
  roots.output_dir = fs::absolute(options.output_dir, ec).lexically_normal();
  roots.model_dirs = options.model_search_path;
  for (auto& d : default_model_search_path()) roots.model_dirs.push_back(d);
  roots.confine_reads = options.confine_reads;
  roots.read_roots = options.read_roots;

  result.problems = validate(graph, registry_, roots);
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
  shared.graph_dir = roots.graph_dir;
  shared.output_dir = roots.output_dir;
  shared.models = roots.model_dirs;
  shared.graph = &graph;
  shared.files = &result.files;

  if (std::string why = check_output_dir(shared.output_dir); !why.empty())
    return fail(RunResult::Status::Failed, {}, {}, why);

  const int threads = clamp_threads(options.threads);
  if (options.threads > threads && observer)
    observer->on_log({}, ng::LogLevel::Warning, std::to_string(options.threads) + " threads requested; using " +
                                                    std::to_string(threads) + " (" + std::to_string(kMaxThreadsPerCore) +
                                                    " per core at most)");
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
  shared.threads = threads;

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
    // Again right before the node runs: an earlier node may have changed the files.
    if (auto path_problems = check_node_paths(node, spec, params, roots, graph.source_file.string());
        !path_problems.empty()) {
      result.problems = path_problems;
      if (observer) observer->on_node_state(id, NodeState::Failed, path_problems.front().message);
      return fail(RunResult::Status::Failed, id, node.type, format_problem(path_problems.front()));
    }
    std::map<std::string, ng::Value> inputs;
    std::map<std::string, std::string> input_signatures;
    for (const auto& [port, link] : node.inputs) {
      const Outputs& up = *produced.at(link.node);
      inputs[port] = up.at(link.output);
      input_signatures[port] = signatures.at(link.node) + "/" + link.output;
    }
    // Sizes from parameters: refuse what cannot fit instead of dying in the allocator.
    if (const MemoryEstimate need = estimate_node_memory(spec, params); need.bytes > 0) {
      const uint64_t have = options.memory_available ? options.memory_available : available_memory();
      if (have > 0 && need.bytes > have) {
        const std::string why = "needs about " + human_bytes(need.bytes) + " (" + need.basis + "), " +
                                human_bytes(have) + " available; reduce the size or batch";
        if (observer) observer->on_node_state(id, NodeState::Failed, why);
        return fail(RunResult::Status::Failed, id, node.type, why);
      }
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
    } catch (const c10::Error& e) {
      outcome = {ng::RunResult::Status::Failed, ng::one_line_torch_message(e.what_without_backtrace())};
    } catch (const std::bad_alloc&) {
      outcome = {ng::RunResult::Status::Failed, "out of memory (try a smaller size or batch)"};
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
  // Asked to stop while the last node ran (and it finished anyway): still a cancelled run,
  // so a Ctrl-C always ends the same way (exit 130), with the files written listed.
  if (cancel_.load() && !order.empty()) {
    const std::string& last = order.back();
    return fail(RunResult::Status::Cancelled, last, graph.nodes.at(last).type,
                "cancelled while node '" + last + "' was running (it finished first)");
  }
  cache_->last_run = std::move(produced);
  result.wall_ms = ms_since(t_start);
  return result;
}

}  // namespace ng::host
