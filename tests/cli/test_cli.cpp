// The `noisegraph` program: exit codes, messages, overrides, reports and Ctrl-C.
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <signal.h>

namespace {

struct Result {
  int code = -1;
  QString out, err;
};

QString graph(const char* name) { return QString(NG_TEST_SOURCE_DIR) + "/tests/data/graphs/" + name; }

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  QString out_dir() const { return tmp_.path() + "/out"; }

  Result run(const QStringList& args, int timeout_ms = 60000) {
    QProcess p;
    p.start(NG_CLI_BINARY, args);
    if (!p.waitForFinished(timeout_ms)) {
      p.kill();
      p.waitForFinished();
    }
    Result r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
  }
  static QString read(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll());
  }
  static QJsonObject json_file(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
  }

 private Q_SLOTS:
  void run_succeeds_and_prints_the_files_it_wrote() {
    Result r = run({"run", graph("sum.yaml"), "--output-dir", out_dir()});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out.trimmed(), out_dir() + "/result.txt");
    QCOMPARE(read(out_dir() + "/result.txt"), QString("3.5\n"));
    QVERIFY(r.err.contains("done in"));
  }

  void quiet_run_prints_only_the_files() {
    Result r = run({"run", graph("sum.yaml"), "--output-dir", out_dir(), "--quiet"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.err, QString());
    QCOMPARE(r.out.trimmed(), out_dir() + "/result.txt");
  }

  void set_overrides_a_parameter_by_name() {
    Result r = run({"run", graph("sum.yaml"), "--output-dir", out_dir(), "--set", "a.value=10", "--set=b.value=0.25"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read(out_dir() + "/result.txt"), QString("10.25\n"));
  }

  void set_with_a_bad_target_is_a_usage_error() {
    Result r = run({"run", graph("sum.yaml"), "--set", "sun.value=1"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("no node 'sun'"));
    QVERIFY(r.err.contains("did you mean 'sum'?"));
    r = run({"run", graph("sum.yaml"), "--set", "a.vale=1"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("did you mean 'value'?"));
    r = run({"run", graph("sum.yaml"), "--set", "a.value"});
    QCOMPARE(r.code, 2);
  }

  void set_with_a_bad_value_is_a_graph_error() {
    Result r = run({"run", graph("sum.yaml"), "--set", "a.value=lots"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("parameter 'value' expects a number, found 'lots'"));
  }

  void seed_sets_every_seed_parameter() {
    Result r = run({"run", graph("seeded.yaml"), "--output-dir", out_dir(), "--seed", "99"});
    QCOMPARE(r.code, 0);
    QCOMPARE(read(out_dir() + "/seed_p.txt"), QString("99\n"));
    QCOMPARE(read(out_dir() + "/seed_q.txt"), QString("99\n"));
  }

  void validate_reports_every_problem_with_its_location() {
    Result r = run({"validate", graph("invalid.yaml")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains(graph("invalid.yaml") + ":4:11: error: node 'a': unknown node type 'testing.constnat'"));
    QVERIFY(r.err.contains("hint: did you mean 'testing.constant'?"));
    QVERIFY(r.err.contains(":20:58: error: node 'p': parameter 'mode' must be one of"));
    QVERIFY(r.err.contains("16 problem(s)"));
    r = run({"validate", graph("sum.yaml")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("ok (4 node(s))"));
  }

  void validate_json_lists_problems() {
    Result r = run({"validate", graph("invalid.yaml"), "--json"});
    QCOMPARE(r.code, 1);
    QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["ok"].toBool(), false);
    QCOMPARE(o["problems"].toArray().size(), 16);
    QJsonObject first = o["problems"].toArray()[0].toObject();
    QCOMPARE(first["code"].toString(), QString("unknown_node_type"));
    QCOMPARE(first["line"].toInt(), 4);
  }

  void unreadable_graphs_are_graph_errors() {
    QFile f(tmp_.path() + "/broken.yaml");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("noisegraph: 1\nnodes: {a: [\n");
    f.close();
    Result r = run({"run", tmp_.path() + "/broken.yaml"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("broken.yaml:"));
    QVERIFY(r.err.contains("[yaml_syntax]"));
    r = run({"run", tmp_.path() + "/missing.yaml"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("no such file"));
  }

  void usage_errors_exit_with_2() {
    QCOMPARE(run({}).code, 2);
    QCOMPARE(run({"frobnicate"}).code, 2);
    Result r = run({"run", graph("sum.yaml"), "--frob"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("unknown option '--frob'"));
    QCOMPARE(run({"run"}).code, 2);
    r = run({"run", graph("sum.yaml"), "--threads", "many"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--threads expects an integer"));
    QCOMPARE(run({"run", graph("sum.yaml"), "--seed", "-1"}).code, 2);
    r = run({"run", graph("sum.yaml"), "--device", "tpu"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--device"));
    QCOMPARE(run({"--help"}).code, 0);
  }

  void cuda_without_a_gpu_is_a_clear_usage_error() {
    Result r = run({"run", graph("sum.yaml"), "--device", "cuda", "--output-dir", out_dir()});
    if (r.code == 0) QSKIP("this machine has a CUDA device");
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("no usable CUDA device"));
  }

  void a_failing_node_exits_with_3_and_names_the_node() {
    Result r = run({"run", graph("failing.yaml"), "--output-dir", out_dir()});
    QCOMPARE(r.code, 3);
    QVERIFY(r.err.contains("node 'boom' (testing.fail) failed: the fixture failed on purpose"));
  }

  void an_unwritable_output_folder_exits_with_3() {
    QFile f(tmp_.path() + "/plainfile");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    Result r = run({"run", graph("sum.yaml"), "--output-dir", tmp_.path() + "/plainfile/out"});
    QCOMPARE(r.code, 3);
    QVERIFY(r.err.contains("cannot create output folder"));
  }

  void report_describes_the_run() {
    const QString report = tmp_.path() + "/report.json";
    Result r = run({"run", graph("sum.yaml"), "--output-dir", out_dir(), "--report", report, "--seed", "4", "--threads", "1"});
    QCOMPARE(r.code, 0);
    QJsonObject o = json_file(report);
    QCOMPARE(o["status"].toString(), QString("ok"));
    QCOMPARE(o["exit_code"].toInt(), 0);
    QCOMPARE(o["seed"].toInt(), 4);
    QCOMPARE(o["threads"].toInt(), 1);
    QCOMPARE(o["device"].toString(), QString("cpu"));
    QVERIFY(o["failed_node"].isNull());
    QJsonArray nodes = o["nodes"].toArray();
    QCOMPARE(nodes.size(), 4);
    QCOMPARE(nodes[3].toObject()["id"].toString(), QString("out"));
    QCOMPARE(nodes[3].toObject()["type"].toString(), QString("testing.sink"));
    QVERIFY(nodes[3].toObject()["wall_ms"].toDouble() >= 0);
    QCOMPARE(nodes[3].toObject()["cached"].toBool(), false);
    QCOMPARE(o["files"].toArray()[0].toObject()["path"].toString(), out_dir() + "/result.txt");
  }

  void report_is_written_for_failures_too() {
    const QString report = tmp_.path() + "/failed.json";
    QCOMPARE(run({"run", graph("failing.yaml"), "--output-dir", out_dir(), "--report", report}).code, 3);
    QJsonObject o = json_file(report);
    QCOMPARE(o["status"].toString(), QString("failed"));
    QCOMPARE(o["exit_code"].toInt(), 3);
    QCOMPARE(o["failed_node"].toString(), QString("boom"));
    QCOMPARE(o["message"].toString(), QString("the fixture failed on purpose"));
    QCOMPARE(run({"run", graph("invalid.yaml"), "--report", report}).code, 1);
    o = json_file(report);
    QCOMPARE(o["problems"].toArray().size(), 16);
  }

  void ctrl_c_cancels_within_a_step_and_exits_130() {
    const QString report = tmp_.path() + "/cancel.json";
    QProcess p;
    p.start(NG_CLI_BINARY, {"run", graph("slow.yaml"), "--output-dir", out_dir(), "--report", report});
    QVERIFY(p.waitForStarted());
    // Wait until the slow node reports progress, then interrupt like a terminal would.
    QByteArray err;
    QElapsedTimer timer;
    timer.start();
    while (!err.contains("wait") && timer.elapsed() < 30000) {
      p.waitForReadyRead(100);
      err += p.readAllStandardError();
    }
    QVERIFY2(err.contains("running wait"), err.constData());
    ::kill(pid_t(p.processId()), SIGINT);
    timer.restart();
    QVERIFY(p.waitForFinished(5000));
    QVERIFY2(timer.elapsed() < 2000, "cancel took more than a few steps");
    QCOMPARE(p.exitCode(), 130);
    QCOMPARE(json_file(report)["status"].toString(), QString("cancelled"));
  }

  void nodes_lists_types_as_text_and_json() {
    Result r = run({"nodes"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("testing.add"));
    r = run({"nodes", "--json"});
    QCOMPARE(r.code, 0);
    QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QJsonObject params;
    for (const auto& v : list)
      if (v.toObject()["id"].toString() == "testing.params") params = v.toObject();
    QCOMPARE(params["plugin"].toString(), QString("testing"));
    QCOMPARE(params["version"].toString(), QString("1.0"));
    QJsonArray ps = params["params"].toArray();
    QCOMPARE(ps[0].toObject()["name"].toString(), QString("count"));
    QCOMPARE(ps[0].toObject()["kind"].toString(), QString("INT"));
    QCOMPARE(ps[0].toObject()["max"].toDouble(), 10.0);
    QCOMPARE(ps[4].toObject()["choices"].toArray().size(), 3);
  }

  void describe_shows_ports_and_parameters() {
    Result r = run({"describe", "testing.params"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("choices: fast slow exact"));
    QVERIFY(r.out.contains("range [1, 10]"));
    r = run({"describe", "testing.ad"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("did you mean testing.add"));
  }

  void plugins_lists_failures_with_reasons() {
    Result r = run({"plugins", "--plugins", NG_BAD_PLUGIN_DIR});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("fixture_good"));
    QVERIFY(r.out.contains("testing"));
    QVERIFY(r.out.contains("ABI 999"));
    QVERIFY(r.out.contains("not a loadable shared library"));
    r = run({"plugins", "--json", "--plugins", NG_BAD_PLUGIN_DIR});
    QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(o["failed"].toArray().size() >= 6);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
