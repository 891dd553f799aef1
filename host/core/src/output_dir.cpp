#include "noisegraph/host/output_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

namespace ng::host {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// XDG_PICTURES_DIR="$HOME/Bilder" in user-dirs.dirs (written by xdg-user-dirs-update).
fs::path pictures_from_user_dirs(const fs::path& home) {
  std::string config = env("XDG_CONFIG_HOME");
  const fs::path file = (config.empty() ? home / ".config" : fs::path(config)) / "user-dirs.dirs";
  std::ifstream in(file);
  std::string line;
  const std::string key = "XDG_PICTURES_DIR=";
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    std::string value = line.substr(key.size());
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.compare(0, 5, "$HOME") == 0) return home / value.substr(value.size() > 5 && value[5] == '/' ? 6 : 5);
    if (!value.empty() && value.front() == '/') return value;
  }
  return {};
}

}  // namespace

fs::path default_output_dir() {
  if (std::string dir = env("NOISEGRAPH_OUTPUT_DIR"); !dir.empty()) return dir;
  const std::string home = env("HOME");
  if (home.empty()) return "output";
  fs::path pictures = env("XDG_PICTURES_DIR");
  if (pictures.empty()) pictures = pictures_from_user_dirs(home);
  if (pictures.empty() || pictures == fs::path(home)) pictures = fs::path(home) / "Pictures";
  return pictures / "NoiseGraph";
}

}  // namespace ng::host
