// Checking a graph against the registry: every problem at once, each located and explained.
#include "noisegraph/host/validate.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include <noisegraph/param_types.hpp>

#include "noisegraph/host/executor.hpp"
#include "noisegraph/host/plan.hpp"
#include "noisegraph/host/plugin_registry.hpp"

#include "choice_alias.hpp"

namespace ng::host {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string quoted_list(const std::vector<std::string>& items, std::size_t max = 20) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", '" : "'") + items[i] + "'";
  if (items.size() > max) out += ", ... (" + std::to_string(items.size() - max) + " more)";
  return out;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  auto best = did_you_mean(word, candidates);
  if (best.empty()) return {};
  return "did you mean " + quoted_list(best) + "?";
}

// Another tool's spelling ("euler_a") before the nearest by edit distance ("euler").
std::string enum_hint(const std::string& word, const std::vector<std::string>& choices) {
  const std::string alias = choice_alias_hint(word, choices);
  return alias.empty() ? suggestion(word, choices) : alias;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string last_segment(const std::string& s) {
  auto dot = s.rfind('.');
  return dot == std::string::npos ? s : s.substr(dot + 1);
}

bool parse_float(const std::string& text, double& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && b != e && std::isfinite(out);
}

}  // namespace

std::vector<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                                      std::size_t max) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::string word_tail = last_segment(word);
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    // "ksampler" or "other.ksampler" for "sample.ksampler": the node name alone matches.
    std::size_t tail = edit_distance(word_tail, last_segment(c));
    if (tail + 1 < d) d = tail + 1;
    std::size_t limit = std::max<std::size_t>(2, std::min(word.size(), c.size()) / 3);
    if (d <= limit) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Only the closest ones: "constnat" suggests "constant", not also "count".
  std::vector<std::string> out;
  for (const auto& s : scored) {
    if (out.size() >= max || s.first > scored.front().first) break;
    out.push_back(s.second);
  }
  return out;
}

std::optional<ng::ParamValue> parse_param(const Scalar& value, const ng::ParamSpec& spec, Problem* problem) {
  ng::ParamParse parsed = ng::parse_param_text(spec, value.text, value.null);
  if (parsed.value) return parsed.value;
  if (problem) {
    problem->code = parsed.code;
    problem->message = parsed.message;
    problem->hint.clear();
    double d = 0;
    if (parsed.code == "param_type" && (spec.kind == ng::ParamKind::Int || spec.kind == ng::ParamKind::Seed) &&
        !value.null && parse_float(value.text, d))
      problem->hint = "write a whole number, e.g. " + number(std::round(d));
    if (parsed.code == "param_not_in_choices") problem->hint = enum_hint(value.text, spec.choices);
  }
  return std::nullopt;
}

std::map<std::string, ng::ParamValue> resolve_params(const GraphNode& node, const ng::NodeSpec& spec,
                                                     const std::string& file, std::vector<Problem>* problems) {
  std::map<std::string, ng::ParamValue> out;
  for (const auto& p : spec.params()) {
    out[p.name] = p.default_value;
    const Scalar* given = node.params.find(p.name);
    if (!given) continue;
    Problem problem;
    if (auto v = parse_param(*given, p, &problem)) {
      out[p.name] = *v;
    } else if (problems) {
      problem.file = file;
      problem.line = given->location.line;
      problem.column = given->location.column;
      problem.node = node.id;
      problems->push_back(std::move(problem));
    }
  }
  if (problems) {
    std::vector<std::string> names;
    for (const auto& p : spec.params()) names.push_back(p.name);
    for (const auto& [name, value] : node.params) {
      if (spec.find_param(name)) continue;
      std::string hint = suggestion(name, names);
      if (hint.empty())
        hint = names.empty() ? "'" + spec.id() + "' has no parameters" : "its parameters are " + quoted_list(names);
      problems->push_back(Problem{file, value.location.line, value.location.column, node.id, "unknown_param",
                                  "node type '" + spec.id() + "' has no parameter '" + name + "'", hint});
    }
  }
  return out;
}

