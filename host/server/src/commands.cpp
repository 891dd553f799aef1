// `noisegraph serve` (HTTP + WebSocket front end, with an in-process worker in embedded
// mode) and `noisegraph worker` (takes jobs from Redis).
#include "noisegraph/server/commands.hpp"

#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <noisegraph/host/executor.hpp>

#include "noisegraph/server/api.hpp"
#include "noisegraph/server/queue.hpp"
#include "noisegraph/server/runner.hpp"

namespace ng::server {

namespace fs = std::filesystem;

namespace {

struct CommonArgs {
  std::vector<std::string> plugins, models, inputs;
  std::string output_store = "output/server", graphs, queue, device = "cpu", name;
  int threads = 0;
};

void add_common(CLI::App* c, CommonArgs& a) {
  c->add_option("--plugins", a.plugins, "extra plugin folder (repeatable)")->type_name("DIR");
  c->add_option("--output-store", a.output_store, "folder all outputs go to, shared by every machine (NFS, S3 gateway)")
      ->type_name("DIR")->capture_default_str();
  c->add_option("--models", a.models, "model folder graphs may read (repeatable; default: the shipped models folders)")
      ->type_name("DIR");
  c->add_option("--inputs", a.inputs, "input folder graphs may read images from (repeatable)")->type_name("DIR");
  c->add_option("--graphs", a.graphs,
                "folder relative paths in submitted graphs resolve against (default: the shipped graphs folder)")
      ->type_name("DIR");
  c->add_option("--threads", a.threads, "intra-op threads per run (0 = cores)")->type_name("N");
  c->add_option("--device", a.device, "cpu, cuda or cuda:N")->capture_default_str();
}

Sandbox make_sandbox(const CommonArgs& a) {
  Sandbox s;
  s.output_store = fs::absolute(a.output_store);
  std::error_code ec;
  fs::create_directories(s.output_store, ec);
  if (ec) throw std::runtime_error(a.output_store + ": cannot create the output store: " + ec.message());
  for (const auto& m : a.models) s.model_dirs.push_back(fs::absolute(m));
  if (s.model_dirs.empty()) s.model_dirs = host::default_model_search_path();
  for (const auto& i : a.inputs) s.input_dirs.push_back(fs::absolute(i));
  if (!a.graphs.empty()) {
    s.graph_dir = fs::absolute(a.graphs);
  } else {  // the shipped graphs: beside the models folder (build tree) or share/noisegraph/graphs
    for (const auto& m : s.model_dirs)
      if (fs::is_directory(m.parent_path() / "graphs")) {
        s.graph_dir = m.parent_path() / "graphs";
        break;
      }
    if (s.graph_dir.empty()) s.graph_dir = s.output_store;
  }
  s.input_dirs.push_back(s.graph_dir);
  return s;
}

// SIGINT/SIGTERM end the Qt event loop through a socket pair (the only safe way out of a handler).
int g_signal_fd[2] = {-1, -1};
void on_signal(int) {
  const char c = 1;
  (void)!::write(g_signal_fd[1], &c, 1);
}

std::atomic<bool> g_stop{false};
void on_worker_signal(int) { g_stop = true; }

bool loopback(const QHostAddress& a) { return a.isLoopback(); }

}  // namespace

std::function<int()> add_serve_command(CLI::App& app, PluginLoader load_plugins) {
  auto a = std::make_shared<CommonArgs>();
  auto listen = std::make_shared<std::string>("127.0.0.1");
  auto port = std::make_shared<int>(8188);
  auto token = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>();
  auto max_body = std::make_shared<int64_t>(8 << 20);
  auto max_queued = std::make_shared<int>(64);
  CLI::App* c = app.add_subcommand("serve", "Serve graphs over HTTP + WebSocket (ComfyUI-style API; docs/server.md)");
  add_common(c, *a);
  c->add_option("--listen", *listen, "address to listen on; anything but loopback needs --token")->capture_default_str();
  c->add_option("--port", *port, "TCP port (0 = any free port, printed at start)")->capture_default_str();
  c->add_option("--token", *token, "bearer token clients must send (default: $NOISEGRAPH_TOKEN)");
  c->add_option("--queue", a->queue,
                "redis://HOST:PORT to share a queue with other front ends and `noisegraph worker`s; default: embedded "
                "(SQLite, one in-process worker)");
  c->add_option("--db", *db, "embedded job database (default: <output-store>/jobs.sqlite)")->type_name("FILE");
  c->add_option("--max-body", *max_body, "largest request body in bytes")->capture_default_str();
  c->add_option("--max-queued", *max_queued, "queued jobs one client may have")->capture_default_str();
  return [=]() -> int {
    if (token->empty())
      if (const char* env = std::getenv("NOISEGRAPH_TOKEN")) *token = env;
    ApiConfig cfg;
    cfg.address = QHostAddress(QString::fromStdString(*listen));
    if (cfg.address.isNull()) throw std::runtime_error("--listen " + *listen + ": not an IP address");
    if (!loopback(cfg.address) && token->empty())
      throw std::runtime_error("--listen " + *listen + " reaches beyond this machine: set --token or NOISEGRAPH_TOKEN");
    if (*port < 0 || *port > 65535) throw std::runtime_error("--port must be 0..65535");
    cfg.port = quint16(*port);
    cfg.token = *token;
    cfg.max_body_bytes = *max_body;
    cfg.max_queued_per_client = *max_queued;
    cfg.sandbox = make_sandbox(*a);

    int qt_argc = 1;
    char qt_name[] = "noisegraph";
    char* qt_argv[] = {qt_name, nullptr};
    QCoreApplication qapp(qt_argc, qt_argv);
    host::PluginRegistry registry;
    load_plugins(registry, a->plugins);
    const bool embedded = a->queue.empty();
    std::unique_ptr<JobQueue> queue =
        embedded ? open_sqlite_queue(db->empty() ? (cfg.sandbox.output_store / "jobs.sqlite").string() : *db)
                 : open_redis_queue(a->queue);
    ApiServer api(registry, *queue, cfg);
    queue->subscribe_events([&api](const Event& e) { api.deliver(e); });
    std::string error;
    if (!api.listen(&error)) throw std::runtime_error("cannot listen on " + *listen + ":" + std::to_string(*port) + ": " + error);
    std::printf("noisegraph serve: http://%s:%u  queue: %s  outputs: %s\n", listen->c_str(), unsigned(api.port()),
                queue->describe().c_str(), cfg.sandbox.output_store.string().c_str());
    std::fflush(stdout);

    std::atomic<bool> stop{false};
    std::unique_ptr<JobRunner> runner;
    std::thread worker;
    if (embedded) {
      runner = std::make_unique<JobRunner>(registry, cfg.sandbox, "local", a->threads, a->device);
      worker = std::thread([&] { runner->serve(*queue, stop); });
    }
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signal_fd) == 0) {
      auto* notifier = new QSocketNotifier(g_signal_fd[0], QSocketNotifier::Read, &qapp);
      QObject::connect(notifier, &QSocketNotifier::activated, &qapp, [] { QCoreApplication::quit(); });
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
    }
    const int rc = qapp.exec();
    stop = true;
    if (runner) runner->interrupt("");  // a running job ends at its next step and stays queued for next time
    if (worker.joinable()) worker.join();
    return rc;
  };
}

