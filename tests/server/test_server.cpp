// `noisegraph serve` and `noisegraph worker` as clients see them: jobs through the HTTP API
// give the CLI's bytes, events arrive on the WebSocket, bad requests get a 4xx and change
// nothing, and with Redis Streams jobs survive dead workers, restarted front ends and a
// restarted Redis, completing exactly once.
#include <QtCore/QCryptographicHash>
#include <QtCore/QDirIterator>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <QtWebSockets/QWebSocket>

#include <set>

#include "server_harness.hpp"

using namespace srvtest;

namespace {

// The bytes the CLI writes for tests/server/data/small.yaml with sample.seed = seed.
QByteArray cli_output(const QString& dir, int seed) {
  QProcess p;
  p.start(NG_CLI_BINARY, {"run", QString(NG_TEST_SOURCE_DIR) + "/tests/server/data/small.yaml", "--output-dir", dir,
                          "--quiet", "--threads", "1", "--set", QString("sample.seed=%1").arg(seed)});
  p.waitForFinished(120000);
  const QString file = QString::fromUtf8(p.readAllStandardOutput()).trimmed().split('\n').last().trimmed();
  QFile f(file);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray view(quint16 port, const QJsonObject& entry) {
  const QString file = entry.value("files").toArray().at(0).toString();
  const auto slash = file.indexOf('/');
  return request("GET", QString("http://127.0.0.1:%1/view?subfolder=%2&filename=%3")
                            .arg(port).arg(file.left(slash), file.mid(slash + 1))).body;
}

// Job folders and files under an output store (ignoring the database and .partial).
std::map<QString, QStringList> store_contents(const QString& store) {
  std::map<QString, QStringList> out;
  for (const auto& d : QDir(store).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
    if (!d.startsWith('.')) out[d] = QDir(store + "/" + d).entryList(QDir::Files);
  return out;
}

}  // namespace

class TestServer : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;
  QByteArray small_ = graph_text("small.yaml");
  std::map<int, QByteArray> cli_;  // seed -> CLI bytes

  QByteArray cli(int seed) {
    if (!cli_.count(seed)) cli_[seed] = cli_output(tmp_.path() + QString("/cli-%1").arg(seed), seed);
    return cli_[seed];
  }

 private Q_SLOTS:
  void initTestCase() {
    if (QStandardPaths::findExecutable("redis-server").isEmpty()) QSKIP("redis-server is not installed (scripts/setup.sh installs it)");
    QVERIFY(!cli(1).isEmpty());
  }

  void embedded_job_gives_the_cli_bytes() {
    const quint16 port = free_port();
    auto srv = start_serve(port, tmp_.path() + "/embedded");
    const Http r = request("POST", QString("http://127.0.0.1:%1/prompt").arg(port), small_);  // raw YAML, as curl sends it
    QCOMPARE(r.status, 200);
    const QString id = r.json().value("prompt_id").toString();
    const QJsonObject e = wait_finished(port, id);
    QCOMPARE(e.value("status").toObject().value("status_str").toString(), QString("success"));
    QCOMPARE(view(port, e), cli(1));
  }

  void graph_inputs_in_a_request_give_the_cli_bytes_for_that_value() {
    const quint16 port = free_port();
    auto srv = start_serve(port, tmp_.path() + "/inputs");
    const QString base = QString("http://127.0.0.1:%1/prompt").arg(port);
    QJsonObject o{{"prompt", QString::fromUtf8(small_)}, {"client_id", "c"}, {"inputs", QJsonObject{{"seed", 2}}}};
    const Http r = request("POST", base, QJsonDocument(o).toJson(QJsonDocument::Compact));
    QCOMPARE(r.status, 200);
    const QJsonObject e = wait_finished(port, r.json().value("prompt_id").toString());
    QCOMPARE(view(port, e), cli(2));  // what `noisegraph run small.yaml --set sample.seed=2` writes
    // An undeclared input or a value of the wrong kind is refused with the validator's words.
    o["inputs"] = QJsonObject{{"sed", 2}};
    Http bad = request("POST", base, QJsonDocument(o).toJson(QJsonDocument::Compact));
    QCOMPARE(bad.status, 400);
    QVERIFY2(bad.body.contains("did you mean 'seed'?"), bad.body.constData());
    o["inputs"] = QJsonObject{{"seed", "many"}};
    bad = request("POST", base, QJsonDocument(o).toJson(QJsonDocument::Compact));
    QCOMPARE(bad.status, 400);
    QVERIFY2(bad.body.contains("expects a seed"), bad.body.constData());
  }

  void websocket_reports_progress_previews_and_the_result() {
    const quint16 port = free_port();
    auto srv = start_serve(port, tmp_.path() + "/ws");
    QWebSocket ws;
    QStringList types;
    int previews = 0;
    bool finished = false;
    connect(&ws, &QWebSocket::textMessageReceived, this, [&](const QString& m) {
      const QJsonObject o = QJsonDocument::fromJson(m.toUtf8()).object();
      types << o.value("type").toString();
      if (o.value("type") == "executing" && o.value("data").toObject().value("node").isNull()) finished = true;
    });
    connect(&ws, &QWebSocket::binaryMessageReceived, this, [&](const QByteArray& b) {
      if (b.startsWith(QByteArray("\0\0\0\1\0\0\0\2\x89PNG", 12))) ++previews;
    });
    ws.open(QUrl(QString("ws://127.0.0.1:%1/ws?clientId=alice").arg(port)));
    QTRY_VERIFY_WITH_TIMEOUT(ws.state() == QAbstractSocket::ConnectedState, 60000);
    const Http r = request("POST", QString("http://127.0.0.1:%1/prompt").arg(port), submission(small_, "alice"));
    QCOMPARE(r.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(finished, 120000);
    for (const char* t : {"status", "execution_start", "executing", "progress", "executed"})
      QVERIFY2(types.contains(t), qPrintable(types.join(",")));
    QVERIFY(previews >= 1);
  }

  void bad_requests_get_a_4xx_and_the_server_keeps_serving() {
    const quint16 port = free_port();
    auto srv = start_serve(port, tmp_.path() + "/bad", {"--max-body", "100000"});
    const QString base = QString("http://127.0.0.1:%1").arg(port);
    struct Case {
      const char* what;
      QByteArray method, path, body;
      int status;
      const char* needle;
    } cases[] = {
        {"malformed JSON", "POST", "/prompt", "{\"prompt\": ", 400, "invalid_json"},
        {"malformed YAML", "POST", "/prompt", "nodes: [", 400, "YAML"},
        {"unknown node", "POST", "/prompt", submission("noisegraph: 1\nnodes:\n  x: {type: nope.node}\n", "c"), 400, "unknown node type"},
        {"path outside the roots", "POST", "/prompt",
         submission("noisegraph: 1\nnodes:\n  l: {type: image.load, params: {path: /etc/passwd}}\n"
                    "  s: {type: image.save, inputs: {image: l.image}}\n", "c"), 400, "outside the folders"},
        {"write outside the output", "POST", "/prompt",
         submission(small_ + "", "c", QJsonObject{{"save.filename_prefix", "../../escape"}}), 400, "save"},
        {"unknown override", "POST", "/prompt", submission(small_, "c", QJsonObject{{"sample.stepz", 3}}), 400, "stepz"},
        {"traversal in /view", "GET", "/view?filename=../jobs.sqlite&subfolder=x", {}, 400, "'..'"},
        {"absolute path in /view", "GET", "/view?filename=/etc/passwd", {}, 400, "absolute"},
        {"unknown job", "GET", "/history/nope", {}, 404, "nope"},
        {"delete unknown job", "DELETE", "/queue/nope", {}, 404, "nope"},
    };
    for (const auto& c : cases) {
      const Http h = request(c.method, base + c.path, c.body);
      QVERIFY2(h.status == c.status, qPrintable(QString("%1: %2 %3").arg(c.what).arg(h.status).arg(QString(h.body))));
      QVERIFY2(h.body.contains(c.needle), qPrintable(QString("%1: %2").arg(c.what, QString(h.body))));
    }
    {  // an oversize body is answered before it is read (a raw socket: the client keeps writing)
      QTcpSocket sock;
      sock.connectToHost(QHostAddress::LocalHost, port);
      QVERIFY(sock.waitForConnected(5000));
      sock.write("POST /prompt HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + QByteArray(200000, 'a'));
      QByteArray answer;
      while (sock.waitForReadyRead(5000)) answer += sock.readAll();
      QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());
    }
    // Still serving, and nothing escaped.
    const Http r = request("POST", base + "/prompt", submission(small_, "c"));
    QCOMPARE(r.status, 200);
    QCOMPARE(wait_finished(port, r.json().value("prompt_id").toString()).value("status").toObject().value("status_str").toString(),
             QString("success"));
    QVERIFY(!QFile::exists(tmp_.path() + "/escape_00001.png"));
  }

  void a_token_is_required_beyond_loopback() {
    const quint16 port = free_port();
    auto open = start_noisegraph({"serve", "--listen", "0.0.0.0", "--port", QString::number(port), "--output-store", tmp_.path() + "/tok"});
    QVERIFY(open->p->waitForFinished(30000));
    QVERIFY(open->p->exitCode() != 0);
    QVERIFY(open->p->readAllStandardError().contains("--token"));
    auto srv = start_serve(port, tmp_.path() + "/tok", {"--listen", "0.0.0.0", "--token", "s3cret"});
    QCOMPARE(request("GET", QString("http://127.0.0.1:%1/queue").arg(port)).status, 401);
    QCOMPARE(request("GET", QString("http://127.0.0.1:%1/queue").arg(port), {}, "wrong").status, 401);
    QCOMPARE(request("GET", QString("http://127.0.0.1:%1/queue").arg(port), {}, "s3cret").status, 200);
  }

  void an_embedded_server_restarted_with_queued_jobs_runs_them() {
    const quint16 port = free_port();
    const QString store = tmp_.path() + "/restart";
    QStringList ids;
    {
      auto srv = start_serve(port, store);
      for (int i = 0; i < 4; ++i) {
        const Http r = request("POST", QString("http://127.0.0.1:%1/prompt").arg(port),
                               submission(small_, "c", QJsonObject{{"sample.steps", 40}}));
        QCOMPARE(r.status, 200);
        ids << r.json().value("prompt_id").toString();
      }
      srv->kill9();  // no goodbye: the first job was running, the others queued
    }
    auto srv = start_serve(port, store);
    for (const auto& id : ids)
      QCOMPARE(wait_finished(port, id).value("status").toObject().value("status_str").toString(), QString("success"));
    const auto contents = store_contents(store);
    QCOMPARE(int(contents.size()), 4);
    for (const auto& [dir, files] : contents) QCOMPARE(files.size(), 1);
  }

  void redis_two_front_ends_two_workers_200_jobs_from_8_clients_complete_exactly_once() {
    const quint16 rport = free_port(), p1 = free_port(), p2 = free_port();
    const QString store = tmp_.path() + "/scale", queue = QString("redis://127.0.0.1:%1").arg(rport);
    QDir().mkpath(tmp_.path() + "/redis1");
    auto redis = start_redis(rport, tmp_.path() + "/redis1");
    QVERIFY(redis_ping(rport));
    auto f1 = start_serve(p1, store, {"--queue", queue});
    auto f2 = start_serve(p2, store, {"--queue", queue});
    auto w1 = start_worker(queue, store, "w1");
    auto w2 = start_worker(queue, store, "w2");
    // 8 clients submit 25 jobs each, alternating front ends, without waiting for answers.
    QNetworkAccessManager nam;
    std::map<QString, int> seed_of;
    int answered = 0;
    for (int i = 0; i < 200; ++i) {
      const quint16 port = i % 2 ? p2 : p1;
      QNetworkRequest req(QUrl(QString("http://127.0.0.1:%1/prompt").arg(port)));
      req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
      QNetworkReply* r = nam.post(req, submission(small_, QString("client%1").arg(i % 8), QJsonObject{{"sample.seed", i % 4}, {"sample.steps", 2}}));
      connect(r, &QNetworkReply::finished, this, [&, r, i] {
        const auto id = QJsonDocument::fromJson(r->readAll()).object().value("prompt_id").toString();
        if (!id.isEmpty()) seed_of[id] = i % 4;
        ++answered;
        r->deleteLater();
      });
    }
    QTRY_COMPARE_WITH_TIMEOUT(answered, 200, 120000);
    QCOMPARE(int(seed_of.size()), 200);
    std::map<int, QByteArray> cli2;
    for (int s = 0; s < 4; ++s) cli2[s] = cli_output(tmp_.path() + QString("/cli2-%1").arg(s), s);
    // The CLI reference above used sample.steps from the graph (4); recompute with 2 steps.
    for (int s = 0; s < 4; ++s) {
      QProcess p;
      p.start(NG_CLI_BINARY, {"run", QString(NG_TEST_SOURCE_DIR) + "/tests/server/data/small.yaml", "--output-dir",
                              tmp_.path() + QString("/cli2s-%1").arg(s), "--quiet", "--threads", "1", "--set",
                              QString("sample.seed=%1").arg(s), "--set", "sample.steps=2"});
      p.waitForFinished(120000);
      QFile f(QString::fromUtf8(p.readAllStandardOutput()).trimmed());
      QVERIFY(f.open(QIODevice::ReadOnly));
      cli2[s] = f.readAll();
    }
    std::map<QString, int> by_worker;
    for (const auto& [id, seed] : seed_of) {
      const QJsonObject e = wait_finished(id.size() % 2 ? p1 : p2, id);
      QCOMPARE(e.value("status").toObject().value("status_str").toString(), QString("success"));
      QCOMPARE(e.value("attempts").toInt(), 1);
      ++by_worker[e.value("worker").toString()];
      QCOMPARE(view(p1, e), cli2[seed]);
    }
    QCOMPARE(int(by_worker.size()), 2);  // both workers took jobs
    const auto contents = store_contents(store);
    QCOMPARE(int(contents.size()), 200);
    for (const auto& [dir, files] : contents) QCOMPARE(files.size(), 1);
  }

  void redis_a_killed_worker_s_job_is_finished_by_the_other_without_duplicates() {
    const quint16 rport = free_port(), port = free_port();
    const QString store = tmp_.path() + "/takeover", queue = QString("redis://127.0.0.1:%1").arg(rport);
    QDir().mkpath(tmp_.path() + "/redis2");
    auto redis = start_redis(rport, tmp_.path() + "/redis2");
    auto front = start_serve(port, store, {"--queue", queue});
    auto w1 = start_worker(queue, store, "first", {"--visibility-ms", "2000"});
    const Http r = request("POST", QString("http://127.0.0.1:%1/prompt").arg(port), submission(small_, "c", QJsonObject{{"sample.steps", 400}}));
    const QString id = r.json().value("prompt_id").toString();
    QTRY_VERIFY_WITH_TIMEOUT(request("GET", QString("http://127.0.0.1:%1/queue").arg(port)).json().value("queue_running").toArray().size() == 1, 30000);
    QThread::msleep(500);
    w1->kill9();  // mid-job
    auto w2 = start_worker(queue, store, "second", {"--visibility-ms", "2000"});
    const QJsonObject e = wait_finished(port, id);
    QCOMPARE(e.value("status").toObject().value("status_str").toString(), QString("success"));
    QCOMPARE(e.value("worker").toString(), QString("second"));
    QCOMPARE(e.value("attempts").toInt(), 2);
    const auto contents = store_contents(store);
    QCOMPARE(int(contents.size()), 1);
    QCOMPARE(contents.begin()->second.size(), 1);
    QVERIFY(QDir(store + "/.partial").entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
  }

  void redis_restarted_with_aof_loses_no_job() {
    const quint16 rport = free_port(), port = free_port();
    const QString store = tmp_.path() + "/aof", queue = QString("redis://127.0.0.1:%1").arg(rport), rdir = tmp_.path() + "/redis3";
    QDir().mkpath(rdir);
    auto redis = start_redis(rport, rdir);
    auto front = start_serve(port, store, {"--queue", queue});
    auto worker = start_worker(queue, store, "w");
    QStringList ids;
    for (int i = 0; i < 20; ++i) {
      const Http r = request("POST", QString("http://127.0.0.1:%1/prompt").arg(port), submission(small_, "c", QJsonObject{{"sample.steps", 10}}));
      QCOMPARE(r.status, 200);
      ids << r.json().value("prompt_id").toString();
    }
    QThread::msleep(1500);
    redis->kill9();  // appendfsync always: everything acknowledged is on disk
    QThread::msleep(1000);
    redis = start_redis(rport, rdir);
    QVERIFY(redis_ping(rport));
    for (const auto& id : ids)
      QCOMPARE(wait_finished(port, id).value("status").toObject().value("status_str").toString(), QString("success"));
    QCOMPARE(int(store_contents(store).size()), 20);
  }
};

QTEST_GUILESS_MAIN(TestServer)
#include "test_server.moc"