namespace {

// Depth-first walk along links (iterative: a long chain must not exhaust the stack).
// Calls on_cycle with the ids of each cycle found (the first id closes it); returns the
// nodes reached from `roots` in dependency order.
std::vector<std::string> walk(const Graph& graph, const std::vector<std::string>& roots,
                              const std::function<void(std::vector<std::string>)>& on_cycle) {
  enum Mark { None, Visiting, Done };
  std::map<std::string, Mark> mark;
  std::vector<std::string> order;
  struct Frame {
    const GraphNode* node;
    std::size_t next_input;
  };
  for (const auto& root : roots) {
    const GraphNode* r = graph.find(root);
    if (!r || mark[root] != None) continue;
    std::vector<Frame> stack{{r, 0}};
    mark[root] = Visiting;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_input < f.node->inputs.size()) {
        const Link& link = (f.node->inputs.begin() + std::ptrdiff_t(f.next_input))->second;
        ++f.next_input;
        const GraphNode* up = graph.find(link.node);
        if (!up) continue;
        Mark& m = mark[up->id];
        if (m == None) {
          m = Visiting;
          stack.push_back({up, 0});
        } else if (m == Visiting) {
          std::vector<std::string> cycle;
          bool in = false;
          for (const auto& fr : stack) {
            if (fr.node == up) in = true;
            if (in) cycle.push_back(fr.node->id);
          }
          on_cycle(std::move(cycle));
        }
      } else {
        mark[f.node->id] = Done;
        order.push_back(f.node->id);
        stack.pop_back();
      }
    }
  }
  return order;
}

Problem cycle_problem(const Graph& graph, const std::vector<std::string>& cycle) {
  std::string path;
  for (const auto& id : cycle) path += id + " -> ";
  path += cycle.front();
  const GraphNode* node = graph.find(cycle.front());
  return Problem{graph.source_file.string(), node->location.line, node->location.column, cycle.front(), "cycle",
                 "the graph has a cycle: " + path, "a node cannot depend on its own output; remove one of these links"};
}

}  // namespace

std::vector<std::string> upstream_order(const Graph& graph, const std::vector<std::string>& targets) {
  return walk(graph, targets, [&](std::vector<std::string> cycle) { throw GraphError(cycle_problem(graph, cycle)); });
}

bool port_accepts(const std::string& input_type, const std::string& output_type) {
  return input_type == output_type || input_type == ng::type::Any;
}

PathRoots default_path_roots(const Graph& graph) {
  PathRoots roots;
  std::error_code ec;
  roots.graph_dir = graph.source_file.parent_path();
  if (roots.graph_dir.empty()) roots.graph_dir = std::filesystem::current_path(ec);
  roots.model_dirs = default_model_search_path();
  roots.output_dir = "output";
  return roots;
}

std::vector<Problem> check_node_paths(const GraphNode& node, const ng::NodeSpec& spec,
                                      const std::map<std::string, ng::ParamValue>& params,
                                      const PathRoots& roots, const std::string& file) {
  std::vector<Problem> out;
  for (const auto& p : spec.params()) {
    if (p.kind != ng::ParamKind::Path) continue;
    auto it = params.find(p.name);
    const auto* value = it == params.end() ? nullptr : std::get_if<std::string>(&it->second);
    if (!value) continue;
    PathVerdict v = check_path_param(*value, p, roots);
    if (v.ok()) continue;
    const Scalar* given = node.params.find(p.name);
    const SourceLocation at = given ? given->location : node.location;
    out.push_back(Problem{file, at.line, at.column, node.id, v.code, v.message, v.hint});
  }
  return out;
}

std::vector<Problem> validate(const Graph& graph, const PluginRegistry& registry) {
  return validate(graph, registry, default_path_roots(graph));
}

