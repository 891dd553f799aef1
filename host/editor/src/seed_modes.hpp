#pragma once
// Seed "after run" modes live in the graph's editor section, next to positions:
//   editor:
//     seed_modes: {sample.seed: increment}
// Headless tools ignore them; host core keeps them verbatim in EditorSection::extra_yaml.
#include <map>
#include <string>

namespace ng::editor {

/// "node.param" -> mode name, read from an editor section's extra YAML ("" -> empty).
std::map<std::string, std::string> read_seed_modes(const std::string& extra_yaml);

/// `extra_yaml` with its seed_modes replaced by `modes` (removed when empty); other keys
/// are kept.
std::string write_seed_modes(const std::string& extra_yaml, const std::map<std::string, std::string>& modes);

}  // namespace ng::editor
