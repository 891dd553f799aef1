#include "auto_layout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ng::editor {

namespace {

constexpr double kColumnGap = 80, kRowGap = 36;

struct Box {
  std::string id;
  int layer = 0;
  double y = 0, h = 0, w = 0;
  std::vector<size_t> inputs, consumers;  ///< indices of linked unplaced nodes
};

double center(const Box& b) { return b.y + b.h / 2; }

/// Puts each box of a column at its wished-for centre, then pushes overlapping ones apart
/// (in wish order) and shifts the column so the average displacement is zero.
void settle(std::vector<Box>& boxes, const std::vector<size_t>& column, const std::vector<double>& wish) {
  std::vector<size_t> order(column.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return wish[a] < wish[b]; });
  double next_free = -1e300, drift = 0;
  for (size_t k : order) {
    Box& b = boxes[column[k]];
    b.y = std::max(wish[k] - b.h / 2, next_free);
    next_free = b.y + b.h + kRowGap;
    drift += center(b) - wish[k];
  }
  drift /= double(column.size());
  for (size_t i : column) boxes[i].y -= drift;
}

}  // namespace

std::map<std::string, host::Point> auto_layout(const host::Graph& graph,
                                               const std::function<QSizeF(const std::string&)>& size_of) {
  std::vector<Box> boxes;
  std::map<std::string, size_t> index;
  for (const auto& [id, node] : graph.nodes) {
    if (graph.editor.positions.contains(id)) continue;
    index[id] = boxes.size();
    Box b;
    b.id = id;
    const QSizeF s = size_of(id);
    b.w = s.width();
    b.h = s.height();
    boxes.push_back(b);
  }
  std::map<std::string, host::Point> out;
  if (boxes.empty()) return out;
  for (auto& b : boxes)
    for (const auto& [port, link] : graph.find(b.id)->inputs)
      if (auto it = index.find(link.node); it != index.end() && it->second != index[b.id]) {
        b.inputs.push_back(it->second);
        boxes[it->second].consumers.push_back(index[b.id]);
      }

  // Layers: longest path from a source, relaxed at most N times (a cycle cannot loop).
  const int n = int(boxes.size());
  for (int round = 0; round < n; ++round) {
    bool changed = false;
    for (auto& b : boxes)
      for (size_t i : b.inputs)
        if (boxes[i].layer + 1 > b.layer && boxes[i].layer + 1 < n) { b.layer = boxes[i].layer + 1; changed = true; }
    if (!changed) break;
  }
  int layers = 0;
  for (const auto& b : boxes) layers = std::max(layers, b.layer + 1);
  std::vector<std::vector<size_t>> columns(static_cast<size_t>(layers));
  for (size_t i = 0; i < boxes.size(); ++i) columns[size_t(boxes[i].layer)].push_back(i);

  // Start stacked in file order, then sweep: each node moves toward the mean height of
  // its inputs (left to right) and of its consumers (right to left), so chains run
  // straight and fan-outs centre on their source.
  for (auto& col : columns) {
    double y = 0;
    for (size_t i : col) {
      boxes[i].y = y;
      y += boxes[i].h + kRowGap;
    }
  }
  auto sweep = [&](bool forward) {
    for (int l = forward ? 1 : layers - 2; forward ? l < layers : l >= 0; l += forward ? 1 : -1) {
      const auto& col = columns[size_t(l)];
      std::vector<double> wish;
      for (size_t i : col) {
        const auto& links = forward ? boxes[i].inputs : boxes[i].consumers;
        if (links.empty()) {
          wish.push_back(center(boxes[i]));
          continue;
        }
        double sum = 0;
        for (size_t j : links) sum += center(boxes[j]);
        wish.push_back(sum / double(links.size()));
      }
      settle(boxes, col, wish);
    }
  };
  for (int pass = 0; pass < 3; ++pass) {
    sweep(true);
    sweep(false);
  }
  sweep(true);

  // Place the block: left edge and top at 0, or below the nodes the file places.
  double top = 1e300, x = 0;
  for (const auto& b : boxes) top = std::min(top, b.y);
  double origin_y = 0;
  if (!graph.editor.positions.empty()) {
    double bottom = -1e300, left = 1e300;
    for (const auto& [id, p] : graph.editor.positions) {
      if (!graph.nodes.contains(id)) continue;
      bottom = std::max(bottom, p.y + size_of(id).height());
      left = std::min(left, p.x);
    }
    if (bottom > -1e299) {
      origin_y = bottom + 80;
      x = left;
    }
  }
  for (const auto& col : columns) {
    double width = 0;
    for (size_t i : col) {
      out[boxes[i].id] = {std::round(x), std::round(origin_y + boxes[i].y - top)};
      width = std::max(width, boxes[i].w);
    }
    x += width + kColumnGap;
  }
  return out;
}

}  // namespace ng::editor
