#pragma once
/// @file validate.hpp
/// Checking a graph against the loaded node types before anything runs. validate()
/// reports every problem at once, each with file:line:column, node id, what was expected
/// and what was found, and a hint when a fix can be guessed.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <noisegraph/node.hpp>

#include "noisegraph/host/graph.hpp"
#include "noisegraph/host/path_rule.hpp"
#include "noisegraph/host/problem.hpp"

namespace ng::host {

class PluginRegistry;

/// All problems of `graph` (Graph::load_problems first, then in node order). Empty = the
/// graph can run. Codes: format_version, duplicate_id, unknown_node_type,
/// node_version_too_new (saved minor newer than installed), node_version_incompatible
/// (different major), unknown_input, missing_input, dangling_reference (link to a missing
/// node), unknown_output, type_mismatch, cycle, unknown_param, param_type,
/// param_out_of_range, param_not_in_choices, input_target, input_kind_mismatch (graph
/// inputs), and the path_* codes of path_rule.hpp for
/// Path parameters (checked against `roots`; this overload uses default_path_roots()).
std::vector<Problem> validate(const Graph& graph, const PluginRegistry& registry);
std::vector<Problem> validate(const Graph& graph, const PluginRegistry& registry, const PathRoots& roots);

/// The roots a plain run of `graph` uses: its file's folder (or the current folder),
/// default_model_search_path(), and the output folder "output".
PathRoots default_path_roots(const Graph& graph);

/// Problems of the Path parameters of one node (values as resolve_params gives them),
/// located at the parameter when the graph sets it, else at the node.
std::vector<Problem> check_node_paths(const GraphNode& node, const ng::NodeSpec& spec,
                                      const std::map<std::string, ng::ParamValue>& params,
                                      const PathRoots& roots, const std::string& file = {});

/// The link rule shared by validation, the CLI and the editor: an input of type
/// `input_type` accepts an output of type `output_type` when the two are equal or the
/// input is ANY (no implicit conversions).
bool port_accepts(const std::string& input_type, const std::string& output_type);

/// Reads one parameter value as `spec`'s kind and checks range and choices
/// (ng::parse_param_text), adding a hint where a fix can be guessed. Returns the value, or
/// nullopt with `problem` filled (code, message, hint; location and node are the caller's).
std::optional<ng::ParamValue> parse_param(const Scalar& value, const ng::ParamSpec& spec,
                                          Problem* problem = nullptr);

/// The node's parameters as typed values, every declared parameter present (defaults for
/// the absent ones). Problems (unknown or invalid parameters) are appended to `problems`
/// when given; the invalid ones then take their default. `file` is used for locations.
std::map<std::string, ng::ParamValue> resolve_params(const GraphNode& node, const ng::NodeSpec& spec,
                                                     const std::string& file = {},
                                                     std::vector<Problem>* problems = nullptr);

/// Ids of the nodes `targets` depend on (including the targets), in an order where every
/// node comes after its inputs. Links to missing nodes are ignored. Throws GraphError
/// (code "cycle") when they form a cycle.
std::vector<std::string> upstream_order(const Graph& graph, const std::vector<std::string>& targets);

/// The candidates closest to `word` by edit distance (ties only, at most `max`), when close
/// enough to be a typo. A bare node name matches a full type id ("ksampler" finds
/// "sample.ksampler").
std::vector<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                                      std::size_t max = 3);

}  // namespace ng::host
