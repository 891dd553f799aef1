// Renders the editor with every example graph (all built plugins loaded) into
// <build>/editor-screenshots/, for docs and for looking at. Each graph must open and the
// picture must show something; node types no built plugin provides are reported (the
// graph tests own that promise) and drawn as marked placeholders.
#include <QApplication>
#include <QDirIterator>
#include <QTemporaryDir>

#include "editor_test_helpers.hpp"
#include "graph_view.hpp"
#include "inspector.hpp"
#include "node_item.hpp"
#include "run_controller.hpp"
#include "theme.hpp"

using ng::editor::MainWindow;

namespace {

QString shots_dir() { return QStringLiteral(NG_TEST_BINARY_DIR "/editor-screenshots"); }

/// Distinct colours in a coarse sample: a blank or broken render has very few.
int colour_variety(const QImage& image) {
  QSet<QRgb> seen;
  for (int y = 0; y < image.height(); y += 7)
    for (int x = 0; x < image.width(); x += 7) seen.insert(image.pixel(x, y));
  return int(seen.size());
}

}  // namespace

class EditorScreenshots : public QObject {
  Q_OBJECT
  std::unique_ptr<ng::host::PluginRegistry> registry_;
  QTemporaryDir tmp_;

  QString shoot(MainWindow& w, const QString& name) {
    QApplication::processEvents();
    w.view()->fit_to_nodes();
    QApplication::processEvents();
    const QString out = shots_dir() + "/" + name + ".png";
    if (!w.save_screenshot(out)) return {};
    return out;
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    ng::editor::apply_dark_theme(*qApp);
    QVERIFY(tmp_.isValid());
    registry_ = std::make_unique<ng::host::PluginRegistry>();
    registry_->load_directory(NG_TEST_PLUGIN_DIR);
    QVERIFY(registry_->find("testing.add"));
    QDir().mkpath(shots_dir());
  }

  void example_graphs_render_data() {
    QTest::addColumn<QString>("file");
    QDirIterator it(QStringLiteral(NG_TEST_SOURCE_DIR "/graphs"), {"*.yaml"}, QDir::Files, QDirIterator::Subdirectories);
    QStringList files;
    while (it.hasNext()) files << it.next();
    files.sort();
    if (files.isEmpty()) QSKIP("no example graphs yet");
    for (const QString& f : files)
      QTest::newRow(qPrintable(QDir(NG_TEST_SOURCE_DIR "/graphs").relativeFilePath(f))) << f;
  }

  void example_graphs_render() {
    QFETCH(QString, file);
    MainWindow w(*registry_);
    w.resize(1480, 920);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString error;
    QVERIFY2(w.open_file(file, &error, false), qPrintable(error));
    for (const auto& [id, node] : w.document()->graph().nodes) {
      auto* item = w.scene()->node_item(id);
      QVERIFY(item);
      if (item->look().missing_type)
        qWarning("%s: node '%s': no loaded plugin provides '%s'", qPrintable(file), id.c_str(), node.type.c_str());
    }
    QString name = QDir(NG_TEST_SOURCE_DIR "/graphs").relativeFilePath(file);
    name.replace('/', '_').chop(5);
    const QString out = shoot(w, name);
    QVERIFY(!out.isEmpty());
    QImage shot(out);
    QCOMPARE(shot.size(), w.size() * w.devicePixelRatio());
    QVERIFY(colour_variety(shot) > 20);
    qInfo("%s", qPrintable(out));
  }

  void run_states_render() {
    // A small run with every badge: done, cached (second run), failed with its message.
    MainWindow w(*registry_);
    w.resize(1480, 920);
    w.set_output_dir(tmp_.filePath("out"));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto& doc = *w.document();
    doc.add_node("testing.params", {0, 0});
    doc.add_node("testing.constant", {0, 300});
    doc.add_node("testing.add", {320, 120});
    doc.add_node("testing.sink", {600, 120});
    doc.add_node("testing.fail", {320, 360});
    doc.add_node("testing.sink", {600, 360});
    QVERIFY(doc.connect_ports("params", "number", "add", "a"));
    QVERIFY(doc.connect_ports("constant", "value", "add", "b"));
    QVERIFY(doc.connect_ports("add", "sum", "sink", "value"));
    QVERIFY(doc.connect_ports("constant", "value", "fail", "value"));
    QVERIFY(doc.connect_ports("fail", "value", "sink_2", "value"));
    QVERIFY(doc.set_param("fail", "message", std::string("model file not found: models/missing.safetensors")));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(doc.set_param("constant", "value", 2.0));
    QVERIFY(w.run_graph());
    QVERIFY(w.runner()->wait(30000));
    QVERIFY(doc.set_param("params", "count", ng::ParamValue(int64_t{50})));  // out of range: red in the inspector
    w.scene()->select_nodes({"params"});
    const QString out = shoot(w, "run_states");
    // Close-ups at 100 %: the canvas and the inspector.
    w.view()->reset_zoom();
    w.view()->centerOn(w.scene()->nodes_rect().center());
    QVERIFY(w.view()->grab().save(shots_dir() + "/run_states_canvas.png"));
    QVERIFY(w.inspector()->grab().save(shots_dir() + "/run_states_inspector.png"));
    QVERIFY(!out.isEmpty());
    QCOMPARE(w.scene()->node_item("params")->run_state(), ng::editor::NodeRunState::Cached);
    QCOMPARE(w.scene()->node_item("fail")->run_state(), ng::editor::NodeRunState::Failed);
    qInfo("%s", qPrintable(out));
  }
};

QTEST_MAIN(EditorScreenshots)
#include "test_editor_screenshots.moc"
