#include "signature.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ng::host {

namespace {

// Two independent 64-bit FNV-1a streams (different offset bases and a byte twist) make a
// 128-bit digest: collisions across one session's cache are not a practical concern.
class Digest {
 public:
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      a_ = (a_ ^ p[i]) * 0x100000001b3ULL;
      b_ = (b_ ^ (p[i] ^ 0x5c)) * 0x100000001b3ULL;
      b_ ^= b_ >> 29;
    }
  }
  // Length-prefixed so ("ab","c") and ("a","bc") differ.
  void add(const std::string& s) {
    uint64_t n = s.size();
    add(&n, sizeof n);
    add(s.data(), s.size());
  }
  void add_u64(uint64_t v) { add(&v, sizeof v); }
  std::string hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", (unsigned long long)a_, (unsigned long long)b_);
    return buf;
  }

 private:
  uint64_t a_ = 0xcbf29ce484222325ULL;
  uint64_t b_ = 0x84222325cbf29ce4ULL;
};

}  // namespace

std::string node_signature(const ng::NodeSpec& spec, const std::map<std::string, ng::ParamValue>& params,
                           const std::map<std::string, std::string>& input_signatures, const ng::Context& ctx) {
  Digest d;
  d.add(spec.id());
  d.add_u64(uint64_t(spec.version().major));
  d.add_u64(uint64_t(spec.version().minor));
  for (const auto& [name, value] : params) {
    d.add(name);
    d.add_u64(value.index());
    if (auto* i = std::get_if<int64_t>(&value)) d.add_u64(uint64_t(*i));
    else if (auto* u = std::get_if<uint64_t>(&value)) d.add_u64(*u);
    else if (auto* f = std::get_if<double>(&value)) d.add(f, sizeof *f);
    else if (auto* b = std::get_if<bool>(&value)) d.add_u64(*b ? 1 : 0);
    else d.add(std::get<std::string>(value));
    const ng::ParamSpec* ps = spec.find_param(name);
    if (ps && ps->kind == ng::ParamKind::Path && !ps->writes()) {
      // A changed file on disk must invalidate the cache even if its name did not change.
      std::error_code ec;
      const std::filesystem::path p = ctx.resolve(std::get<std::string>(value));
      d.add(p.string());
      auto size = std::filesystem::file_size(p, ec);
      d.add_u64(ec ? ~uint64_t{0} : uint64_t(size));
      auto mtime = std::filesystem::last_write_time(p, ec);
      d.add_u64(ec ? 0 : uint64_t(mtime.time_since_epoch().count()));
    }
  }
  d.add("inputs");
  for (const auto& [port, sig] : input_signatures) {
    d.add(port);
    d.add(sig);
  }
  return d.hex();
}

}  // namespace ng::host
