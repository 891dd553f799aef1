#pragma once
// Positions for nodes a graph file does not place (hand-written graphs): columns by
// depth (every node right of its inputs), rows in file order. Shown only; they are
// written to the file by the first edit (GraphDocument pins them).
#include <QSizeF>

#include <functional>
#include <map>
#include <string>

#include "noisegraph/host/graph.hpp"

namespace ng::editor {

/// Positions for the nodes of `graph` that have none in its editor section. `size_of`
/// gives each node's card size. When some nodes are placed, the rest go below them.
std::map<std::string, host::Point> auto_layout(const host::Graph& graph,
                                               const std::function<QSizeF(const std::string&)>& size_of);

}  // namespace ng::editor
