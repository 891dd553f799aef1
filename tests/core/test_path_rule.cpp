// The one rule for files a graph may touch: writes stay inside the output folder, reads
// name existing regular files, control characters nowhere; validation says where.
#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/path_rule.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "test_helpers.hpp"

using namespace ng::host;
using namespace ng_test;
namespace fs = std::filesystem;

class TestPathRule : public QObject {
  Q_OBJECT

 private:
  PluginRegistry all_;  // every plugin of the build: the walk covers all registered nodes
  QTemporaryDir tmp_;
  fs::path root_, out_, graph_dir_, outside_;

  PathRoots roots() const {
    PathRoots r;
    r.graph_dir = graph_dir_;
    r.output_dir = out_;
    return r;
  }
  static ng::ParamSpec spec_of(ng::PathRole role) {
    ng::ParamSpec p;
    p.name = "p";
    p.kind = ng::ParamKind::Path;
    p.path_role = role;
    return p;
  }

  // Values that must never be accepted for a written path, with the code each must get.
  std::vector<std::pair<std::string, std::string>> hostile_writes() const {
    return {{(outside_ / "x").string(), "path_absolute"},
            {"/etc/passwd", "path_absolute"},
            {"../x", "path_escapes"},
            {"a/../../x", "path_escapes"},
            {"escape/x", "path_escapes"},  // a symlink in the output folder pointing out
            {std::string("bad\0name", 8), "path_control_char"},
            {"new\nline", "path_control_char"},
            {"esc\x1b[2J", "path_control_char"}};
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    root_ = tmp_.path().toStdString();
    out_ = root_ / "out";
    graph_dir_ = root_ / "graphs";
    outside_ = root_ / "outside";
    fs::create_directories(out_);
    fs::create_directories(graph_dir_ / "folder");
    fs::create_directories(outside_);
    write_text(graph_dir_ / "data.txt", "12345");
    fs::create_symlink(outside_, out_ / "escape");
    fs::create_directories(out_ / "inside");
    fs::create_symlink(out_ / "inside", out_ / "fine");
    QCOMPARE(::mkfifo((graph_dir_ / "fifo").c_str(), 0600), 0);
    all_.load_directory(NG_TEST_PLUGIN_DIR);
    QVERIFY(all_.find("evaluate.classify"));
    QVERIFY(all_.find("image.save"));
  }

  void writes_resolve_inside_the_output_folder() {
    auto w = spec_of(ng::PathRole::WriteFile);
    auto v = check_path_param("report.json", w, roots());
    QVERIFY2(v.ok(), v.message.c_str());
    QCOMPARE(v.resolved, out_ / "report.json");
    QVERIFY(check_path_param("sub/dir/report.json", w, roots()).ok());
    QVERIFY(check_path_param("fine/x.png", w, roots()).ok());  // a symlink that stays inside
    QVERIFY(check_path_param("", w, roots()).ok());            // empty = none
  }

  void writes_refuse_absolute_dotdot_symlinks_out_and_control_characters() {
    auto w = spec_of(ng::PathRole::WriteFile);
    for (const auto& [value, code] : hostile_writes()) {
      auto v = check_path_param(value, w, roots());
      QVERIFY2(!v.ok(), printable(value).c_str());
      QCOMPARE(v.code, code);
      QVERIFY(v.message.find("parameter 'p'") != std::string::npos);
    }
  }

  void reads_resolve_against_the_graph_folder_then_the_model_folders() {
    auto r = spec_of(ng::PathRole::ReadFile);
    auto v = check_path_param("data.txt", r, roots());
    QVERIFY(v.ok());
    QCOMPARE(v.resolved, graph_dir_ / "data.txt");
    PathRoots with_models = roots();
    with_models.model_dirs = {outside_};
    write_text(outside_ / "model.bin", "m");
    v = check_path_param("model.bin", r, with_models);
    QVERIFY(v.ok());
    QCOMPARE(v.resolved, outside_ / "model.bin");
  }

  void reads_refuse_missing_files_fifos_devices_and_folders() {
    auto r = spec_of(ng::PathRole::ReadFile);
    QCOMPARE(check_path_param("missing.safetensors", r, roots()).code, std::string("path_not_found"));
    QCOMPARE(check_path_param("fifo", r, roots()).code, std::string("path_not_regular"));
    QVERIFY(check_path_param("fifo", r, roots()).message.find("FIFO") != std::string::npos);
    QCOMPARE(check_path_param("/dev/zero", r, roots()).code, std::string("path_not_regular"));
    QCOMPARE(check_path_param("folder", r, roots()).code, std::string("path_is_folder"));
    QCOMPARE(check_path_param(std::string("data.txt\0.png", 13), r, roots()).code, std::string("path_control_char"));
    auto f = spec_of(ng::PathRole::ReadFolder);
    QVERIFY(check_path_param("folder", f, roots()).ok());
    QCOMPARE(check_path_param("data.txt", f, roots()).code, std::string("path_not_folder"));
    auto any = spec_of(ng::PathRole::ReadFileOrFolder);
    QVERIFY(check_path_param("folder", any, roots()).ok());
    QVERIFY(check_path_param("data.txt", any, roots()).ok());
    QCOMPARE(check_path_param("/dev/zero", any, roots()).code, std::string("path_not_regular"));
  }

