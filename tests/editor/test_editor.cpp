// Editing through the editor's public API and gestures: build, save, reload, undo/redo,
// links (including refused ones), inspector, clipboard, PNG-embedded graphs, search.
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDropEvent>
#include <QLineEdit>
#include <QMimeData>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoStack>
#include <QWheelEvent>

#include <cmath>

#include "editor_test_helpers.hpp"
#include "edge_item.hpp"
#include "graph_view.hpp"
#include "inspector.hpp"
#include "node_search_popup.hpp"
#include "palette.hpp"
#include "param_editors.hpp"
#include "plugins_dialog.hpp"
#include "port_item.hpp"
#include "problems_panel.hpp"

using ng::editor::GraphDocument;
using ng::editor::MainWindow;

namespace {

/// constant(2) + constant_2(3) -> add -> sink, built the way a user would.
void build_sum_graph(GraphDocument& doc) {
  QCOMPARE(doc.add_node("testing.constant", {0, 0}), std::string("constant"));
  QCOMPARE(doc.add_node("testing.constant", {0, 160}), std::string("constant_2"));
  QCOMPARE(doc.add_node("testing.add", {260, 60}), std::string("add"));
  QCOMPARE(doc.add_node("testing.sink", {500, 60}), std::string("sink"));
  QVERIFY(doc.connect_ports("constant", "value", "add", "a"));
  QVERIFY(doc.connect_ports("constant_2", "value", "add", "b"));
  QVERIFY(doc.connect_ports("add", "sum", "sink", "value"));
  QVERIFY(doc.set_param("constant", "value", 2.0));
  QVERIFY(doc.set_param("constant_2", "value", 3.0));
}

QPoint view_point(MainWindow& w, QPointF scene_pos) { return w.view()->mapFromScene(scene_pos); }

}  // namespace

class EditorTest : public QObject {
  Q_OBJECT
  std::unique_ptr<ng::host::PluginRegistry> registry_;
  QTemporaryDir tmp_;

