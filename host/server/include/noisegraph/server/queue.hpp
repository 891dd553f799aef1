#pragma once
/// @file server/queue.hpp
/// Where jobs wait, who runs them, and how their events reach clients. Two implementations:
/// an embedded one on SQLite (one machine, nothing else to run; survives restarts) and one on
/// Redis Streams (front ends and workers on any number of machines).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "noisegraph/server/job.hpp"

namespace ng::server {

class JobQueue {
 public:
  virtual ~JobQueue();

  // ---- front end ----
  /// Stores a new job (status queued), gives it the next queue number and returns it.
  virtual Job submit(Job job) = 0;
  virtual std::optional<Job> get(const std::string& id) = 0;
  /// Queued and running jobs, by queue number.
  virtual std::vector<Job> active() = 0;
  /// Finished jobs (done, failed, cancelled), newest first, at most `limit`.
  virtual std::vector<Job> history(int limit) = 0;
  /// A queued job becomes cancelled and will not run. False when it is not queued.
  virtual bool cancel(const std::string& id) = 0;
  /// Stops the running job `id` ("" = any running job) within one sampler step.
  virtual void interrupt(const std::string& id) = 0;

  // ---- workers ----
  /// The next queued job for `worker`, marked running (attempts + 1), waiting up to
  /// `wait_ms`; also takes over jobs whose worker stopped sending heartbeats.
  virtual std::optional<Job> take(const std::string& worker, int wait_ms) = 0;
  /// Tells the queue that `worker` still runs `job` (called every few seconds).
  virtual void heartbeat(const Job& job) = 0;
  /// Records a finished job. False when it was already finished by another worker (the
  /// caller then discards its outputs), so every job completes exactly once.
  virtual bool finish(const Job& job) = 0;

  // ---- events ----
  /// Sends an event to the front end(s) holding the client's WebSocket.
  virtual void publish(const Event& event) = 0;
  /// Front ends: called (on some thread) for every event published anywhere.
  virtual void subscribe_events(std::function<void(const Event&)> sink) = 0;
  /// Workers: called with a job id ("" = any) when someone asks to interrupt.
  virtual void subscribe_interrupts(std::function<void(const std::string&)> sink) = 0;

  /// "embedded (sqlite FILE)" or "redis://host:port".
  virtual std::string describe() const = 0;
};

/// SQLite file `path` (created if missing). Jobs that were running when the process died
/// are queued again when it opens.
std::unique_ptr<JobQueue> open_sqlite_queue(const std::string& path);

/// `url` = redis://HOST:PORT[/DB]; `visibility_ms`: a running job whose worker sent no
/// heartbeat for this long is taken over by another worker.
std::unique_ptr<JobQueue> open_redis_queue(const std::string& url, int visibility_ms = 15000);

}  // namespace ng::server
