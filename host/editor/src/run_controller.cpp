#include "run_controller.hpp"

#include <ATen/core/Tensor.h>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMetaObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <chrono>

#include "latent_preview.hpp"
#include "tensor_image.hpp"

namespace ng::editor {

namespace {

NodeRunState to_run_state(host::NodeState s) {
  switch (s) {
    case host::NodeState::Queued: return NodeRunState::Queued;
    case host::NodeState::Running: return NodeRunState::Running;
    case host::NodeState::Cached: return NodeRunState::Cached;
    case host::NodeState::Done: return NodeRunState::Done;
    case host::NodeState::Failed: return NodeRunState::Failed;
    case host::NodeState::Cancelled: return NodeRunState::Cancelled;
  }
  return NodeRunState::Idle;
}

}  // namespace

/// Lives on the worker thread; turns executor callbacks into queued calls on the GUI
/// thread. Previews are converted to QImage here (off the GUI thread) and thinned out to
/// about ten per second, except each node's last step.
class RunController::Forwarder : public host::Observer {
 public:
  Forwarder(RunController* c, std::map<std::string, ModelFamily> families)
      : c_(c), families_(std::move(families)) {
    since_preview_.start();
  }

  void on_node_state(const std::string& node, host::NodeState state, const std::string& message) override {
    post([n = QString::fromStdString(node), s = to_run_state(state), m = QString::fromStdString(message)](RunController* c) {
      Q_EMIT c->node_state(n, s, m);
    });
  }
  void on_progress(const std::string& node, double fraction, const std::string& message) override {
    post([n = QString::fromStdString(node), fraction, m = QString::fromStdString(message)](RunController* c) {
      Q_EMIT c->progress(n, fraction, m);
    });
  }
  void on_step(const std::string& node, int step, int total, const at::Tensor& preview) override {
    const bool last = step >= total;
    if (!preview.defined() || (!last && since_preview_.elapsed() < 100)) return;
    since_preview_.restart();
    QImage image;
    try {
      // x0 is in the model's space (often a latent): show an approximate decode of it.
      auto family = families_.find(node);
      image = tensor_to_image(preview_image(preview, family == families_.end() ? ModelFamily::Unknown : family->second));
    } catch (...) {
      return;  // a malformed preview must not end the run
    }
    post([n = QString::fromStdString(node), image, step, total](RunController* c) {
      Q_EMIT c->preview(n, image, step, total);
    });
  }
  void on_log(const std::string& node, ng::LogLevel level, const std::string& text) override {
    post([n = QString::fromStdString(node), l = int(level), t = QString::fromStdString(text)](RunController* c) {
      Q_EMIT c->log(n, l, t);
    });
  }
  void on_file(const std::string& node, const std::filesystem::path& file) override {
    post([n = QString::fromStdString(node), f = QString::fromStdString(file.string())](RunController* c) {
      Q_EMIT c->file_written(n, f);
    });
  }

  template <class F>
  void post(F fn) {
    QPointer<RunController> guard(c_);
    QMetaObject::invokeMethod(
        c_, [guard, fn = std::move(fn)] { if (guard) fn(guard.data()); }, Qt::QueuedConnection);
  }

 private:
  RunController* c_;
  std::map<std::string, ModelFamily> families_;  ///< how to picture each node's previews
  QElapsedTimer since_preview_;
};

RunController::RunController(const host::PluginRegistry& registry, QObject* parent)
    : QObject(parent), executor_(std::make_unique<host::Executor>(registry)) {}

RunController::~RunController() {
  executor_->request_cancel();
  join();
}

void RunController::join() {
  if (worker_.joinable()) worker_.join();
}

bool RunController::start(const host::Graph& graph, const host::RunOptions& options) {
  if (running_) return false;
  join();  // the previous worker has posted its result; reap the thread
  running_ = true;
  Q_EMIT started();
  worker_ = std::thread([this, graph, options, families = model_families(graph)] {
    Forwarder forward(this, families);
    host::RunResult result;
    try {
      result = executor_->run(graph, options, &forward);
    } catch (const std::exception& e) {  // run() promises not to throw; be safe anyway
      result.status = host::RunResult::Status::Failed;
      result.message = e.what();
    }
    forward.post([result](RunController* c) {
      c->running_ = false;
      c->last_ = result;
      Q_EMIT c->finished(result);
    });
  });
  return true;
}

void RunController::cancel() {
  if (running_) executor_->request_cancel();
}

bool RunController::wait(int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (running_) {
    if (t.elapsed() > timeout_ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (running_) QThread::msleep(2);
  }
  return true;
}

}  // namespace ng::editor
