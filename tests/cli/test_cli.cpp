// The `noisegraph` program: exit codes, messages, overrides, reports and Ctrl-C.
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImage>
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
  // The start of a safetensors file: the JSON header with the model's metadata.
  static QString read_text_of_metadata(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.read(1 << 16)) : QString();
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

  void graph_inputs_are_set_by_name_after_the_graph() {
    Result r = run({"run", graph("inputs.yaml"), "value=2", "label=hi there", "--output-dir", out_dir()});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read(out_dir() + "/out.txt"), QString("4\n"));  // both targets took the value
    r = run({"run", graph("inputs.yaml"), "valeu=2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("the graph has no input 'valeu'") && r.err.contains("did you mean 'value'?"), qPrintable(r.err));
    r = run({"run", graph("inputs.yaml"), "value=lots"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("input value: error: node 'a': parameter 'value' expects a number, found 'lots'"), qPrintable(r.err));
    r = run({"run", graph("inputs.yaml"), "value"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("NAME=VALUE"));
  }

  void describe_lists_a_graphs_inputs_with_their_values() {
    Result r = run({"describe", graph("inputs.yaml")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("6 node(s)"), qPrintable(r.out));
    QVERIFY(r.out.contains(QRegularExpression("value +FLOAT += 1\\.0 +\\(sets a\\.value, b\\.value\\)")));
    QVERIFY(r.out.contains("both addends"));
    QVERIFY(r.out.contains(QRegularExpression("seed +SEED += 5 ")));
    QVERIFY(r.out.contains(QRegularExpression("label +STRING += \"hello\"")));
    r = run({"describe", graph("inputs.yaml"), "--json"});
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["inputs"].toArray().size(), 3);
    QCOMPARE(o["inputs"].toArray()[1].toObject()["value"].toString(), QString("5"));
    QCOMPARE(o["outputs"].toArray().size(), 2);
  }

  void seeds_are_unsigned_64_bit_and_random_is_recorded() {
    Result r = run({"run", graph("inputs.yaml"), "--output-dir", out_dir(), "--seed", "18446744073709551615"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read(out_dir() + "/seed_out.txt"), QString("18446744073709551615\n"));
    QCOMPARE(run({"run", graph("inputs.yaml"), "--seed", "18446744073709551616"}).code, 2);
    const QString report = tmp_.path() + "/random.json";
    for (const char* random : {"random", "-1"}) {
      r = run({"run", graph("inputs.yaml"), "--output-dir", out_dir(), "--seed", random, "--report", report});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      const QJsonValue seed = json_file(report)["seed"];
      const QString recorded = seed.isString() ? seed.toString() : QString::number(seed.toInteger());
      QCOMPARE(read(out_dir() + "/seed_out.txt"), recorded + "\n");
    }
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
    QVERIFY(r.err.contains("run 'noisegraph run --help' for usage"));
    QCOMPARE(run({"run"}).code, 2);
    r = run({"run", graph("sum.yaml"), "--threads", "many"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--threads: expects an integer, found 'many'"), qPrintable(r.err));
    r = run({"run", graph("sum.yaml"), "--threads", "0"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("must be between 1 and 4096"), qPrintable(r.err));
    r = run({"run", graph("sum.yaml"), "--seed"});
    QCOMPARE(r.code, 2);
    QCOMPARE(run({"run", graph("sum.yaml"), "--seed", "-2"}).code, 2);
    r = run({"run", graph("sum.yaml"), "--device", "tpu"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--device"));
    QCOMPARE(run({"--help"}).code, 0);
  }

  void every_command_has_its_own_help() {
    for (const char* command : {"run", "validate", "nodes", "describe", "plugins"}) {
      Result r = run({command, "--help"});
      QVERIFY2(r.code == 0, command);
      QVERIFY2(r.out.contains(QString("Usage: noisegraph ") + command), qPrintable(r.out));
      QCOMPARE(run({"help", command}).out, r.out);
    }
    Result r = run({"run", "--help"});
    for (const char* option : {"--set", "--output-dir", "--seed", "--threads", "--device", "--models", "--report",
                               "--plugins", "--quiet", "--verbose"})
      QVERIFY2(r.out.contains(option), option);
    r = run({"--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("Exit codes: 0 ok"));
    QVERIFY(r.out.contains("Documentation: "));
    r = run({});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("Usage: noisegraph"));
  }

  void version_names_noisegraph_and_libtorch() {
    Result r = run({"--version"});
    QCOMPARE(r.code, 0);
    QVERIFY2(QRegularExpression("^noisegraph \\d+\\.\\d+\\.\\d+ \\(LibTorch \\d+\\.\\d+").match(r.out).hasMatch(),
             qPrintable(r.out));
  }

  void unknown_commands_and_options_get_suggestions() {
    Result r = run({"rn", graph("sum.yaml")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("unknown command 'rn'; did you mean 'run'?"), qPrintable(r.err));
    r = run({"frobnicate"});
    QVERIFY(r.err.contains("(commands: "));
    r = run({"run", graph("sum.yaml"), "--thread", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("unknown option '--thread' for 'run'; did you mean '--threads'?"), qPrintable(r.err));
    r = run({"run", graph("sum.yaml"), graph("sum.yaml")});  // words after the graph are graph inputs
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("expected a graph input as NAME=VALUE after the graph"), qPrintable(r.err));
  }

  void sampler_spellings_of_other_tools_are_named() {
    // The sample plugin's enum: what other tools call the same samplers.
    const QString g = QString(NG_TEST_SOURCE_DIR) + "/graphs/txt2img.yaml";
    const QList<QPair<QString, QString>> cases = {
        {"euler_a", "'euler_a' is called 'euler_ancestral' here"},
        {"k_euler", "'k_euler' is called 'euler' here"},
        {"k_euler_a", "'k_euler_a' is called 'euler_ancestral' here"},
        {"dpm++2m", "'dpm++2m' is called 'dpmpp_2m' here"},
        {"dpmpp_2m_karras", "'dpmpp_2m_karras' is 'dpmpp_2m' here, with the 'karras' schedule chosen separately"},
        {"eulr", "did you mean 'euler'?"},
    };
    for (const auto& [typed, hint] : cases) {
      Result r = run({"run", g, "--set", "sample.sampler=" + typed, "--output-dir", out_dir()});
      QCOMPARE(r.code, 1);
      QVERIFY2(r.err.contains(hint), qPrintable(typed + ": " + r.err));
    }
  }

  void nodes_hides_test_fixtures_and_filters() {
    Result r = run({"nodes"});
    QCOMPARE(r.code, 0);
    QVERIFY(!r.out.contains("testing."));
    QVERIFY(r.out.contains("sample.ksampler"));
    r = run({"nodes", "--category", "sampling"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("sample.ksampler"));
    QVERIFY(!r.out.contains("image.save"));
    for (const auto& v : QJsonDocument::fromJson(run({"nodes", "--json", "-c", "sampling"}).out.toUtf8()).array()) {
      const QString category = v.toObject()["category"].toString();
      QVERIFY2(category == "sampling" || category.startsWith("sampling/"), qPrintable(category));
    }
    r = run({"nodes", "--category", "samplin"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("did you mean 'sampling'?"), qPrintable(r.err));
    r = run({"nodes", "EULER"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("sample.sampler"));
    QVERIFY(!r.out.contains("image.save"));
    QCOMPARE(run({"nodes", "no-such-words"}).code, 1);
    r = run({"nodes", "--all", "--category", "testing"});
    QVERIFY(r.out.contains("testing.add"));
    r = run({"nodes", "--json"});
    QVERIFY(!r.out.contains("\"testing.add\""));
  }

  void nodes_prints_whole_first_sentences() {
    // "1 = no guidance." or "e.g." must not end a sentence, and nothing is cut to a width.
    Result r = run({"nodes", "--category", "sampling"});
    QJsonArray list = QJsonDocument::fromJson(run({"nodes", "--json", "--category", "sampling"}).out.toUtf8()).array();
    QVERIFY(list.size() > 3);
    QString text = r.out;
    text.replace(QRegularExpression("\n +"), " ");
    for (const auto& v : list) {
      const QString description = v.toObject()["description"].toString().simplified();
      const QString id = v.toObject()["id"].toString();
      const QRegularExpressionMatch m = QRegularExpression("^" + QRegularExpression::escape(id) + " +\\S+ +(.*)$",
                                                           QRegularExpression::MultilineOption)
                                            .match(text);
      QVERIFY2(m.hasMatch(), qPrintable(id));
      const QString shown = m.captured(1);
      QVERIFY2(description.startsWith(shown), qPrintable(id + ": " + shown));
      QVERIFY2(shown.endsWith('.') || shown == description, qPrintable(id + ": " + shown));
      QVERIFY2(shown.count('(') == shown.count(')'), qPrintable(id + ": " + shown));  // not "(Lugmayr et al."
    }
  }

  void progress_shows_rate_elapsed_and_eta() {
    Result r = run({"run", graph("slow.yaml"), "--output-dir", out_dir(), "--set", "wait.steps=40", "--set",
                    "wait.step_ms=1"});
    QCOMPARE(r.code, 0);
    QVERIFY2(QRegularExpression("wait 50% step 20/40, [0-9.]+ (it/s|s/it), elapsed [0-9.]+ (ms|s), ETA ")
                 .match(r.err)
                 .hasMatch(),
             qPrintable(r.err));
    QVERIFY2(QRegularExpression("done +wait \\(.*, 40 steps at [0-9.]+ (it/s|s/it)\\)").match(r.err).hasMatch(),
             qPrintable(r.err));
  }

  void report_records_versions_overrides_and_time() {
    const QString report = tmp_.path() + "/versions.json";
    Result r = run({"run", graph("sum.yaml"), "--output-dir", out_dir(), "--report", report, "--set", "a.value=2",
                    "--set", "b.value=0.5"});
    QCOMPARE(r.code, 0);
    QJsonObject o = json_file(report);
    QCOMPARE(o["noisegraph_version"].toString(), run({"--version"}).out.section(' ', 1, 1));
    QVERIFY(o["libtorch_version"].toString().contains(QRegularExpression("^\\d+\\.\\d+")));
    QCOMPARE(o["overrides"].toArray(), (QJsonArray{"a.value=2", "b.value=0.5"}));
    const QDateTime started = QDateTime::fromString(o["started_at"].toString(), Qt::ISODate);
    QVERIFY(started.isValid());
    QVERIFY(qAbs(started.secsTo(QDateTime::currentDateTimeUtc())) < 3600);
  }

  void editor_help_and_version_need_no_display() {
    // As in a terminal without X: no DISPLAY, no platform plugin override.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(name);
    for (const QStringList& args : {QStringList{"--help"}, QStringList{"--version"}, QStringList{"-h"}}) {
      QProcess p;
      p.setProcessEnvironment(env);
      p.start(NG_EDITOR_BINARY, args);
      QVERIFY(p.waitForFinished(30000));
      QCOMPARE(p.exitStatus(), QProcess::NormalExit);
      QCOMPARE(p.exitCode(), 0);
      const QString out = QString::fromUtf8(p.readAllStandardOutput());
      QVERIFY2(out.contains(args.front() == "--version" ? "noisegraph-editor 0.1" : "--output-dir"), qPrintable(out));
    }
  }

  void training_never_replaces_a_model_by_accident() {
    // The documented recipe (`--set train.data_folder=...`) once overwrote a shipped model.
    const QString g = QString(NG_TEST_SOURCE_DIR) + "/graphs/train/vae.yaml";
    const QString dir = tmp_.path() + "/train";
    QVERIFY(QDir().mkpath(dir + "/models"));
    QFile f(dir + "/models/fmnist-vae.safetensors");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("an earlier model");
    f.close();
    Result r = run({"run", g, "--output-dir", dir, "--set", "train.steps=1", "--set", "train.sample_every=0"});
    QCOMPARE(r.code, 3);
    QVERIFY2(r.err.contains("already exists; set replace_output to true"), qPrintable(r.err));
    QCOMPARE(read(dir + "/models/fmnist-vae.safetensors"), QString("an earlier model"));
    // Outputs stay in the output folder: the shipped models cannot be named.
    r = run({"run", g, "--output-dir", dir, "--set", "train.output=../../models/fmnist-vae.safetensors"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("must not leave the output folder"));
  }

  void latent_training_graphs_take_the_channels_of_their_autoencoder() {
    // The training graphs of the shipped latent models, in fmnist-vae8-perceptual's 8x8x8
    // latents: the nodes once assumed 4 channels and failed on any other autoencoder.
    for (const char* name : {"latent8-unet-v", "latent8-flow-ln", "latent8-classifier"}) {
      const QString dir = tmp_.path() + "/" + name;
      Result r = run({"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/train/" + name + ".yaml", "--output-dir", dir,
                      "--threads", "1", "--set", "train.steps=1", "--set", "train.limit_examples=32", "--set",
                      "train.batch_size=8", "--set", "train.sample_every=0", "--set", "train.warmup_steps=0"});
      QVERIFY2(r.code == 0, qPrintable(name + (": " + r.err)));
      const QString model = dir + "/models/fmnist-" + name + ".safetensors";
      QVERIFY2(QFileInfo(model).size() > 0, name);
      // The trained model generates in the shipped autoencoder's latent space.
      QVERIFY2(read_text_of_metadata(model).contains("fmnist-vae8-perceptual.safetensors"), name);
    }
  }

  void outputs_record_the_thread_count() {
    // Bytes are identical only at one thread count (README, "Reproducibility").
    const QString report = tmp_.path() + "/threads.json";
    Result r = run({"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/txt2img.yaml", "--output-dir", out_dir() + "/threads",
                    "--set", "sample.steps=1", "--set", "latent.batch=1", "--threads", "1", "--report", report});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(json_file(report)["threads"].toInt(), 1);
    const QString text = QImage(r.out.trimmed()).text("noisegraph");
    QVERIFY2(text.startsWith("# run with LibTorch "), qPrintable(text.left(80)));
    QVERIFY(text.section('\n', 0, 0).contains(", 1 thread(s), device cpu"));
    QVERIFY(text.contains("\nnoisegraph: 1\n"));
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
    Result r = run({"nodes", "--all"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("testing.add"));
    r = run({"nodes", "--json", "--all"});
    QCOMPARE(r.code, 0);
    QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QJsonObject params;
    for (const auto& v : list)
      if (v.toObject()["id"].toString() == "testing.params") params = v.toObject();
    QCOMPARE(params["plugin"].toString(), QString("testing"));
    QCOMPARE(params["version"].toString(), QString("1.1"));
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
