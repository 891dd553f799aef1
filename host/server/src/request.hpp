#pragma once
// Private: turning request bodies and query strings into checked jobs and file paths
// (no Qt, so the rules can be unit-tested directly).
#include <filesystem>
#include <optional>
#include <string>

#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/io/json.hpp>

#include "noisegraph/server/job.hpp"
#include "noisegraph/server/runner.hpp"

namespace ng::server {

struct SubmitResult {
  Job job;                   ///< when ok(): id, client id and the validated graph
  std::string error_type;    ///< "invalid_json", "invalid_graph", "invalid_override", "invalid_prompt"
  std::string message;
  ng::json::Value problems;  ///< validator problems: [{line, column, node, code, message, hint}]
  bool ok() const { return error_type.empty(); }
};

/// A POST /prompt body: either a graph in YAML (as `curl --data-binary @graph.yaml` sends
/// it), or JSON {"prompt": <graph as YAML text or as a JSON object>, "client_id": "...",
/// "set": {"node.param": value, ...}}. The graph is validated with its paths confined to
/// the sandbox (reads from the graph, model and input folders; writes into the job's output).
SubmitResult parse_submission(const std::string& body, const host::PluginRegistry& registry, const Sandbox& sandbox);

/// The file GET /view may send: <store>/<subfolder>/<filename>, refusing empty names, "..",
/// absolute paths, control characters and anything that resolves (through symlinks) outside
/// the store or to something other than a regular file. nullopt with `problem` set otherwise.
std::optional<std::filesystem::path> resolve_view_path(const std::filesystem::path& store, const std::string& subfolder,
                                                       const std::string& filename, std::string* problem);

}  // namespace ng::server
