#include "noisegraph/host/graph.hpp"

#include <noisegraph/param_types.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace ng::host {

Scalar Scalar::from(const ng::ParamValue& v) {
  return Scalar(ng::param_text(v), std::holds_alternative<std::string>(v));
}

const char* to_string(SeedMode mode) {
  switch (mode) {
    case SeedMode::Fixed: return "fixed";
    case SeedMode::Increment: return "increment";
    case SeedMode::Random: return "random";
  }
  return "fixed";
}

std::optional<SeedMode> seed_mode_from_name(const std::string& name) {
  for (SeedMode m : {SeedMode::Fixed, SeedMode::Increment, SeedMode::Random})
    if (name == to_string(m)) return m;
  return std::nullopt;
}

bool Graph::is_valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Graph::unique_id(const std::string& base) const {
  std::string b = base;
  if (auto dot = b.rfind('.'); dot != std::string::npos) b = b.substr(dot + 1);
  for (char& c : b) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (b.empty()) b = "node";
  if (b.size() > 100) b.resize(100);
  if (!nodes.contains(b)) return b;
  for (int n = 2;; ++n) {
    std::string candidate = b + "_" + std::to_string(n);
    if (!nodes.contains(candidate)) return candidate;
  }
}

GraphNode& Graph::add_node(const std::string& type, std::optional<ng::NodeVersion> version,
                           const std::string& preferred_id) {
  GraphNode node;
  node.id = unique_id(preferred_id.empty() ? type : preferred_id);
  node.type = type;
  node.version = version;
  std::string id = node.id;
  return nodes.set(id, std::move(node));
}

bool Graph::remove_node(const std::string& id) {
  if (!nodes.erase(id)) return false;
  for (auto& [nid, node] : nodes) {
    std::vector<std::string> gone;
    for (const auto& [port, link] : node.inputs)
      if (link.node == id) gone.push_back(port);
    for (const auto& port : gone) node.inputs.erase(port);
  }
  std::vector<std::string> emptied;
  for (auto& [name, input] : inputs) {
    auto& to = input.to;
    to.erase(std::remove_if(to.begin(), to.end(), [&](const InputTarget& t) { return t.node == id; }), to.end());
    if (to.empty()) emptied.push_back(name);
  }
  for (const auto& name : emptied) inputs.erase(name);
  editor.positions.erase(id);
  editor.seed_modes.erase(id);
  return true;
}

void Graph::connect(const std::string& from_node, const std::string& output, const std::string& to_node,
                    const std::string& input) {
  if (!nodes.contains(from_node)) throw std::invalid_argument("no node '" + from_node + "'");
  auto* to = nodes.find(to_node);
  if (!to) throw std::invalid_argument("no node '" + to_node + "'");
  Link link;
  link.node = from_node;
  link.output = output;
  to->inputs.set(input, link);
}

bool Graph::disconnect(const std::string& node, const std::string& input) {
  auto* n = nodes.find(node);
  return n && n->inputs.erase(input);
}

void Graph::set_param(const std::string& node, const std::string& name, const ng::ParamValue& value) {
  set_param(node, name, Scalar::from(value));
}

void Graph::set_param(const std::string& node, const std::string& name, Scalar value) {
  auto* n = nodes.find(node);
  if (!n) throw std::invalid_argument("no node '" + node + "'");
  n->params.set(name, std::move(value));
}

bool Graph::reset_param(const std::string& node, const std::string& name) {
  auto* n = nodes.find(node);
  return n && n->params.erase(name);
}

bool Graph::rename(const std::string& from, const std::string& to) {
  if (!is_valid_id(to) || !nodes.rename(from, to)) return false;
  nodes.at(to).id = to;
  for (auto& [nid, node] : nodes)
    for (auto& [port, link] : node.inputs)
      if (link.node == from) link.node = to;
  for (auto& [name, input] : inputs)
    for (auto& target : input.to)
      if (target.node == from) target.node = to;
  editor.positions.rename(from, to);
  if (auto it = editor.seed_modes.find(from); it != editor.seed_modes.end()) {
    editor.seed_modes[to] = std::move(it->second);
    editor.seed_modes.erase(from);
  }
  return true;
}

void Graph::set_input(const std::string& name, const Scalar& value) {
  const GraphInput* input = inputs.find(name);
  if (!input) throw std::invalid_argument("no graph input '" + name + "'");
  for (const auto& t : input->to)
    if (GraphNode* n = nodes.find(t.node)) {
      Scalar v = value;
      v.location = n->params.contains(t.param) ? n->params.at(t.param).location : value.location;
      n->params.set(t.param, std::move(v));
    }
}

std::vector<std::string> Graph::consumers(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [nid, node] : nodes) {
    for (const auto& [port, link] : node.inputs)
      if (link.node == id) { out.push_back(nid); break; }
  }
  return out;
}

}  // namespace ng::host
