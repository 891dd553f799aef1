// `noisegraph run` and `noisegraph validate`.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <random>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>

#include <ATen/Parallel.h>

#include <noisegraph/host/executor.hpp>
#include <noisegraph/io/atomic_write.hpp>
#include <noisegraph/io/pending_files.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/output_dir.hpp>
#include <noisegraph/host/plan.hpp>
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

// SIGTERM is handled like Ctrl-C: stop within one step, files written so far are listed.
void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    ng::io::remove_pending_files();  // no half-written .part or .tmp file stays behind
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
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SigintGuard() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_, nullptr);
    g_executor.store(nullptr);
  }

 private:
  struct sigaction old_ {};
  struct sigaction old_term_ {};
};

void print_problems(const std::vector<host::Problem>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "%s\n", host::format_problem(p).c_str());
}

// A problem of an override that names nothing in the graph is a usage error (exit 2); a
// value of the wrong kind is a graph problem like one in the file (exit 1).
bool names_nothing(const host::Problem& p) {
  return p.code == "dangling_reference" || p.code == "unknown_param" || p.code == "unknown_graph_input";
}

void throw_usage(const host::Problem& p) {
  throw UsageError(p.file + ": " + (p.node.empty() ? "" : "node '" + p.node + "': ") + p.message +
                   (p.hint.empty() ? "" : "; " + p.hint));
}

// --set NODE.PARAM=VALUE: read once, with the parameter's kind, into the plan.
void apply_override(host::Plan& plan, const std::string& text) {
  const auto eq = text.find('=');
  const auto dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq)
    throw UsageError("--set expects NODE.PARAM=VALUE, found '" + text + "'");
  const std::string node = text.substr(0, dot), param = text.substr(dot + 1, eq - dot - 1);
  if (auto p = plan.set_param_text(node, param, text.substr(eq + 1), "--set " + text)) {
    if (names_nothing(*p)) throw_usage(*p);
    plan.problems.push_back(std::move(*p));
  }
}

// NAME=VALUE after the graph: a graph input (`inputs:` in the file).
void apply_input(host::Plan& plan, const std::string& text) {
  const auto assignment = host::split_assignment(text);
  if (!assignment)
    throw UsageError("expected a graph input as NAME=VALUE after the graph, found '" + text +
                     "' (`noisegraph describe GRAPH` lists the inputs)");
  if (auto p = plan.set_input(assignment->first, assignment->second, "input " + assignment->first)) {
    if (names_nothing(*p)) throw_usage(*p);
    plan.problems.push_back(std::move(*p));
  }
}

// --seed N (0 to 2^64-1), or `random` / -1 for a fresh one that the report and the
// embedded graph record.
uint64_t parse_seed_option(const std::string& text) {
  if (text == "random" || text == "-1") {
    std::random_device device;
    return (uint64_t(device()) << 32) ^ uint64_t(device());
  }
  uint64_t v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  const auto r = std::from_chars(b, e, v);
  if (text.empty() || text[0] == '-' || r.ec != std::errc() || r.ptr != e)
    throw UsageError("--seed: expects an integer from 0 to 18446744073709551615, or random (or -1), found '" + text + "'");
  return v;
}

void write_report(const std::string& path, const host::RunResult& result, const RunInfo& info) {
  if (path.empty()) return;
  try {
    ng::io::write_file_atomic(path, ng::json::dump(run_report_json(result, info), true) + "\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph: error: report: %s\n", e.what());
  }
}

}  // namespace

