// The embedded job queue: one SQLite file, jobs stored as JSON, a condition variable to wake
// the in-process worker. Qt Sql connections belong to one thread, so each thread opens its own.
#include <QtCore/QThread>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <QtCore/QVariant>

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "noisegraph/server/queue.hpp"

namespace ng::server {

JobQueue::~JobQueue() = default;

namespace {

class SqliteQueue final : public JobQueue {
 public:
  explicit SqliteQueue(std::string path) : path_(std::move(path)) {
    QSqlQuery q(db());
    exec(q, "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, number INTEGER, status TEXT, client TEXT, "
            "finished INTEGER DEFAULT 0, body TEXT)");
    exec(q, "CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, number)");
    // A job that was running when the process died runs again.
    for (Job j : select("status = 'running'")) {
      j.status = JobStatus::Queued;
      store(j);
    }
  }

  Job submit(Job job) override {
    std::lock_guard lock(mutex_);
    QSqlQuery q(db());
    exec(q, "SELECT COALESCE(MAX(number), 0) + 1 FROM jobs");
    job.number = q.next() ? q.value(0).toLongLong() : 1;
    job.status = JobStatus::Queued;
    store(job);
    wake_.notify_all();
    return job;
  }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto jobs = select("id = ?", {QString::fromStdString(id)});
    if (jobs.empty()) return std::nullopt;
    return jobs.front();
  }

  std::vector<Job> active() override {
    std::lock_guard lock(mutex_);
    return select("status IN ('queued', 'running') ORDER BY number");
  }

  std::vector<Job> history(int limit) override {
    std::lock_guard lock(mutex_);
    return select("status NOT IN ('queued', 'running') ORDER BY finished DESC, number DESC LIMIT " +
                  std::to_string(std::max(limit, 0)));
  }

  bool cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto jobs = select("id = ? AND status = 'queued'", {QString::fromStdString(id)});
    if (jobs.empty()) return false;
    jobs.front().status = JobStatus::Cancelled;
    jobs.front().timings.set("finished_at", now_ms());
    store(jobs.front());
    return true;
  }

  void interrupt(const std::string& id) override {
    std::function<void(const std::string&)> sink;
    {
      std::lock_guard lock(mutex_);
      sink = interrupt_sink_;
    }
    if (sink) sink(id);
  }

  std::optional<Job> take(const std::string& worker, int wait_ms) override {
    std::unique_lock lock(mutex_);
    auto next = [&] { return select("status = 'queued' ORDER BY number LIMIT 1"); };
    auto jobs = next();
    if (jobs.empty()) {
      wake_.wait_for(lock, std::chrono::milliseconds(wait_ms));
      jobs = next();
      if (jobs.empty()) return std::nullopt;
    }
    Job j = jobs.front();
    j.status = JobStatus::Running;
    j.worker = worker;
    ++j.attempts;
    j.timings.set("started_at", now_ms());
    store(j);
    return j;
  }

  void heartbeat(const Job&) override {}  // one process: its worker cannot die alone

  bool finish(const Job& job) override {
    std::lock_guard lock(mutex_);
    auto current = select("id = ?", {QString::fromStdString(job.id)});
    if (!current.empty() && current.front().status != JobStatus::Running) return false;
    store(job);
    return true;
  }

  void publish(const Event& event) override {
    std::function<void(const Event&)> sink;
    {
      std::lock_guard lock(mutex_);
      sink = event_sink_;
    }
    if (sink) sink(event);
  }

  void subscribe_events(std::function<void(const Event&)> sink) override {
    std::lock_guard lock(mutex_);
    event_sink_ = std::move(sink);
  }
  void subscribe_interrupts(std::function<void(const std::string&)> sink) override {
    std::lock_guard lock(mutex_);
    interrupt_sink_ = std::move(sink);
  }

  std::string describe() const override { return "embedded (sqlite " + path_ + ")"; }

 private:
  QSqlDatabase db() {
    const QString name = QStringLiteral("ng-queue-%1").arg(quintptr(QThread::currentThreadId()));
    if (QSqlDatabase::contains(name)) return QSqlDatabase::database(name);
    QSqlDatabase d = QSqlDatabase::addDatabase("QSQLITE", name);
    d.setDatabaseName(QString::fromStdString(path_));
    if (!d.open()) throw std::runtime_error(path_ + ": cannot open job database: " + d.lastError().text().toStdString());
    QSqlQuery q(d);
    q.exec("PRAGMA journal_mode=WAL");
    q.exec("PRAGMA synchronous=FULL");  // a finished or queued job survives a power cut
    return d;
  }

  static void exec(QSqlQuery& q, const std::string& sql) {
    if (!q.exec(QString::fromStdString(sql)))
      throw std::runtime_error("job database: " + q.lastError().text().toStdString());
  }

  std::vector<Job> select(const std::string& where, const QVariantList& binds = {}) {
    QSqlQuery q(db());
    q.prepare(QString::fromStdString("SELECT body FROM jobs WHERE " + where));
    for (const auto& b : binds) q.addBindValue(b);
    if (!q.exec()) throw std::runtime_error("job database: " + q.lastError().text().toStdString());
    std::vector<Job> out;
    while (q.next()) out.push_back(Job::from_json(ng::json::parse(q.value(0).toString().toStdString(), "job")));
    return out;
  }

  void store(const Job& j) {
    QSqlQuery q(db());
    q.prepare("INSERT OR REPLACE INTO jobs (id, number, status, client, finished, body) VALUES (?, ?, ?, ?, ?, ?)");
    q.addBindValue(QString::fromStdString(j.id));
    q.addBindValue(qlonglong(j.number));
    q.addBindValue(QString(to_string(j.status)));
    q.addBindValue(QString::fromStdString(j.client_id));
    const auto* f = j.timings.is_object() ? j.timings.find("finished_at") : nullptr;
    q.addBindValue(qlonglong(f && f->is_number() ? f->as_int() : 0));
    q.addBindValue(QString::fromStdString(ng::json::dump(j.to_json())));
    if (!q.exec()) throw std::runtime_error("job database: " + q.lastError().text().toStdString());
  }

  std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void(const Event&)> event_sink_;
  std::function<void(const std::string&)> interrupt_sink_;
};

}  // namespace

std::unique_ptr<JobQueue> open_sqlite_queue(const std::string& path) { return std::make_unique<SqliteQueue>(path); }

}  // namespace ng::server
