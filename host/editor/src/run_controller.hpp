#pragma once
// Runs the document's graph with host core's Executor on a worker thread, so the window
// never blocks, and reports back on the GUI thread. One Executor lives as long as the
// controller, so its cache carries over between runs: after an edit only the changed
// node and what depends on it run again.
#include <QImage>
#include <QObject>
#include <QString>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "node_item.hpp"
#include "noisegraph/host/executor.hpp"

namespace ng::host {
class PluginRegistry;
}

namespace ng::editor {

class RunController : public QObject {
  Q_OBJECT
 public:
  explicit RunController(const host::PluginRegistry& registry, QObject* parent = nullptr);
  ~RunController() override;

  /// Starts running a copy of `graph` (later edits do not affect this run). False when a
  /// run is already going.
  bool start(const host::Graph& graph, const host::RunOptions& options);
  /// Asks the run to stop (nodes stop within one step).
  void cancel();
  bool is_running() const { return running_; }
  /// The last finished run's result.
  const host::RunResult& last_result() const { return last_; }
  /// Blocks (processing events) until the current run finished; false on timeout. For
  /// tests and the screenshot mode.
  bool wait(int timeout_ms);

 Q_SIGNALS:
  void started();
  void node_state(const QString& node, ng::editor::NodeRunState state, const QString& message);
  void progress(const QString& node, double fraction, const QString& message);
  /// The sampler's current estimate of the result (from Context::report_step).
  void preview(const QString& node, const QImage& image, int step, int total);
  void file_written(const QString& node, const QString& path);
  void log(const QString& node, int level, const QString& text);
  void finished(const ng::host::RunResult& result);

 private:
  class Forwarder;
  void join();

  std::unique_ptr<host::Executor> executor_;
  std::thread worker_;
  bool running_ = false;
  host::RunResult last_;
};

}  // namespace ng::editor
