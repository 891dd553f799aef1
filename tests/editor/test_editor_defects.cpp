// The editor defects seen by a new user in a real window (issue 15), one test each: what
// the user did, and what the window must show afterwards.
#include <ATen/ATen.h>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QToolButton>
#include <QUndoStack>

#include <cmath>

#include "editor_test_helpers.hpp"
#include "file_chooser.hpp"
#include "image_view.hpp"
#include "inspector.hpp"
#include "latent_preview.hpp"
#include "node_item.hpp"
#include "noisegraph/host/executor.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "param_editors.hpp"
#include "preview_panel.hpp"
#include "problems_panel.hpp"
#include "run_controller.hpp"
#include "tensor_image.hpp"
#include "theme.hpp"

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
}

QString run_status(const MainWindow& w) { return w.findChild<QLabel*>("run_status")->text(); }
QString log_text(const MainWindow& w) { return w.findChild<QPlainTextEdit*>("log")->toPlainText(); }

/// Pearson correlation of two tensors' values.
double correlation(at::Tensor a, at::Tensor b) {
  a = a.flatten().to(at::kDouble);
  b = b.flatten().to(at::kDouble);
  a = a - a.mean();
  b = b - b.mean();
  return (a * b).sum().item<double>() / std::sqrt((a * a).sum().item<double>() * (b * b).sum().item<double>());
}

/// A grey 28x28 PNG as an IMAGE [1,1,32,32] centred with a 2-pixel border, as the
/// Fashion-MNIST models see it.
at::Tensor fashion_image(const QString& path) {
  const QImage grey = QImage(path).convertToFormat(QImage::Format_Grayscale8);
  at::Tensor t = at::zeros({1, 1, 32, 32});
  for (int y = 0; y < grey.height() && y < 28; ++y)
    for (int x = 0; x < grey.width() && x < 28; ++x) t[0][0][y + 2][x + 2] = grey.constScanLine(y)[x] / 255.0f;
  return t;
}

}  // namespace

class EditorDefectsTest : public QObject {
  Q_OBJECT
  std::unique_ptr<ng::host::PluginRegistry> registry_;
  QTemporaryDir tmp_;

