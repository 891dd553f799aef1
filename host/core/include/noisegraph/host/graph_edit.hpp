#pragma once
/// @file graph_edit.hpp
/// Edits that take more than one Graph call and that every front end needs the same way:
/// copying part of a graph out as a fragment, merging a fragment in under fresh ids, and
/// moving a graph to another folder without breaking its relative file paths.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "noisegraph/host/graph.hpp"

namespace ng::host {

class PluginRegistry;

/// A small complete graph with the nodes `ids` (in `graph`'s order), the links among them
/// and to outside nodes (merge_fragment decides what to keep), their positions (from
/// `shown` where the graph has none), their seed modes and the graph inputs whose targets
/// are all among them.
Graph extract_fragment(const Graph& graph, const std::vector<std::string>& ids,
                       const std::map<std::string, Point>& shown = {});

/// Adds `fragment`'s nodes to `graph` under fresh ids (unique_id of their old ids) and
/// returns old id -> new id. Positions keep their layout with the fragment's top-left at
/// `anchor` (unplaced nodes go in a diagonal run from it). Links inside the fragment follow
/// the new ids; links to nodes outside it are kept when `keep_outside_links` and the node
/// exists in `graph`, else dropped. Seed modes come along; graph inputs too, under free names.
std::map<std::string, std::string> merge_fragment(Graph& graph, const Graph& fragment, Point anchor,
                                                  bool keep_outside_links);

/// Rewrites the relative read paths (Path parameters that are not written) of `graph`,
/// written for a graph in folder `from`, so they name the same files from folder `to`.
/// A path that does not exist next to the old graph stays as written when it is a bare
/// name, when it is found in the model folders (both are model-search-path lookups), or
/// when `from_is_guess` (a graph read from a PNG: its original folder is unknown).
/// Parameters of unknown node types are left alone. Returns how many changed.
int rebase_read_paths(Graph& graph, const PluginRegistry& registry, const std::filesystem::path& from,
                      const std::filesystem::path& to, bool from_is_guess = false);

}  // namespace ng::host
