// A plugin folder from a stranger: mutated and truncated copies of a real plugin. Each is
// probed in a child process; the host survives all of them, reports every one it does not
// load, and still loads the intact plugin next to them.
#include <noisegraph/host/plugin_probe.hpp>
#include <noisegraph/host/plugin_registry.hpp>

#include <chrono>

#include "mutate.hpp"

using namespace ng::host;
namespace fs = std::filesystem;

class FuzzPlugins : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void a_folder_of_mutated_plugins_cannot_take_the_host_down() {
    QTemporaryDir tmp, cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
    QVERIFY2(!find_probe_program().empty(), "noisegraph-plugin-probe is not built");
    const fs::path dir = tmp.path().toStdString();
    const std::string seed = ng_fuzz::read_file(fs::path(NG_TEST_PLUGIN_DIR) / "testing.so");
    ng_fuzz::Mutator m(42);
    const int cases = ng_fuzz::case_count(24);
    for (int i = 0; i < cases; ++i) {
      std::string bytes = seed;
      switch (i % 3) {
        case 0: bytes.resize(std::size_t(m.below(bytes.size()))); break;          // truncated
        case 1: bytes = m.mutate_range(bytes, 0, 4096, 6); break;                  // ELF headers
        default: bytes = m.mutate_range(bytes, 0, bytes.size(), 16); break;       // anywhere
      }
      ng_fuzz::write_file(dir / ("mutant" + std::to_string(100 + i) + ".so"), bytes);
    }
    ng_fuzz::write_file(dir / "zz_intact.so", seed);

    const auto t0 = std::chrono::steady_clock::now();
    PluginRegistry r;
    r.load_directory(dir);
    int crashed = 0, refused = 0;
    for (const auto& f : r.failures()) {
      if (f.reason.find("probe process") != std::string::npos) ++crashed;
      else ++refused;
    }
    qInfo("plugin fuzz: %d mutants in %.1f s: %d crashed the probe (not loaded), %d refused, %zu loaded", cases,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), crashed, refused,
          r.plugins().size());
    // The intact copy loads unless a mutant that still works took the name first.
    QVERIFY(r.find("testing.add"));
    QVERIFY(crashed + refused + int(r.plugins().size()) >= cases);
  }
};

QTEST_GUILESS_MAIN(FuzzPlugins)
#include "test_fuzz_plugins.moc"
