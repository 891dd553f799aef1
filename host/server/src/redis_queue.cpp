// The scale-out job queue on Redis Streams. Front ends XADD job ids to the stream `ng:jobs`;
// workers read it through the consumer group `workers` (XREADGROUP), acknowledge a job when it
// is finished (XACK), reset its idle time while they run it (XCLAIM ... JUSTID as a heartbeat)
// and take over jobs idle for longer than the visibility timeout (XAUTOCLAIM). Job records are
// JSON strings under `ng:job:<id>`; `ng:done:<id>` (SET NX) makes completion exactly-once.
// Events and interrupts travel on pub/sub channels.
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "noisegraph/server/queue.hpp"

namespace ng::server {

namespace {

const char* kStream = "ng:jobs";
const char* kGroup = "workers";

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};

Endpoint parse_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.compare(0, scheme.size(), scheme) != 0) throw std::runtime_error("queue URL must start with redis://: " + url);
  Endpoint e;
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (slash + 1 < rest.size()) e.db = std::stoi(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    e.port = std::stoi(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) e.host = rest;
  return e;
}

using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

// One connection that reconnects (for up to `patience`) when Redis restarts.
class Connection {
 public:
  Connection(Endpoint e, std::chrono::milliseconds patience) : ep_(std::move(e)), patience_(patience) {}
  ~Connection() { close(); }

  template <class... Args>
  Reply command(const char* format, Args... args) {
    const auto deadline = std::chrono::steady_clock::now() + patience_;
    for (int attempt = 0;; ++attempt) {
      if (!ctx_) connect();
      if (ctx_) {
        auto* r = static_cast<redisReply*>(redisCommand(ctx_, format, args...));
        if (r) {
          if (r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("LOADING", 0) == 0) {
            freeReplyObject(r);  // Redis is still reading its AOF after a restart
          } else {
            return Reply(r, freeReplyObject);
          }
        }
        close();
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("redis " + ep_.host + ":" + std::to_string(ep_.port) + ": " + last_error_);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 * (attempt + 1), 500)));
    }
  }

  redisContext* raw() {
    if (!ctx_) connect();
    return ctx_;
  }
  void close() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
  }
  const std::string& last_error() const { return last_error_; }

 private:
  void connect() {
    timeval tv{2, 0};
    ctx_ = redisConnectWithTimeout(ep_.host.c_str(), ep_.port, tv);
    if (!ctx_ || ctx_->err) {
      last_error_ = ctx_ ? ctx_->errstr : "cannot allocate a connection";
      close();
      return;
    }
    if (ep_.db != 0) {
      auto* r = static_cast<redisReply*>(redisCommand(ctx_, "SELECT %d", ep_.db));
      if (r) freeReplyObject(r);
    }
  }
  Endpoint ep_;
  std::chrono::milliseconds patience_;
  redisContext* ctx_ = nullptr;
  std::string last_error_ = "not connected";
};

std::string str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len) : std::string();
}

void check(const Reply& r, const char* what) {
  if (r && r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string("redis ") + what + ": " + r->str);
}

class RedisQueue final : public JobQueue {
 public:
  RedisQueue(const std::string& url, int visibility_ms)
      : url_(url), ep_(parse_url(url)), visibility_ms_(visibility_ms),
        cmd_(ep_, std::chrono::seconds(30)), block_(ep_, std::chrono::seconds(30)) {
    auto r = cmd_.command("PING");
    if (!r || str(r.get()) != "PONG") throw std::runtime_error("redis " + url + ": no answer to PING");
    auto g = cmd_.command("XGROUP CREATE %s %s 0 MKSTREAM", kStream, kGroup);
    if (g && g->type == REDIS_REPLY_ERROR && std::string(g->str).find("BUSYGROUP") == std::string::npos) check(g, "XGROUP");
  }

  ~RedisQueue() override {
    stop_ = true;
    for (auto& t : listeners_)
      if (t.joinable()) t.join();
  }