  QString path(const QString& name) const { return tmp_.filePath(name); }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(tmp_.isValid());
    registry_ = ng_test::testing_registry();
  }

  void graph_built_in_editor_saves_and_reloads_identically() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    build_sum_graph(doc);
    QVERIFY(doc.problems().empty());
    QVERIFY(doc.is_modified());
    QString error;
    QVERIFY2(doc.save_as(path("sum.yaml"), &error), qPrintable(error));
    QVERIFY(!doc.is_modified());

    MainWindow w2(*registry_);
    QVERIFY2(w2.open_file(path("sum.yaml"), &error, false), qPrintable(error));
    const auto& g = w2.document()->graph();
    QCOMPARE(g.nodes.keys(), (std::vector<std::string>{"constant", "constant_2", "add", "sink"}));
    QCOMPARE(g.find("add")->inputs.at("b").node, std::string("constant_2"));
    QCOMPARE(g.find("constant_2")->params.at("value").text, std::string("3.0"));
    QCOMPARE(g.editor.positions.at("add").x, 260.0);
    QCOMPARE(ng_test::yaml(*w2.document()), ng_test::yaml(doc));
    // And the file is what the CLI reads: same loader, same text.
    QCOMPARE(ng_test::read_text(path("sum.yaml")), ng::host::to_yaml(ng::host::load_graph(path("sum.yaml").toStdString())));
  }

  void unedited_graph_saves_byte_identical() {
    // Hand-written: comments, no editor section, a block string.
    const std::string text =
        "# a hand-written graph\n"
        "noisegraph: 1\n"
        "nodes:\n"
        "  a: {type: testing.constant, params: {value: 1.5}}   # first\n"
        "  s:\n"
        "    type: testing.sink\n"
        "    inputs: {value: a.value}\n";
    ng_test::write_text(path("hand.yaml"), text);
    MainWindow w(*registry_);
    QString error;
    QVERIFY2(w.open_file(path("hand.yaml"), &error, false), qPrintable(error));
    QVERIFY(w.document()->graph().editor.positions.empty());  // laid out for display only
    QVERIFY(w.scene()->node_item("s")->pos().x() > w.scene()->node_item("a")->pos().x());
    QVERIFY(w.document()->save(&error));
    QCOMPARE(ng_test::read_text(path("hand.yaml")), text);
    QVERIFY(w.document()->save_as(path("hand_copy.yaml"), &error));
    QCOMPARE(ng_test::read_text(path("hand_copy.yaml")), text);
  }

  void positions_are_pinned_by_first_edit() {
    ng_test::write_text(path("unplaced.yaml"),
                        "noisegraph: 1\nnodes:\n  a: {type: testing.constant}\n  b: {type: testing.constant}\n"
                        "  s: {type: testing.sink, inputs: {value: a.value}}\n");
    MainWindow w(*registry_);
    QVERIFY(w.open_file(path("unplaced.yaml"), nullptr, false));
    const QPointF shown_b = w.scene()->node_item("b")->pos();
    QVERIFY(w.document()->move_nodes({{"a", QPointF(-300, -300)}}));
    const auto& pos = w.document()->graph().editor.positions;
    QCOMPARE(pos.size(), size_t(3));
    QCOMPARE(pos.at("a").x, -300.0);
    QCOMPARE(QPointF(pos.at("b").x, pos.at("b").y), shown_b);  // nothing jumped
  }

  void undo_redo_restore_exact_states() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    std::vector<std::string> states{ng_test::yaml(doc)};
    auto step = [&](bool changed) {
      QVERIFY(changed);
      states.push_back(ng_test::yaml(doc));
    };
    step(!doc.add_node("testing.constant", {0, 0}).empty());
    step(!doc.add_node("testing.add", {200, 0}).empty());
    step(doc.connect_ports("constant", "value", "add", "a"));
    step(doc.set_param("constant", "value", 4.25));
    step(doc.move_nodes({{"add", QPointF(300, 40)}}));
    step(doc.rename_node("constant", "four"));
    step(doc.set_seed_mode("add", "nothing", ng::editor::SeedMode::Increment));
    step(doc.remove({"four"}));
    QUndoStack* undo = doc.undo_stack();
    QCOMPARE(undo->count(), int(states.size()) - 1);
    for (int i = int(states.size()) - 2; i >= 0; --i) {
      undo->undo();
      QCOMPARE(ng_test::yaml(doc), states[size_t(i)]);
    }
    QVERIFY(!doc.is_modified());
    for (size_t i = 1; i < states.size(); ++i) {
      undo->redo();
      QCOMPARE(ng_test::yaml(doc), states[i]);
    }
    // The scene follows: after undoing the delete the card and its link are back.
    undo->undo();
    QVERIFY(w.scene()->node_item("four"));
    QVERIFY(w.scene()->edge_into("add", "a"));
  }

  void incompatible_connection_is_refused_with_both_types() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    doc.add_node("testing.image", {0, 0});
    doc.add_node("testing.add", {200, 0});
    const std::string before = ng_test::yaml(doc);
    const int steps = doc.undo_stack()->count();
    QString why;
    QVERIFY(!doc.connect_ports("image", "image", "add", "a", &why));
    QVERIFY2(why.contains("IMAGE") && why.contains("FLOAT"), qPrintable(why));
    QCOMPARE(ng_test::yaml(doc), before);
    QCOMPARE(doc.undo_stack()->count(), steps);
    // Cycles are refused too.
    doc.add_node("testing.add", {400, 0});
    QVERIFY(doc.connect_ports("add", "sum", "add_2", "a"));
    QVERIFY(!doc.connect_ports("add_2", "sum", "add", "a", &why));
    QVERIFY2(why.contains("cycle"), qPrintable(why));
  }

  void dragging_between_ports_connects_or_explains_refusal() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.constant", {0, 0});
    doc.add_node("testing.image", {0, 200});
    doc.add_node("testing.add", {320, 60});
    w.view()->fit_to_nodes();
    QApplication::processEvents();
    auto* scene = w.scene();
    QWidget* vp = w.view()->viewport();

    auto drag = [&](QPointF from, QPointF to) {
      QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, view_point(w, from));
      QTest::mouseMove(vp, view_point(w, (from + to) / 2));
      QTest::mouseMove(vp, view_point(w, to));
      QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, view_point(w, to));
    };
    drag(scene->node_item("constant")->output("value")->anchor(), scene->node_item("add")->input("a")->anchor());
    QVERIFY(doc.graph().find("add")->inputs.contains("a"));
    QVERIFY(scene->edge_into("add", "a"));

    drag(scene->node_item("image")->output("image")->anchor(), scene->node_item("add")->input("b")->anchor());
    QVERIFY(!doc.graph().find("add")->inputs.contains("b"));
    const QString msg = w.statusBar()->currentMessage();
    QVERIFY2(msg.contains("IMAGE") && msg.contains("FLOAT"), qPrintable(msg));

    // Into empty space: the add-node search opens, offering only nodes that take FLOAT.
    drag(scene->node_item("add")->output("sum")->anchor(), scene->node_item("add")->output("sum")->anchor() + QPointF(150, 120));
    QVERIFY(w.search_popup()->isVisible());
    const QStringList offered = w.search_popup()->offered_types();
    QVERIFY(offered.contains("testing.sink"));  // takes ANY
    QVERIFY(offered.contains("testing.add"));
    QVERIFY(!offered.contains("testing.image"));
    QVERIFY(!offered.contains("testing.constant"));
    const std::string added = w.add_node_from_popup("testing.sink");
    QCOMPARE(added, std::string("sink"));
    QCOMPARE(doc.graph().find("sink")->inputs.at("value").node, std::string("add"));
    QCOMPARE(w.scene()->selected_nodes(), std::vector<std::string>{"sink"});
    w.search_popup()->hide();
  }

  void canvas_gestures_move_zoom_and_open_search() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    GraphDocument& doc = *w.document();
    doc.add_node("testing.constant", {0, 0});
    doc.add_node("testing.sink", {300, 0});
    QVERIFY(doc.connect_ports("constant", "value", "sink", "value"));
    w.view()->fit_to_nodes();
    QApplication::processEvents();
    QWidget* vp = w.view()->viewport();
    const int steps = doc.undo_stack()->count();

    // Drag a card by its header: one "Move" step, stored rounded, link follows.
    const QPointF header = w.scene()->node_item("constant")->pos() + QPointF(30, 12);
    QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, view_point(w, header));
    QTest::mouseMove(vp, view_point(w, header + QPointF(20, 20)));
    QTest::mouseMove(vp, view_point(w, header + QPointF(40, 60)));
    QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, view_point(w, header + QPointF(40, 60)));
    QCOMPARE(doc.undo_stack()->count(), steps + 1);
    const auto& p = doc.graph().editor.positions.at("constant");
    QVERIFY(p.y > 20 && p.x > 10);
    QCOMPARE(p.x, std::round(p.x));
    QCOMPARE(w.scene()->edge_into("sink", "value")->path().elementAt(0),
             w.scene()->node_item("constant")->output("value")->anchor());
    doc.undo_stack()->undo();
    QCOMPARE(w.scene()->node_item("constant")->pos(), QPointF(0, 0));

    // Wheel zooms around the cursor.
    const double before = w.view()->zoom();
    QWheelEvent wheel(QPointF(vp->rect().center()), vp->mapToGlobal(QPointF(vp->rect().center())), QPoint(), QPoint(0, 120),
                      Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(vp, &wheel);
    QVERIFY(w.view()->zoom() > before);

    // Double-click on empty canvas opens the add-node search with every type.
    QTest::mouseDClick(vp, Qt::LeftButton, Qt::NoModifier, view_point(w, QPointF(150, 400)));
    QVERIFY(w.search_popup()->isVisible());
    QCOMPARE(w.search_popup()->offered_types().size(), int(registry_->node_types().size()));
    w.search_popup()->hide();
  }

  void connected_input_is_replaced_by_new_link() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    build_sum_graph(doc);
    QVERIFY(doc.connect_ports("constant", "value", "add", "b"));
    QCOMPARE(doc.graph().find("add")->inputs.at("b").node, std::string("constant"));
    QCOMPARE(doc.graph().find("add")->inputs.size(), size_t(2));
    QCOMPARE(w.scene()->edge_into("add", "b")->from(), w.scene()->node_item("constant")->output("value"));
  }

  void an_edit_touches_only_the_cards_it_changed() {
    // A chain of 40 nodes: setting one parameter refreshes that card only; deleting a node
    // refreshes it and its consumer; undo rebuilds the one card that came back.
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    QVERIFY(doc.open_text([] {
      std::string y = "noisegraph: 1\nnodes:\n  n0: {type: testing.constant}\n";
      for (int i = 1; i < 40; ++i)
        y += "  n" + std::to_string(i) + ": {type: testing.count, inputs: {value: n" + std::to_string(i - 1) + ".value}}\n";
      return y + "  out: {type: testing.sink, inputs: {value: n39.value}}\n";
    }(), "chain.yaml", tmp_.path()));
    auto* scene = w.scene();
    QVERIFY(doc.set_param("n5", "offset", 1.0));  // the first edit pins every auto-laid-out card: all move
    const int built = scene->cards_built();
    int refreshed = scene->cards_refreshed();
    QVERIFY(doc.set_param("n20", "offset", 2.0));
    QCOMPARE(scene->cards_refreshed() - refreshed, 1);
    QCOMPARE(scene->cards_built(), built);
    refreshed = scene->cards_refreshed();
    QVERIFY(doc.remove({"n10"}, {}));
    QCOMPARE(scene->cards_refreshed() - refreshed, 1);  // n11, whose input is now unconnected
    QVERIFY(!scene->node_item("n10"));
    QVERIFY(!scene->edge_into("n11", "value"));
    doc.undo_stack()->undo();
    QCOMPARE(scene->cards_built(), built + 1);  // n10 again
    QVERIFY(scene->edge_into("n11", "value"));
    QCOMPARE(scene->edge_into("n11", "value")->from(), scene->node_item("n10")->output("value"));
  }

  void delete_nodes_and_links_in_one_step() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    build_sum_graph(doc);
    const std::string before = ng_test::yaml(doc);
    w.scene()->select_nodes({"constant_2"});
    w.scene()->edge_into("add", "a")->setSelected(true);
    w.action("edit_delete")->trigger();
    QVERIFY(!doc.graph().find("constant_2"));
    QVERIFY(doc.graph().find("add")->inputs.empty());
    QVERIFY(!w.scene()->node_item("constant_2"));
    doc.undo_stack()->undo();
    QCOMPARE(ng_test::yaml(doc), before);
  }

  void inspector_builds_editors_from_descriptors() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    doc.add_node("testing.params", {0, 0});
    w.scene()->select_nodes({"params"});
    auto* insp = w.inspector();
    QCOMPARE(insp->node(), std::string("params"));
    auto* count = insp->editor_for("count")->findChild<QSpinBox*>();
    QVERIFY(count);
    QCOMPARE(count->minimum(), 1);
    QCOMPARE(count->maximum(), 10);
    QCOMPARE(count->value(), 3);
    auto* number = insp->editor_for("number")->findChild<QDoubleSpinBox*>();
    QVERIFY(number);
    QCOMPARE(number->singleStep(), 0.1);
    QVERIFY(insp->editor_for("number")->findChild<QSlider*>());  // bounded float
    QVERIFY(insp->editor_for("flag")->findChild<QCheckBox*>());
    auto* mode = insp->editor_for("mode")->findChild<QComboBox*>();
    QVERIFY(mode);
    QCOMPARE(mode->count(), 3);
    QCOMPARE(mode->currentText(), QString("fast"));
    auto* seed = qobject_cast<ng::editor::SeedEditor*>(insp->editor_for("seed"));
    QVERIFY(seed);
    QCOMPARE(std::get<uint64_t>(seed->value()), uint64_t(7));
    QVERIFY(insp->editor_for("file")->findChild<QToolButton*>());  // file picker
    QVERIFY(insp->editor_for("count")->toolTip().contains("an integer in [1, 10]"));
  }

  void inspector_edit_is_one_undo_step_and_shows_invalid_values() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    doc.add_node("testing.params", {0, 0});
    w.scene()->select_nodes({"params"});
    const std::string before = ng_test::yaml(doc);
    const int steps = doc.undo_stack()->count();
    auto* count = w.inspector()->editor_for("count")->findChild<QSpinBox*>();
    count->setValue(5);
    count->setValue(6);  // arrow clicks in a row fold into one step
    QCOMPARE(doc.graph().find("params")->params.at("count").text, std::string("6"));
    QCOMPARE(doc.undo_stack()->count(), steps + 1);
    doc.undo_stack()->undo();
    QCOMPARE(ng_test::yaml(doc), before);

    // A value from a file that breaks the range shows as is, outlined, with the reason.
    QVERIFY(doc.set_param("params", "count", ng::ParamValue(int64_t{50})));
    auto* editor = w.inspector()->editor_for("count");
    QCOMPARE(editor->findChild<QSpinBox*>()->value(), 50);
    QVERIFY(!editor->error().isEmpty());
    QVERIFY(editor->error().contains("10"));
    QVERIFY(editor->findChild<QSpinBox*>()->property("invalid").toBool());
    QVERIFY(!w.scene()->node_item("params")->look().missing_type);
    QVERIFY(doc.reset_param("params", "count"));
    QVERIFY(editor->error().isEmpty());
  }

  void path_params_are_stored_relative_to_the_graph() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    doc.add_node("testing.params", {0, 0});
    QVERIFY(doc.save_as(path("paths.yaml")));
    QCOMPARE(doc.graph_dir(), QFileInfo(path("paths.yaml")).absolutePath());
    // What the file picker stores for a picked file.
    QCOMPARE(ng::editor::stored_path(path("models/m.safetensors"), doc.graph_dir()), QString("models/m.safetensors"));
    QCOMPARE(ng::editor::stored_path("/elsewhere/m.safetensors", doc.graph_dir()).endsWith("elsewhere/m.safetensors"), true);
    QCOMPARE(ng::editor::stored_path("/abs/m.safetensors", QString()), QString("/abs/m.safetensors"));  // untitled graph
  }

  void save_as_to_another_folder_keeps_relative_paths_pointing_at_the_same_files() {
    QDir().mkpath(path("a/data"));
    QFile(path("a/data/x.txt")).open(QIODevice::WriteOnly);
    GraphDocument doc(*registry_);
    doc.add_node("testing.params", {0, 0});
    QVERIFY(doc.save_as(path("a/g.yaml")));
    auto stored = [&] { return doc.graph().find("params")->params.at("file").text; };

    QVERIFY(doc.set_param("params", "file", ng::ParamValue(std::string("data/x.txt"))));
    QVERIFY(doc.save());
    QVERIFY(QDir().mkpath(path("b/deeper")));
    QVERIFY(doc.save_as(path("b/deeper/g.yaml")));
    QCOMPARE(stored(), std::string("../../a/data/x.txt"));
    QVERIFY(QFileInfo(QDir(doc.graph_dir()).filePath(QString::fromStdString(stored()))).exists());
    QVERIFY(ng_test::read_text(path("b/deeper/g.yaml")).find("../../a/data/x.txt") != std::string::npos);
    QVERIFY(!doc.is_modified());

    // A bare name that is not next to the graph is a model-search-path lookup: unchanged.
    QVERIFY(doc.set_param("params", "file", ng::ParamValue(std::string("some-model.safetensors"))));
    QVERIFY(doc.save_as(path("a/g2.yaml")));
    QCOMPARE(stored(), std::string("some-model.safetensors"));
    // A path that does not exist yet (an output folder) keeps its place relative to the old graph.
    QVERIFY(doc.set_param("params", "file", ng::ParamValue(std::string("runs/new"))));
    QVERIFY(doc.save());
    QVERIFY(doc.save_as(path("b/g3.yaml")));
    QCOMPARE(stored(), std::string("../a/runs/new"));
  }

  void copy_paste_works_between_windows() {
    MainWindow a(*registry_), b(*registry_);
    build_sum_graph(*a.document());
    a.scene()->select_nodes({"constant", "add"});
    a.copy_selection();
    QVERIFY(QApplication::clipboard()->text().contains("testing.add"));  // plain YAML, readable anywhere
    b.document()->add_node("testing.constant", {0, 0});  // takes the id "constant" in b
    b.paste(QPointF(100, 100));
    const auto& g = b.document()->graph();
    QCOMPARE(g.nodes.keys(), (std::vector<std::string>{"constant", "constant_2", "add"}));
    // The link inside the fragment follows the renamed node; the one from outside is dropped.
    QCOMPARE(g.find("add")->inputs.at("a").node, std::string("constant_2"));
    QVERIFY(!g.find("add")->inputs.contains("b"));
    QCOMPARE(g.find("constant_2")->params.at("value").text, std::string("2.0"));
    QCOMPARE(g.editor.positions.at("constant_2").x, 100.0);
    QCOMPARE(g.editor.positions.at("add").x, 360.0);  // relative layout kept
    QCOMPARE(b.scene()->selected_nodes(), (std::vector<std::string>{"constant_2", "add"}));
    b.document()->undo_stack()->undo();
    QCOMPARE(b.document()->graph().nodes.size(), size_t(1));
  }

  void duplicate_keeps_incoming_links() {
    MainWindow w(*registry_);
    build_sum_graph(*w.document());
    w.scene()->select_nodes({"add"});
    w.action("edit_duplicate")->trigger();
    const auto* dup = w.document()->graph().find("add_2");
    QVERIFY(dup);
    QCOMPARE(dup->inputs.at("a").node, std::string("constant"));
    QCOMPARE(dup->inputs.at("b").node, std::string("constant_2"));
    QCOMPARE(w.scene()->selected_nodes(), std::vector<std::string>{"add_2"});
  }

  void align_left_lines_up_selected_nodes() {
    MainWindow w(*registry_);
    build_sum_graph(*w.document());
    w.scene()->select_nodes({"constant_2", "add", "sink"});
    w.action("align_left")->trigger();
    const auto& pos = w.document()->graph().editor.positions;
    QCOMPARE(pos.at("add").x, 0.0);
    QCOMPARE(pos.at("sink").x, 0.0);
    QCOMPARE(pos.at("add").y, 60.0);  // only x changes
    w.action("align_top")->trigger();
    QCOMPARE(pos.at("constant_2").y, 60.0);
  }

  void graph_embedded_in_png_opens_by_drop() {
    MainWindow source(*registry_);
    build_sum_graph(*source.document());
    QImage image(8, 8, QImage::Format_RGB32);
    image.fill(Qt::gray);
    image.setText("noisegraph", QString::fromStdString(ng_test::yaml(*source.document())));
    QVERIFY(image.save(path("result.png")));

    MainWindow w(*registry_);
    auto* mime = new QMimeData;
    mime->setUrls({QUrl::fromLocalFile(path("result.png"))});
    // What the window and the canvas do with a drop (QTest cannot start a real drag).
    QVERIFY(w.open_dropped(mime));
    delete mime;
    QCOMPARE(QString::fromStdString(ng_test::yaml(*w.document())), QString::fromStdString(ng_test::yaml(*source.document())));
    QVERIFY(w.document()->file_path().isEmpty());  // Save asks for a name, never overwrites the image
    QCOMPARE(w.document()->graph_dir(), tmp_.path());

    QImage plain(4, 4, QImage::Format_RGB32);
    plain.fill(Qt::black);
    QVERIFY(plain.save(path("plain.png")));
    QString error;
    QVERIFY(!w.open_file(path("plain.png"), &error, false));
    QVERIFY2(error.contains("no embedded graph"), qPrintable(error));
  }

  void palette_and_search_filter_by_name_category_and_type() {
    MainWindow w(*registry_);
    w.palette()->set_filter_text("IMAGE");
    QStringList types = w.palette()->visible_types();
    QVERIFY(types.contains("testing.image"));
    QVERIFY(types.contains("testing.image_mean"));
    QVERIFY(!types.contains("testing.add"));
    w.palette()->set_filter_text("slow");
    QCOMPARE(w.palette()->visible_types(), QStringList{"testing.slow"});
    w.palette()->set_filter_text("testing");
    QCOMPARE(w.palette()->visible_types().size(), int(registry_->node_types().size()));
    // The popup for a link dragged out of an IMAGE output offers nodes taking IMAGE.
    w.document()->add_node("testing.image", {0, 0});
    w.open_add_node(QPointF(300, 0), "image", "image", true, "IMAGE");
    const QStringList offered = w.search_popup()->offered_types();
    QVERIFY(offered.contains("testing.image_mean"));
    QVERIFY(offered.contains("testing.sink"));
    QVERIFY(!offered.contains("testing.add"));
    w.search_popup()->search_field()->setText("mean");
    QCOMPARE(w.search_popup()->offered_types(), QStringList{"testing.image_mean"});
    w.search_popup()->hide();
  }

  void clicking_a_problem_selects_its_node() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    doc.add_node("testing.constant", {0, 0});
    doc.add_node("testing.add", {200, 0});  // a and b not connected
    QVERIFY(w.problems()->count() >= 2);
    w.problems()->activate(0);
    QCOMPARE(w.scene()->selected_nodes(), std::vector<std::string>{"add"});
    QVERIFY(!w.scene()->node_item("add")->look().missing_type);
  }

  void unknown_node_types_are_kept_and_marked() {
    ng_test::write_text(path("missing.yaml"),
                        "noisegraph: 1\nnodes:\n  c: {type: testing.constant}\n"
                        "  x: {type: nowhere.magic, inputs: {in: c.value}, params: {power: 9000}}\n");
    MainWindow w(*registry_);
    QVERIFY(w.open_file(path("missing.yaml"), nullptr, false));
    auto* item = w.scene()->node_item("x");
    QVERIFY(item->look().missing_type);
    QVERIFY(item->input("in"));
    QCOMPARE(item->input("in")->port_type(), QString("FLOAT"));
    QVERIFY(w.scene()->edge_into("x", "in"));
    w.scene()->select_nodes({"x"});
    QCOMPARE(w.inspector()->node(), std::string("x"));
    QVERIFY(w.document()->save_as(path("missing_copy.yaml")));
    QCOMPARE(ng_test::read_text(path("missing_copy.yaml")), ng_test::read_text(path("missing.yaml")));
  }

  void plugins_dialog_lists_loaded_and_failed_plugins() {
    ng::host::PluginRegistry registry;
    QVERIFY(registry.load_file(std::filesystem::path(NG_TEST_PLUGIN_DIR) / "testing.so"));
    ng_test::write_text(path("broken.so"), "not a library\n");
    QVERIFY(!registry.load_file(path("broken.so").toStdString()));
    ng::editor::PluginsDialog dialog(registry);
    auto* loaded = dialog.findChild<QTreeWidget*>("loaded_plugins");
    auto* failed = dialog.findChild<QTreeWidget*>("failed_plugins");
    QCOMPARE(loaded->topLevelItemCount(), 1);
    QCOMPARE(loaded->topLevelItem(0)->text(0), QString("testing"));
    QCOMPARE(failed->topLevelItemCount(), 1);
    QVERIFY(failed->topLevelItem(0)->text(0).endsWith("broken.so"));
    QVERIFY(!failed->topLevelItem(0)->text(1).isEmpty());
  }
};

QTEST_MAIN(EditorTest)
#include "test_editor.moc"
