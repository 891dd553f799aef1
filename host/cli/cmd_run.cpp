// `noisegraph run` and `noisegraph validate`.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <thread>

#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/validate.hpp>

#include "commands.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace ng::cli {

namespace {

namespace fs = std::filesystem;

// Ctrl-C: the first asks the executor to stop within one step; the second quits at once.
std::atomic<host::Executor*> g_executor{nullptr};
std::atomic<int> g_interrupts{0};

void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    const char msg[] = "\nnoisegraph: interrupted again, quitting\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(kCancelled);
  }
  if (host::Executor* e = g_executor.load()) e->request_cancel();
  const char msg[] = "\nnoisegraph: cancelling after the current step (Ctrl-C again to quit now)\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
}

class SigintGuard {
 public:
  explicit SigintGuard(host::Executor& e) {
    g_executor.store(&e);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~SigintGuard() {
    sigaction(SIGINT, &old_, nullptr);
    g_executor.store(nullptr);
  }

 private:
  struct sigaction old_ {};
};

void print_problems(const std::vector<host::Problem>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "%s\n", host::format_problem(p).c_str());
}

// --set NODE.PARAM=VALUE: the value is read like an unquoted YAML scalar.
void apply_override(host::Graph& graph, const host::PluginRegistry& registry, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq)
    throw UsageError("--set expects NODE.PARAM=VALUE, found '" + text + "'");
  const std::string node = text.substr(0, dot), param = text.substr(dot + 1, eq - dot - 1), value = text.substr(eq + 1);
  host::GraphNode* n = graph.find(node);
  if (!n) {
    auto close = host::did_you_mean(node, graph.nodes.keys());
    throw UsageError("--set " + text + ": the graph has no node '" + node + "'" +
                     (close.empty() ? std::string() : "; did you mean '" + close.front() + "'?"));
  }
  if (const host::NodeType* t = registry.find(n->type)) {
    if (!t->spec.find_param(param)) {
      std::vector<std::string> names;
      for (const auto& p : t->spec.params()) names.push_back(p.name);
      auto close = host::did_you_mean(param, names);
      throw UsageError("--set " + text + ": node '" + node + "' (" + n->type + ") has no parameter '" + param + "'" +
                       (close.empty() ? std::string() : "; did you mean '" + close.front() + "'?"));
    }
  }
  graph.set_param(node, param, host::Scalar(value));
}

void write_report(const std::string& path, const host::RunResult& result, const RunInfo& info) {
  if (path.empty()) return;
  try {
    write_file_atomically(path, ng::json::dump(run_report_json(result, info), true) + "\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph: error: report: %s\n", e.what());
  }
}

}  // namespace

void load_plugins(host::PluginRegistry& registry, const Args& args) {
  std::vector<fs::path> extra;
  for (const auto& d : args.all("--plugins")) extra.emplace_back(d);
  registry.load_default(extra);
}

