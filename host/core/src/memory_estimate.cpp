// A lower bound of the memory a node's size parameters ask for, and what the machine has.
#include "noisegraph/host/memory_estimate.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace ng::host {

namespace {

// The value of an Int parameter `name` when the node has one.
bool int_param(const ng::NodeSpec& spec, const std::map<std::string, ng::ParamValue>& params, const char* name,
               int64_t& out) {
  const ng::ParamSpec* p = spec.find_param(name);
  if (!p || (p->kind != ng::ParamKind::Int)) return false;
  auto it = params.find(name);
  if (it == params.end()) return false;
  const auto* v = std::get_if<int64_t>(&it->second);
  if (!v) return false;
  out = *v;
  return true;
}

}  // namespace

MemoryEstimate estimate_node_memory(const ng::NodeSpec& spec, const std::map<std::string, ng::ParamValue>& params) {
  MemoryEstimate e;
  int64_t w = 0, h = 0, batch = 1, channels = 3;
  if (!int_param(spec, params, "width", w) || !int_param(spec, params, "height", h) || w <= 0 || h <= 0) return e;
  if (!int_param(spec, params, "batch", batch)) int_param(spec, params, "batch_size", batch);
  int_param(spec, params, "channels", channels);
  if (batch < 1) batch = 1;
  if (channels < 1) channels = 1;
  const long double bytes = (long double)w * h * batch * channels * 4;
  e.bytes = bytes > 1.8e19L ? UINT64_MAX : uint64_t(bytes);
  std::ostringstream s;
  s << "width " << w << " x height " << h << " x batch " << batch << " x " << channels << " channel"
    << (channels == 1 ? "" : "s") << " x 4 bytes";
  e.basis = s.str();
  return e;
}

uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

std::string human_bytes(uint64_t bytes) {
  char buf[32];
  const double b = double(bytes);
  if (b >= 1e12) std::snprintf(buf, sizeof buf, "%.1f TB", b / 1e12);
  else if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
  else std::snprintf(buf, sizeof buf, "%.0f MB", b / 1e6);
  return buf;
}

}  // namespace ng::host
