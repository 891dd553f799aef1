#pragma once
// Shared set-up for the editor tests: a registry with the testing plugin, a window, and
// small helpers to read files and wait for the event loop.
#include <QtTest/QtTest>

#include <QStandardPaths>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "graph_document.hpp"
#include "graph_scene.hpp"
#include "main_window.hpp"
#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/plugin_registry.hpp"

namespace ng_test {

/// A registry with only the test-only plugin (plugins/testing).
inline std::unique_ptr<ng::host::PluginRegistry> testing_registry() {
  auto registry = std::make_unique<ng::host::PluginRegistry>();
  const bool ok = registry->load_file(std::filesystem::path(NG_TEST_PLUGIN_DIR) / "testing.so");
  if (!ok) qFatal("cannot load the testing plugin from %s", NG_TEST_PLUGIN_DIR);
  return registry;
}

inline std::string read_text(const QString& path) {
  std::ifstream f(path.toStdString(), std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void write_text(const QString& path, const std::string& text) {
  std::ofstream f(path.toStdString(), std::ios::binary);
  f << text;
}

/// The graph as the file would hold it: the reference for "same state".
inline std::string yaml(const ng::editor::GraphDocument& doc) { return ng::host::to_yaml(doc.graph()); }

}  // namespace ng_test
