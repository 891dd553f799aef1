#pragma once
/// @file server/api.hpp
/// The HTTP + WebSocket API of `noisegraph serve`, in ComfyUI's shape where it fits
/// (docs/server.md): POST /prompt, GET /queue, DELETE /queue/{id}, POST /interrupt,
/// GET /history[/{id}], GET /view, GET /object_info, GET /system_stats, GET /ws?clientId=.
#include <QtCore/QObject>
#include <QtNetwork/QHostAddress>

#include <map>
#include <memory>
#include <string>

#include <noisegraph/host/plugin_registry.hpp>

#include "noisegraph/server/queue.hpp"
#include "noisegraph/server/runner.hpp"

class QHttpServer;
class QHttpServerRequest;
class QWebSocket;
class QWebSocketServer;

namespace ng::server {

struct ApiConfig {
  QHostAddress address = QHostAddress::LocalHost;
  quint16 port = 8188;
  std::string token;                  ///< bearer token; required when not empty
  qint64 max_body_bytes = 8 << 20;    ///< larger requests get 413
  int max_queued_per_client = 64;     ///< more queued jobs from one client get 429
  Sandbox sandbox;                    ///< where submitted graphs may read and write
};

class ApiServer : public QObject {
  Q_OBJECT
 public:
  ApiServer(const host::PluginRegistry& registry, JobQueue& queue, ApiConfig config, QObject* parent = nullptr);
  ~ApiServer() override;

  /// Starts listening; false (with `error` set) when the port is taken.
  bool listen(std::string* error);
  quint16 port() const { return port_; }

  /// Delivers an event to the client's WebSockets. Thread-safe.
  void deliver(const Event& event);

 private:
  void setup_routes();
  void on_websocket();
  void send_now(const Event& event);
  bool authorized(const QHttpServerRequest& req) const;

  const host::PluginRegistry& registry_;
  JobQueue& queue_;
  ApiConfig cfg_;
  std::unique_ptr<QHttpServer> http_;
  quint16 port_ = 0;
  QWebSocketServer* ws_ = nullptr;                   // upgrades sockets the HTTP side hands over
  std::multimap<std::string, QWebSocket*> sockets_;  // client id -> its sockets
};

}  // namespace ng::server
