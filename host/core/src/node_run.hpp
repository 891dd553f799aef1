// Running one node: the context it sees, the call into the plugin, the check of what it
// returned. The executor (executor.cpp) decides what runs and when.
#pragma once
#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <noisegraph/context.hpp>
#include <noisegraph/node.hpp>

#include "noisegraph/host/executor.hpp"
#include "run_cache.hpp"

namespace ng::host {

struct NodeType;

/// What every node of one run shares: cancellation, observer, device and folders.
struct RunShared {
  const std::atomic<bool>* cancel = nullptr;
  Observer* observer = nullptr;
  c10::Device device{c10::kCPU};
  std::filesystem::path graph_dir, output_dir;
  std::vector<std::filesystem::path> models;
  const Graph* graph = nullptr;          ///< embedded in outputs (graph_yaml())
  mutable std::optional<std::string> yaml;
  std::vector<FileRecord>* files = nullptr;
  int threads = 0;  ///< LibTorch threads of this run, recorded with the embedded graph
};

/// The Context a node sees while it runs, forwarding to the run's observer.
class HostContext : public ng::Context {
 public:
  HostContext(const RunShared& shared, std::string node) : s_(shared), node_(std::move(node)) {}

  void report_progress(double fraction, const std::string& message) override;
  void report_step(int step, int total, const at::Tensor& preview) override;
  bool is_cancelled() const override { return s_.cancel->load(std::memory_order_relaxed); }
  void log(ng::LogLevel level, const std::string& message) override;
  c10::Device device() const override { return s_.device; }
  std::filesystem::path graph_dir() const override { return s_.graph_dir; }
  std::filesystem::path output_dir() const override { return s_.output_dir; }
  std::vector<std::filesystem::path> model_search_path() const override { return s_.models; }
  std::string graph_yaml() const override;
  void report_file(const std::filesystem::path& file) override;

 private:
  const RunShared& s_;
  std::string node_;
};

/// Calls `type`'s run function with `inputs` and `params`; never throws. On success every
/// declared output is set to a value of its port type (else the result says which plugin
/// broke the contract) and `outputs` holds them.
ng::RunResult run_node(const NodeType& type, const std::string& id, std::map<std::string, ng::Value> inputs,
                       std::map<std::string, ng::ParamValue> params, HostContext& ctx, Outputs& outputs);

}  // namespace ng::host
