// Graph inputs in the editor: the "Graph inputs" dock lists a graph's declared inputs
// with their current values, an edit there sets every target as one undo step, the form
// survives edits and renames, and the inspector exposes / un-exposes parameters.
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTemporaryDir>
#include <QUndoStack>

#include "editor_test_helpers.hpp"
#include "inputs_panel.hpp"
#include "inspector.hpp"
#include "param_editors.hpp"

using ng::editor::GraphDocument;
using ng::editor::InputsPanel;
using ng::editor::MainWindow;

namespace {

std::string param_text(const GraphDocument& doc, const std::string& node, const std::string& param) {
  const auto* n = doc.graph().find(node);
  return n && n->params.contains(param) ? n->params.at(param).text : std::string("<unset>");
}

std::vector<std::string> targets(const GraphDocument& doc, const std::string& input) {
  std::vector<std::string> out;
  if (const auto* in = doc.graph().inputs.find(input))
    for (const auto& t : in->to) out.push_back(t.node + "." + t.param);
  return out;
}

/// Tabbed docks all report isVisible(); the one behind its tab has nothing on screen.
bool on_screen(QWidget* w) { return !w->visibleRegion().isEmpty(); }

QAction* menu_action(ng::editor::Inspector* insp, QMenu& menu, const std::string& param, const char* name) {
  menu.clear();
  insp->fill_param_menu(&menu, param);
  return menu.findChild<QAction*>(QString::fromLatin1(name));
}

}  // namespace

class EditorInputsTest : public QObject {
  Q_OBJECT
  std::unique_ptr<ng::host::PluginRegistry> registry_;
  QTemporaryDir tmp_;

