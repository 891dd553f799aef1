#pragma once
/// @file output_dir.hpp
/// The one default output folder of the CLI and the editor (docs/cli.md, docs/editor.md).
#include <filesystem>

namespace ng::host {

/// Where runs write when no folder is given: `$NOISEGRAPH_OUTPUT_DIR` when set, else
/// `NoiseGraph` inside the user's pictures folder (`$XDG_PICTURES_DIR`, the
/// XDG_PICTURES_DIR line of ~/.config/user-dirs.dirs, or ~/Pictures, the same place Qt's
/// QStandardPaths::PicturesLocation names), else `./output` when there is no home folder.
std::filesystem::path default_output_dir();

}  // namespace ng::host