namespace {

// Every problem of `graph`; with `nodes`, also each node's typed parameters (the plan).
void check_graph(const Graph& graph, const PluginRegistry& registry, const PathRoots& roots,
                 std::vector<Problem>& problems, std::map<std::string, PlannedNode>* nodes) {
  problems = graph.load_problems;
  const std::string file = graph.source_file.string();
  auto add = [&](SourceLocation at, const std::string& node, const std::string& code, const std::string& message,
                 const std::string& hint = {}) {
    problems.push_back(Problem{file, at.line, at.column, node, code, message, hint});
  };

  if (graph.format_version != kGraphFormatVersion)
    add(graph.format_location, {}, "format_version",
        "graph format version " + std::to_string(graph.format_version) + " is not supported (this NoiseGraph reads " +
            std::to_string(kGraphFormatVersion) + ")",
        graph.format_version > kGraphFormatVersion ? "the file was written by a newer NoiseGraph" : "");

  const std::vector<std::string> type_ids = registry.node_type_ids();
  const std::vector<std::string> node_ids = graph.nodes.keys();
  // "Did you mean" costs an edit distance per candidate; a hostile file with thousands of
  // bad references must not make validation quadratic, so only the first problems get one.
  constexpr std::size_t kMaxHinted = 100;
  auto hint_for = [&](const std::string& word, const std::vector<std::string>& candidates) {
    return problems.size() < kMaxHinted ? suggestion(word, candidates) : std::string();
  };

  // Outputs that could feed a missing input, for hints (two per type, so a node never
  // only suggests itself).
  std::map<std::string, std::vector<std::string>> offers_by_type;
  std::vector<std::string> any_offers;
  for (const auto& [oid, other] : graph.nodes)
    if (const NodeType* ot = registry.find(other.type))
      for (const auto& o : ot->spec.outputs()) {
        auto& list = offers_by_type[o.type];
        if (list.size() < 2) list.push_back(oid + "." + o.name);
        if (any_offers.size() < 2) any_offers.push_back(oid + "." + o.name);
      }

  for (const auto& [id, node] : graph.nodes) {
    const NodeType* type = registry.find(node.type);
    if (!type) {
      std::vector<std::string> loaded;
      for (const auto& p : registry.plugins()) loaded.push_back(p.name);
      std::string message = "unknown node type '" + node.type + "'; ";
      message += loaded.empty() ? "no plugins are loaded" : "loaded plugins: " + quoted_list(loaded, 100);
      std::string hint = hint_for(node.type, type_ids);
      const std::string prefix = node.type.substr(0, node.type.find('.'));
      for (const auto& f : registry.failures())
        if (f.file.stem().string() == prefix)
          hint += std::string(hint.empty() ? "" : "; ") + "plugin '" + prefix + "' failed to load: " + f.reason;
      if (hint.empty() && std::find(loaded.begin(), loaded.end(), prefix) == loaded.end())
        hint = "is the plugin '" + prefix + "' installed? `noisegraph plugins` lists what was found";
      add(node.type_location, id, "unknown_node_type", message, hint);
    }

    if (type && node.version) {
      const ng::NodeVersion have = type->spec.version();
      const ng::NodeVersion want = *node.version;
      const std::string wants = std::to_string(want.major) + "." + std::to_string(want.minor);
      const std::string haves = std::to_string(have.major) + "." + std::to_string(have.minor);
      if (want.major != have.major)
        add(node.version_location, id, "node_version_incompatible",
            "the graph was saved with '" + node.type + "' version " + wants + ", but version " + haves +
                " is installed (different major versions compute different things)",
            want.major > have.major ? "update the plugin '" + type->plugin + "'" : "re-create this node in the editor");
      else if (want.minor > have.minor)
        add(node.version_location, id, "node_version_too_new",
            "the graph needs '" + node.type + "' version " + wants + " or newer, but " + haves + " is installed",
            "update the plugin '" + type->plugin + "'");
    }

    // Links: each must name an existing node, one of its outputs, and a matching type.
    for (const auto& [port, link] : node.inputs) {
      const ng::PortSpec* in = type ? type->spec.find_input(port) : nullptr;
      if (type && !in) {
        std::vector<std::string> names;
        for (const auto& p : type->spec.inputs()) names.push_back(p.variadic ? p.name + "_1" : p.name);
        std::string hint = suggestion(port, names);
        if (hint.empty()) hint = names.empty() ? "it has no inputs" : "its inputs are " + quoted_list(names);
        add(link.location, id, "unknown_input", "node type '" + node.type + "' has no input '" + port + "'", hint);
      }
      const GraphNode* from = graph.find(link.node);
      if (!from) {
        add(link.location, id, "dangling_reference",
            "input '" + port + "' links to node '" + link.node + "', which does not exist", hint_for(link.node, node_ids));
        continue;
      }
      const NodeType* from_type = registry.find(from->type);
      if (!from_type) continue;  // reported at that node
      const ng::PortSpec* out = from_type->spec.find_output(link.output);
      if (!out) {
        std::vector<std::string> names;
        for (const auto& p : from_type->spec.outputs()) names.push_back(p.name);
        std::string hint = suggestion(link.output, names);
        if (hint.empty()) hint = names.empty() ? "it has no outputs" : "its outputs are " + quoted_list(names);
        add(link.location, id, "unknown_output",
            "input '" + port + "' links to output '" + link.output + "' of '" + link.node + "' (" + from->type +
                "), which has no such output",
            hint);
        continue;
      }
      if (in && !port_accepts(in->type, out->type))
        add(link.location, id, "type_mismatch",
            "input '" + port + "' expects " + in->type + ", but '" + link.node + "." + link.output + "' is " + out->type);
    }

    if (type) {
      for (const auto& in : type->spec.inputs()) {
        if (in.optional || node.inputs.contains(in.name)) continue;
        std::vector<std::string> offers;
        for (const auto& o : (in.type == ng::type::Any ? any_offers : offers_by_type[in.type]))
          if (o.compare(0, id.size() + 1, id + ".") != 0) offers.push_back(o);
        add(node.location, id, "missing_input",
            "required input '" + in.name + "' (" + in.type + ") is not connected",
            offers.empty() ? "add a node with a " + in.type + " output and connect it"
                           : "connect it, e.g. inputs: {" + in.name + ": " + offers.front() + "}");
      }
      auto params = resolve_params(node, type->spec, file, &problems);
      for (auto& pr : check_node_paths(node, type->spec, params, roots, file)) problems.push_back(std::move(pr));
      if (nodes) nodes->emplace(id, PlannedNode{type, std::move(params)});
    } else if (nodes) {
      nodes->emplace(id, PlannedNode{});
    }
  }

  // Graph inputs: each target a parameter of a known node, all of one kind.
  for (const auto& [name, input] : graph.inputs) {
    std::optional<ng::ParamKind> kind;
    for (const auto& t : input.to) {
      const GraphNode* n = graph.find(t.node);
      if (!n) {
        add(t.location, {}, "input_target", "graph input '" + name + "' sets node '" + t.node + "', which does not exist",
            hint_for(t.node, node_ids));
        continue;
      }
      const NodeType* type = registry.find(n->type);
      if (!type) continue;  // reported at the node
      const ng::ParamSpec* p = type->spec.find_param(t.param);
      if (!p) {
        std::vector<std::string> names;
        for (const auto& q : type->spec.params()) names.push_back(q.name);
        add(t.location, t.node, "input_target",
            "graph input '" + name + "' sets parameter '" + t.param + "', which '" + n->type + "' does not have",
            hint_for(t.param, names));
        continue;
      }
      if (kind && *kind != p->kind)
        add(t.location, t.node, "input_kind_mismatch",
            "graph input '" + name + "' sets a " + ng::kind_name(*kind) + " and a " + ng::kind_name(p->kind) +
                " parameter; one value cannot be both",
            "split it into two inputs");
      if (!kind) kind = p->kind;
    }
  }

  // Cycles: each one once.
  walk(graph, node_ids, [&](std::vector<std::string> cycle) { problems.push_back(cycle_problem(graph, cycle)); });
}

}  // namespace

std::vector<Problem> validate(const Graph& graph, const PluginRegistry& registry, const PathRoots& roots) {
  std::vector<Problem> problems;
  check_graph(graph, registry, roots, problems, nullptr);  // no copy, no plan: the editor calls this per edit
  return problems;
}

Plan make_plan(Graph graph, const PluginRegistry& registry, const PathRoots& roots) {
  Plan plan;
  plan.graph = std::move(graph);
  plan.roots = roots;
  check_graph(plan.graph, registry, roots, plan.problems, &plan.nodes);
  return plan;
}

}  // namespace ng::host
