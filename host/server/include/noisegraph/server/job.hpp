#pragma once
/// @file server/job.hpp
/// A job of `noisegraph serve`: one graph submitted through the API, its state and results,
/// and the events a run sends to the client that submitted it.
#include <cstdint>
#include <string>
#include <vector>

#include <noisegraph/io/json.hpp>

namespace ng::server {

enum class JobStatus { Queued, Running, Done, Failed, Cancelled };

const char* to_string(JobStatus s);
/// Inverse of to_string(); unknown text reads as Failed.
JobStatus job_status_from(const std::string& text);

struct Job {
  std::string id;            ///< prompt id (random hex)
  int64_t number = 0;        ///< queue number, increasing in submission order
  std::string client_id;     ///< who submitted it; events go to this client's WebSockets
  std::string graph_yaml;    ///< the validated graph with overrides applied
  JobStatus status = JobStatus::Queued;
  std::string worker;        ///< who ran (or runs) it
  std::string error;         ///< "node 'x': message" when failed
  std::vector<std::string> outputs;  ///< files under the output store, "<id>/<name>"
  ng::json::Value timings;   ///< {"queued_at", "started_at", "finished_at" (ms since epoch), "nodes": {...}}
  int attempts = 0;          ///< times a worker started it (more than 1 after a takeover)

  ng::json::Value to_json() const;
  static Job from_json(const ng::json::Value& v);
};

/// One message for a client, in ComfyUI's WebSocket shape: {"type": ..., "data": {...}}.
struct Event {
  std::string client_id;  ///< "" = every client
  std::string type;       ///< status, execution_start, executing, progress, executed, ...
  ng::json::Value data;
  std::string to_text() const;  ///< the JSON text sent over the socket
};

/// Milliseconds since the Unix epoch.
int64_t now_ms();
/// A new random prompt id (32 hex digits).
std::string new_job_id();

}  // namespace ng::server
