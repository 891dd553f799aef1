// Graph files from strangers: mutated YAML is loaded, validated and, when valid, run.
// Allowed outcomes: a clean error (GraphError, validation problems, a failed node) or a
// successful run. Never a signal (the test process would die), never a hang (ctest's
// timeout), never a file outside the output folder.
#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

#include <chrono>

#include "mutate.hpp"

using namespace ng::host;
namespace fs = std::filesystem;

class FuzzGraph : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void mutated_graphs_end_in_a_clean_error_or_a_run_inside_the_output_folder() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString(), gdir = root / "graphs", out = root / "out", victim = root / "victim";
    fs::create_directories(gdir);
    fs::create_directories(victim);
    PluginRegistry registry;
    registry.load_directory(NG_TEST_PLUGIN_DIR);

    std::vector<std::string> seeds;
    for (const char* name : {"sum.yaml", "seeded.yaml", "canonical.yaml", "failing.yaml", "invalid.yaml"})
      seeds.push_back(ng_fuzz::read_file(fs::path(NG_TEST_DATA_DIR) / "graphs" / name));
    seeds.push_back(
        "noisegraph: 1\n"
        "nodes:\n"
        "  img: {type: image.solid, params: {width: 16, height: 12, channels: 1, value: 0.5}}\n"
        "  flip: {type: image.invert, inputs: {image: img.image}}\n"
        "  save: {type: image.save, inputs: {image: flip.image}, params: {filename_prefix: fuzz/x}}\n"
        "  size: {type: testing.file_size, params: {file: data.txt}}\n"
        "  sink: {type: testing.sink, inputs: {value: size.bytes}}\n");
    ng_fuzz::write_file(gdir / "data.txt", "1234");
    const std::string victim_abs = (victim / "abs").string();
    ng_fuzz::Mutator m(20261130, {"../", "../victim/pwn", victim_abs, "\"a\\0b\"", "\\0", "/dev/zero", "\n",
                                  "\t", ": ", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: *a", "!!binary ",
                                  "~", "99999999999999999999", "-1", "1e308", ".nan", ".inf", "16384",
                                  "\"\\x1b[2J\"", "type: image.save", "inputs: {", "params: {", "editor:",
                                  "noisegraph: 2", "\xff\xfe", "\xc3\x28"});

    const int cases = ng_fuzz::case_count(4000);
    int load_errors = 0, invalid = 0, ran_ok = 0, failed = 0, cancelled = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < cases; ++i) {
      const std::string& seed = seeds[std::size_t(m.below(seeds.size()))];
      const std::string text = m.mutate(seed, 2);
      Graph g;
      try {
        g = load_graph_from_string(text, gdir / "fuzz.yaml");
      } catch (const GraphError&) {
        ++load_errors;
        continue;
      }
      g.source_file = gdir / "fuzz.yaml";
      Executor ex(registry);
      RunOptions o;
      o.output_dir = out;
      o.memory_available = 64ull << 20;  // mutated sizes are refused, not allocated
      const RunResult r = ex.run(g, o);
      if (!r.problems.empty() && r.nodes.empty()) ++invalid;
      else if (r.ok()) ++ran_ok;
      else if (r.status == RunResult::Status::Cancelled) ++cancelled;
      else ++failed;
      QVERIFY2(r.ok() || !r.message.empty(), "a failed run without a message");
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    qInfo("graph fuzz: %d cases in %.1f s: %d refused at load, %d refused by validation, %d ran, %d failed cleanly, "
          "%d cancelled", cases, secs, load_errors, invalid, ran_ok, failed, cancelled);
    QVERIFY(load_errors > 0 && invalid > 0 && ran_ok > 0);  // the mutations reach every stage

    // Nothing outside the output folder: the graph folder holds only what we put there.
    QVERIFY(ng_fuzz::files_under(victim).empty());
    for (const auto& f : ng_fuzz::files_under(root)) {
      const std::string s = f.string();
      const bool inside_out = s.compare(0, out.string().size() + 1, out.string() + "/") == 0;
      QVERIFY2(inside_out || f == gdir / "data.txt", ("file written outside the output folder: " + s).c_str());
    }
  }
};

QTEST_GUILESS_MAIN(FuzzGraph)
#include "test_fuzz_graph.moc"
