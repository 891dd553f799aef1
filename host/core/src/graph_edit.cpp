// Fragments in and out, and moving a graph between folders (graph_edit.hpp).
#include "noisegraph/host/graph_edit.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "noisegraph/host/executor.hpp"
#include "noisegraph/host/plugin_registry.hpp"

namespace ng::host {

namespace fs = std::filesystem;

namespace {

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// True when relative path `p` names a file in one of the model folders (how a run finds
// a path that is not next to the graph, see ng::Context::resolve).
bool found_in_model_folders(const fs::path& p) {
  std::error_code ec;
  for (const auto& dir : default_model_search_path())
    if (fs::exists(dir / p, ec)) return true;
  return false;
}

std::optional<std::string> rebased_path(const std::string& value, const fs::path& from, const fs::path& to,
                                        bool from_is_guess) {
  const fs::path p(value);
  if (value.empty() || p.is_absolute()) return std::nullopt;
  std::error_code ec;
  const fs::path target = (from / p).lexically_normal();
  if (!fs::exists(target, ec) && (from_is_guess || !p.has_parent_path() || found_in_model_folders(p)))
    return std::nullopt;
  const fs::path moved = target.lexically_relative(to);
  const std::string text = moved.empty() ? target.string() : moved.generic_string();
  if (text == value) return std::nullopt;
  return text;
}

}  // namespace

Graph extract_fragment(const Graph& graph, const std::vector<std::string>& ids, const std::map<std::string, Point>& shown) {
  Graph frag;
  for (const auto& [id, node] : graph.nodes) {
    if (!contains(ids, id)) continue;
    frag.nodes.set(id, node);
    if (const Point* p = graph.editor.positions.find(id)) frag.editor.positions.set(id, *p);
    else if (auto it = shown.find(id); it != shown.end()) frag.editor.positions.set(id, it->second);
    if (auto it = graph.editor.seed_modes.find(id); it != graph.editor.seed_modes.end())
      frag.editor.seed_modes[id] = it->second;
  }
  for (const auto& [name, input] : graph.inputs)
    if (std::all_of(input.to.begin(), input.to.end(), [&](const InputTarget& t) { return contains(ids, t.node); }))
      frag.inputs.set(name, input);
  return frag;
}

std::map<std::string, std::string> merge_fragment(Graph& graph, const Graph& fragment, Point anchor,
                                                  bool keep_outside_links) {
  std::map<std::string, std::string> new_id;
  for (const auto& [id, node] : fragment.nodes) {
    new_id[id] = graph.unique_id(id);
    graph.nodes.set(new_id[id], GraphNode{});  // reserve the id for the next unique_id()
  }
  // Top-left of the fragment's stored positions.
  double left = 1e300, top = 1e300;
  for (const auto& [id, p] : fragment.editor.positions) {
    left = std::min(left, p.x);
    top = std::min(top, p.y);
  }
  if (left > 1e299) left = top = 0;
  int unplaced = 0;
  for (const auto& [id, node] : fragment.nodes) {
    GraphNode copy;
    copy.id = new_id[id];
    copy.type = node.type;
    copy.version = node.version;
    for (auto [name, value] : node.params) {
      value.location = {};  // locations belong to the fragment's text, not to this graph
      copy.params.set(name, value);
    }
    for (const auto& [port, link] : node.inputs) {
      Link l;
      l.output = link.output;
      if (auto it = new_id.find(link.node); it != new_id.end()) l.node = it->second;
      else if (keep_outside_links && graph.nodes.contains(link.node)) l.node = link.node;
      else continue;
      copy.inputs.set(port, l);
    }
    graph.nodes.set(copy.id, copy);
    Point at{anchor.x + unplaced * 30.0, anchor.y + unplaced * 30.0};
    if (const Point* p = fragment.editor.positions.find(id)) at = {anchor.x + p->x - left, anchor.y + p->y - top};
    else ++unplaced;
    graph.editor.positions.set(copy.id, {std::round(at.x), std::round(at.y)});
    if (auto it = fragment.editor.seed_modes.find(id); it != fragment.editor.seed_modes.end())
      graph.editor.seed_modes[copy.id] = it->second;
  }
  for (const auto& [name, input] : fragment.inputs) {
    GraphInput in = input;
    in.name = name;
    for (std::size_t k = 2; graph.inputs.contains(in.name); ++k) in.name = name + "_" + std::to_string(k);
    for (auto& t : in.to) {
      t.node = new_id.at(t.node);
      t.location = {};
    }
    in.location = {};
    const std::string key = in.name;  // `in` is moved before set() reads its key
    graph.inputs.set(key, std::move(in));
  }
  return new_id;
}

int rebase_read_paths(Graph& graph, const PluginRegistry& registry, const fs::path& from, const fs::path& to,
                      bool from_is_guess) {
  std::error_code ec;
  const fs::path old_dir = fs::absolute(from, ec).lexically_normal(), new_dir = fs::absolute(to, ec).lexically_normal();
  if (from.empty() || old_dir == new_dir) return 0;
  int changed = 0;
  for (auto& [id, node] : graph.nodes) {
    const NodeType* t = registry.find(node.type);
    if (!t) continue;
    for (auto& [name, value] : node.params) {
      const ng::ParamSpec* spec = t->spec.find_param(name);
      // Write paths are inside the output folder, wherever the graph lives: never rebased.
      if (!spec || spec->kind != ng::ParamKind::Path || spec->writes()) continue;
      if (auto text = rebased_path(value.text, old_dir, new_dir, from_is_guess)) {
        const SourceLocation at = value.location;
        value = Scalar(*text, true);
        value.location = at;
        ++changed;
      }
    }
  }
  return changed;
}

}  // namespace ng::host
