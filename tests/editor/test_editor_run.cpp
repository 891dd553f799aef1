// Running from the editor: the executor works on a worker thread, cards show each node's
// state, a re-run reuses cached results, Cancel stops a long node, failures are shown.
#include <ATen/ATen.h>
#include <QApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QUndoStack>

#include "editor_test_helpers.hpp"
#include "node_item.hpp"
#include "param_editors.hpp"
#include "preview_panel.hpp"
#include "problems_panel.hpp"
#include "run_controller.hpp"

using ng::editor::GraphDocument;
using ng::editor::MainWindow;
using ng::editor::NodeRunState;

namespace {

void build_sum_graph(GraphDocument& doc) {
  doc.add_node("testing.constant", {0, 0});
  doc.add_node("testing.constant", {0, 160});
  doc.add_node("testing.add", {260, 60});
  doc.add_node("testing.sink", {500, 60});
  QVERIFY(doc.connect_ports("constant", "value", "add", "a"));
  QVERIFY(doc.connect_ports("constant_2", "value", "add", "b"));
  QVERIFY(doc.connect_ports("add", "sum", "sink", "value"));
  QVERIFY(doc.set_param("constant", "value", 2.0));
  QVERIFY(doc.set_param("constant_2", "value", 3.0));
}

bool cached_in(const ng::host::RunResult& r, const std::string& node) {
  for (const auto& n : r.nodes)
    if (n.id == node) return n.cached;
  return false;
}

}  // namespace

