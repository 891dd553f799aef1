#pragma once
/// @file pending_files.hpp
/// Temporary files that must not outlive an interrupted process.
///
/// Writers that publish files atomically (a temporary file, then rename or link) register
/// the temporary with a PendingFile while it exists. A program's signal handler that is
/// about to quit (the CLI's second Ctrl-C, SIGTERM) calls remove_pending_files(), which
/// is async-signal-safe, so no `.part` or `.tmp-<pid>` file is left behind. Ordinary
/// error paths remove their temporaries themselves; this covers the exits they cannot see.
#include <filesystem>

#include "noisegraph/export.hpp"

namespace ng::io {

/// Registers `path` for removal by remove_pending_files() until destroyed or released.
/// Registration never fails visibly: past 64 concurrent files (or for paths longer than
/// 4095 bytes) the extra ones are simply not covered.
class NG_API PendingFile {
 public:
  explicit PendingFile(const std::filesystem::path& path) noexcept;
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  /// The file was renamed or removed: forget it.
  void release() noexcept;

 private:
  int slot_ = -1;
};

/// Unlinks every registered temporary file. Async-signal-safe (only unlink()).
NG_API void remove_pending_files() noexcept;

}  // namespace ng::io
