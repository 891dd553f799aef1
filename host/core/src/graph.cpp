#include "noisegraph/host/graph.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace ng::host {

namespace {

std::string format_double(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  // Keep it readable as a float ("3" would read back as an integer).
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

Scalar Scalar::from(const ng::ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return Scalar(std::to_string(*i));
  if (auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return Scalar(".nan");
    if (std::isinf(*d)) return Scalar(*d > 0 ? ".inf" : "-.inf");
    return Scalar(format_double(*d));
  }
  if (auto* b = std::get_if<bool>(&v)) return Scalar(*b ? "true" : "false");
  return Scalar(std::get<std::string>(v), true);
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
  editor.positions.erase(id);
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
  editor.positions.rename(from, to);
  return true;
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
