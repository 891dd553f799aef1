// Typed overrides on a plan: --set, graph inputs and --seed (plan.hpp).
#include "noisegraph/host/plan.hpp"

#include <noisegraph/param_types.hpp>

#include "noisegraph/host/plugin_registry.hpp"
#include "noisegraph/host/validate.hpp"

namespace ng::host {

namespace {

Problem override_problem(const std::string& origin, const std::string& node, std::string code, std::string message,
                         std::string hint = {}) {
  return Problem{origin, 0, 0, node, std::move(code), std::move(message), std::move(hint)};
}

}  // namespace

const PlannedNode* Plan::find(const std::string& id) const {
  auto it = nodes.find(id);
  return it == nodes.end() ? nullptr : &it->second;
}

std::optional<Problem> Plan::set_param(const std::string& node, const std::string& param, const ng::ParamValue& value,
                                       const std::string& origin) {
  auto it = nodes.find(node);
  if (it == nodes.end()) {
    const auto close = did_you_mean(node, graph.nodes.keys());
    return override_problem(origin, {}, "dangling_reference", "the graph has no node '" + node + "'",
                            close.empty() ? std::string() : "did you mean '" + close.front() + "'?");
  }
  PlannedNode& planned = it->second;
  if (!planned.type) return std::nullopt;  // unknown type: already a problem of the plan
  const ng::ParamSpec* spec = planned.type->spec.find_param(param);
  if (!spec) {
    std::vector<std::string> names;
    for (const auto& p : planned.type->spec.params()) names.push_back(p.name);
    const auto close = did_you_mean(param, names);
    return override_problem(origin, node, "unknown_param",
                            "node type '" + planned.type->spec.id() + "' has no parameter '" + param + "'",
                            close.empty() ? std::string() : "did you mean '" + close.front() + "'?");
  }
  ng::ParamParse checked = ng::check_param_value(*spec, value);
  if (!checked.value) return override_problem(origin, node, checked.code, checked.message);
  // An overridden path follows the same rule as one in the file (a server's security).
  if (spec->kind == ng::ParamKind::Path)
    if (PathVerdict v = check_path_param(std::get<std::string>(*checked.value), *spec, roots); !v.ok())
      return override_problem(origin, node, v.code, v.message, v.hint);
  planned.params[param] = *checked.value;
  Scalar text = Scalar::from(*checked.value);
  if (const Scalar* old = graph.nodes.at(node).params.find(param)) text.location = old->location;
  graph.set_param(node, param, std::move(text));
  return std::nullopt;
}

std::optional<Problem> Plan::set_param_text(const std::string& node, const std::string& param, const std::string& text,
                                            const std::string& origin) {
  const PlannedNode* planned = find(node);
  const ng::ParamSpec* spec = planned && planned->type ? planned->type->spec.find_param(param) : nullptr;
  if (!spec) return set_param(node, param, text, origin);  // reports the missing node or parameter
  Problem problem;
  const std::optional<ng::ParamValue> value = parse_param(Scalar(text), *spec, &problem);
  if (!value) return override_problem(origin, node, problem.code, problem.message, problem.hint);
  return set_param(node, param, *value, origin);
}

std::optional<Problem> Plan::set_input(const std::string& name, const std::string& text, const std::string& origin) {
  const GraphInput* input = graph.inputs.find(name);
  if (!input) {
    const auto names = graph.inputs.keys();
    const auto close = did_you_mean(name, names);
    std::string hint = close.empty() ? std::string() : "did you mean '" + close.front() + "'?";
    if (hint.empty())
      hint = names.empty() ? "this graph declares no inputs; use --set NODE.PARAM=VALUE"
                           : "its inputs are " + [&] {
                               std::string list;
                               for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
                               return list;
                             }();
    return override_problem(origin, {}, "unknown_graph_input", "the graph has no input '" + name + "'", hint);
  }
  const std::vector<InputTarget> targets = input->to;  // set_param edits the graph
  for (const auto& t : targets)
    if (auto p = set_param_text(t.node, t.param, text, origin)) return p;
  return std::nullopt;
}

void Plan::set_seed(uint64_t seed) {
  for (const auto& [id, planned] : nodes) {
    if (!planned.type) continue;
    for (const auto& p : planned.type->spec.params())
      if (p.kind == ng::ParamKind::Seed) set_param(id, p.name, ng::ParamValue(seed), "--seed");  // any u64 is a valid seed
  }
}

std::optional<ng::ParamKind> input_kind(const Plan& plan, const std::string& name) {
  const GraphInput* input = plan.graph.inputs.find(name);
  if (!input || input->to.empty()) return std::nullopt;
  const PlannedNode* n = plan.find(input->to.front().node);
  const ng::ParamSpec* p = n && n->type ? n->type->spec.find_param(input->to.front().param) : nullptr;
  if (!p) return std::nullopt;
  return p->kind;
}

std::string input_value_text(const Plan& plan, const std::string& name) {
  const GraphInput* input = plan.graph.inputs.find(name);
  if (!input || input->to.empty()) return {};
  const PlannedNode* n = plan.find(input->to.front().node);
  if (!n) return {};
  auto it = n->params.find(input->to.front().param);
  return it == n->params.end() ? std::string() : ng::param_text(it->second);
}

std::optional<std::pair<std::string, std::string>> split_assignment(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

}  // namespace ng::host
