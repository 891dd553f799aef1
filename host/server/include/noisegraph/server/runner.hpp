#pragma once
/// @file server/runner.hpp
/// Runs jobs with the host executor and keeps its models and node cache warm between jobs.
/// Shared by the in-process worker of `noisegraph serve` and by `noisegraph worker`.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/path_rule.hpp>
#include <noisegraph/host/plugin_registry.hpp>

#include "noisegraph/server/queue.hpp"

namespace ng::server {

/// Where graphs from the network may read and write.
struct Sandbox {
  std::filesystem::path output_store;              ///< every job writes under <store>/<prompt id>/
  std::filesystem::path graph_dir;                 ///< relative paths in submitted graphs resolve here
  std::vector<std::filesystem::path> model_dirs;   ///< model search path
  std::vector<std::filesystem::path> input_dirs;   ///< more folders graphs may read
  /// The roots a job's paths are checked against (reads confined to graph_dir, model and
  /// input folders; writes to the job's own output folder).
  host::PathRoots roots(const std::filesystem::path& job_output) const;
};

class JobRunner {
 public:
  JobRunner(const host::PluginRegistry& registry, Sandbox sandbox, std::string worker_name, int threads = 0,
            std::string device = "cpu");

  /// Takes jobs from `queue` and runs them until `stop` is set.
  void serve(JobQueue& queue, const std::atomic<bool>& stop);

  /// Runs one job to completion and records it with queue.finish(). Outputs appear in
  /// <store>/<id>/ only when the job finished (written to a temporary folder, then renamed),
  /// so a worker killed mid-job leaves nothing a client can see, and only one worker's
  /// outputs of a job are ever kept.
  void run(Job job, JobQueue& queue);

  /// Stops the running job (id "" = whatever runs) within one sampler step.
  void interrupt(const std::string& id);

 private:
  const host::PluginRegistry& registry_;
  Sandbox sandbox_;
  std::string name_;
  int threads_;
  std::string device_;
  host::Executor executor_;
  std::string running_;  // id of the job in progress ("" = none); guarded by mutex_
  std::mutex mutex_;
};

}  // namespace ng::server