class EditorRunTest : public QObject {
  Q_OBJECT
  std::unique_ptr<ng::host::PluginRegistry> registry_;
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(tmp_.isValid());
    registry_ = ng_test::testing_registry();
  }

  void running_from_the_editor_writes_the_result_and_marks_nodes_done() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run1"));
    build_sum_graph(*w.document());
    QSignalSpy files(w.runner(), &ng::editor::RunController::file_written);
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->is_running() || w.runner()->wait(0));
    QVERIFY(!w.action("run_run")->isEnabled() || !w.runner()->is_running());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY2(w.runner()->last_result().ok(), w.runner()->last_result().message.c_str());
    QCOMPARE(ng_test::read_text(tmp_.filePath("run1/sink.txt")), std::string("5\n"));
    for (const char* id : {"constant", "constant_2", "add", "sink"})
      QCOMPARE(w.scene()->node_item(id)->run_state(), NodeRunState::Done);
    QCOMPARE(files.count(), 1);
    QVERIFY(w.action("run_run")->isEnabled());
  }

  void rerun_after_one_parameter_change_reuses_cached_nodes() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run2"));
    build_sum_graph(*w.document());
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(w.runner()->last_result().ok());

    QVERIFY(w.document()->set_param("constant_2", "value", 10.0));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    const auto& r = w.runner()->last_result();
    QVERIFY(r.ok());
    QVERIFY(cached_in(r, "constant"));
    QVERIFY(!cached_in(r, "constant_2"));
    QVERIFY(!cached_in(r, "add"));
    QCOMPARE(w.scene()->node_item("constant")->run_state(), NodeRunState::Cached);
    QCOMPARE(w.scene()->node_item("constant_2")->run_state(), NodeRunState::Done);
    QCOMPARE(w.scene()->node_item("add")->run_state(), NodeRunState::Done);
    QCOMPARE(ng_test::read_text(tmp_.filePath("run2/sink.txt")), std::string("12\n"));
  }

  void cancel_stops_a_long_node_within_a_step() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run3"));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.slow", {0, 0});
    doc.add_node("testing.sink", {250, 0});
    QVERIFY(doc.connect_ports("slow", "value", "sink", "value"));
    QVERIFY(doc.set_param("slow", "steps", ng::ParamValue(int64_t{100000})));  // ~17 min if not cancelled
    QVERIFY(doc.set_param("slow", "step_ms", ng::ParamValue(int64_t{10})));
    QVERIFY(w.run_graph());
    QTRY_COMPARE_WITH_TIMEOUT(w.scene()->node_item("slow")->run_state(), NodeRunState::Running, 60000);  // generous: the suites share a busy machine
    QVERIFY(w.action("run_cancel")->isEnabled());
    QElapsedTimer t;
    t.start();
    w.action("run_cancel")->trigger();
    QVERIFY(w.runner()->wait(5000));
    // One step is 10 ms; allow generous slack for a loaded CI machine.
    QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(w.runner()->last_result().status, ng::host::RunResult::Status::Cancelled);
    QCOMPARE(w.scene()->node_item("slow")->run_state(), NodeRunState::Cancelled);
    QVERIFY(!QFile::exists(tmp_.filePath("run3/sink.txt")));
  }

  void failed_node_is_highlighted_with_its_error() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run4"));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.fail", {0, 0});
    doc.add_node("testing.sink", {250, 0});
    QVERIFY(doc.connect_ports("fail", "value", "sink", "value"));
    QVERIFY(doc.set_param("fail", "message", std::string("the lamp is out of oil")));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QCOMPARE(w.runner()->last_result().status, ng::host::RunResult::Status::Failed);
    auto* card = w.scene()->node_item("fail");
    QCOMPARE(card->run_state(), NodeRunState::Failed);
    QVERIFY2(card->error_text().contains("the lamp is out of oil"), qPrintable(card->error_text()));
    QVERIFY(w.problems()->count() >= 1);
    w.problems()->activate(0);
    QCOMPARE(w.scene()->selected_nodes(), std::vector<std::string>{"fail"});
  }

  void graph_with_problems_is_not_run() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run5"));
    w.document()->add_node("testing.sink", {0, 0});  // required input missing
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QCOMPARE(w.runner()->last_result().status, ng::host::RunResult::Status::Failed);
    QVERIFY(!w.runner()->last_result().problems.empty());
    QVERIFY(w.problems()->count() >= 1);
  }

  void seed_modes_apply_after_a_successful_run() {
    MainWindow w(*registry_);
    w.set_output_dir(tmp_.filePath("run6"));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.params", {0, 0});
    doc.add_node("testing.sink", {250, 0});
    QVERIFY(doc.connect_ports("params", "seed", "sink", "value"));
    QVERIFY(doc.set_seed_mode("params", "seed", ng::editor::SeedMode::Increment));
    QCOMPARE(doc.seed_mode("params", "seed"), ng::editor::SeedMode::Increment);
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(w.runner()->last_result().ok());
    QCOMPARE(ng_test::read_text(tmp_.filePath("run6/sink.txt")), std::string("7\n"));  // ran with the old seed
    QCOMPARE(std::get<uint64_t>(doc.params("params").at("seed")), uint64_t(8));
    // The mode is saved with the graph, in the editor section.
    QVERIFY(doc.save_as(tmp_.filePath("seeded.yaml")));
    QVERIFY(ng_test::read_text(tmp_.filePath("seeded.yaml")).find("params.seed: increment") != std::string::npos);
    // Random: a new seed each run.
    QVERIFY(doc.set_seed_mode("params", "seed", ng::editor::SeedMode::Random));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(std::get<uint64_t>(doc.params("params").at("seed")) != 8);
  }

  void live_preview_shows_the_image_being_made() {
    // A host-side node that behaves like a sampler: three steps, each with an x0 preview
    // whose brightness is step/3, the last one also written as a PNG.
    ng::host::PluginRegistry registry;
    ng::NodeSpec spec("builtin.previewer", {1, 0});
    spec.display("Previewer").category("testing").output_node().output("image", ng::type::Image);
    spec.run([](ng::NodeCall& call) {
      for (int step = 1; step <= 3; ++step)
        call.context().report_step(step, 3, at::full({2, 3, 6, 10}, step / 3.0, at::kFloat));
      QImage out(10, 6, QImage::Format_RGB32);
      out.fill(Qt::white);
      const auto file = call.context().output_dir() / "previewer.png";
      out.save(QString::fromStdString(file.string()));
      call.context().report_file(file);
      call.set("image", at::zeros({1, 3, 6, 10}));
    });
    QVERIFY(registry.add_builtin(std::move(spec)));
    MainWindow w(registry);
    w.set_output_dir(tmp_.filePath("run7"));
    QVERIFY(!w.document()->add_node("builtin.previewer", {0, 0}).empty());
    QSignalSpy previews(w.runner(), &ng::editor::RunController::preview);
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(w.runner()->last_result().ok());
    QVERIFY(previews.count() >= 1);  // thinned to ~10/s, but the last step always comes
    const QImage last = previews.last().at(1).value<QImage>();
    QCOMPARE(previews.last().at(2).toInt(), 3);
    // A batch of two 10x6 images side by side with a 2 px gap, fully white at step 3/3.
    QCOMPARE(last.size(), QSize(22, 6));
    QCOMPARE(last.pixel(0, 0), qRgb(255, 255, 255));
    QCOMPARE(last.pixel(21, 5), qRgb(255, 255, 255));
    // The written file ends up in the result strip and the large view.
    QCOMPARE(w.preview()->outputs(), QStringList{tmp_.filePath("run7/previewer.png")});
    QCOMPARE(w.preview()->current_image().size(), QSize(10, 6));
    QVERIFY(w.preview()->save_current(tmp_.filePath("copy.png")));
    QCOMPARE(QImage(tmp_.filePath("copy.png")).size(), QSize(10, 6));
  }
};

QTEST_MAIN(EditorRunTest)
#include "test_editor_run.moc"
