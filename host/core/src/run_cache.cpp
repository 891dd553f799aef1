// Outputs by signature, bounded by what the last run used (run_cache.hpp).
#include "run_cache.hpp"

namespace ng::host {

std::shared_ptr<const Outputs> Executor::Cache::find(const std::string& signature) const {
  auto it = by_signature_.find(signature);
  return it == by_signature_.end() ? nullptr : it->second;
}

void Executor::Cache::remember(const std::string& signature, std::shared_ptr<const Outputs> outputs) {
  by_signature_[signature] = outputs;
  used_[signature] = std::move(outputs);
}

void Executor::Cache::finish_run() {
  by_signature_ = std::move(used_);
  used_.clear();
}

}  // namespace ng::host
