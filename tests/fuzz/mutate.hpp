#pragma once
// Deterministic input mutation for the fuzz tests: a fixed-seed std::mt19937_64 (its
// sequence is fixed by the C++ standard, so every machine runs the same cases) applies a
// few byte-level edits per case, some from a dictionary of known troublemakers.
#include <QtTest/QtTest>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ng_fuzz {

class Mutator {
 public:
  explicit Mutator(uint64_t seed, std::vector<std::string> dictionary = {})
      : rng_(seed), dictionary_(std::move(dictionary)) {}

  uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }

  /// 1 to max_edits edits of `s`: flip a bit, set a random byte, delete, duplicate or
  /// insert a range, insert or overwrite with a dictionary word, or cut the tail.
  std::string mutate(std::string s, int max_edits = 4) {
    const int edits = 1 + int(below(uint64_t(max_edits)));
    for (int e = 0; e < edits; ++e) s = edit_once(std::move(s));
    return s;
  }

  /// Like mutate() but only inside [begin, end) (e.g. a header), the rest kept.
  std::string mutate_range(const std::string& s, std::size_t begin, std::size_t end, int max_edits = 3) {
    if (begin >= end || end > s.size()) return mutate(s, max_edits);
    return s.substr(0, begin) + mutate(s.substr(begin, end - begin), max_edits) + s.substr(end);
  }

 private:
  std::string edit_once(std::string s) {
    const std::size_t n = s.size();
    const std::size_t at = std::size_t(below(n + 1));
    switch (below(dictionary_.empty() ? 6 : 8)) {
      case 0:
        if (n) s[at % n] = char(uint8_t(s[at % n]) ^ uint8_t(1u << below(8)));
        break;
      case 1:
        if (n) s[at % n] = char(below(256));
        break;
      case 2:
        if (n) s.erase(at % n, std::size_t(1 + below(16)));
        break;
      case 3:
        if (n) {
          const std::size_t from = std::size_t(below(n)), len = std::size_t(1 + below(32));
          s.insert(at, s.substr(from, len));
        }
        break;
      case 4:
        s.insert(at, std::string(1, char(below(256))));
        break;
      case 5:
        if (n > 1) s.resize(std::size_t(below(n)));  // truncation
        break;
      case 6:
        s.insert(at, dictionary_[std::size_t(below(dictionary_.size()))]);
        break;
      default: {
        const std::string& w = dictionary_[std::size_t(below(dictionary_.size()))];
        if (n) s.replace(at % n, std::min(w.size(), n - at % n), w);
        break;
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
  std::vector<std::string> dictionary_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

/// Every regular file under `dir` (recursively), for "nothing was written here" checks.
inline std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) || it->is_symlink(ec)) out.push_back(it->path());
  return out;
}

/// The number of cases: `fallback` scaled by NG_FUZZ_SCALE percent when set (the
/// sanitizer script lowers it, a long local run raises it); at least 1.
inline int case_count(int fallback) {
  const QByteArray env = qgetenv("NG_FUZZ_SCALE");
  bool ok = false;
  const int percent = env.toInt(&ok);
  const int n = ok && percent > 0 ? int(int64_t(fallback) * percent / 100) : fallback;
  return n > 0 ? n : 1;
}

}  // namespace ng_fuzz
