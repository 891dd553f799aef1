#include "seed_modes.hpp"

#include <yaml-cpp/yaml.h>

namespace ng::editor {

namespace {
constexpr const char* kKey = "seed_modes";
}

std::map<std::string, std::string> read_seed_modes(const std::string& extra_yaml) {
  std::map<std::string, std::string> out;
  if (extra_yaml.empty()) return out;
  try {
    YAML::Node root = YAML::Load(extra_yaml);
    if (!root.IsMap() || !root[kKey] || !root[kKey].IsMap()) return out;
    for (const auto& kv : root[kKey])
      if (kv.first.IsScalar() && kv.second.IsScalar()) out[kv.first.Scalar()] = kv.second.Scalar();
  } catch (const YAML::Exception&) {
    // The loader already accepted this text; anything odd here just means "no modes".
  }
  return out;
}

std::string write_seed_modes(const std::string& extra_yaml, const std::map<std::string, std::string>& modes) {
  YAML::Node root(YAML::NodeType::Map);
  try {
    if (!extra_yaml.empty()) {
      YAML::Node loaded = YAML::Load(extra_yaml);
      if (loaded.IsMap()) root = loaded;
    }
  } catch (const YAML::Exception&) {
  }
  root.remove(kKey);
  if (!modes.empty()) {
    YAML::Node m(YAML::NodeType::Map);
    m.SetStyle(YAML::EmitterStyle::Flow);
    for (const auto& [k, v] : modes) m[k] = v;
    root[kKey] = m;
  }
  if (root.size() == 0) return {};
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace ng::editor
