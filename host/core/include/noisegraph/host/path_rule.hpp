#pragma once
/// @file path_rule.hpp
/// The one rule for files a graph may touch (DESIGN.md, "Files a graph may touch").
///
/// Every Path parameter is declared as read or written (ng::PathRole). Its value is
/// checked here, by validation before anything runs and again by the executor right
/// before the node runs:
///  - Everywhere: control characters (bytes below 0x20 and 0x7f, NUL included) are
///    refused; an empty value means "none" and passes (the node decides if it needs one).
///  - Writes resolve inside the output folder: absolute paths, `..` components and
///    symlinks that lead out of it are refused, and so is an existing FIFO, device or
///    socket at the target (writing to one would block or go elsewhere).
///  - Reads resolve against the graph's folder, then each model folder; the first that
///    exists wins. The value must name an existing regular file (or folder, as the role
///    says): a FIFO, /dev/zero or a folder where a file is expected is refused, since
///    reading them blocks or never ends. With PathRoots::confine_reads (a server sets it)
///    a read must also stay inside the graph folder, the model folders or read_roots.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <noisegraph/node.hpp>

namespace ng::host {

/// Where paths resolve and may point.
struct PathRoots {
  std::filesystem::path graph_dir;               ///< reads resolve here first
  std::vector<std::filesystem::path> model_dirs; ///< then in these, in order
  std::filesystem::path output_dir = "output";   ///< writes stay inside this folder
  /// Refuse reads outside graph_dir, model_dirs and read_roots (off for the local CLI and
  /// editor, where the user names their own files; on for graphs from the network).
  bool confine_reads = false;
  std::vector<std::filesystem::path> read_roots;  ///< more allowed read folders (inputs)
};

/// The outcome of checking one value. ok() when `code` is empty; otherwise `code` is one
/// of path_control_char, path_absolute, path_escapes, path_not_found, path_not_regular,
/// path_is_folder, path_not_folder, path_outside_roots, and `message` names the parameter.
struct PathVerdict {
  std::filesystem::path resolved;  ///< where the value points (also when refused, if known)
  std::string code;
  std::string message;
  std::string hint;
  bool ok() const { return code.empty(); }
};

/// Checks `value` of the Path parameter `spec` against `roots`. Never throws.
PathVerdict check_path_param(const std::string& value, const ng::ParamSpec& spec, const PathRoots& roots);

/// True when `text` holds a byte below 0x20 or 0x7f (NUL, newline, escape, ...).
bool has_control_char(std::string_view text);

/// `text` with control characters written as \xNN, for messages.
std::string printable(std::string_view text);

}  // namespace ng::host
