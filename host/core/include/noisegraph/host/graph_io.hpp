#pragma once
/// @file graph_io.hpp
/// Reading and writing graph files (YAML, see docs/graph-format.md):
///
/// @code{.yaml}
///   noisegraph: 1
///   nodes:
///     sigmas:
///       type: schedule.karras
///       version: 1.0
///       params: {steps: 20}
///     sample:
///       type: sample.ksampler
///       inputs: {model: model.model, sigmas: sigmas.sigmas}
///       params: {seed: 42, cfg: 3.0}
///   editor:
///     positions: {sigmas: [0, 0], sample: [240, 0]}
/// @endcode
///
/// Loading checks structure only (what is a node, a link, a parameter); whether node
/// types, ports and values make sense is validate()'s job. Untrusted files are safe to
/// load: files over kMaxGraphFileBytes are refused before parsing, nesting deeper than
/// kMaxGraphDepth and alias expansion beyond kMaxGraphNodes YAML nodes are refused.
#include <cstddef>
#include <filesystem>
#include <string>

#include "noisegraph/host/graph.hpp"

namespace ng::host {

/// Files larger than this are refused without being parsed.
inline constexpr std::size_t kMaxGraphFileBytes = 16u * 1024u * 1024u;
/// Deepest nesting of YAML collections accepted (a graph needs 4).
inline constexpr int kMaxGraphDepth = 64;
/// Most YAML nodes (after alias expansion) a graph may contain: about 40 000 graph nodes,
/// and a bound on the memory a parsed file can take.
inline constexpr std::size_t kMaxGraphNodes = 250'000;

/// Loads a graph file. Throws GraphError (with file:line:column) on I/O errors, YAML syntax
/// errors, limits and structural errors; non-fatal problems go to Graph::load_problems.
/// Sets Graph::source_file to `path`.
Graph load_graph(const std::filesystem::path& path);

/// Same, from text. `filename` is used in messages and as Graph::source_file (its folder
/// is where relative paths resolve); it is not read.
Graph load_graph_from_string(const std::string& text, const std::filesystem::path& filename = "<string>");

/// The graph as YAML text. Deterministic: keys in graph order, inputs and params as flow
/// maps, quoted strings double-quoted (escapes for newlines). Throws GraphError
/// ("structure") only when EditorSection::extra_yaml is not a YAML mapping.
std::string to_yaml(const Graph& graph);

/// Writes to_yaml(graph) to `path` atomically (temporary file in the same folder, then
/// rename), so a crash never leaves a half-written graph. Throws GraphError (code "io"
/// when the folder is missing or not writable).
void save_graph(const Graph& graph, const std::filesystem::path& path);

}  // namespace ng::host
