// Runs one job: graph text -> executor -> outputs in the store, events to the client.
#include "noisegraph/server/runner.hpp"

#include <ATen/ATen.h>
#include <QtCore/QByteArray>
#include <noisegraph/io/png.hpp>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <noisegraph/host/graph_io.hpp>

namespace ng::server {

namespace fs = std::filesystem;
namespace json = ng::json;

host::PathRoots Sandbox::roots(const fs::path& job_output) const {
  host::PathRoots r;
  r.graph_dir = graph_dir;
  r.model_dirs = model_dirs;
  r.output_dir = job_output;
  r.confine_reads = true;
  r.read_roots = input_dirs;
  return r;
}

namespace {

// PNG bytes of a preview tensor [C,H,W] or [1,C,H,W] in [0,1] (C = 1 or 3); empty if it is not one.
std::string preview_png(const at::Tensor& preview) {
  at::Tensor t = preview.detach().to(at::kCPU).to(at::kFloat);
  if (t.dim() == 4) t = t[0];
  if (t.dim() != 3 || t.size(0) < 1 || t.size(1) < 1 || t.size(2) < 1 || t.size(1) > 2048 || t.size(2) > 2048)
    return {};
  if (t.size(0) != 1 && t.size(0) != 3) {  // a latent: its channel mean, stretched to [0,1]
    t = t.mean(0, true);
    t = (t - t.min()) / (t.max() - t.min()).clamp_min(1e-6);
  }
  const std::string png = ng::io::encode_png(t);
  const QByteArray bytes = QByteArray::fromRawData(png.data(), qsizetype(png.size()));
  return bytes.toBase64().toStdString();
}

// Forwards executor events to the job's client, ComfyUI style.
class JobObserver final : public host::Observer {
 public:
  JobObserver(JobQueue& q, const Job& job) : q_(q), job_(job) {}
  void on_node_state(const std::string& node, host::NodeState state, const std::string& message) override {
    if (state == host::NodeState::Running) send("executing", json::Object{{"node", node}, {"prompt_id", job_.id}});
    if (state == host::NodeState::Cached) send("execution_cached", json::Object{{"nodes", json::Array{node}}, {"prompt_id", job_.id}});
    if (state == host::NodeState::Failed) last_error_ = message;
  }
  void on_step(const std::string& node, int step, int total, const at::Tensor& preview) override {
    send("progress", json::Object{{"value", step}, {"max", total}, {"node", node}, {"prompt_id", job_.id}});
    const auto now = std::chrono::steady_clock::now();
    if (preview.defined() && (step >= total || now - last_preview_ > std::chrono::milliseconds(500))) {
      last_preview_ = now;
      const std::string png = preview_png(preview);
      if (!png.empty()) send("preview", json::Object{{"png_base64", png}, {"node", node}, {"prompt_id", job_.id}});
    }
  }
  void on_file(const std::string& node, const fs::path& file) override { files_[node].push_back(file); }

  std::map<std::string, std::vector<fs::path>> files_;
  std::string last_error_;

