// A fixed table of temporary file names that a signal handler can unlink without
// allocating or locking.
#include "noisegraph/io/pending_files.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>

namespace ng::io {

namespace {

constexpr int kSlots = 64;
constexpr std::size_t kMaxPath = 4096;

// state: 0 free, 1 being filled or cleared, 2 holds a path.
struct Slot {
  std::atomic<int> state{0};
  char path[kMaxPath];
};

Slot g_slots[kSlots];

}  // namespace

PendingFile::PendingFile(const std::filesystem::path& path) noexcept {
  const std::string& s = path.native();
  if (s.empty() || s.size() >= kMaxPath) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_slots[i].path, s.c_str(), s.size() + 1);
    g_slots[i].state.store(2);
    slot_ = i;
    return;
  }
}

PendingFile::~PendingFile() { release(); }

void PendingFile::release() noexcept {
  if (slot_ < 0) return;
  g_slots[slot_].state.store(0);
  slot_ = -1;
}

void remove_pending_files() noexcept {
  for (auto& slot : g_slots)
    if (slot.state.load() == 2) ::unlink(slot.path);
}

}  // namespace ng::io
