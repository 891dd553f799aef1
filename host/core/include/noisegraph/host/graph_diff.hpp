#pragma once
/// @file graph_diff.hpp
/// What changed between two versions of a graph, as events a view can apply one by one
/// (the model/scene split of node editors: after an edit, only the cards and links that
/// changed are touched). Source locations are not part of a graph's content and are ignored.
#include <string>
#include <vector>

#include "noisegraph/host/graph.hpp"

namespace ng::host {

struct GraphChange {
  enum class Kind {
    NodeAdded,     ///< `node` is new
    NodeRemoved,   ///< `node` is gone
    NodeChanged,   ///< `node`'s type or version changed (its ports may differ)
    ParamsChanged, ///< `node`'s parameter values changed
    LinksChanged,  ///< `node`'s input links changed
    NodeMoved,     ///< `node`'s editor position changed
    SeedModes,     ///< `node`'s seed modes changed
    Inputs,        ///< the graph inputs changed (`node` empty)
    Other,         ///< format version, order of nodes, or the editor section's other keys
  };
  Kind kind;
  std::string node;
};

/// The changes that turn `before` into `after`, nodes in `after`'s order (removals last).
/// Empty when the two graphs have the same content.
std::vector<GraphChange> diff_graphs(const Graph& before, const Graph& after);

/// The ids named by `changes` (each once), plus, for removed nodes and changed outputs,
/// the nodes of `after` that link to them: every node whose card may look different.
std::vector<std::string> touched_nodes(const Graph& after, const std::vector<GraphChange>& changes);

}  // namespace ng::host
