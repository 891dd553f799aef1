#pragma once
// Small helpers shared by the host core tests.
#include <QtTest/QtTest>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ng_test {

inline std::filesystem::path data_dir() { return std::filesystem::path(NG_TEST_SOURCE_DIR) / "tests" / "data"; }
inline std::filesystem::path graph_file(const std::string& name) { return data_dir() / "graphs" / name; }

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace ng_test
