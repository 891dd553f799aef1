// Scheduling a run: which nodes, in what order, from the cache or run (node_run.cpp), and
// what the caller is told.
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
#include "noisegraph/host/plan.hpp"
#include "node_run.hpp"
#include "run_cache.hpp"
#include "signature.hpp"

namespace ng::host {

namespace fs = std::filesystem;


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
std::size_t Executor::cache_size() const { return cache_->size(); }

const Outputs* Executor::outputs_of(const std::string& node) const {
  auto it = cache_->last_run.find(node);
  return it == cache_->last_run.end() ? nullptr : it->second.get();
}

PathRoots run_roots(const Graph& graph, const RunOptions& options) {
  std::error_code ec;
  PathRoots roots;
  roots.graph_dir = options.graph_dir;
  if (roots.graph_dir.empty()) roots.graph_dir = graph.source_file.parent_path();
  if (roots.graph_dir.empty()) roots.graph_dir = fs::current_path(ec);
  roots.output_dir = fs::absolute(options.output_dir, ec).lexically_normal();
  roots.model_dirs = options.model_search_path;
  for (auto& d : default_model_search_path()) roots.model_dirs.push_back(d);
  roots.confine_reads = options.confine_reads;
  roots.read_roots = options.read_roots;
  return roots;
}

RunResult Executor::run(const Graph& graph, const RunOptions& options, Observer* observer) {
  const auto t_start = std::chrono::steady_clock::now();
  Plan plan = make_plan(graph, registry_, run_roots(graph, options));
  if (options.seed) plan.set_seed(*options.seed);
  RunResult result = run(plan, options, observer);
  result.wall_ms = ms_since(t_start);  // validation included
  return result;
}

RunResult Executor::run(const Plan& plan, const RunOptions& options, Observer* observer) {
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
  const Graph& graph = plan.graph;
  const PathRoots& roots = plan.roots;

  if (!plan.ok()) {
    result.problems = plan.problems;
    const Problem& first = result.problems.front();
    const GraphNode* n = graph.find(first.node);
    std::string message = std::to_string(result.problems.size()) + " problem(s) in the graph; first: " + format_problem(first);
    return fail(RunResult::Status::Failed, first.node, n ? n->type : std::string(), message);
  }

  std::vector<std::string> targets = options.targets;
  if (targets.empty()) {
    for (const auto& [id, node] : graph.nodes)
      if (plan.nodes.at(id).type->spec.is_output_node()) targets.push_back(id);
    if (targets.empty())
      return fail(RunResult::Status::Failed, {}, {},
                  "the graph has no output node, so nothing would run (add e.g. an image.save node)");
  }
  for (const auto& t : targets)
    if (!plan.find(t)) return fail(RunResult::Status::Failed, t, {}, "target node '" + t + "' is not in the graph");
  const std::vector<std::string> order = upstream_order(graph, targets);  // planned: no cycle

  if (std::string why = device_problem(options.device); !why.empty())
    return fail(RunResult::Status::Failed, {}, {}, why);

  RunShared shared;
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

  std::map<std::string, std::string> signatures;  // node id -> signature
  for (const auto& id : order) {
    const GraphNode& node = graph.nodes.at(id);
    const PlannedNode& planned = plan.nodes.at(id);
    const NodeType& type = *planned.type;
    const ng::NodeSpec& spec = type.spec;
    auto node_failed = [&](const std::string& why) {
      if (observer) observer->on_node_state(id, NodeState::Failed, why);
      return fail(RunResult::Status::Failed, id, node.type, why);
    };
    if (cancel_.load()) {
      if (observer) observer->on_node_state(id, NodeState::Cancelled, {});
      return fail(RunResult::Status::Cancelled, id, node.type, "cancelled before node '" + id + "' started");
    }

    // Again right before the node runs: an earlier node may have changed the files.
    if (auto path_problems = check_node_paths(node, spec, planned.params, roots, graph.source_file.string());
        !path_problems.empty()) {
      result.problems = path_problems;
      if (observer) observer->on_node_state(id, NodeState::Failed, path_problems.front().message);
      return fail(RunResult::Status::Failed, id, node.type, format_problem(path_problems.front()));
    }
    std::map<std::string, ng::Value> inputs;
    std::map<std::string, std::string> input_signatures;
    for (const auto& [port, link] : node.inputs) {
      inputs[port] = produced.at(link.node)->at(link.output);
      input_signatures[port] = signatures.at(link.node) + "/" + link.output;
    }
    // Sizes from parameters: refuse what cannot fit instead of dying in the allocator.
    if (const MemoryEstimate need = estimate_node_memory(spec, planned.params); need.bytes > 0) {
      const uint64_t have = options.memory_available ? options.memory_available : available_memory();
      if (have > 0 && need.bytes > have)
        return node_failed("needs about " + human_bytes(need.bytes) + " (" + need.basis + "), " + human_bytes(have) +
                           " available; reduce the size or batch");
    }
    HostContext ctx(shared, id);
    const std::string sig = node_signature(spec, planned.params, input_signatures, ctx);
    signatures[id] = sig;

    if (!spec.is_output_node()) {  // output nodes always run: their effect lives outside the cache
      if (auto hit = cache_->find(sig)) {
        produced[id] = hit;
        cache_->reuse(sig, std::move(hit));
        result.nodes.push_back({id, node.type, 0.0, true});
        if (observer) observer->on_node_state(id, NodeState::Cached, {});
        continue;
      }
    }

    if (observer) observer->on_node_state(id, NodeState::Running, {});
    const auto t0 = std::chrono::steady_clock::now();
    Outputs outputs;
    const ng::RunResult outcome = run_node(type, id, std::move(inputs), planned.params, ctx, outputs);
    result.nodes.push_back({id, node.type, ms_since(t0), false});

    if (outcome.status == ng::RunResult::Status::Cancelled ||
        (outcome.status == ng::RunResult::Status::Failed && cancel_.load())) {
      if (observer) observer->on_node_state(id, NodeState::Cancelled, {});
      return fail(RunResult::Status::Cancelled, id, node.type, "cancelled while node '" + id + "' was running");
    }
    if (outcome.status != ng::RunResult::Status::Ok) return node_failed(outcome.message);

    auto shared_outputs = std::make_shared<const Outputs>(std::move(outputs));
    produced[id] = shared_outputs;
    if (!spec.is_output_node()) cache_->remember(sig, shared_outputs);
    if (observer) observer->on_node_state(id, NodeState::Done, {});
  }

  // Keep what this run used: bounded memory, and everything needed to redo it.
  cache_->finish_run();
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