  QString path(const QString& name) const { return tmp_.filePath(name); }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(tmp_.isValid());
    registry_ = ng_test::testing_registry();
    // The window as users see it (the red field of defect 6 depends on the style sheet).
    ng::editor::apply_dark_theme(*qApp);
  }

  // 1. A graph opened from an output PNG, saved as YAML elsewhere, keeps paths that work.
  void png_graph_saved_elsewhere_keeps_model_paths_working() {
    // What image.save embeds for graphs/generate.yaml: paths relative to graphs/, a folder
    // the PNG (written to the output folder) knows nothing about.
    const QString models = QString::fromStdString(ng::host::default_model_search_path().front().string());
    QVERIFY(QFileInfo::exists(models + "/fmnist-vae.safetensors"));
    QDir().mkpath(path("pictures"));
    ng_test::write_text(path("pictures/input.txt"), "next to the image\n");
    const std::string yaml =
        "noisegraph: 1\nnodes:\n"
        "  model: {type: testing.params, params: {file: ../models/fmnist-vae.safetensors}}\n"
        "  bare: {type: testing.params, params: {file: fmnist-vae.safetensors}}\n"
        "  beside: {type: testing.params, params: {file: input.txt}}\n"
        "  sink: {type: testing.sink, inputs: {value: model.number}}\n";
    QImage image(8, 8, QImage::Format_RGB32);
    image.fill(Qt::gray);
    image.setText("noisegraph", QString::fromStdString(yaml));
    QVERIFY(image.save(path("pictures/generate_00001.png")));

    MainWindow w(*registry_);
    QString error;
    QVERIFY2(w.open_file(path("pictures/generate_00001.png"), &error, false), qPrintable(error));
    QDir().mkpath(path("elsewhere/deeper"));
    QVERIFY2(w.document()->save_as(path("elsewhere/deeper/graph.yaml"), &error), qPrintable(error));
    auto file_of = [&](const char* node) { return w.document()->graph().find(node)->params.at("file").text; };
    // Not rewritten into the image's folder ("../../pictures/../models/..."): still found
    // in the model folders, as when the graph ran.
    QCOMPARE(file_of("model"), std::string("../models/fmnist-vae.safetensors"));
    QCOMPARE(file_of("bare"), std::string("fmnist-vae.safetensors"));
    // A file that was next to the image (where the untitled graph's runs looked) is still named.
    QCOMPARE(file_of("beside"), std::string("../../pictures/input.txt"));
    const std::string saved = ng_test::read_text(path("elsewhere/deeper/graph.yaml"));
    QVERIFY2(saved.find("pictures/../") == std::string::npos && saved.find("../models/fmnist-vae") != std::string::npos,
             saved.c_str());
    // What a run resolves (ng::Context::resolve: the graph's folder, then the model folders).
    for (const char* node : {"model", "bare"}) {
      const std::filesystem::path p = file_of(node);
      bool found = std::filesystem::exists(std::filesystem::path(w.document()->graph_dir().toStdString()) / p);
      for (const auto& dir : ng::host::default_model_search_path()) found = found || std::filesystem::exists(dir / p);
      QVERIFY2(found, node);
    }
    // Saved again into yet another folder: the model paths still stay (now a graph file).
    QDir().mkpath(path("third"));
    QVERIFY(w.document()->save_as(path("third/graph.yaml"), &error));
    QCOMPARE(file_of("model"), std::string("../models/fmnist-vae.safetensors"));
    QCOMPARE(file_of("beside"), std::string("../pictures/input.txt"));
  }

  // 2. New / Open start with an empty Result panel and toolbar status.
  void new_and_open_forget_the_previous_run() {
    MainWindow w(*registry_);
    w.set_output_dir(path("run2"));
    build_sum_graph(*w.document());
    QVERIFY(w.document()->save_as(path("sum2.yaml")));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    // testing.sink writes a text file, not an image: show something in the panel too.
    w.preview()->show_live(QImage(4, 4, QImage::Format_RGB32), "sink · step 1/1");
    QVERIFY(run_status(w).startsWith("done"));
    QVERIFY(!w.preview()->current_image().isNull());
    w.scene()->node_item("sink")->set_note("what the node said in the run");

    // Opening a graph with the same nodes: the cards are reused, the run's marks are not.
    QVERIFY(w.open_file(path("sum2.yaml"), nullptr, false));
    QCOMPARE(run_status(w), QString());
    QVERIFY(w.preview()->current_image().isNull());
    QVERIFY(w.scene()->node_item("sink")->note().isEmpty());
    QCOMPARE(w.scene()->node_item("sink")->run_state(), NodeRunState::Idle);
    w.preview()->show_live(QImage(4, 4, QImage::Format_RGB32), "sink · step 1/1");

    w.action("file_new")->trigger();
    QCOMPARE(run_status(w), QString());
    QVERIFY(w.preview()->current_image().isNull());
    QVERIFY(w.preview()->outputs().isEmpty());
    QVERIFY(w.preview()->caption().startsWith("No results yet"));

    QVERIFY(w.run_graph());  // the empty graph fails ...
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(!run_status(w).isEmpty());
    QVERIFY(w.open_file(path("sum2.yaml"), nullptr, false));  // ... and Open forgets that too
    QCOMPARE(run_status(w), QString());
    QCOMPARE(w.problems()->count(), 0);
  }

  // 3. A graph without an output node: the problem is named before and after Run.
  void graph_without_output_node_says_why_it_cannot_run() {
    MainWindow w(*registry_);
    QCOMPARE(w.problems()->count(), 0);
    QVERIFY2(!w.problems()->empty_text().contains("can run"), qPrintable(w.problems()->empty_text()));
    QVERIFY(w.problems()->graph_empty());
    w.document()->add_node("testing.constant", {0, 0});
    QCOMPARE(w.problems()->count(), 1);
    QCOMPARE(w.document()->problems().back().code, std::string("no_output_node"));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY2(run_status(w).contains("no output node"), qPrintable(run_status(w)));
    // Adding an output node makes it runnable.
    w.document()->add_node("testing.sink", {200, 0});
    QVERIFY(w.document()->connect_ports("constant", "value", "sink", "value"));
    QCOMPARE(w.problems()->count(), 0);
    QVERIFY(w.problems()->empty_text().contains("can run"));
  }

  // 4. A run error leaves the problems once the graph is edited.
  void run_error_is_cleared_by_an_edit() {
    MainWindow w(*registry_);
    w.set_output_dir(path("run4"));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.fail", {0, 0});
    doc.add_node("testing.sink", {250, 0});
    doc.add_node("testing.constant", {0, 200});
    QVERIFY(doc.connect_ports("fail", "value", "sink", "value"));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QCOMPARE(w.problems()->count(), 1);
    QVERIFY(w.problems()->has_run_error());
    QCOMPARE(w.scene()->node_item("fail")->run_state(), NodeRunState::Failed);
    // Moving a card, or editing a node the failed one does not depend on, changes
    // nothing about the failure: the error stays.
    QVERIFY(doc.move_nodes({{"sink", QPointF(300, 40)}}));
    QVERIFY(doc.set_param("constant", "value", 4.0));
    QVERIFY(w.problems()->has_run_error());
    // Editing the failed node itself: the error no longer describes it.
    QVERIFY(doc.set_param("fail", "message", std::string("still broken")));
    QVERIFY(!w.problems()->has_run_error());
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(w.problems()->has_run_error());
    // The fix: feed the sink from the constant instead (nothing runs the failing node).
    QVERIFY(doc.connect_ports("constant", "value", "sink", "value"));
    QVERIFY(!w.problems()->has_run_error());
    QCOMPARE(w.problems()->count(), 0);
    QCOMPARE(w.scene()->node_item("fail")->run_state(), NodeRunState::Idle);
    QVERIFY(w.scene()->node_item("fail")->error_text().isEmpty());
  }

  // 5. A typed value beyond the range is clamped, and the field says so.
  void out_of_range_typing_is_clamped_with_a_notice() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.document()->add_node("testing.params", {0, 0});
    w.scene()->select_nodes({"params"});
    ng::editor::ParamEditor* editor = w.inspector()->editor_for("count");
    auto* box = editor->findChild<QSpinBox*>();
    box->setFocus();
    box->selectAll();
    QTest::keyClicks(box, "50");  // limit 10: Qt alone refused the "0" and gave 5
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), 10);
    QCOMPARE(w.document()->graph().find("params")->params.at("count").text, std::string("10"));
    QVERIFY2(editor->notice().contains("50") && editor->notice().contains("maximum"), qPrintable(editor->notice()));
    QVERIFY2(w.statusBar()->currentMessage().contains("50"), qPrintable(w.statusBar()->currentMessage()));
    // Typed again, the same bound: still said (the value did not change this time).
    editor->set_notice({});
    box->selectAll();
    QTest::keyClicks(box, "99");
    QTest::keyClick(box, Qt::Key_Return);
    QVERIFY(editor->notice().contains("99"));
    // A value in range clears the note; so does undo.
    box->selectAll();
    QTest::keyClicks(box, "4");
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), 4);
    QVERIFY(editor->notice().isEmpty());
    box->selectAll();
    QTest::keyClicks(box, "0");  // below the minimum 1
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(box->value(), 1);
    QVERIFY(editor->notice().contains("minimum"));
    w.document()->undo_stack()->undo();  // (consecutive edits of one field are one step)
    QVERIFY(box->value() != 1);
    QVERIFY(editor->notice().isEmpty());
  }

  // 6. Reset clears the red field at once (the invalid value came from the file).
  void reset_clears_the_red_field() {
    ng_test::write_text(path("bad.yaml"), "noisegraph: 1\nnodes:\n  params: {type: testing.params, params: {count: 50}}\n"
                                          "  sink: {type: testing.sink, inputs: {value: params.seed}}\n");
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.open_file(path("bad.yaml"), nullptr, false));
    w.scene()->select_nodes({"params"});
    QApplication::processEvents();
    ng::editor::ParamEditor* editor = w.inspector()->editor_for("count");
    auto* box = editor->findChild<QSpinBox*>();
    auto base_colour = [&] {
      QApplication::processEvents();
      const QImage shot = box->grab().toImage();
      return QColor(shot.pixel(shot.width() / 4, shot.height() / 2));  // inside the text area, left of the digits
    };
    const QColor red = base_colour();
    QVERIFY2(red.red() > red.green() + 20, qPrintable(red.name()));  // shown red with the file's value
    auto* reset = editor->parentWidget()->findChild<QToolButton*>();
    QVERIFY(reset && reset->isVisible());
    reset->click();
    QCOMPARE(box->value(), 3);
    QVERIFY(editor->error().isEmpty());
    const QColor after = base_colour();
    QVERIFY2(std::abs(after.red() - after.green()) < 12, qPrintable(after.name()));  // grey again, not red
    QCOMPARE(w.inspector()->node(), std::string("params"));  // without selecting another node
  }

  // 7. In a tall inspector the prompt's label stays beside its text box.
  void prompt_label_stays_beside_its_box_in_a_tall_inspector() {
    ng::host::PluginRegistry registry;
    ng::NodeSpec spec("builtin.prompt", {1, 0});
    // Like prompt.encode: a wrapped description, an input, then the text box.
    spec.display("Prompt")
        .category("testing")
        .describe("Turns a prompt into a number. Words it does not know are skipped and listed in a warning; the "
                  "empty prompt is the unconditional one.")
        .input("scale", ng::type::Float)
        .output("value", ng::type::Float)
        .text_param("text", "a coat");
    spec.run([](ng::NodeCall& call) { call.set("value", 1.0); });
    QVERIFY(registry.add_builtin(std::move(spec)));
    MainWindow w(registry);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.document()->add_node("builtin.prompt", {0, 0});
    w.scene()->select_nodes({"prompt"});
    QApplication::processEvents();
    // Closing the Result panel gives the inspector the whole height.
    w.findChild<QDockWidget*>("dock_preview")->close();
    QApplication::processEvents();
    ng::editor::Inspector& inspector = *w.inspector();
    QVERIFY(inspector.height() > 600);
    auto* box = inspector.editor_for("text")->findChild<QPlainTextEdit*>();
    QLabel* label = nullptr;
    for (auto* l : inspector.findChildren<QLabel*>())
      if (l->text() == "text" && l->isVisible()) label = l;
    QVERIFY(box && label);
    const int box_top = box->mapTo(&inspector, QPoint(0, 0)).y();
    const int label_top = label->mapTo(&inspector, QPoint(0, 0)).y();
    QVERIFY2(std::abs(box_top - label_top) < 12, qPrintable(QString("label %1, box %2").arg(label_top).arg(box_top)));
  }

  // 8. Cards are titled by node id (two samplers of one type differ), the type below.
  void cards_are_titled_by_node_id() {
    MainWindow w(*registry_);
    w.document()->add_node("testing.add", {0, 0});
    w.document()->add_node("testing.add", {0, 200});
    auto* a = w.scene()->node_item("add");
    auto* b = w.scene()->node_item("add_2");
    QCOMPARE(a->title(), QString("add"));
    QCOMPARE(b->title(), QString("add_2"));
    QCOMPARE(a->subtitle(), b->subtitle());  // the type's display name, smaller
    QVERIFY(a->subtitle() != a->title());
    QVERIFY(w.document()->rename_node("add_2", "second_sum"));
    QCOMPARE(w.scene()->node_item("second_sum")->title(), QString("second_sum"));
  }

  // 9. The log tells how each run ended and which files it wrote.
  void log_shows_outcome_and_output_paths() {
    MainWindow w(*registry_);
    w.set_output_dir(path("run9"));
    build_sum_graph(*w.document());
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QString log = log_text(w);
    QVERIFY2(log.contains("sink wrote " + QDir::toNativeSeparators(path("run9/sink.txt"))), qPrintable(log));
    QVERIFY2(log.contains("— done in") && log.contains("1 file(s) written"), qPrintable(log));

    GraphDocument& doc = *w.document();
    doc.add_node("testing.fail", {0, 300});
    QVERIFY(doc.connect_ports("fail", "value", "sink", "value"));
    QVERIFY(doc.set_param("fail", "message", std::string("no more oil")));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    log = log_text(w);
    QVERIFY2(log.contains("— failed in fail after") && log.contains("no more oil"), qPrintable(log));

    QVERIFY(doc.remove({"fail"}));
    doc.add_node("testing.slow", {0, 300});
    QVERIFY(doc.connect_ports("slow", "value", "sink", "value"));
    QVERIFY(doc.set_param("slow", "steps", ng::ParamValue(int64_t{100000})));
    QVERIFY(w.run_graph());
    QTRY_COMPARE_WITH_TIMEOUT(w.scene()->node_item("slow")->run_state(), NodeRunState::Running, 60000);  // generous: the suites share a busy machine
    w.action("run_cancel")->trigger();
    QVERIFY(w.runner()->wait(10000));
    QVERIFY2(log_text(w).contains("— cancelled after"), qPrintable(log_text(w)));
  }

  // 10. Result panel: whole file name, confirmation of Save As, Fit enlarges, batch grid.
  void result_panel_names_saves_fits_and_grids() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    ng::editor::PreviewPanel* panel = w.preview();
    const QString long_name = path("a_rather_long_output_prefix_for_the_result_00042.png");
    QImage small(40, 30, QImage::Format_RGB32);
    small.fill(Qt::white);
    QVERIFY(small.save(long_name));
    panel->add_output(long_name);
    QVERIFY2(panel->caption().contains("a_rather_long_output_prefix_for_the_result_00042.png"), qPrintable(panel->caption()));
    // Narrow panel: elided in the middle, the number kept; the tooltip has it all.
    auto* caption = panel->findChild<ng::editor::ElidedLabel*>("result_caption");
    caption->resize(120, caption->height());
    QVERIFY(caption->text().contains(QChar(0x2026)) && caption->text().endsWith("×30"));
    QVERIFY(caption->toolTip().contains("00042.png"));

    // Fit enlarges a small image to the view (whole-number zoom from 2x up).
    panel->view()->resize(300, 300);
    panel->fit_button()->click();
    QVERIFY2(panel->view()->zoom() >= 2.0, qPrintable(QString::number(panel->view()->zoom())));
    panel->view()->set_image(QImage(200, 150, QImage::Format_RGB32));
    panel->fit_button()->click();
    QVERIFY2(panel->view()->zoom() > 1.2, qPrintable(QString::number(panel->view()->zoom())));

    // Save As says where the file went.
    QVERIFY(panel->saved_note().isEmpty());
    panel->add_output(long_name);
    QVERIFY(panel->save_current(path("kept.png")));
    QVERIFY(panel->saved_note().contains("kept.png"));
    QVERIFY2(w.statusBar()->currentMessage().contains(QDir::toNativeSeparators(path("kept.png"))),
             qPrintable(w.statusBar()->currentMessage()));

    // A batch of 64 previews is an 8x8 grid, not a 64-wide strip.
    const QImage grid = ng::editor::tensor_to_image(at::ones({64, 1, 8, 8}));
    QCOMPARE(grid.width(), grid.height());
    QCOMPARE(grid.width(), 8 * 8 + 7 * 2);
    QCOMPARE(ng::editor::grid_columns(3), int64_t(2));
    QCOMPARE(ng::editor::grid_columns(10), int64_t(4));
  }

  // 11. Ctrl+Shift+S is Save As.
  void ctrl_shift_s_saves_as() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.action("file_save_as")->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    build_sum_graph(*w.document());
    QVERIFY(w.document()->save_as(path("first.yaml")));
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    // Answer the chooser as a user typing a name would, without a modal dialog to wait for.
    int asked = 0;
    ng::editor::set_path_chooser([&](QWidget*, const ng::editor::PathRequest& r) {
      ++asked;
      return r.kind == ng::editor::PathChoice::SaveFile ? path("second") : QString();
    });
    QTest::keyClick(&w, Qt::Key_S, Qt::ControlModifier | Qt::ShiftModifier);
    ng::editor::set_path_chooser({});
    QCOMPARE(asked, 1);
    QCOMPARE(w.document()->file_path(), path("second.yaml"));  // ".yaml" added to a bare name
    QVERIFY(QFileInfo::exists(path("second.yaml")));
  }

  // 12. Latent previews are approximate pictures, not false-colour channel blocks.
  void latent_previews_approximate_the_decoded_image() {
    // Which model a sampler uses, from the loader upstream of it.
    const auto g = ng::host::load_graph_from_string(
        "noisegraph: 1\nnodes:\n"
        "  unet: {type: unet.load, params: {path: m.safetensors}}\n"
        "  sd: {type: checkpoint.load, params: {path: sd.safetensors}}\n"
        "  a: {type: sample.ksampler, inputs: {model: unet.model}}\n"
        "  b: {type: sample.ksampler, inputs: {model: sd.model}}\n"
        "  c: {type: testing.constant}\n",
        "<test>");
    QCOMPARE(ng::editor::model_family(g, "a"), ng::editor::ModelFamily::NoiseGraph);
    QCOMPARE(ng::editor::model_family(g, "b"), ng::editor::ModelFamily::StableDiffusion);
    QCOMPARE(ng::editor::model_family(g, "c"), ng::editor::ModelFamily::Unknown);

    // Fashion-MNIST latents: compare with the real decoder on the shipped example images
    // (which the fit never saw).
    const std::filesystem::path source(NG_TEST_SOURCE_DIR);
    auto vae = ng::nn::load_autoencoder(source / "models" / "fmnist-vae.safetensors");
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> images;
    for (const char* name : {"shirt.png", "sneaker.png", "bag.png"})
      images.push_back(fashion_image(QString::fromStdString((source / "graphs" / "examples" / name).string())));
    const at::Tensor latent = vae->encode(at::cat(images));
    const at::Tensor decoded = vae->decode(latent);
    const at::Tensor preview = ng::editor::preview_image(latent, ng::editor::ModelFamily::NoiseGraph);
    QVERIFY(preview.sizes() == decoded.sizes());  // [3,1,32,32]: the image's own size, grey
    const double r = correlation(preview, decoded.clamp(0, 1));
    QVERIFY2(r > 0.8, qPrintable(QString::number(r)));  // measured 0.875 on 1,000 test images
    // Averaging the channels (the obvious shortcut) gives a negative: why the map is fitted.
    QVERIFY(correlation(latent.mean(1, true), at::avg_pool2d(decoded, 4)) < 0);

    // Stable Diffusion: the published 4x3 factors, one RGB pixel per latent pixel, about
    // [-1,1] mapped to [0,1]. A latent that is 1 in channel 0 gives its row of the table.
    at::Tensor sd = at::zeros({1, 4, 2, 3});
    sd.select(1, 0).fill_(1.0);
    const at::Tensor rgb = ng::editor::preview_image(sd, ng::editor::ModelFamily::StableDiffusion);
    QVERIFY(rgb.sizes().vec() == (std::vector<int64_t>{1, 3, 2, 3}));
    QVERIFY(std::abs(rgb[0][0][1][2].item<float>() - (1 + 0.3512f) / 2) < 1e-5);
    QVERIFY(std::abs(rgb[0][2][0][0].item<float>() - (1 + 0.3227f) / 2) < 1e-5);
    // The pixel DDPM works in [-1,1].
    const at::Tensor pixels =
        ng::editor::preview_image(at::tensor({-1.0f, 0.0f, 1.0f}).reshape({1, 1, 1, 3}), ng::editor::ModelFamily::NoiseGraph);
    QVERIFY(at::allclose(pixels.flatten(), at::tensor({0.0f, 0.5f, 1.0f})));
    // An unknown 4-channel model: a stretched grey, never false colour.
    const at::Tensor unknown = ng::editor::preview_image(at::randn({2, 4, 5, 5}), ng::editor::ModelFamily::Unknown);
    QCOMPARE(unknown.size(1), int64_t(1));
    QVERIFY(unknown.min().item<float>() >= 0 && unknown.max().item<float>() <= 1);
  }
};

QTEST_MAIN(EditorDefectsTest)
#include "test_editor_defects.moc"
