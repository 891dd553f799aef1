// HTTP routes and WebSocket fan-out of `noisegraph serve`.
#include "noisegraph/server/api.hpp"

#include <QtCore/QFile>
#include <QtCore/QUrlQuery>
#include <QtHttpServer/QHttpServer>
#include <QtHttpServer/QHttpServerRequest>
#include <QtHttpServer/QHttpServerResponse>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>
#include <torch/version.h>
#include <unistd.h>

#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/validate.hpp>

#include "../../cli/report.hpp"
#include "request.hpp"

namespace ng::server {

namespace fs = std::filesystem;
namespace json = ng::json;
using Status = QHttpServerResponder::StatusCode;

namespace {

QHttpServerResponse reply(const json::Value& v, Status status = Status::Ok) {
  return QHttpServerResponse("application/json", QByteArray::fromStdString(json::dump(v)), status);
}

QHttpServerResponse error(Status status, const std::string& type, const std::string& message, json::Value extra = {}) {
  json::Value body = json::Object{{"error", json::Object{{"type", type}, {"message", message}}}};
  if (!extra.is_null()) body.set("node_errors", extra);
  return reply(body, status);
}

// Refuses request bodies over the limit before QHttpServer buffers them: it reads the
// header of each connection's first request (Content-Length) and drops a connection whose
// unread data ever exceeds the limit (a chunked or lying upload).
// It also hands WebSocket upgrade requests to `ws` (Debian's Qt HttpServer 6.4 answers them 404).
class GuardedTcpServer final : public QTcpServer {
 public:
  GuardedTcpServer(qint64 limit, QWebSocketServer* ws, QObject* parent) : QTcpServer(parent), limit_(limit), ws_(ws) {}

 protected:
  void incomingConnection(qintptr fd) override {
    auto* s = new QTcpSocket(this);
    if (!s->setSocketDescriptor(fd)) {
      delete s;
      return;
    }
    // Per connection: how much of the current request's body is still to come (keep-alive
    // connections carry several requests; QHttpServer consumes each readyRead's bytes).
    struct State {
      bool in_body = false;
      qint64 remaining = 0;
    };
    auto st = std::make_shared<State>();
    connect(s, &QTcpSocket::readyRead, s, [s, st, limit = limit_, ws = ws_] {
      const qint64 avail = s->bytesAvailable();
      if (avail > limit + (64 << 10)) return refuse(s, "413 Payload Too Large");
      if (st->in_body) {
        st->remaining -= avail;
        st->in_body = st->remaining > 0;
        return;
      }
      const QByteArray head = s->peek(64 << 10);
      const int end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.size() >= (64 << 10)) refuse(s, "431 Request Header Fields Too Large");
        return;
      }
      if (head.left(end).toLower().contains("\nupgrade: websocket")) {
        s->disconnect();  // from here on the socket belongs to the WebSocket server
        ws->handleConnection(s);
        QMetaObject::invokeMethod(s, [s] { Q_EMIT s->readyRead(); }, Qt::QueuedConnection);
        return;
      }
      qint64 length = 0;
      for (const QByteArray& line : head.left(end).split('\n')) {
        const QByteArray l = line.trimmed().toLower();
        if (l.startsWith("content-length:")) length = l.mid(15).trimmed().toLongLong();
        if (l.startsWith("transfer-encoding:") && l.contains("chunked")) return refuse(s, "411 Length Required");
      }
      if (length > limit) return refuse(s, "413 Payload Too Large");
      st->remaining = length - (avail - (end + 4));
      st->in_body = st->remaining > 0;
    });
    addPendingConnection(s);
  }

 private:
  static void refuse(QTcpSocket* s, const char* status) {
    const QByteArray body = QByteArray("{\"error\":{\"type\":\"request_too_large\",\"message\":\"") + status + "\"}}";
    s->write(QByteArray("HTTP/1.1 ") + status + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
             QByteArray::number(body.size()) + "\r\n\r\n" + body);
    s->flush();
    s->disconnectFromHost();
    s->readAll();  // drop what was read so the HTTP parser never sees it
  }
  qint64 limit_;
  QWebSocketServer* ws_;
};

json::Value queue_json(const std::vector<Job>& jobs) {
  json::Array running, pending;
  for (const auto& j : jobs) {
    json::Value row = json::Array{j.number, j.id, json::Object{{"client_id", j.client_id}}};
    (j.status == JobStatus::Running ? running : pending).push_back(std::move(row));
  }
  return json::Object{{"queue_running", json::Value(std::move(running))}, {"queue_pending", json::Value(std::move(pending))}};
}

json::Value history_entry(const Job& j) {
  json::Object outputs;
  json::Array images;
  for (const auto& o : j.outputs) {
    const auto slash = o.find('/');
    images.push_back(json::Object{{"filename", o.substr(slash + 1)}, {"subfolder", o.substr(0, slash)}, {"type", "output"}});
  }
  return json::Object{{"prompt", json::Array{j.number, j.id, j.graph_yaml}},
                      {"outputs", json::Object{{"images", json::Value(std::move(images))}}},
                      {"files", json::Value(json::Array(j.outputs.begin(), j.outputs.end()))},
                      {"status", json::Object{{"status_str", to_string(j.status)},
                                              {"completed", j.status == JobStatus::Done},
                                              {"error", j.error}}},
                      {"timings", j.timings},
                      {"worker", j.worker},
                      {"attempts", int64_t(j.attempts)}};
}

}  // namespace

