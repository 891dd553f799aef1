// Layout comparison: the one place that turns "these tensors do not fit" into a message.
#include "noisegraph/sd/layout.hpp"

#include "noisegraph/error.hpp"

namespace ng::sd {

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
std::string list_first(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < 10; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 10) s += ", ...";
  return s;
}
}  // namespace

void check_layout(const Layout& expected, const Layout& found, const std::string& what, const std::string& source) {
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, shape] : expected) {
    auto it = found.find(name);
    if (it == found.end()) {
      missing.push_back(name);
    } else if (it->second != shape) {
      throw Error(source + ": " + what + ": tensor '" + name + "' has shape " + shape_string(it->second) +
                  ", expected " + shape_string(shape));
    }
  }
  for (const auto& [name, shape] : found)
    if (!expected.count(name)) unexpected.push_back(name);
  std::string problems;
  if (!missing.empty())
    problems += std::to_string(missing.size()) + " missing key(s): " + list_first(missing);
  if (!unexpected.empty())
    problems += std::string(problems.empty() ? "" : "; ") + std::to_string(unexpected.size()) +
                " unexpected key(s): " + list_first(unexpected);
  if (!problems.empty()) throw Error(source + ": " + what + ": " + problems);
}

Layout sub_layout(const Layout& layout, const std::string& prefix) {
  Layout out;
  for (auto it = layout.lower_bound(prefix); it != layout.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    out.emplace(it->first.substr(prefix.size()), it->second);
  return out;
}

int64_t parameter_count(const Layout& layout) {
  int64_t n = 0;
  for (const auto& [name, shape] : layout) {
    int64_t c = 1;
    for (auto d : shape) c *= d;
    n += c;
  }
  return n;
}

const at::Tensor& weight(const Weights& w, const std::string& name) {
  auto it = w.find(name);
  if (it == w.end()) throw Error("internal: weight '" + name + "' was not loaded");
  return it->second;
}

}  // namespace ng::sd
