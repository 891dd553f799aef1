#include "server_run.hpp"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrlQuery>
#include <QUuid>
#include <QtWebSockets/QWebSocket>

#include "noisegraph/host/graph_io.hpp"

namespace ng::editor {

namespace {
QNetworkRequest make_request(const QUrl& url, const QString& token) {
  QNetworkRequest r(url);
  if (!token.isEmpty()) r.setRawHeader("Authorization", "Bearer " + token.toUtf8());
  r.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  return r;
}
}  // namespace

ServerRunController::ServerRunController(QObject* parent) : QObject(parent), net_(new QNetworkAccessManager(this)) {}

ServerRunController::~ServerRunController() = default;

bool ServerRunController::start(const host::Graph& graph, const QUrl& server, const QString& token,
                                const QString& output_dir) {
  if (running_) return false;
  running_ = true;
  done_ = false;
  pending_downloads_ = 0;
  result_ = {};
  server_ = server;
  token_ = token;
  output_dir_ = output_dir;
  client_id_ = QUuid::createUuid().toString(QUuid::WithoutBraces);
  Q_EMIT started();
  // The WebSocket first, so no event of the job is missed.
  if (ws_) ws_->deleteLater();
  ws_ = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
  connect(ws_, &QWebSocket::textMessageReceived, this, &ServerRunController::on_text);
  connect(ws_, &QWebSocket::binaryMessageReceived, this, &ServerRunController::on_binary);
  QUrl ws_url = server;
  ws_url.setScheme(server.scheme() == "https" ? "wss" : "ws");
  ws_url.setPath("/ws");
  QUrlQuery q;
  q.addQueryItem("clientId", client_id_);
  if (!token.isEmpty()) q.addQueryItem("token", token);
  ws_url.setQuery(q);
  const std::string yaml = host::to_yaml(graph);
  connect(ws_, &QWebSocket::connected, this, [this, yaml] {
    const QJsonObject body{{"prompt", QString::fromStdString(yaml)}, {"client_id", client_id_}};
    QUrl url = server_;
    url.setPath("/prompt");
    QNetworkReply* r = net_->post(make_request(url, token_), QJsonDocument(body).toJson(QJsonDocument::Compact));
    connect(r, &QNetworkReply::finished, this, [this, r] {
      r->deleteLater();
      const QJsonObject o = QJsonDocument::fromJson(r->readAll()).object();
      if (o.contains("prompt_id")) {
        prompt_id_ = o.value("prompt_id").toString();
        Q_EMIT log({}, 1, tr("submitted to %1 as #%2 (%3)").arg(server_.toString()).arg(o.value("number").toInt()).arg(prompt_id_));
        return;
      }
      const QString msg = o.value("error").toObject().value("message").toString();
      finish(host::RunResult::Status::Failed, {}, msg.isEmpty() ? tr("server: %1").arg(r->errorString()) : msg);
    });
  });
  connect(ws_, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
    if (running_ && !done_) finish(host::RunResult::Status::Failed, {}, tr("server %1: %2").arg(server_.toString(), ws_->errorString()));
  });
  ws_->open(ws_url);
  return true;
}

void ServerRunController::cancel() {
  if (!running_ || prompt_id_.isEmpty()) return;
  QUrl url = server_;
  url.setPath("/interrupt");
  QNetworkReply* r = net_->post(make_request(url, token_), QJsonDocument(QJsonObject{{"prompt_id", prompt_id_}}).toJson());
  connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
}

void ServerRunController::on_text(const QString& message) {
  const QJsonObject o = QJsonDocument::fromJson(message.toUtf8()).object();
  const QString type = o.value("type").toString();
  const QJsonObject d = o.value("data").toObject();
  if (!d.contains("prompt_id") || d.value("prompt_id").toString() != prompt_id_) return;  // someone else's job
  if (type == "executing") {
    if (!current_node_.isEmpty()) Q_EMIT node_state(current_node_, NodeRunState::Done, {});
    if (d.value("node").isNull()) {
      current_node_.clear();
      done_ = true;
      result_.status = host::RunResult::Status::Ok;
      if (pending_downloads_ == 0) finish(host::RunResult::Status::Ok, {}, {});
      return;
    }
    current_node_ = d.value("node").toString();
    Q_EMIT node_state(current_node_, NodeRunState::Running, {});
  } else if (type == "execution_cached") {
    for (const auto& n : d.value("nodes").toArray()) Q_EMIT node_state(n.toString(), NodeRunState::Cached, {});
  } else if (type == "progress") {
    const double max = std::max(1.0, d.value("max").toDouble());
    Q_EMIT progress(d.value("node").toString(), d.value("value").toDouble() / max,
                    tr("step %1/%2").arg(d.value("value").toInt()).arg(d.value("max").toInt()));
  } else if (type == "executed") {
    const QString node = d.value("node").toString();
    for (const auto& img : d.value("output").toObject().value("images").toArray()) {
      const QJsonObject i = img.toObject();
      download(node, i.value("subfolder").toString(), i.value("filename").toString());
    }
  } else if (type == "execution_error") {
    const QString node = d.value("node_id").toString();
    Q_EMIT node_state(node, NodeRunState::Failed, d.value("exception_message").toString());
    finish(host::RunResult::Status::Failed, node, d.value("exception_message").toString());
  } else if (type == "execution_interrupted") {
    finish(host::RunResult::Status::Cancelled, d.value("node_id").toString(), tr("cancelled"));
  }
}

void ServerRunController::on_binary(const QByteArray& frame) {
  if (frame.size() < 8 || !frame.startsWith(QByteArray("\0\0\0\1", 4))) return;
  QImage img;
  if (img.loadFromData(frame.mid(8))) Q_EMIT preview(current_node_, img, 0, 0);
}

void ServerRunController::download(const QString& node, const QString& subfolder, const QString& filename) {
  QUrl url = server_;
  url.setPath("/view");
  QUrlQuery q;
  q.addQueryItem("subfolder", subfolder);
  q.addQueryItem("filename", filename);
  url.setQuery(q);
  ++pending_downloads_;
  QNetworkReply* r = net_->get(make_request(url, token_));
  connect(r, &QNetworkReply::finished, this, [this, r, node, filename] {
    r->deleteLater();
    --pending_downloads_;
    QDir().mkpath(output_dir_);
    // The server's file name, never a path from it.
    const QString path = QDir(output_dir_).filePath(QFileInfo(filename).fileName());
    QFile f(path);
    if (r->error() == QNetworkReply::NoError && f.open(QIODevice::WriteOnly) && f.write(r->readAll()) >= 0) {
      f.close();
      result_.files.push_back({node.toStdString(), path.toStdString()});
      Q_EMIT file_written(node, path);
    } else {
      Q_EMIT log(node, 2, tr("could not download %1: %2").arg(filename, r->errorString()));
    }
    if (done_ && pending_downloads_ == 0 && running_) finish(host::RunResult::Status::Ok, {}, {});
  });
}

void ServerRunController::finish(host::RunResult::Status status, const QString& node, const QString& message) {
  if (!running_) return;
  running_ = false;
  result_.status = status;
  result_.failed_node = node.toStdString();
  result_.message = message.toStdString();
  if (ws_) ws_->close();
  Q_EMIT finished(result_);
}

}  // namespace ng::editor
