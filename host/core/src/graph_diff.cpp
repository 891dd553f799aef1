// Graph versions compared node by node (graph_diff.hpp).
#include "noisegraph/host/graph_diff.hpp"

#include <algorithm>
#include <set>

namespace ng::host {

namespace {

bool same(const Scalar& a, const Scalar& b) { return a.text == b.text && a.quoted == b.quoted && a.null == b.null; }

bool same_params(const GraphNode& a, const GraphNode& b) {
  if (a.params.size() != b.params.size()) return false;
  auto ib = b.params.begin();
  for (const auto& [name, value] : a.params) {
    if (name != ib->first || !same(value, ib->second)) return false;
    ++ib;
  }
  return true;
}

bool same_links(const GraphNode& a, const GraphNode& b) {
  if (a.inputs.size() != b.inputs.size()) return false;
  auto ib = b.inputs.begin();
  for (const auto& [port, link] : a.inputs) {
    if (port != ib->first || link.node != ib->second.node || link.output != ib->second.output) return false;
    ++ib;
  }
  return true;
}

bool same_version(const GraphNode& a, const GraphNode& b) {
  if (a.version.has_value() != b.version.has_value()) return false;
  return !a.version || (a.version->major == b.version->major && a.version->minor == b.version->minor);
}

bool same_inputs(const Graph& a, const Graph& b) {
  if (a.inputs.keys() != b.inputs.keys()) return false;
  for (const auto& [name, in] : a.inputs) {
    const GraphInput& other = b.inputs.at(name);
    if (in.description != other.description || in.to.size() != other.to.size()) return false;
    for (std::size_t i = 0; i < in.to.size(); ++i)
      if (in.to[i].node != other.to[i].node || in.to[i].param != other.to[i].param) return false;
  }
  return true;
}

template <class M>
const typename M::mapped_type* find_in(const M& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

std::vector<GraphChange> diff_graphs(const Graph& before, const Graph& after) {
  using K = GraphChange::Kind;
  std::vector<GraphChange> out;
  for (const auto& [id, node] : after.nodes) {
    const GraphNode* old = before.find(id);
    if (!old) {
      out.push_back({K::NodeAdded, id});
      continue;
    }
    if (old->type != node.type || !same_version(*old, node)) out.push_back({K::NodeChanged, id});
    if (!same_params(*old, node)) out.push_back({K::ParamsChanged, id});
    if (!same_links(*old, node)) out.push_back({K::LinksChanged, id});
  }
  for (const auto& [id, node] : before.nodes)
    if (!after.find(id)) out.push_back({K::NodeRemoved, id});

  auto positions_of = [](const Graph& g, const std::string& id) { return g.editor.positions.find(id); };
  for (const auto& [id, node] : after.nodes) {
    const Point *a = positions_of(before, id), *b = positions_of(after, id);
    if ((a == nullptr) != (b == nullptr) || (a && (a->x != b->x || a->y != b->y))) out.push_back({K::NodeMoved, id});
    const auto *ma = find_in(before.editor.seed_modes, id), *mb = find_in(after.editor.seed_modes, id);
    if ((ma == nullptr) != (mb == nullptr) || (ma && *ma != *mb)) out.push_back({K::SeedModes, id});
  }
  if (!same_inputs(before, after)) out.push_back({K::Inputs, {}});
  // Order of the nodes both versions have (added and removed ones are reported above).
  auto common_order = [](const Graph& g, const Graph& other) {
    std::vector<std::string> ids;
    for (const auto& [id, node] : g.nodes)
      if (other.find(id)) ids.push_back(id);
    return ids;
  };
  if (before.format_version != after.format_version || common_order(before, after) != common_order(after, before) ||
      before.editor.extra_yaml != after.editor.extra_yaml || before.editor.present != after.editor.present)
    out.push_back({K::Other, {}});
  return out;
}

std::vector<std::string> touched_nodes(const Graph& after, const std::vector<GraphChange>& changes) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& id) {
    if (!id.empty() && seen.insert(id).second) out.push_back(id);
  };
  std::set<std::string> upstream;  // removed or re-typed nodes: their consumers' links change look
  for (const auto& c : changes) {
    add(c.node);
    if (c.kind == GraphChange::Kind::NodeRemoved || c.kind == GraphChange::Kind::NodeChanged ||
        c.kind == GraphChange::Kind::NodeAdded)
      upstream.insert(c.node);
  }
  if (!upstream.empty())
    for (const auto& [id, node] : after.nodes)
      for (const auto& [port, link] : node.inputs)
        if (upstream.count(link.node)) add(id);
  return out;
}

}  // namespace ng::host