ApiServer::ApiServer(const host::PluginRegistry& registry, JobQueue& queue, ApiConfig config, QObject* parent)
    : QObject(parent), registry_(registry), queue_(queue), cfg_(std::move(config)), http_(std::make_unique<QHttpServer>()) {
  setup_routes();
  ws_ = new QWebSocketServer("noisegraph", QWebSocketServer::NonSecureMode, this);
  connect(ws_, &QWebSocketServer::newConnection, this, &ApiServer::on_websocket);
}

ApiServer::~ApiServer() {
  for (auto& [client, s] : sockets_) s->deleteLater();
}

bool ApiServer::listen(std::string* error) {
  auto* tcp = new GuardedTcpServer(cfg_.max_body_bytes, ws_, http_.get());
  if (!tcp->listen(cfg_.address, cfg_.port)) {
    if (error) *error = tcp->errorString().toStdString();
    delete tcp;
    return false;
  }
  http_->bind(tcp);
  port_ = tcp->serverPort();
  return true;
}

bool ApiServer::authorized(const QHttpServerRequest& req) const {
  if (cfg_.token.empty()) return true;
  const QByteArray want = "Bearer " + QByteArray::fromStdString(cfg_.token);
  return req.value("Authorization") == want || req.query().queryItemValue("token").toStdString() == cfg_.token;
}

void ApiServer::setup_routes() {
  using Method = QHttpServerRequest::Method;
  auto guarded = [this](auto handler) {
    return [this, handler](const QHttpServerRequest& req) {
      if (!authorized(req)) return error(Status::Unauthorized, "unauthorized", "a bearer token is required (Authorization: Bearer TOKEN)");
      try {
        return handler(req);
      } catch (const std::exception& e) {
        return error(Status::InternalServerError, "internal", e.what());
      }
    };
  };

  http_->route("/prompt", Method::Post, guarded([this](const QHttpServerRequest& req) {
    SubmitResult r = parse_submission(req.body().toStdString(), registry_, cfg_.sandbox);
    if (!r.ok()) return error(Status::BadRequest, r.error_type, r.message, r.problems);
    int queued = 0;
    for (const auto& j : queue_.active())
      if (j.client_id == r.job.client_id && j.status == JobStatus::Queued) ++queued;
    if (queued >= cfg_.max_queued_per_client)
      return error(Status::TooManyRequests, "too_many_jobs",
                   "client '" + r.job.client_id + "' already has " + std::to_string(queued) + " queued jobs (limit " +
                       std::to_string(cfg_.max_queued_per_client) + ")");
    const Job job = queue_.submit(std::move(r.job));
    const int remaining = int(queue_.active().size());
    send_now(Event{"", "status", json::Object{{"status", json::Object{{"exec_info", json::Object{{"queue_remaining", remaining}}}}}}});
    return reply(json::Object{{"prompt_id", job.id}, {"number", job.number}, {"node_errors", json::Object{}}});
  }));
  http_->route("/prompt", Method::Get, guarded([this](const QHttpServerRequest&) {
    return reply(json::Object{{"exec_info", json::Object{{"queue_remaining", int64_t(queue_.active().size())}}}});
  }));
  http_->route("/queue", Method::Get, guarded([this](const QHttpServerRequest&) { return reply(queue_json(queue_.active())); }));
  http_->route("/queue/<arg>", Method::Delete, [this](const QString& id, const QHttpServerRequest& req) {
    if (!authorized(req)) return error(Status::Unauthorized, "unauthorized", "a bearer token is required");
    if (!queue_.cancel(id.toStdString()))
      return error(Status::NotFound, "not_queued", "no queued job '" + id.toStdString() + "' (running or finished jobs: POST /interrupt)");
    return reply(json::Object{{"deleted", id.toStdString()}});
  });
  http_->route("/interrupt", Method::Post, guarded([this](const QHttpServerRequest& req) {
    std::string id;
    try {
      const auto body = req.body().trimmed();
      if (!body.isEmpty()) {
        const auto v = json::parse(body.toStdString(), "request body");
        if (const auto* p = v.find("prompt_id"); p && p->is_string()) id = p->as_string();
      }
    } catch (const std::exception& e) {
      return error(Status::BadRequest, "invalid_json", e.what());
    }
    queue_.interrupt(id);
    return reply(json::Object{{"interrupted", id.empty() ? "running job" : id}});
  }));
  http_->route("/history", Method::Get, guarded([this](const QHttpServerRequest& req) {
    bool ok = false;
    int limit = req.query().queryItemValue("max_items").toInt(&ok);
    if (!ok || limit <= 0) limit = 200;
    json::Object out;
    for (const auto& j : queue_.history(std::min(limit, 10000))) out.emplace_back(j.id, history_entry(j));
    return reply(json::Value(std::move(out)));
  }));
  http_->route("/history/<arg>", Method::Get, [this](const QString& id, const QHttpServerRequest& req) {
    if (!authorized(req)) return error(Status::Unauthorized, "unauthorized", "a bearer token is required");
    const auto j = queue_.get(id.toStdString());
    if (!j) return error(Status::NotFound, "unknown_prompt", "no job '" + id.toStdString() + "'");
    if (j->status == JobStatus::Queued || j->status == JobStatus::Running)
      return reply(json::Object{{id.toStdString(), json::Object{{"status", json::Object{{"status_str", to_string(j->status)}, {"completed", false}}}}}});
    return reply(json::Object{{id.toStdString(), history_entry(*j)}});
  });
  http_->route("/view", Method::Get, guarded([this](const QHttpServerRequest& req) {
    const QUrlQuery q = req.query();
    std::string problem;
    const auto path = resolve_view_path(cfg_.sandbox.output_store, q.queryItemValue("subfolder").toStdString(),
                                        q.queryItemValue("filename").toStdString(), &problem);
    if (!path) return error(Status::BadRequest, "bad_filename", problem);
    QFile f(QString::fromStdString(path->string()));
    if (!f.open(QIODevice::ReadOnly)) return error(Status::NotFound, "not_found", "no such output file");
    const std::string ext = path->extension().string();
    const QByteArray mime = ext == ".png" ? "image/png" : ext == ".json" ? "application/json" : "application/octet-stream";
    return QHttpServerResponse(mime, f.readAll());
  }));
  http_->route("/object_info", Method::Get, guarded([this](const QHttpServerRequest&) {
    json::Object out;
    for (const auto* t : registry_.node_types())
      if (t->plugin != "testing") out.emplace_back(t->spec.id(), cli::node_type_json(*t));
    return reply(json::Value(std::move(out)));
  }));
  http_->route("/system_stats", Method::Get, guarded([this](const QHttpServerRequest&) {
    const long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return reply(json::Object{
        {"system", json::Object{{"os", "linux"}, {"noisegraph_version", NOISEGRAPH_VERSION}, {"libtorch_version", TORCH_VERSION},
                                {"ram_total", int64_t(pages) * page}, {"ram_free", int64_t(avail) * page},
                                {"cpu_count", int64_t(sysconf(_SC_NPROCESSORS_ONLN))}}},
        {"queue", queue_.describe()},
        {"devices", json::Array{json::Object{{"name", "cpu"}, {"type", "cpu"}}}}});
  }));
}

