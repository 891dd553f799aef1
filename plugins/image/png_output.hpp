#pragma once
// Writing numbered PNG files safely: never a half-written file, never an overwrite.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ng::image {

/// Splits a filename prefix ("cat" or "renders/cat") into the folder below `output_dir`
/// and the file stem. Throws ng::Error for an empty prefix, an absolute one, or one that
/// climbs out of `output_dir` with "..".
struct OutputName {
  std::filesystem::path dir;
  std::string stem;
};
OutputName split_prefix(const std::filesystem::path& output_dir, const std::string& prefix);

/// One more than the largest N among files "<stem>_<N>.png" (N of 5 or more digits) in
/// `dir`; 1 when there are none.
int64_t next_counter(const std::filesystem::path& dir, const std::string& stem);

/// Writes every image of `images` ([B,C,H,W] IMAGE) as an 8-bit PNG to
/// <dir>/<stem>_<NNNNN>.png with consecutive free counters, and returns the paths written.
/// Each file is written with io::write_file_new (atomic_write.hpp): complete on disk
/// before it gets its name, and never replacing an existing file (another writer that
/// took the number first makes this one move on to the next). `text`, when not empty, is
/// stored in a PNG text chunk under `text_key`. Throws ng::Error naming the folder when it
/// cannot be created or written, with the system's reason ("No space left on device"); no
/// temporary file is left behind (also when the process is interrupted, see
/// io/pending_files.hpp). `on_file`, when set, is called with each file as soon as it is
/// in place (so files finished before a later failure are still reported) and may throw
/// (e.g. ng::Cancelled) to stop before the next image.
std::vector<std::filesystem::path> save_png_batch(
    const at::Tensor& images, const std::filesystem::path& output_dir, const std::string& prefix,
    const std::string& text_key, const std::string& text,
    const std::function<void(const std::filesystem::path&)>& on_file = {});

}  // namespace ng::image
