#pragma once
/// @file problem.hpp
/// One thing wrong with a graph, located in its file. Loading, validation and the CLI all
/// speak in Problems so every message has the same shape:
///
///     graphs/generate.yaml:12:11: error: node 'sample': unknown parameter 'cgf' [unknown_param]
///       hint: did you mean 'cfg'?
#include <stdexcept>
#include <string>

namespace ng::host {

/// A position in a graph file. Both 1-based; 0 means unknown (e.g. a node added in the
/// editor, or a value set with `--set`).
struct SourceLocation {
  int line = 0;
  int column = 0;
};

struct Problem {
  std::string file;   ///< graph file path as given to the loader ("" for unsaved graphs)
  int line = 0;       ///< 1-based; 0 = unknown
  int column = 0;     ///< 1-based; 0 = unknown
  std::string node;   ///< node id the problem belongs to ("" = the whole file)
  /// Stable machine-readable kind, e.g. "unknown_node_type", "missing_input",
  /// "unknown_input", "type_mismatch", "cycle", "unknown_param", "param_type",
  /// "param_out_of_range", "param_not_in_choices", "dangling_reference", "unknown_output",
  /// "duplicate_id", "format_version", "node_version_too_new", "node_version_incompatible",
  /// "yaml_syntax", "file_too_large", "too_deep", "structure", "io".
  std::string code;
  std::string message;  ///< what was expected and what was found
  std::string hint;     ///< a guess at the fix ("did you mean 'cfg'?"), may be empty
};

/// "file:line:column: error: node 'id': message [code]" plus "\n  hint: ..." when there is
/// a hint. Parts that are unknown are left out.
std::string format_problem(const Problem& p);

/// Thrown when a graph file cannot be read at all (I/O, YAML syntax, wrong structure,
/// size or nesting limits). what() is format_problem(problem()).
class GraphError : public std::runtime_error {
 public:
  explicit GraphError(Problem p);
  const Problem& problem() const { return problem_; }

 private:
  Problem problem_;
};

}  // namespace ng::host
