#pragma once
// Graphs embedded in output images: image.save writes the running graph's YAML into a
// PNG text chunk with the key "noisegraph", so any result can be reopened as its graph.
#include <QString>

#include <optional>
#include <string>

namespace ng::editor {

/// The PNG text key image.save uses.
inline constexpr const char* kPngGraphKey = "noisegraph";

/// True when `path` starts with the PNG signature (whatever its extension).
bool looks_like_png(const QString& path);

/// The YAML embedded in the PNG at `path` (read with ng::io::read_png, text chunks
/// verbatim), or nullopt with the reason in `error`.
std::optional<std::string> graph_from_png(const QString& path, QString* error = nullptr);

}  // namespace ng::editor
