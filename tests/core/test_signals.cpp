// SIGTERM is handled like Ctrl-C (issue 13, item 6): the run stops within a step or
// between images, exits 130, lists what it wrote and leaves no temporary file behind.
#include <QProcess>
#include <QTemporaryDir>

#include <csignal>
#include <filesystem>

#include "test_helpers.hpp"

namespace fs = std::filesystem;

class TestSignals : public QObject {
  Q_OBJECT

  // Starts `noisegraph run graph`, waits until stderr shows `marker`, sends `sig` `count`
  // times and returns the exit code (-1 for a crash).
  int run_and_signal(const fs::path& graph, const fs::path& out, const QString& marker, int sig, int count,
                     QString* err) {
    QProcess p;
    p.setProgram(QString(NG_TEST_BINARY_DIR) + "/bin/noisegraph");
    p.setArguments({"run", QString::fromStdString(graph.string()), "--output-dir", QString::fromStdString(out.string())});
    p.start();
    if (!p.waitForStarted(30000)) return -2;
    QByteArray seen;
    while (!seen.contains(marker.toUtf8()) && p.state() == QProcess::Running) {
      p.waitForReadyRead(1000);
      seen += p.readAllStandardError();
    }
    for (int i = 0; i < count; ++i) ::kill(pid_t(p.processId()), sig);
    p.waitForFinished(120000);
    *err = QString::fromUtf8(seen + p.readAllStandardError());
    return p.exitStatus() == QProcess::CrashExit ? -1 : p.exitCode();
  }

  static int count_with(const fs::path& dir, const std::string& needle) {
    int n = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      n += it->path().filename().string().find(needle) != std::string::npos;
    return n;
  }

 private Q_SLOTS:
  void sigterm_stops_a_run_like_ctrl_c() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    ng_test::write_text(root / "slow.yaml",
                        "noisegraph: 1\nnodes:\n  wait: {type: testing.slow, params: {steps: 2000, step_ms: 5}}\n"
                        "  out: {type: testing.sink, inputs: {value: wait.value}}\n");
    QString err;
    QCOMPARE(run_and_signal(root / "slow.yaml", root / "out", "running wait", SIGTERM, 1, &err), 130);
    QVERIFY2(err.contains("cancel"), qPrintable(err));
  }

  void sigterm_during_a_save_leaves_only_complete_files() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    ng_test::write_text(root / "save.yaml",
                        "noisegraph: 1\nnodes:\n"
                        "  img: {type: image.solid, params: {width: 1024, height: 1024, batch: 24, value: 0.3}}\n"
                        "  save: {type: image.save, inputs: {image: img.image}, params: {filename_prefix: s}}\n");
    for (int signals : {1, 2}) {  // one SIGTERM: finish the image and stop; two: quit at once
      const fs::path out = root / ("out" + std::to_string(signals));
      QString err;
      const int code = run_and_signal(root / "save.yaml", out, "running save", SIGTERM, signals, &err);
      qInfo("%d signal(s): exit %d, %d PNG file(s) complete", signals, code, count_with(out, ".png"));
      QVERIFY2(code == 130 || code == 0, qPrintable(QString::number(code) + ": " + err));
      QCOMPARE(count_with(out, ".part"), 0);
      QCOMPARE(count_with(out, ".tmp"), 0);
    }
  }
};

QTEST_GUILESS_MAIN(TestSignals)
#include "test_signals.moc"