 private:
  void send(const char* type, json::Value data) { q_.publish(Event{job_.client_id, type, std::move(data)}); }
  JobQueue& q_;
  const Job& job_;
  std::chrono::steady_clock::time_point last_preview_{};
};

}  // namespace

JobRunner::JobRunner(const host::PluginRegistry& registry, Sandbox sandbox, std::string worker_name, int threads,
                     std::string device)
    : registry_(registry), sandbox_(std::move(sandbox)), name_(std::move(worker_name)), threads_(threads),
      device_(std::move(device)), executor_(registry) {}

void JobRunner::interrupt(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (!running_.empty() && (id.empty() || id == running_)) executor_.request_cancel();
}

void JobRunner::serve(JobQueue& queue, const std::atomic<bool>& stop) {
  queue.subscribe_interrupts([this](const std::string& id) { interrupt(id); });
  while (!stop) {
    std::optional<Job> job;
    try {
      job = queue.take(name_, 500);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "noisegraph worker: queue: %s\n", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (job) run(std::move(*job), queue);
  }
}

void JobRunner::run(Job job, JobQueue& queue) {
  const fs::path final_dir = sandbox_.output_store / job.id;
  const fs::path work_dir = sandbox_.output_store / ".partial" / (job.id + "." + name_ + "." + std::to_string(::getpid()));
  std::error_code ec;
  // Partial outputs of earlier attempts (a worker that died mid-job) are garbage now.
  for (const auto& e : fs::directory_iterator(sandbox_.output_store / ".partial", ec))
    if (e.path().filename().string().rfind(job.id + ".", 0) == 0) fs::remove_all(e.path(), ec);
  fs::create_directories(work_dir, ec);
  {
    std::lock_guard lock(mutex_);
    running_ = job.id;
  }
  // Heartbeats while the job runs, so no other worker takes it over.
  std::atomic<bool> done{false};
  std::thread beat([&] {
    while (!done) {
      for (int i = 0; i < 20 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!done) try {
          queue.heartbeat(job);
        } catch (...) {
        }
    }
  });
  queue.publish(Event{job.client_id, "execution_start", json::Object{{"prompt_id", job.id}}});
  JobObserver observer(queue, job);
  host::RunResult result;
  try {
    host::Graph graph = host::load_graph_from_string(job.graph_yaml, "prompt " + job.id);
    graph.source_file = sandbox_.graph_dir / ("prompt-" + job.id + ".yaml");  // relative paths resolve here
    host::RunOptions opt;
    opt.output_dir = work_dir;
    opt.graph_dir = sandbox_.graph_dir;
    opt.model_search_path = sandbox_.model_dirs;
    opt.confine_reads = true;
    opt.read_roots = sandbox_.input_dirs;
    opt.threads = threads_;
    opt.device = device_;
    result = executor_.run(graph, opt, &observer);
  } catch (const std::exception& e) {
    result.status = host::RunResult::Status::Failed;
    result.message = e.what();
  }
  {
    std::lock_guard lock(mutex_);
    running_.clear();
  }
  done = true;
  beat.join();

  // Publish the outputs: the whole folder appears at once, or not at all.
  job.outputs.clear();
  if (result.ok()) {
    fs::rename(work_dir, final_dir, ec);
    if (ec) fs::remove_all(work_dir, ec);  // another worker's copy is already there: keep that one
    std::vector<std::string> names;
    for (const auto& f : result.files) names.push_back(job.id + "/" + f.path.filename().string());
    job.outputs = names;
  } else {
    fs::remove_all(work_dir, ec);
  }
  json::Object nodes;
  for (const auto& n : result.nodes) nodes.emplace_back(n.id, json::Object{{"ms", n.wall_ms}, {"cached", n.cached}});
  job.timings.set("finished_at", now_ms());
  job.timings.set("run_ms", result.wall_ms);
  job.timings.set("nodes", json::Value(std::move(nodes)));
  job.status = result.ok() ? JobStatus::Done
               : result.status == host::RunResult::Status::Cancelled ? JobStatus::Cancelled
                                                                     : JobStatus::Failed;
  if (!result.ok()) {
    job.error = result.failed_node.empty() ? result.message : "node '" + result.failed_node + "': " + result.message;
    for (const auto& p : result.problems) job.error += (job.error.empty() ? "" : "; ") + host::format_problem(p);
  }
  bool recorded = false;
  try {
    recorded = queue.finish(job);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph worker: cannot record job %s: %s\n", job.id.c_str(), e.what());
  }
  if (!recorded) return;  // another worker finished it first; its outputs stand
  json::Object outputs;
  for (const auto& [node, files] : observer.files_) {
    json::Array images;
    for (const auto& f : files)
      images.push_back(json::Object{{"filename", f.filename().string()}, {"subfolder", job.id}, {"type", "output"}});
    outputs.emplace_back(node, json::Object{{"images", json::Value(std::move(images))}});
  }
  if (job.status == JobStatus::Done) {
    for (auto& [node, out] : outputs)
      queue.publish(Event{job.client_id, "executed", json::Object{{"node", node}, {"output", out}, {"prompt_id", job.id}}});
    queue.publish(Event{job.client_id, "executing", json::Object{{"node", nullptr}, {"prompt_id", job.id}}});
  } else if (job.status == JobStatus::Cancelled) {
    queue.publish(Event{job.client_id, "execution_interrupted",
                        json::Object{{"prompt_id", job.id}, {"node_id", result.failed_node}}});
  } else {
    queue.publish(Event{job.client_id, "execution_error",
                        json::Object{{"prompt_id", job.id}, {"node_id", result.failed_node},
                                     {"node_type", result.failed_type}, {"exception_message", job.error}}});
  }
}

}  // namespace ng::server
