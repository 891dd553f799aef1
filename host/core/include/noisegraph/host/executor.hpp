#pragma once
/// @file executor.hpp
/// Running a graph: validation, ordering, caching, progress and cancellation.
///
/// What runs: the output nodes (NodeSpec::output_node) of the graph, or RunOptions::targets,
/// and every node they depend on, in topological order, one at a time on the calling
/// thread. Nodes not upstream of a target do not run.
///
/// Caching: each node's outputs are kept under a signature, a hash of its type, version,
/// typed parameters (defaults filled), the signatures of its inputs and, for Path
/// parameters, the resolved file's size and modification time. A later run() of the same
/// Executor reuses outputs whose signature is unchanged, so after an edit only the
/// changed node and what is downstream of it run again. Output nodes always run (their
/// effect, e.g. a written file, lives outside the cache). After each run the cache keeps
/// only the entries that run used, so memory stays bounded by one graph's results.
/// Values in the cache are shared with later nodes: nodes must not modify their inputs in
/// place.
///
/// Plans: run(Plan) runs a plan (plan.hpp) as it is: parameters are typed once, when the
/// plan is made, and overrides are applied to the plan. run(Graph) makes the plan itself.
///
/// Seeds: RunOptions::seed, when set, replaces the value of every Seed-kind parameter in
/// the graph (the CLI's --seed) when run(Graph) makes its plan.
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <noisegraph/context.hpp>
#include <noisegraph/values.hpp>

#include "noisegraph/host/graph.hpp"
#include "noisegraph/host/path_rule.hpp"
#include "noisegraph/host/problem.hpp"

