// The executor's cache of node outputs by signature (executor.hpp, "Caching").
#pragma once
#include <map>
#include <memory>
#include <string>

#include <noisegraph/values.hpp>

#include "noisegraph/host/executor.hpp"

namespace ng::host {

using Outputs = std::map<std::string, ng::Value>;

/// Outputs kept between runs. One run: find() what is reusable, remember() what it
/// produced or reused, then finish_run() drops every entry the run did not use, so memory
/// stays bounded by one graph's results.
struct Executor::Cache {
  std::shared_ptr<const Outputs> find(const std::string& signature) const;
  /// Keeps `outputs` under `signature` and marks it used by this run.
  void remember(const std::string& signature, std::shared_ptr<const Outputs> outputs);
  /// Marks a hit of find() as used by this run (it is already kept).
  void reuse(const std::string& signature, std::shared_ptr<const Outputs> outputs) {
    used_.emplace(signature, std::move(outputs));
  }
  /// Forgets what the finished run did not use.
  void finish_run();
  std::size_t size() const { return by_signature_.size(); }

  /// node id -> outputs of the last run (also a failed or cancelled one).
  std::map<std::string, std::shared_ptr<const Outputs>> last_run;

 private:
  std::map<std::string, std::shared_ptr<const Outputs>> by_signature_;
  std::map<std::string, std::shared_ptr<const Outputs>> used_;
};

}  // namespace ng::host
