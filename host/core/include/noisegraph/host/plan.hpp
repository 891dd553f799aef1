#pragma once
/// @file plan.hpp
/// A plan: a graph checked against the loaded node types, with every parameter typed.
///
/// The path of a value from file to tensor has one parse: make_plan() reads each
/// parameter's text once (ng::parse_param_text, the SDK's one type table), overrides
/// (`--set`, graph inputs, `--seed`) are applied to the plan as typed values with the
/// same checks, and the executor runs the plan as it is, never reading text again.
/// The plan keeps its graph, with the overrides written back as text, because outputs
/// embed the graph that made them.
#include <cstdint>
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
struct NodeType;

/// One node of a plan.
struct PlannedNode {
  const NodeType* type = nullptr;                 ///< null when the type is unknown (a problem)
  std::map<std::string, ng::ParamValue> params;   ///< every declared parameter, typed, defaults filled
};

class Plan {
 public:
  Graph graph;                    ///< the planned graph, overrides written back (what outputs embed)
  PathRoots roots;                ///< where its paths resolve and may point
  std::vector<Problem> problems;  ///< empty = the plan can run
  std::map<std::string, PlannedNode> nodes;  ///< node id -> typed node

  bool ok() const { return problems.empty(); }
  const PlannedNode* find(const std::string& id) const;

  /// Sets `node`.`param` to a typed value, checked against the node's spec (kind, range,
  /// choices) and, for Path parameters, against the path rule with `roots`. Returns the problem, if any, attributed to `origin` (e.g. "--set
  /// sample.steps=30"), and leaves the plan unchanged then.
  std::optional<Problem> set_param(const std::string& node, const std::string& param, const ng::ParamValue& value,
                                   const std::string& origin);
  /// The same from text, read once with the parameter's kind (--set, graph inputs).
  std::optional<Problem> set_param_text(const std::string& node, const std::string& param, const std::string& text,
                                        const std::string& origin);
  /// Sets graph input `name` on every one of its targets, from text.
  std::optional<Problem> set_input(const std::string& name, const std::string& text, const std::string& origin);
  /// Sets every Seed parameter of the graph (`--seed`).
  void set_seed(uint64_t seed);
};

/// Checks `graph` against `registry` (see validate.hpp for the problem codes) and types
/// its parameters. Graph inputs are checked too: each target must be a parameter of an
/// existing node (input_target) and all targets of one input of the same kind
/// (input_kind_mismatch).
Plan make_plan(Graph graph, const PluginRegistry& registry, const PathRoots& roots);

/// The kind of graph input `name` (that of its first target's parameter), or nullopt when
/// the input or its target is unknown.
std::optional<ng::ParamKind> input_kind(const Plan& plan, const std::string& name);

/// The current value of graph input `name` as text (its first target's value).
std::string input_value_text(const Plan& plan, const std::string& name);

/// "NAME=VALUE" split at the first '='; nullopt when there is no '=' or NAME is empty.
std::optional<std::pair<std::string, std::string>> split_assignment(const std::string& text);

}  // namespace ng::host
