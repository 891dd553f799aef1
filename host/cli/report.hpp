#pragma once
// JSON shapes the CLI writes: run reports (--report), node type listings (nodes --json),
// problems and plugin lists. docs/cli.md documents each field.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/io/json.hpp>
#include <noisegraph/param_types.hpp>

namespace ng::cli {

struct RunInfo {
  std::filesystem::path graph;
  std::filesystem::path output_dir;
  std::optional<uint64_t> seed;
  std::string device;
  int threads = 0;
  int exit_code = 0;
  std::vector<std::string> overrides;  ///< each --set, as given
  std::string started_at;              ///< UTC, ISO 8601 ("2026-11-30T21:53:01Z")
};

/// The current time in UTC as ISO 8601 with seconds.
std::string utc_timestamp();

ng::json::Value problem_json(const host::Problem& p);
ng::json::Value run_report_json(const host::RunResult& result, const RunInfo& info);
ng::json::Value node_type_json(const host::NodeType& type);
ng::json::Value plugins_json(const host::PluginRegistry& registry);

/// A parameter value as JSON (int, number, bool or string).
ng::json::Value param_json(const ng::ParamValue& v);

}  // namespace ng::cli