  /// A fresh copy of tests/data/graphs/inputs.yaml (value -> a.value + b.value, seed -> p.seed,
  /// label -> p.label).
  QString inputs_graph() {
    const QString copy = tmp_.filePath(QStringLiteral("inputs-%1.yaml").arg(++copies_));
    ng_test::write_text(copy, ng_test::read_text(QStringLiteral(NG_TEST_DATA_DIR "/graphs/inputs.yaml")));
    return copy;
  }
  int copies_ = 0;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(tmp_.isValid());
    registry_ = ng_test::testing_registry();
  }

  void dock_lists_inputs_with_current_values() {
    MainWindow w(*registry_);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString error;
    QVERIFY2(w.open_file(inputs_graph(), &error, false), qPrintable(error));
    auto* dock = w.findChild<QDockWidget*>(QStringLiteral("dock_inputs"));
    QVERIFY(dock);
    QCOMPARE(dock->widget(), static_cast<QWidget*>(w.inputs_panel()));
    // A graph with inputs opens on its form (tabbed with the inspector).
    auto* inspector_dock = w.findChild<QDockWidget*>(QStringLiteral("dock_inspector"));
    QCOMPARE(w.tabifiedDockWidgets(dock), QList<QDockWidget*>{inspector_dock});
    QTRY_VERIFY_WITH_TIMEOUT(on_screen(dock), 60000);
    QVERIFY(!on_screen(inspector_dock));

    InputsPanel* panel = w.inputs_panel();
    QCOMPARE(panel->shown_inputs(), (std::vector<std::string>{"value", "seed", "label"}));
    QCOMPARE(std::get<double>(panel->editor_for("value")->value()), 1.0);
    QVERIFY(panel->editor_for("value")->findChild<QDoubleSpinBox*>());
    auto* seed = qobject_cast<ng::editor::SeedEditor*>(panel->editor_for("seed"));
    QVERIFY(seed);  // the editor of the target's kind, not a plain number
    QCOMPARE(std::get<uint64_t>(seed->value()), uint64_t(5));
    // label is not set in the file: the parameter's default shows.
    QCOMPARE(std::get<std::string>(panel->editor_for("label")->value()), std::string("hello"));
    QVERIFY(panel->editor_for("value")->toolTip().contains("both addends"));
    QVERIFY(panel->editor_for("value")->toolTip().contains("b.value"));
    for (const char* name : {"value", "seed", "label"}) QVERIFY(panel->row_problem(name).isEmpty());

    // Selecting a node brings its parameters back to the front.
    w.scene()->select_nodes({"p"});
    QTRY_VERIFY_WITH_TIMEOUT(on_screen(inspector_dock), 60000);
    QVERIFY(!on_screen(dock));
  }

  void editing_an_input_sets_every_target_as_one_undo_step() {
    MainWindow w(*registry_);
    QString error;
    QVERIFY2(w.open_file(inputs_graph(), &error, false), qPrintable(error));
    GraphDocument& doc = *w.document();
    const std::string before = ng_test::yaml(doc);
    InputsPanel* panel = w.inputs_panel();
    const int builds = panel->builds();
    ng::editor::ParamEditor* editor = panel->editor_for("value");
    QVERIFY(editor);
    auto* box = editor->findChild<QDoubleSpinBox*>();
    QVERIFY(box);
    const int steps = doc.undo_stack()->count();
    box->setValue(2.5);
    QCOMPARE(param_text(doc, "a", "value"), std::string("2.5"));
    QCOMPARE(param_text(doc, "b", "value"), std::string("2.5"));
    QCOMPARE(doc.undo_stack()->count(), steps + 1);
    QCOMPARE(doc.undo_stack()->undoText(), QString("Set input value"));
    // The form kept its widgets: nothing the user is typing into is replaced.
    QCOMPARE(panel->builds(), builds);
    QCOMPARE(panel->editor_for("value"), editor);

    doc.undo_stack()->undo();
    QCOMPARE(param_text(doc, "a", "value"), std::string("1"));
    QCOMPARE(param_text(doc, "b", "value"), std::string("1"));
    QCOMPARE(ng_test::yaml(doc), before);
    QCOMPARE(box->value(), 1.0);  // the form follows undo
    doc.undo_stack()->redo();
    QCOMPARE(param_text(doc, "b", "value"), std::string("2.5"));

    // An edit elsewhere (the inspector, a file value) shows in the form without rebuilding it.
    QVERIFY(doc.set_param("p", "label", std::string("a bag")));
    QCOMPARE(std::get<std::string>(panel->editor_for("label")->value()), std::string("a bag"));
    auto* line = panel->editor_for("label")->findChild<QLineEdit*>();
    QVERIFY(line);
    line->setText(QStringLiteral("a coat"));
    Q_EMIT line->editingFinished();
    QCOMPARE(param_text(doc, "p", "label"), std::string("a coat"));
    QCOMPARE(panel->builds(), builds);
  }

  void renaming_a_node_keeps_the_input_working() {
    MainWindow w(*registry_);
    QString error;
    QVERIFY2(w.open_file(inputs_graph(), &error, false), qPrintable(error));
    GraphDocument& doc = *w.document();
    QVERIFY(doc.rename_node("a", "first"));
    QCOMPARE(targets(doc, "value"), (std::vector<std::string>{"first.value", "b.value"}));
    QVERIFY(doc.problems().empty());
    InputsPanel* panel = w.inputs_panel();
    QVERIFY(panel->row_problem("value").isEmpty());
    QVERIFY(panel->editor_for("value"));
    panel->editor_for("value")->findChild<QDoubleSpinBox*>()->setValue(4.0);
    QCOMPARE(param_text(doc, "first", "value"), std::string("4.0"));
    QCOMPARE(param_text(doc, "b", "value"), std::string("4.0"));
    // Undo takes the input's targets back with the node's name.
    doc.undo_stack()->undo();
    doc.undo_stack()->undo();
    QCOMPARE(targets(doc, "value"), (std::vector<std::string>{"a.value", "b.value"}));
    QVERIFY(doc.problems().empty());
    QCOMPARE(std::get<double>(panel->editor_for("value")->value()), 1.0);

    // Deleting a target's node drops that target; undo brings it back.
    QVERIFY(doc.remove({"b"}));
    QCOMPARE(targets(doc, "value"), (std::vector<std::string>{"a.value"}));
    doc.undo_stack()->undo();
    QCOMPARE(targets(doc, "value"), (std::vector<std::string>{"a.value", "b.value"}));
  }

  void input_without_a_usable_target_is_a_disabled_row_with_the_reason() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    QString error;
    QVERIFY2(doc.open_text("noisegraph: 1\n"
                           "inputs:\n"
                           "  gone: {to: nobody.value}\n"
                           "  typo: {to: a.valeu}\n"
                           "  ok: {to: a.value}\n"
                           "nodes:\n"
                           "  a: {type: testing.constant, params: {value: 3}}\n",
                           "broken.yaml", tmp_.path(), &error),
             qPrintable(error));
    InputsPanel* panel = w.inputs_panel();
    QCOMPARE(panel->shown_inputs(), (std::vector<std::string>{"gone", "typo", "ok"}));
    QVERIFY(!panel->editor_for("gone"));
    QVERIFY(panel->row_problem("gone").contains("no node 'nobody'"));
    QVERIFY(!panel->editor_for("typo"));
    QVERIFY(panel->row_problem("typo").contains("no parameter 'valeu'"));
    QVERIFY(panel->editor_for("ok"));
    QCOMPARE(std::get<double>(panel->editor_for("ok")->value()), 3.0);
    // The reason is on screen, not only in a tooltip.
    bool shown = false;
    for (auto* label : panel->findChildren<QLabel*>())
      shown = shown || (label->text().contains("valeu") && label->property("role").toString() == "error");
    QVERIFY(shown);
  }

  void graph_without_inputs_explains_how_to_declare_one() {
    MainWindow w(*registry_);
    QString error;
    QVERIFY2(w.open_file(QStringLiteral(NG_TEST_SOURCE_DIR "/tests/editor/data/sum.yaml"), &error, false),
             qPrintable(error));
    InputsPanel* panel = w.inputs_panel();
    QVERIFY(panel->shown_inputs().empty());
    auto* hint = panel->findChild<QLabel*>(QStringLiteral("inputs_empty_hint"));
    QVERIFY(hint);
    QVERIFY(hint->text().contains("no inputs"));
    QVERIFY(hint->text().contains("Expose as graph input"));
    QVERIFY(hint->text().contains("inputs:"));
  }

  void inspector_exposes_and_removes_inputs() {
    MainWindow w(*registry_);
    QString error;
    const QString file = tmp_.filePath("exposed.yaml");
    ng_test::write_text(file, ng_test::read_text(QStringLiteral(NG_TEST_SOURCE_DIR "/tests/editor/data/sum.yaml")));
    QVERIFY2(w.open_file(file, &error, false), qPrintable(error));
    GraphDocument& doc = *w.document();
    const std::string before = ng_test::yaml(doc);
    auto* insp = w.inspector();
    QMenu menu;

    w.scene()->select_nodes({"two"});
    QVERIFY(!menu_action(insp, menu, "value", "unexpose_input"));
    menu_action(insp, menu, "value", "expose_input")->trigger();
    QCOMPARE(targets(doc, "value"), (std::vector<std::string>{"two.value"}));
    // A second parameter of the same name gets a unique input name.
    w.scene()->select_nodes({"three"});
    menu_action(insp, menu, "value", "expose_input")->trigger();
    QCOMPARE(targets(doc, "value_2"), (std::vector<std::string>{"three.value"}));
    QVERIFY(doc.problems().empty());
    QCOMPARE(w.inputs_panel()->shown_inputs(), (std::vector<std::string>{"value", "value_2"}));
    QCOMPARE(std::get<double>(w.inputs_panel()->editor_for("value_2")->value()), 3.0);

    // Saved and reopened, the inputs are part of the file.
    QVERIFY2(doc.save(&error), qPrintable(error));
    MainWindow w2(*registry_);
    QVERIFY2(w2.open_file(file, &error, false), qPrintable(error));
    QCOMPARE(targets(*w2.document(), "value_2"), (std::vector<std::string>{"three.value"}));

    QVERIFY(!menu_action(insp, menu, "value", "expose_input"));
    QAction* remove = menu_action(insp, menu, "value", "unexpose_input");  // (clear() deletes the previous ones)
    QVERIFY(remove);
    QVERIFY(remove->text().contains("value_2"));
    remove->trigger();
    QVERIFY(!doc.graph().inputs.contains("value_2"));
    QCOMPARE(w.inputs_panel()->shown_inputs(), (std::vector<std::string>{"value"}));
    doc.undo_stack()->undo();
    QVERIFY(doc.graph().inputs.contains("value_2"));
    doc.undo_stack()->undo();
    doc.undo_stack()->undo();
    QCOMPARE(ng_test::yaml(doc), before);
    QVERIFY(w.inputs_panel()->shown_inputs().empty());
  }

  void seed_advanced_after_a_run_keeps_every_target_of_its_input_equal() {
    MainWindow w(*registry_);
    GraphDocument& doc = *w.document();
    QString error;
    QVERIFY2(doc.open_text("noisegraph: 1\n"
                           "inputs:\n"
                           "  seed: {to: [p.seed, q.seed]}\n"
                           "nodes:\n"
                           "  p: {type: testing.params, params: {seed: 10}}\n"
                           "  q: {type: testing.params, params: {seed: 10}}\n",
                           "seeds.yaml", tmp_.path(), &error),
             qPrintable(error));
    QVERIFY(doc.set_seed_mode("p", "seed", ng::editor::SeedMode::Random));
    QVERIFY(doc.advance_seeds());
    const std::string p = param_text(doc, "p", "seed");
    QVERIFY(p != "10");
    QCOMPARE(param_text(doc, "q", "seed"), p);
    QVERIFY(w.inputs_panel()->editor_for("seed"));
    QCOMPARE(std::to_string(std::get<uint64_t>(w.inputs_panel()->editor_for("seed")->value())), p);
  }
};

QTEST_MAIN(EditorInputsTest)
#include "test_editor_inputs.moc"
