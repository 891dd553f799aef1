#pragma once
/// @file atomic_write.hpp
/// Writing files so that no reader ever sees half of one.
///
/// Every function here writes into a new temporary file in the target's own folder
/// (created exclusively, so two writers never share one; named ".<name>.tmp-<pid>-<n>"),
/// flushes it to disk with fsync, and only then gives it the final name. A reader, a
/// crash or a full disk therefore leaves either the old file or the complete new one.
/// On any failure (the system refuses, the disk is full, your writer throws) the
/// temporary file is removed and the target is untouched. While it exists the temporary
/// is registered with PendingFile (pending_files.hpp), so a program killed by a signal
/// that calls remove_pending_files() does not leave it behind either.
///
/// Errors are ng::Error with one line that names the file and gives the system's reason,
/// e.g. "cannot write 'out/model.safetensors': No space left on device". An exception
/// thrown by your writer callback propagates unchanged (after the clean-up).
///
/// Example:
/// @code
///   ng::io::write_file_atomic(dir / "report.csv", [&](std::ostream& out) {
///     out << "step,loss\n";
///     for (const auto& [step, loss] : rows) out << step << ',' << loss << '\n';
///   });
/// @endcode
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

#include "noisegraph/export.hpp"

namespace ng::io {

/// Writes `path` with what `write` puts into the stream, replacing any file of that name
/// (its permission bits are kept; a new file gets 0644 less the umask). Missing parent
/// folders are created.
NG_API void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

/// Same, with the file's contents given as bytes.
NG_API void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

/// Writes `bytes` as a NEW file in `dir` without ever replacing one: after the data is on
/// disk, the temporary file is hard-linked under the name `next_name()` returns; while
/// that name exists already (say, another process took it first), `next_name` is called
/// again for the next candidate. Returns the name taken. Names must lie in `dir`. On
/// filesystems without hard links it falls back to checking and renaming, which is not
/// safe against a concurrent writer choosing the same name. `dir` must exist.
NG_API std::filesystem::path write_file_new(const std::filesystem::path& dir, std::string_view bytes,
                                            const std::function<std::filesystem::path()>& next_name);

}  // namespace ng::io
