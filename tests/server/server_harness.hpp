#pragma once
// Starts `noisegraph serve`, `noisegraph worker` and `redis-server` processes on free loopback
// ports and talks HTTP to them, for the server tests.
#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <memory>

namespace srvtest {

inline quint16 free_port() {
  QTcpServer s;
  s.listen(QHostAddress::LocalHost, 0);
  return s.serverPort();
}

struct Http {
  int status = 0;
  QByteArray body;
  QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

inline Http request(const QByteArray& method, const QString& url, const QByteArray& body = {},
                    const QByteArray& token = {}) {
  static QNetworkAccessManager* nam = new QNetworkAccessManager;
  QNetworkRequest req{QUrl(url)};
  if (!token.isEmpty()) req.setRawHeader("Authorization", "Bearer " + token);
  if (!body.isEmpty()) req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  QNetworkReply* r = nam->sendCustomRequest(req, method, body);
  QEventLoop loop;
  QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
  QTimer::singleShot(60000, &loop, &QEventLoop::quit);
  loop.exec();
  Http h;
  h.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
  h.body = r->readAll();
  r->deleteLater();
  return h;
}

inline QByteArray graph_text(const char* name) {
  QFile f(QString(NG_TEST_SOURCE_DIR) + "/tests/server/data/" + name);
  f.open(QIODevice::ReadOnly);
  return f.readAll();
}

// {"prompt": <yaml>, "client_id": client, "set": {...}}
inline QByteArray submission(const QByteArray& yaml, const QString& client, const QJsonObject& sets = {}) {
  QJsonObject o{{"prompt", QString::fromUtf8(yaml)}, {"client_id", client}};
  if (!sets.isEmpty()) o["set"] = sets;
  return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A child process that is killed when the handle goes away.
struct Proc {
  std::unique_ptr<QProcess> p = std::make_unique<QProcess>();
  QByteArray out;
  ~Proc() {
    if (p->state() != QProcess::NotRunning) {
      p->kill();
      p->waitForFinished(5000);
    }
  }
  // Reads stdout until it contains `needle` (or the timeout passes).
  bool wait_for(const QByteArray& needle, int ms = 60000) {
    QElapsedTimer t;
    t.start();
    while (!out.contains(needle) && t.elapsed() < ms && p->state() != QProcess::NotRunning) {
      p->waitForReadyRead(200);
      out += p->readAllStandardOutput();
    }
    out += p->readAllStandardOutput();
    return out.contains(needle);
  }
  void kill9() {
    p->kill();
    p->waitForFinished(5000);
  }
};

inline std::unique_ptr<Proc> start_noisegraph(const QStringList& args) {
  auto pr = std::make_unique<Proc>();
  pr->p->setProcessChannelMode(QProcess::SeparateChannels);
  pr->p->start(NG_CLI_BINARY, args);
  return pr;
}

inline std::unique_ptr<Proc> start_serve(quint16 port, const QString& store, QStringList extra = {}) {
  auto pr = start_noisegraph(QStringList{"serve", "--port", QString::number(port), "--output-store", store,
                                         "--threads", "1"} + extra);
  if (!pr->wait_for("noisegraph serve: http://")) qWarning("serve did not start: %s", pr->p->readAllStandardError().constData());
  return pr;
}

inline std::unique_ptr<Proc> start_worker(const QString& queue, const QString& store, const QString& name,
                                          QStringList extra = {}) {
  auto pr = start_noisegraph(QStringList{"worker", "--queue", queue, "--output-store", store, "--name", name,
                                         "--threads", "1"} + extra);
  if (!pr->wait_for("noisegraph worker")) qWarning("worker did not start: %s", pr->p->readAllStandardError().constData());
  return pr;
}

inline bool redis_ping(quint16 port) {
  QTcpSocket s;
  s.connectToHost(QHostAddress::LocalHost, port);
  if (!s.waitForConnected(500)) return false;
  s.write("PING\r\n");
  return s.waitForReadyRead(1000) && s.readAll().startsWith("+PONG");
}

// redis-server on `port` with an append-only file in `dir` (fsync on every write).
inline std::unique_ptr<Proc> start_redis(quint16 port, const QString& dir) {
  auto pr = std::make_unique<Proc>();
  pr->p->start("redis-server", {"--port", QString::number(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "yes", "--appendfsync", "always", "--dir", dir, "--protected-mode", "yes"});
  QElapsedTimer t;
  t.start();
  while (!redis_ping(port) && t.elapsed() < 20000) QThread::msleep(100);
  return pr;
}

// Polls GET /history/{id} until the job is finished; returns its history entry.
inline QJsonObject wait_finished(quint16 port, const QString& id, int ms = 300000) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < ms) {
    const Http h = request("GET", QString("http://127.0.0.1:%1/history/%2").arg(port).arg(id));
    const QJsonObject e = h.json().value(id).toObject();
    const QString s = e.value("status").toObject().value("status_str").toString();
    if (h.status == 200 && s != "queued" && s != "running") return e;
    QThread::msleep(100);
  }
  return {};
}

}  // namespace srvtest