  Job submit(Job job) override {
    std::lock_guard lock(cmd_mutex_);
    auto n = cmd_.command("INCR ng:seq");
    check(n, "INCR");
    job.number = n->integer;
    job.status = JobStatus::Queued;
    save(job);
    check(cmd_.command("ZADD ng:active %lld %s", (long long)job.number, job.id.c_str()), "ZADD");
    check(cmd_.command("XADD %s MAXLEN ~ 100000 * id %s", kStream, job.id.c_str()), "XADD");
    return job;
  }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(cmd_mutex_);
    return load(id);
  }

  std::vector<Job> active() override { return range("ZRANGE ng:active 0 -1"); }
  std::vector<Job> history(int limit) override {
    return range(("ZREVRANGE ng:history 0 " + std::to_string(std::max(limit, 1) - 1)).c_str());
  }

  bool cancel(const std::string& id) override {
    std::lock_guard lock(cmd_mutex_);
    auto j = load(id);
    if (!j || j->status != JobStatus::Queued) return false;
    j->status = JobStatus::Cancelled;
    j->timings.set("finished_at", now_ms());
    save(*j);
    cmd_.command("ZREM ng:active %s", id.c_str());
    cmd_.command("ZADD ng:history %lld %s", (long long)now_ms(), id.c_str());
    return true;
  }

  void interrupt(const std::string& id) override {
    std::lock_guard lock(cmd_mutex_);
    cmd_.command("PUBLISH ng:interrupt %b", id.data(), id.size());
  }

  std::optional<Job> take(const std::string& worker, int wait_ms) override {
    // First the jobs of workers that stopped sending heartbeats, then new ones.
    std::string msg, id;
    {
      std::lock_guard lock(cmd_mutex_);
      auto r = cmd_.command("XAUTOCLAIM %s %s %s %d 0-0 COUNT 1", kStream, kGroup, worker.c_str(), visibility_ms_);
      check(r, "XAUTOCLAIM");
      if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) entry(r->element[1], msg, id);
    }
    if (msg.empty()) {
      auto r = block_.command("XREADGROUP GROUP %s %s COUNT 1 BLOCK %d STREAMS %s >", kGroup, worker.c_str(), wait_ms,
                              kStream);
      check(r, "XREADGROUP");
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2)
        entry(r->element[0]->element[1], msg, id);
    }
    if (msg.empty()) return std::nullopt;
    std::lock_guard lock(cmd_mutex_);
    auto job = load(id);
    auto done = cmd_.command("EXISTS ng:done:%s", id.c_str());
    if (!job || job->status == JobStatus::Cancelled || (done && done->integer == 1)) {
      cmd_.command("XACK %s %s %s", kStream, kGroup, msg.c_str());  // nothing left to do
      return std::nullopt;
    }
    job->status = JobStatus::Running;
    job->worker = worker;
    ++job->attempts;
    job->timings.set("started_at", now_ms());
    save(*job);
    messages_[id] = msg;
    return job;
  }

  void heartbeat(const Job& job) override {
    std::lock_guard lock(cmd_mutex_);
    auto it = messages_.find(job.id);
    if (it == messages_.end()) return;
    cmd_.command("XCLAIM %s %s %s 0 %s JUSTID", kStream, kGroup, job.worker.c_str(), it->second.c_str());
  }

  bool finish(const Job& job) override {
    std::lock_guard lock(cmd_mutex_);
    const std::string msg = messages_.count(job.id) ? messages_[job.id] : std::string();
    messages_.erase(job.id);
    auto first = cmd_.command("SET ng:done:%s %s NX", job.id.c_str(), job.worker.c_str());
    check(first, "SET NX");
    const bool mine = first->type == REDIS_REPLY_STATUS;
    if (mine) {
      save(job);
      cmd_.command("ZREM ng:active %s", job.id.c_str());
      cmd_.command("ZADD ng:history %lld %s", (long long)now_ms(), job.id.c_str());
    }
    if (!msg.empty()) cmd_.command("XACK %s %s %s", kStream, kGroup, msg.c_str());
    return mine;
  }

  void publish(const Event& e) override {
    const std::string text = ng::json::dump(ng::json::Object{{"client_id", e.client_id}, {"type", e.type}, {"data", e.data}});
    std::lock_guard lock(cmd_mutex_);
    cmd_.command("PUBLISH ng:events %b", text.data(), text.size());
  }

  void subscribe_events(std::function<void(const Event&)> sink) override {
    listen("ng:events", [sink = std::move(sink)](const std::string& text) {
      try {
        const auto v = ng::json::parse(text, "event");
        Event e;
        if (const auto* c = v.find("client_id"); c && c->is_string()) e.client_id = c->as_string();
        if (const auto* t = v.find("type"); t && t->is_string()) e.type = t->as_string();
        if (const auto* d = v.find("data")) e.data = *d;
        sink(e);
      } catch (...) {
      }
    });
  }

  void subscribe_interrupts(std::function<void(const std::string&)> sink) override { listen("ng:interrupt", std::move(sink)); }

  std::string describe() const override { return url_; }

 private:
  static void entry(const redisReply* entries, std::string& msg, std::string& id) {
    if (!entries || entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) return;
    const redisReply* e = entries->element[0];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) return;
    msg = str(e->element[0]);
    const redisReply* fields = e->element[1];
    for (size_t i = 0; fields && fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2)
      if (str(fields->element[i]) == "id") id = str(fields->element[i + 1]);
  }

  std::optional<Job> load(const std::string& id) {
    auto r = cmd_.command("GET ng:job:%s", id.c_str());
    if (!r || r->type != REDIS_REPLY_STRING) return std::nullopt;
    return Job::from_json(ng::json::parse(str(r.get()), "job " + id));
  }

  void save(const Job& job) {
    const std::string text = ng::json::dump(job.to_json());
    check(cmd_.command("SET ng:job:%s %b", job.id.c_str(), text.data(), text.size()), "SET");
  }

  std::vector<Job> range(const char* cmd) {
    std::lock_guard lock(cmd_mutex_);
    auto r = cmd_.command(cmd);
    std::vector<Job> out;
    if (!r || r->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i < r->elements; ++i)
      if (auto j = load(str(r->element[i]))) out.push_back(*j);
    return out;
  }

  // A thread with its own connection, subscribed to `channel`, resubscribing after a restart.
  void listen(const std::string& channel, std::function<void(const std::string&)> sink) {
    listeners_.emplace_back([this, channel, sink = std::move(sink)] {
      Connection c(ep_, std::chrono::hours(24 * 365));
      while (!stop_) {
        redisContext* ctx = c.raw();
        if (!ctx) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        timeval tv{0, 300000};
        redisSetTimeout(ctx, tv);  // wake up to notice stop_
        auto* r = static_cast<redisReply*>(redisCommand(ctx, "SUBSCRIBE %s", channel.c_str()));
        if (!r) {
          c.close();
          continue;
        }
        freeReplyObject(r);
        while (!stop_) {
          void* reply = nullptr;
          if (redisGetReply(ctx, &reply) != REDIS_OK) {
            if (ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
              ctx->err = 0;  // a read timeout: keep listening
              continue;
            }
            c.close();
            break;
          }
          Reply msg(static_cast<redisReply*>(reply), freeReplyObject);
          if (msg->type == REDIS_REPLY_ARRAY && msg->elements == 3 && str(msg->element[0]) == "message")
            sink(str(msg->element[2]));
        }
      }
    });
  }

  std::string url_;
  Endpoint ep_;
  int visibility_ms_;
  std::mutex cmd_mutex_;
  Connection cmd_, block_;
  std::map<std::string, std::string> messages_;  // job id -> stream entry this worker holds
  std::vector<std::thread> listeners_;
  std::atomic<bool> stop_{false};
};

}  // namespace

std::unique_ptr<JobQueue> open_redis_queue(const std::string& url, int visibility_ms) {
  return std::make_unique<RedisQueue>(url, visibility_ms);
}

}  // namespace ng::server
