// Broken plugins are reported with a reason and skipped; everything else keeps working.
#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plugin_probe.hpp>
#include <noisegraph/host/plugin_registry.hpp>

#include <csignal>

#include <cstdlib>

#include "test_helpers.hpp"

using namespace ng::host;
namespace fs = std::filesystem;

class TestPluginRegistry : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir cache_;
  PluginRegistry bad_;  // loaded from the fixture folder

  std::string failure_for(const std::string& file_name) const {
    for (const auto& f : bad_.failures())
      if (f.file.filename() == file_name) return f.reason;
    return {};
  }
  bool loaded(const PluginRegistry& r, const std::string& name) const {
    for (const auto& p : r.plugins())
      if (p.name == name) return true;
    return false;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(cache_.isValid());
    qputenv("XDG_CACHE_HOME", cache_.path().toUtf8());  // probe verdicts of this test only
    QVERIFY2(!find_probe_program().empty(), "noisegraph-plugin-probe is not built");
    bad_.load_directory(NG_BAD_PLUGIN_DIR);
    for (const auto& f : bad_.failures()) qDebug("%s: %s", f.file.c_str(), f.reason.c_str());
  }

  void good_plugins_load_next_to_broken_ones() {
    QVERIFY(loaded(bad_, "fixture_good"));
    QVERIFY(bad_.find("fixture_good.node"));
    PluginRegistry r;
    r.load_directory(NG_BAD_PLUGIN_DIR);
    r.load_directory(NG_TEST_PLUGIN_DIR);
    QVERIFY(r.find("testing.add"));
    QVERIFY(r.find("fixture_good.node"));
  }

  void a_text_file_named_so_is_not_a_library() {
    QVERIFY(failure_for("bad.so").find("not a loadable shared library") == 0);
  }

  void a_library_without_entry_points_is_not_a_plugin() {
    QVERIFY(failure_for("fixture_nosymbols.so").find("does not export 'noisegraph_plugin_info'") != std::string::npos);
  }

  void a_wrong_abi_is_refused_before_anything_else_is_called() {
    // Its register function aborts the process: reaching this line proves it was not called.
    const std::string why = failure_for("fixture_wrongabi.so");
    QVERIFY(why.find("ABI 999") != std::string::npos);
    QVERIFY(why.find("rebuild") != std::string::npos);
    QVERIFY(!loaded(bad_, "fixture_wrongabi"));
  }

  void a_different_libtorch_version_is_refused() {
    QVERIFY(failure_for("fixture_oldtorch.so").find("LibTorch 0.0.1") != std::string::npos);
    QVERIFY(!loaded(bad_, "fixture_oldtorch"));
  }

  void a_throwing_register_function_is_reported_and_its_nodes_dropped() {
    QVERIFY(failure_for("fixture_throwing.so").find("fixture_throwing refuses to register") != std::string::npos);
    QVERIFY(!bad_.find("fixture_throwing.node"));
    QVERIFY(!loaded(bad_, "fixture_throwing"));
  }

  void duplicate_foreign_and_incomplete_node_types_are_skipped_one_by_one() {
    QVERIFY(bad_.find("fixture_duplicate.node"));
    QVERIFY(bad_.find("fixture_duplicate.good"));
    QVERIFY(!bad_.find("elsewhere.node"));
    QVERIFY(!bad_.find("fixture_duplicate.no_run"));
    int dup = 0, prefix = 0, no_run = 0;
    for (const auto& f : bad_.failures()) {
      if (f.file.filename() != "fixture_duplicate.so") continue;
      dup += f.reason.find("'fixture_duplicate.node' skipped: is already registered") != std::string::npos;
      prefix += f.reason.find("'elsewhere.node' skipped: id must start with 'fixture_duplicate.'") != std::string::npos;
      no_run += f.reason.find("has no run function") != std::string::npos;
    }
    QCOMPARE(dup, 1);
    QCOMPARE(prefix, 1);
    QCOMPARE(no_run, 1);
    for (const auto& p : bad_.plugins())
      if (p.name == "fixture_duplicate") QCOMPARE(p.node_count, std::size_t(2));
  }

  void a_second_copy_of_a_plugin_is_skipped() {
    QVERIFY(failure_for("fixture_good_copy.so").find("already loaded") != std::string::npos);
  }

  // Issue 13, item 2: each of these killed every command, `noisegraph plugins` included.
  void a_plugin_whose_constructor_aborts_is_reported_with_the_signal() {
    const std::string why = failure_for("fixture_abort.so");
    QVERIFY2(why.find("SIGABRT") != std::string::npos, why.c_str());
    QVERIFY(why.find("not loaded") != std::string::npos);
    QVERIFY(!loaded(bad_, "fixture_abort"));
  }

  void a_plugin_whose_info_symbol_is_data_is_reported_with_the_signal() {
    const std::string why = failure_for("fixture_datainfo.so");
    QVERIFY2(why.find("SIGSEGV") != std::string::npos, why.c_str());
  }

  void a_truncated_plugin_cannot_take_the_host_down() {
    QTemporaryDir dir;
    const fs::path good = fs::path(NG_BAD_PLUGIN_DIR) / "fixture_good.so";
    const auto size = fs::file_size(good);
    // Cut at several places: where the cut leaves the loaded segments short, mapping runs
    // beyond the end of the file and the first touch is SIGBUS (the repro); a cut
    // in the debug sections at the end loads as before.
    for (int percent : {2, 5, 15, 30}) {
      const fs::path cut = fs::path(dir.path().toStdString()) / ("cut" + std::to_string(percent) + ".so");
      fs::copy_file(good, cut);
      fs::resize_file(cut, size * uintmax_t(percent) / 100);
    }
    fs::copy_file(fs::path(NG_TEST_PLUGIN_DIR) / "testing.so", fs::path(dir.path().toStdString()) / "testing.so");
    PluginRegistry r;
    r.load_directory(dir.path().toStdString());
    QVERIFY(loaded(r, "testing"));  // the good one next to them still loads
    int bus_errors = 0;
    for (const auto& f : r.failures()) {
      qDebug("%s: %s", f.file.filename().c_str(), f.reason.c_str());
      bus_errors += f.reason.find("SIGBUS") != std::string::npos;
    }
    QVERIFY(bus_errors >= 1);
  }

  void probe_verdicts_are_cached_per_file_and_redone_when_it_changes() {
    QTemporaryDir dir;
    const fs::path copy = fs::path(dir.path().toStdString()) / "abort.so";
    fs::copy_file(fs::path(NG_BAD_PLUGIN_DIR) / "fixture_abort.so", copy);
    ProbeOptions o;
    o.cache_file = fs::path(dir.path().toStdString()) / "cache.tsv";
    auto first = probe_plugins({copy}, o).front();
    QCOMPARE(int(first.kind), int(ProbeVerdict::Kind::Crashed));
    QCOMPARE(first.signal, SIGABRT);
    QVERIFY(!first.from_cache);
    auto second = probe_plugins({copy}, o).front();
    QVERIFY(second.from_cache);
    QCOMPARE(second.signal, SIGABRT);
    // The same name with other contents (a fixed build) is probed again.
    fs::copy_file(fs::path(NG_BAD_PLUGIN_DIR) / "fixture_good.so", copy, fs::copy_options::overwrite_existing);
    auto third = probe_plugins({copy}, o).front();
    QVERIFY(!third.from_cache);
    QCOMPARE(int(third.kind), int(ProbeVerdict::Kind::Passed));
  }

  void a_run_works_next_to_crashing_plugins() {
    PluginRegistry r;
    r.load_directory(NG_BAD_PLUGIN_DIR);
    r.load_directory(NG_TEST_PLUGIN_DIR);
    Executor ex(r);
    QTemporaryDir out;
    RunOptions o;
    o.output_dir = out.path().toStdString();
    auto result = ex.run(load_graph(ng_test::graph_file("sum.yaml")), o);
    QVERIFY2(result.ok(), result.message.c_str());
  }

  void missing_folders_and_files_are_reported() {
    PluginRegistry r;
    QCOMPARE(r.load_directory("/nonexistent/plugins"), std::size_t(0));
    QVERIFY(!r.load_file("/nonexistent/x.so"));
    QCOMPARE(r.failures().size(), std::size_t(2));
  }

  void builtin_node_types_follow_the_same_rules() {
    PluginRegistry r;
    ng::NodeSpec ok("builtin.one", {1, 0});
    ok.output("v", ng::type::Float).run([](ng::NodeCall& c) { c.set("v", 1.0); });
    QVERIFY(r.add_builtin(ok));
    QVERIFY(!r.add_builtin(ok));  // duplicate
    ng::NodeSpec bad_enum("builtin.two", {1, 0});
    bad_enum.enum_param("mode", {"a", "b"}, "a").run([](ng::NodeCall&) {});
    QVERIFY(r.add_builtin(bad_enum));
    ng::NodeSpec out_of_range("builtin.three", {1, 0});
    out_of_range.param("n", 0).range(1, 5).run([](ng::NodeCall&) {});
    QVERIFY(!r.add_builtin(out_of_range));
    QCOMPARE(r.node_type_ids(), (std::vector<std::string>{"builtin.one", "builtin.two"}));
    QCOMPARE(r.find("builtin.one")->plugin, std::string("builtin"));
  }

  void search_path_prefers_explicit_then_environment_then_build_folder() {
    QTemporaryDir a, b;
    qputenv("NOISEGRAPH_PLUGIN_PATH", (b.path() + ":/nonexistent").toUtf8());
    auto dirs = PluginRegistry::default_search_path({a.path().toStdString()});
    qunsetenv("NOISEGRAPH_PLUGIN_PATH");
    QCOMPARE(dirs.size(), std::size_t(3));
    QCOMPARE(dirs[0], fs::path(a.path().toStdString()));
    QCOMPARE(dirs[1], fs::path(b.path().toStdString()));
    QCOMPARE(dirs[2], fs::path(NG_TEST_PLUGIN_DIR));  // not installed: the build tree's plugins
  }

  void a_folder_named_twice_is_searched_and_loaded_once() {
    QTemporaryDir a;
    const std::string same = a.path().toStdString() + "/.";  // another spelling of a
    qputenv("NOISEGRAPH_PLUGIN_PATH", (a.path() + ":" + QString(NG_TEST_PLUGIN_DIR)).toUtf8());
    auto dirs = PluginRegistry::default_search_path({a.path().toStdString(), same, NG_TEST_PLUGIN_DIR});
    qunsetenv("NOISEGRAPH_PLUGIN_PATH");
    QCOMPARE(dirs.size(), std::size_t(2));
    QCOMPARE(dirs[0], fs::path(a.path().toStdString()));
    QCOMPARE(dirs[1], fs::path(NG_TEST_PLUGIN_DIR));

    PluginRegistry r;
    r.load_default({NG_TEST_PLUGIN_DIR});
    for (const auto& f : r.failures())
      QVERIFY2(f.reason.find("already registered") == std::string::npos, f.reason.c_str());
  }
};

QTEST_GUILESS_MAIN(TestPluginRegistry)
#include "test_plugin_registry.moc"
