#include "noisegraph/server/job.hpp"

#include <chrono>
#include <random>

namespace ng::server {

namespace json = ng::json;

const char* to_string(JobStatus s) {
  switch (s) {
    case JobStatus::Queued: return "queued";
    case JobStatus::Running: return "running";
    case JobStatus::Done: return "success";
    case JobStatus::Failed: return "error";
    case JobStatus::Cancelled: return "cancelled";
  }
  return "error";
}

JobStatus job_status_from(const std::string& t) {
  if (t == "queued") return JobStatus::Queued;
  if (t == "running") return JobStatus::Running;
  if (t == "success") return JobStatus::Done;
  if (t == "cancelled") return JobStatus::Cancelled;
  return JobStatus::Failed;
}

json::Value Job::to_json() const {
  json::Array outs;
  for (const auto& o : outputs) outs.emplace_back(o);
  return json::Object{{"prompt_id", id},         {"number", number},     {"client_id", client_id},
                      {"graph", graph_yaml},      {"status", to_string(status)}, {"worker", worker},
                      {"error", error},           {"outputs", json::Value(std::move(outs))},
                      {"timings", timings.is_null() ? json::Value(json::Object{}) : timings},
                      {"attempts", int64_t(attempts)}};
}

Job Job::from_json(const json::Value& v) {
  Job j;
  auto str = [&](const char* k) { const auto* x = v.find(k); return x && x->is_string() ? x->as_string() : std::string(); };
  j.id = str("prompt_id");
  j.client_id = str("client_id");
  j.graph_yaml = str("graph");
  j.status = job_status_from(str("status"));
  j.worker = str("worker");
  j.error = str("error");
  if (const auto* n = v.find("number"); n && n->is_number()) j.number = n->as_int();
  if (const auto* n = v.find("attempts"); n && n->is_number()) j.attempts = int(n->as_int());
  if (const auto* o = v.find("outputs"); o && o->is_array())
    for (const auto& e : o->as_array())
      if (e.is_string()) j.outputs.push_back(e.as_string());
  if (const auto* t = v.find("timings")) j.timings = *t;
  return j;
}

std::string Event::to_text() const { return json::dump(json::Object{{"type", type}, {"data", data}}); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_job_id() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ uint64_t(now_ms()));
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 2; ++i) {
    uint64_t x = rng();
    for (int k = 0; k < 16; ++k, x >>= 4) id += hex[x & 15];
  }
  return id;
}

}  // namespace ng::server
