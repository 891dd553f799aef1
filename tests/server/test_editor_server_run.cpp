// The editor's "Run on Server…": the open graph runs on a `noisegraph serve` server, its
// progress reaches the window through the WebSocket, and the output is downloaded into the
// editor's output folder with the bytes the CLI writes.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include "main_window.hpp"
#include "server_run.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "server_harness.hpp"

using namespace srvtest;

class TestEditorServerRun : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void a_graph_runs_on_the_server_and_its_output_lands_locally() {
    QTemporaryDir tmp;
    const quint16 port = free_port();
    auto srv = start_serve(port, tmp.path() + "/store");
    ng::host::PluginRegistry registry;
    registry.load_directory(NG_TEST_PLUGIN_DIR);
    ng::editor::MainWindow w(registry);
    QVERIFY(w.open_file(QString(NG_TEST_SOURCE_DIR) + "/tests/server/data/small.yaml", nullptr, false));
    w.set_output_dir(tmp.filePath("local"), false);
    QSignalSpy done(w.findChild<ng::editor::ServerRunController*>(), SIGNAL(finished(ng::host::RunResult)));
    QVERIFY(w.run_on_server(QUrl(QString("http://127.0.0.1:%1").arg(port))));
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
    const auto files = QDir(tmp.filePath("local")).entryList(QDir::Files);
    QCOMPARE(files.size(), 1);
    // Same bytes as the CLI for the same graph.
    QProcess cli;
    cli.start(NG_CLI_BINARY, {"run", QString(NG_TEST_SOURCE_DIR) + "/tests/server/data/small.yaml", "--output-dir",
                              tmp.filePath("cli"), "--quiet", "--threads", "1"});
    QVERIFY(cli.waitForFinished(120000));
    QFile a(tmp.filePath("local/" + files.first())), b(QString::fromUtf8(cli.readAllStandardOutput()).trimmed());
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QCOMPARE(a.readAll(), b.readAll());
  }
};

QTEST_MAIN(TestEditorServerRun)
#include "test_editor_server_run.moc"