namespace ng::host {

class PluginRegistry;
class Plan;

enum class NodeState { Queued, Running, Cached, Done, Failed, Cancelled };

/// "queued", "running", "cached", "done", "failed", "cancelled".
const char* to_string(NodeState state);

/// Receives what happens during a run. Every function has an empty default; all are
/// called on the thread that called Executor::run(), so a GUI forwards them to its own
/// thread. They must not throw.
class Observer {
 public:
  virtual ~Observer();
  /// A node changed state. `message` is the error for Failed, otherwise usually empty.
  virtual void on_node_state(const std::string& node, NodeState state, const std::string& message);
  /// Progress of a running node in [0,1] (from Context::report_progress, and step/total
  /// with message "step i/n" for each Context::report_step).
  virtual void on_progress(const std::string& node, double fraction, const std::string& message);
  /// A sampler step (from Context::report_step); `preview` may be undefined.
  virtual void on_step(const std::string& node, int step, int total, const at::Tensor& preview);
  /// A log line from a node (`node` = its id) or from the executor (`node` = "").
  virtual void on_log(const std::string& node, ng::LogLevel level, const std::string& text);
  /// A node wrote a file (from Context::report_file).
  virtual void on_file(const std::string& node, const std::filesystem::path& file);
};

struct RunOptions {
  /// Where output nodes write; created when missing. Relative paths are relative to the
  /// current directory.
  std::filesystem::path output_dir = "output";
  /// Where relative paths in parameters resolve; "" = the folder of Graph::source_file
  /// (or the current directory for an unsaved graph).
  std::filesystem::path graph_dir;
  /// Folders searched for model files after graph_dir, before the defaults
  /// (<source>/models and <prefix>/share/noisegraph/models).
  std::vector<std::filesystem::path> model_search_path;
  /// When set, every Seed parameter in the graph takes this value (run(Graph) only; a
  /// plan takes its seed with Plan::set_seed).
  std::optional<uint64_t> seed;
  /// "cpu", "cuda" or "cuda:N".
  std::string device = "cpu";
  /// Intra-op threads for LibTorch; 0 = std::thread::hardware_concurrency(). Clamped with
  /// clamp_threads() (more threads than cores only slow a run down).
  int threads = 0;
  /// Refuse Path parameters that read outside the graph's folder, the model folders and
  /// read_roots (see path_rule.hpp). Off for a local user's own graphs; a server sets it.
  bool confine_reads = false;
  std::vector<std::filesystem::path> read_roots;
  /// Memory a node may ask for (memory_estimate.hpp); 0 = MemAvailable of the machine.
  uint64_t memory_available = 0;
  /// Nodes to compute (with their upstream); empty = every output node.
  std::vector<std::string> targets;
};

/// How one node went in a run.
struct NodeRecord {
  std::string id;
  std::string type;
  double wall_ms = 0;   ///< time in the node's run function (0 when cached)
  bool cached = false;  ///< outputs came from the cache
};

/// A file an output node wrote.
struct FileRecord {
  std::string node;
  std::filesystem::path path;
};

struct RunResult {
  enum class Status { Ok, Failed, Cancelled };
  Status status = Status::Ok;
  std::string failed_node;  ///< node that failed or was running when cancelled ("" if none)
  std::string failed_type;  ///< its type id
  std::string message;      ///< what went wrong ("" when ok)
  /// Validation problems when the graph was refused before running (status Failed).
  std::vector<Problem> problems;
  std::vector<NodeRecord> nodes;  ///< nodes that ran or came from the cache, in run order
  std::vector<FileRecord> files;  ///< files written by output nodes
  double wall_ms = 0;             ///< whole run, including validation
  bool ok() const { return status == Status::Ok; }
};

/// "ok", "failed", "cancelled".
const char* to_string(RunResult::Status status);

/// Empty when `device` ("cpu", "cuda", "cuda:1") can be used here; otherwise why not.
std::string device_problem(const std::string& device);

/// The LibTorch thread count used for `requested` threads: 0 or less means every core;
/// anything above kMaxThreadsPerCore x the core count (and above kMaxThreads) is cut to
/// that, since thousands of threads make a trivial graph take minutes.
int clamp_threads(int requested);
inline constexpr int kMaxThreadsPerCore = 2;
inline constexpr int kMaxThreads = 256;

/// Default model folders: the source tree's models/ (NOISEGRAPH_SOURCE_MODELS_DIR) when
/// it exists, and <executable dir>/../share/noisegraph/models.
std::vector<std::filesystem::path> default_model_search_path();

/// The roots a run with `options` checks and resolves the graph's paths against: the graph
/// folder (options.graph_dir or the graph file's), the model folders (options' then the
/// defaults), the output folder, and the confinement options.
PathRoots run_roots(const Graph& graph, const RunOptions& options);

class Executor {
 public:
  /// `registry` must outlive the executor.
  explicit Executor(const PluginRegistry& registry);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Validates and runs `graph`. Never throws for graph or node errors: they come back in
  /// the result. `observer` may be null. `graph` is copied when the call starts, but must
  /// not be modified by another thread during that copy (a GUI passes its own copy).
  /// One run() at a time per Executor.
  RunResult run(const Graph& graph, const RunOptions& options = {}, Observer* observer = nullptr);

  /// Runs a plan made with make_plan(graph, registry, run_roots(graph, options)); a plan
  /// with problems is refused (status Failed, problems copied). RunOptions::seed is not
  /// applied here (use Plan::set_seed). `plan` must outlive the call.
  RunResult run(const Plan& plan, const RunOptions& options, Observer* observer = nullptr);

  /// Asks the current run to stop: nodes see Context::is_cancelled() and no further node
  /// starts. Safe from any thread and from a signal handler. The flag is cleared when the
  /// next run() starts.
  void request_cancel() noexcept { cancel_.store(true); }
  bool cancel_requested() const noexcept { return cancel_.load(); }

  /// The outputs `node` produced (or took from the cache) in the last run, also when that
  /// run failed or was cancelled later; nullptr when it did not get to run. Valid until the
  /// next run() or clear_cache(); not to be called while run() is in progress.
  const std::map<std::string, ng::Value>* outputs_of(const std::string& node) const;

  void clear_cache();
  std::size_t cache_size() const;

 private:
  struct Cache;
  const PluginRegistry& registry_;
  std::atomic<bool> cancel_{false};
  std::unique_ptr<Cache> cache_;
};

}  // namespace ng::host