  void confined_reads_stay_under_the_roots() {
    auto r = spec_of(ng::PathRole::ReadFile);
    write_text(outside_ / "secret.txt", "s");
    PathRoots c = roots();
    c.confine_reads = true;
    QVERIFY(check_path_param("data.txt", r, c).ok());
    QCOMPARE(check_path_param("../outside/secret.txt", r, c).code, std::string("path_outside_roots"));
    QCOMPARE(check_path_param((outside_ / "secret.txt").string(), r, c).code, std::string("path_outside_roots"));
    fs::create_symlink(outside_ / "secret.txt", graph_dir_ / "link.txt");
    QCOMPARE(check_path_param("link.txt", r, c).code, std::string("path_outside_roots"));
    c.read_roots = {outside_};
    QVERIFY(check_path_param("../outside/secret.txt", r, c).ok());
  }

  // The repro, generalised: every Path parameter of every registered node refuses
  // every escape (writes) or hostile file (reads), through validate() with a location.
  void every_registered_path_parameter_refuses_escape() {
    int written = 0, read = 0;
    for (const NodeType* t : all_.node_types()) {
      for (const auto& p : t->spec.params()) {
        if (p.kind != ng::ParamKind::Path) continue;
        std::vector<std::pair<std::string, std::string>> cases;
        if (p.writes()) {
          ++written;
          cases = hostile_writes();
        } else {
          ++read;
          cases = {{std::string("a\0b", 3), "path_control_char"}, {"does-not-exist.bin", "path_not_found"}};
          cases.emplace_back("fifo", p.names_folder() ? "path_not_folder" : "path_not_regular");
          if (!p.names_folder()) cases.emplace_back("/dev/zero", "path_not_regular");
        }
        for (const auto& [value, code] : cases) {
          Graph g;
          g.source_file = graph_dir_ / "g.yaml";
          g.add_node(t->spec.id(), t->spec.version(), "n");
          g.set_param("n", p.name, ng::ParamValue(value));
          bool found = false;
          for (const auto& pr : validate(g, all_, roots()))
            if (pr.node == "n" && pr.code == code && pr.message.find("'" + p.name + "'") != std::string::npos)
              found = true;
          QVERIFY2(found, (t->spec.id() + "." + p.name + " accepted '" + printable(value) + "'").c_str());
        }
      }
    }
    qInfo("checked %d written and %d read path parameters", written, read);
    QVERIFY(written >= 3);  // evaluate.classify report, image.save prefix, train outputs
    QVERIFY(read >= 5);
  }

  void validation_locates_the_parameter_in_the_file() {
    const fs::path file = graph_dir_ / "evil.yaml";
    write_text(file,
               "noisegraph: 1\n"
               "nodes:\n"
               "  eval:\n"
               "    type: evaluate.classify\n"
               "    params: {report: ../../evil.json}\n");
    auto problems = validate(load_graph(file), all_, roots());
    const Problem* p = nullptr;
    for (const auto& pr : problems)
      if (pr.code == "path_escapes") p = &pr;
    QVERIFY(p);
    QCOMPARE(p->file, file.string());
    QCOMPARE(p->line, 5);
    QCOMPARE(p->column, 22);
    QCOMPARE(p->node, std::string("eval"));
    QVERIFY(p->message.find("'report'") != std::string::npos);
  }

  // The repro of issue 13 item 1: a run refuses the graph and writes nothing outside.
  void a_graph_cannot_make_classify_write_outside_the_output_folder() {
    const fs::path file = graph_dir_ / "evil-run.yaml";
    const fs::path victim = root_ / "victim.json";
    write_text(victim, "precious");
    write_text(file,
               "noisegraph: 1\n"
               "nodes:\n"
               "  img: {type: image.solid, params: {width: 8, height: 8}}\n"
               "  eval:\n"
               "    type: evaluate.classify\n"
               "    inputs: {images: img.image}\n"
               "    params: {report: " + victim.string() + ", reference: none}\n");
    Executor ex(all_);
    RunOptions o;
    o.output_dir = out_;
    auto r = ex.run(load_graph(file), o);
    QVERIFY(!r.ok());
    QVERIFY(r.nodes.empty());  // refused before anything ran
    QVERIFY2(r.message.find("report") != std::string::npos, r.message.c_str());
    QCOMPARE(read_text(victim), std::string("precious"));
  }

  void validate_reports_a_missing_model_before_a_run() {
    Graph g;
    g.source_file = graph_dir_ / "g.yaml";
    g.add_node("unet.load", all_.find("unet.load")->spec.version(), "m");
    g.set_param("m", "path", ng::ParamValue(std::string("no-such-model.safetensors")));
    auto problems = ng::host::validate(g, all_, roots());
    QCOMPARE(int(problems.size()), 1);
    QCOMPARE(problems[0].code, std::string("path_not_found"));
    QVERIFY(problems[0].message.find("no-such-model.safetensors") != std::string::npos);
  }

  void threads_are_capped() {
    const int cores = std::max(1, int(std::thread::hardware_concurrency()));
    QCOMPARE(clamp_threads(0), std::min(cores, kMaxThreads));
    QCOMPARE(clamp_threads(1), 1);
    QVERIFY(clamp_threads(4096) <= kMaxThreadsPerCore * cores);
    QVERIFY(clamp_threads(4096) <= kMaxThreads);
  }
};

QTEST_GUILESS_MAIN(TestPathRule)
#include "test_path_rule.moc"