void ApiServer::on_websocket() {
  while (ws_->hasPendingConnections()) {
    QWebSocket* s = ws_->nextPendingConnection();
    const QUrlQuery q(s->requestUrl());
    if (!cfg_.token.empty() && q.queryItemValue("token").toStdString() != cfg_.token &&
        s->request().rawHeader("Authorization") != "Bearer " + QByteArray::fromStdString(cfg_.token)) {
      s->close(QWebSocketProtocol::CloseCodePolicyViolated, "a token is required");
      s->deleteLater();
      continue;
    }
    QString client = q.queryItemValue("clientId");
    if (client.isEmpty()) client = QString::fromStdString(new_job_id());
    const std::string id = client.toStdString();
    sockets_.emplace(id, s);
    connect(s, &QWebSocket::disconnected, this, [this, s] {
      for (auto it = sockets_.begin(); it != sockets_.end(); ++it)
        if (it->second == s) {
          sockets_.erase(it);
          break;
        }
      s->deleteLater();
    });
    s->sendTextMessage(QString::fromStdString(
        Event{id, "status", json::Object{{"status", json::Object{{"exec_info", json::Object{{"queue_remaining", int64_t(queue_.active().size())}}}}},
                                         {"sid", id}}}.to_text()));
  }
}

void ApiServer::deliver(const Event& event) {
  QMetaObject::invokeMethod(this, [this, event] { send_now(event); }, Qt::QueuedConnection);
}

void ApiServer::send_now(const Event& event) {
  auto send_to = [&](QWebSocket* s) {
    if (event.type == "preview") {  // ComfyUI's binary preview frame: type 1 (image), format 2 (PNG), bytes
      const auto* b64 = event.data.find("png_base64");
      if (!b64 || !b64->is_string()) return;
      QByteArray frame("\0\0\0\1\0\0\0\2", 8);
      frame += QByteArray::fromBase64(QByteArray::fromStdString(b64->as_string()));
      s->sendBinaryMessage(frame);
    } else {
      s->sendTextMessage(QString::fromStdString(event.to_text()));
    }
  };
  if (event.client_id.empty()) {
    for (auto& [c, s] : sockets_) send_to(s);
  } else {
    auto range = sockets_.equal_range(event.client_id);
    for (auto it = range.first; it != range.second; ++it) send_to(it->second);
  }
}

}  // namespace ng::server