std::function<int()> add_worker_command(CLI::App& app, PluginLoader load_plugins) {
  auto a = std::make_shared<CommonArgs>();
  auto visibility = std::make_shared<int>(15000);
  CLI::App* c = app.add_subcommand("worker", "Run jobs from a Redis queue shared with `noisegraph serve --queue` front ends");
  add_common(c, *a);
  c->add_option("--queue", a->queue, "redis://HOST:PORT")->required();
  c->add_option("--name", a->name, "consumer name in the Redis group (default: host-pid)");
  c->add_option("--visibility-ms", *visibility,
                "a running job with no heartbeat for this long is taken over by another worker")->capture_default_str();
  return [=]() -> int {
    std::string name = a->name;
    if (name.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      name = std::string(host) + "-" + std::to_string(::getpid());
    }
    host::PluginRegistry registry;
    load_plugins(registry, a->plugins);
    auto queue = open_redis_queue(a->queue, *visibility);
    JobRunner runner(registry, make_sandbox(*a), name, a->threads, a->device);
    std::signal(SIGINT, on_worker_signal);
    std::signal(SIGTERM, on_worker_signal);
    std::printf("noisegraph worker %s: %s\n", name.c_str(), queue->describe().c_str());
    std::fflush(stdout);
    runner.serve(*queue, g_stop);
    return 0;
  };
}

}  // namespace ng::server