int cmd_run(const std::vector<std::string>& argv) {
  OptionSpec spec;
  spec.with_value = {"--set", "--output-dir", "--seed", "--threads", "--device", "--report", "--plugins", "--models"};
  spec.flags = {"--quiet", "--verbose"};
  const Args args = parse_args("run", argv, spec);
  if (args.positional.size() != 1) throw UsageError("run expects one graph file, e.g. 'noisegraph run graph.yaml'");
  const bool quiet = args.flag("--quiet");

  host::RunOptions options;
  options.output_dir = args.value("--output-dir", "output");
  if (args.has("--seed")) options.seed = args.integer("--seed", 0, std::numeric_limits<int64_t>::max());
  options.threads = args.has("--threads") ? int(args.integer("--threads", 1, 4096)) : int(std::thread::hardware_concurrency());
  options.device = args.value("--device", "cpu");
  for (const auto& d : args.all("--models")) options.model_search_path.emplace_back(d);
  if (std::string why = host::device_problem(options.device); !why.empty()) throw UsageError("--device: " + why);
  const std::string report_path = args.value("--report");
  if (!report_path.empty()) {
    fs::path dir = fs::path(report_path).parent_path();
    std::error_code ec;
    if (!dir.empty() && !fs::is_directory(dir, ec)) throw UsageError("--report: folder '" + dir.string() + "' does not exist");
  }

  RunInfo info;
  info.graph = args.positional.front();
  std::error_code ec;
  info.output_dir = fs::absolute(options.output_dir, ec).lexically_normal();
  info.seed = options.seed;
  info.device = options.device;
  info.threads = options.threads;

  host::RunResult result;
  auto finish = [&](int code) {
    info.exit_code = code;
    write_report(report_path, result, info);
    return code;
  };

  host::Graph graph;
  try {
    graph = host::load_graph(info.graph);
  } catch (const host::GraphError& e) {
    result.status = host::RunResult::Status::Failed;
    result.message = e.what();
    result.problems = {e.problem()};
    print_problems(result.problems);
    return finish(kGraphError);
  }

  host::PluginRegistry registry;
  load_plugins(registry, args);
  for (const auto& s : args.all("--set")) apply_override(graph, registry, s);

  result.problems = host::validate(graph, registry);
  if (!result.problems.empty()) {
    result.status = host::RunResult::Status::Failed;
    result.message = std::to_string(result.problems.size()) + " problem(s) in the graph";
    print_problems(result.problems);
    std::fprintf(stderr, "%s: %zu problem(s); nothing was run\n", info.graph.c_str(), result.problems.size());
    return finish(kGraphError);
  }
  if (!registry.failures().empty() && !quiet)
    std::fprintf(stderr, "warning: %zu plugin problem(s) while loading; see 'noisegraph plugins'\n", registry.failures().size());

  host::Executor executor(registry);
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  {
    ProgressPrinter printer(stderr, tty, quiet, args.flag("--verbose"));
    SigintGuard guard(executor);
    result = executor.run(graph, options, &printer);
  }

  for (const auto& f : result.files) std::printf("%s\n", f.path.c_str());
  std::fflush(stdout);

  switch (result.status) {
    case host::RunResult::Status::Ok: {
      if (!quiet) {
        std::size_t cached = 0;
        for (const auto& n : result.nodes) cached += n.cached ? 1 : 0;
        std::fprintf(stderr, "done in %.2f s: %zu node(s) run, %zu from cache, %zu file(s) written to %s\n",
                     result.wall_ms / 1000.0, result.nodes.size() - cached, cached, result.files.size(),
                     info.output_dir.c_str());
      }
      return finish(kOk);
    }
    case host::RunResult::Status::Cancelled:
      if (result.failed_node.empty()) std::fprintf(stderr, "noisegraph: cancelled\n");
      else std::fprintf(stderr, "noisegraph: cancelled at node '%s'\n", result.failed_node.c_str());
      return finish(kCancelled);
    case host::RunResult::Status::Failed:
      break;
  }
  if (!result.problems.empty()) {
    print_problems(result.problems);
    return finish(kGraphError);
  }
  if (result.failed_node.empty())
    std::fprintf(stderr, "noisegraph: error: %s\n", result.message.c_str());
  else
    std::fprintf(stderr, "noisegraph: error: node '%s' (%s) failed: %s\n", result.failed_node.c_str(),
                 result.failed_type.c_str(), result.message.c_str());
  return finish(kRunFailed);
}

int cmd_validate(const std::vector<std::string>& argv) {
  OptionSpec spec;
  spec.with_value = {"--plugins"};
  spec.flags = {"--json"};
  const Args args = parse_args("validate", argv, spec);
  if (args.positional.size() != 1) throw UsageError("validate expects one graph file");
  const std::string path = args.positional.front();
  std::vector<host::Problem> problems;
  std::size_t node_count = 0;
  try {
    host::Graph graph = host::load_graph(path);
    node_count = graph.nodes.size();
    host::PluginRegistry registry;
    load_plugins(registry, args);
    problems = host::validate(graph, registry);
  } catch (const host::GraphError& e) {
    problems = {e.problem()};
  }
  if (args.flag("--json")) {
    ng::json::Array list;
    for (const auto& p : problems) list.push_back(problem_json(p));
    std::printf("%s\n", ng::json::dump(ng::json::Object{{"graph", path}, {"ok", problems.empty()}, {"problems", list}}, true).c_str());
  } else {
    print_problems(problems);
    if (problems.empty()) std::printf("%s: ok (%zu node(s))\n", path.c_str(), node_count);
    else std::fprintf(stderr, "%s: %zu problem(s)\n", path.c_str(), problems.size());
  }
  return problems.empty() ? kOk : kGraphError;
}

}  // namespace ng::cli
