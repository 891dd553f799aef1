#pragma once
// Runs the document's graph on a `noisegraph serve` server instead of in-process: submits
// it to POST /prompt, follows the job on the server's WebSocket and reports the same
// signals as RunController (node states, progress, previews, files, finished), so the
// window shows a remote run exactly like a local one. Output files are downloaded from
// /view into the local output folder.
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include "node_item.hpp"
#include "noisegraph/host/executor.hpp"

class QNetworkAccessManager;
class QWebSocket;

namespace ng::editor {

class ServerRunController : public QObject {
  Q_OBJECT
 public:
  explicit ServerRunController(QObject* parent = nullptr);
  ~ServerRunController() override;

  /// Starts a run of `graph` on the server at `server` (http://host:port) with an optional
  /// bearer token; outputs are downloaded into `output_dir`. False when a run is going.
  bool start(const host::Graph& graph, const QUrl& server, const QString& token, const QString& output_dir);
  /// Asks the server to interrupt the job.
  void cancel();
  bool is_running() const { return running_; }

 Q_SIGNALS:
  void started();
  void node_state(const QString& node, ng::editor::NodeRunState state, const QString& message);
  void progress(const QString& node, double fraction, const QString& message);
  void preview(const QString& node, const QImage& image, int step, int total);
  void file_written(const QString& node, const QString& path);
  void log(const QString& node, int level, const QString& text);
  void finished(const ng::host::RunResult& result);

 private:
  void on_text(const QString& message);
  void on_binary(const QByteArray& frame);
  void download(const QString& node, const QString& subfolder, const QString& filename);
  void finish(host::RunResult::Status status, const QString& node, const QString& message);

  QNetworkAccessManager* net_;
  QWebSocket* ws_ = nullptr;
  QUrl server_;
  QString token_, output_dir_, client_id_, prompt_id_, current_node_;
  bool running_ = false;
  int pending_downloads_ = 0;
  bool done_ = false;  // the job ended; finished() waits for the downloads
  host::RunResult result_;
};

}  // namespace ng::editor