void add_plugins_option(CLI::App& command, std::vector<std::string>& dirs) {
  command.add_option("--plugins", dirs, "Also load plugins from DIR, before the default folders (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
}

void load_plugins(host::PluginRegistry& registry, const std::vector<std::string>& dirs) {
  std::vector<fs::path> extra(dirs.begin(), dirs.end());
  registry.load_default(extra);
}

namespace {

struct RunArgs {
  std::string graph;
  std::vector<std::string> sets, models, plugins;
  std::string output_dir = host::default_output_dir().string();
  std::vector<std::string> inputs;
  std::string seed;
  int threads = 0;
  std::string device = "cpu";
  std::string report;
  bool quiet = false, verbose = false;
};

int run_graph(const CLI::App& command, const RunArgs& args);
int validate_graph(const CLI::App& command, const std::string& path, const std::vector<std::string>& plugins, bool json);

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a graph (validates it first)");
  c->allow_extras();
  c->add_option("graph", args->graph, "Graph file (.yaml)")->required()->type_name("GRAPH");
  c->add_option("inputs", args->inputs,
                "Graph inputs, e.g. prompt=\"a bag\" (`noisegraph describe GRAPH` lists them)")
      ->type_name("NAME=VALUE");
  c->add_option("--set", args->sets,
                "Override a parameter (repeatable), e.g. --set sample.steps=30")
      ->type_name("NODE.PARAM=VALUE")
      ->allow_extra_args(false);
  c->add_option("--output-dir", args->output_dir,
                "Where output nodes write (default: $NOISEGRAPH_OUTPUT_DIR or ~/Pictures/NoiseGraph, "
                "as in the editor)")
      ->type_name("DIR");
  c->add_option("--seed", args->seed,
                "Set every seed parameter of the graph to N (0 to 2^64-1); random or -1 picks one and records it")
      ->type_name("N|random");
  c->add_option("--threads", args->threads, "LibTorch threads, 1 to 4096 (default: all cores)")->type_name("N")->check(integer_in(1, 4096));
  c->add_option("--device", args->device, "Device for models: cpu, cuda or cuda:N")->type_name("DEVICE")->default_str("cpu");
  c->add_option("--models", args->models, "Extra folder searched for model files (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  c->add_option("--report", args->report, "Write a JSON report of the run (also on failure)")->type_name("FILE.json");
  add_plugins_option(*c, args->plugins);
  c->add_flag("-q,--quiet", args->quiet, "Print only warnings, errors and the files written");
  c->add_flag("-v,--verbose", args->verbose, "Also print debug messages from nodes");
  return [c, args] { return run_graph(*c, *args); };
}

namespace {

int run_graph(const CLI::App& command, const RunArgs& args) {
  reject_extras(command);
  const bool quiet = args.quiet;

  host::RunOptions options;
  options.output_dir = args.output_dir;
  std::optional<uint64_t> seed;
  if (command.count("--seed")) seed = parse_seed_option(args.seed);
  options.threads = command.count("--threads") ? args.threads : int(std::thread::hardware_concurrency());
  options.device = args.device;
  for (const auto& d : args.models) options.model_search_path.emplace_back(d);
  if (std::string why = host::device_problem(options.device); !why.empty()) throw UsageError("--device: " + why);
  const std::string report_path = args.report;
  if (!report_path.empty()) {
    fs::path dir = fs::path(report_path).parent_path();
    std::error_code ec;
    // Created now (it may be the output folder), so a bad path fails before a long run.
    if (!dir.empty() && !fs::is_directory(dir, ec) && (!fs::create_directories(dir, ec) || ec))
      throw UsageError("--report: cannot create folder '" + dir.string() + "'" + (ec ? ": " + ec.message() : ""));
  }

  RunInfo info;
  info.graph = args.graph;
  std::error_code ec;
  info.output_dir = fs::absolute(options.output_dir, ec).lexically_normal();
  info.seed = seed;
  info.device = options.device;
  info.threads = options.threads;
  info.overrides = args.sets;
  info.started_at = utc_timestamp();

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
  load_plugins(registry, args.plugins);
  // One plan: the file's values typed once, then the overrides typed into it.
  const host::PathRoots roots = host::run_roots(graph, options);
  host::Plan plan = host::make_plan(std::move(graph), registry, roots);
  for (const auto& s : args.sets) apply_override(plan, s);
  for (const auto& s : args.inputs) apply_input(plan, s);
  if (seed) plan.set_seed(*seed);

  result.problems = plan.problems;
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
    ProgressPrinter printer(stderr, tty, quiet, args.verbose);
    SigintGuard guard(executor);
    result = executor.run(plan, options, &printer);
  }
  info.threads = at::get_num_threads();  // what ran, after the executor's clamp

  for (const auto& f : result.files) std::printf("%s\n", f.path.c_str());
  std::fflush(stdout);

  switch (result.status) {
    case host::RunResult::Status::Ok: {
      if (!quiet) {
        std::size_t cached = 0;
        for (const auto& n : result.nodes) cached += n.cached ? 1 : 0;
        std::fprintf(stderr, "done in %s: %zu node(s) run, %zu from cache, %zu file(s) written to %s\n",
                     format_duration(result.wall_ms / 1000.0).c_str(), result.nodes.size() - cached, cached, result.files.size(),
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

}  // namespace

Command add_validate_command(CLI::App& app) {
  struct Args {
    std::string graph;
    std::vector<std::string> plugins;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand("validate", "Report every problem of a graph without running it");
  c->allow_extras();
  c->add_option("graph", args->graph, "Graph file (.yaml)")->required()->type_name("GRAPH");
  c->add_flag("--json", args->json, "Print the problems as JSON");
  add_plugins_option(*c, args->plugins);
  return [c, args] { return validate_graph(*c, args->graph, args->plugins, args->json); };
}

namespace {

int validate_graph(const CLI::App& command, const std::string& path, const std::vector<std::string>& plugins, bool json) {
  reject_extras(command);
  std::vector<host::Problem> problems;
  std::size_t node_count = 0;
  try {
    host::Graph graph = host::load_graph(path);
    node_count = graph.nodes.size();
    host::PluginRegistry registry;
    load_plugins(registry, plugins);
    problems = host::validate(graph, registry);
  } catch (const host::GraphError& e) {
    problems = {e.problem()};
  }
  if (json) {
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

}  // namespace
}  // namespace ng::cli
