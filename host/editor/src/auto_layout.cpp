#include "auto_layout.hpp"

#include <algorithm>
#include <vector>

namespace ng::editor {

std::map<std::string, host::Point> auto_layout(const host::Graph& graph,
                                               const std::function<QSizeF(const std::string&)>& size_of) {
  std::map<std::string, host::Point> out;
  std::vector<std::string> unplaced;
  for (const auto& [id, node] : graph.nodes)
    if (!graph.editor.positions.contains(id)) unplaced.push_back(id);
  if (unplaced.empty()) return out;

  // Longest path from a source, relaxed at most N times (so a cycle cannot loop forever).
  std::map<std::string, int> depth;
  for (const auto& id : unplaced) depth[id] = 0;
  const int n = int(graph.nodes.size());
  for (int round = 0; round < n; ++round) {
    bool changed = false;
    for (const auto& id : unplaced) {
      for (const auto& [port, link] : graph.find(id)->inputs) {
        auto it = depth.find(link.node);
        if (it == depth.end()) continue;  // placed by the file, or missing
        if (it->second + 1 > depth[id] && it->second + 1 < n) { depth[id] = it->second + 1; changed = true; }
      }
    }
    if (!changed) break;
  }

  double top = 0, left = 0;
  if (!graph.editor.positions.empty()) {
    double bottom = -1e300;
    left = 1e300;
    for (const auto& [id, p] : graph.editor.positions) {
      if (!graph.nodes.contains(id)) continue;
      bottom = std::max(bottom, p.y + size_of(id).height());
      left = std::min(left, p.x);
    }
    if (bottom > -1e299) top = bottom + 80;
    else left = 0;
  }

  constexpr double kColumnGap = 90, kRowGap = 40;
  int columns = 0;
  for (const auto& [id, d] : depth) columns = std::max(columns, d + 1);
  double x = left;
  for (int c = 0; c < columns; ++c) {
    double y = top, width = 0;
    for (const auto& id : unplaced) {
      if (depth[id] != c) continue;
      const QSizeF s = size_of(id);
      out[id] = {x, y};
      y += s.height() + kRowGap;
      width = std::max(width, s.width());
    }
    x += width + kColumnGap;
  }
  return out;
}

}  // namespace ng::editor
