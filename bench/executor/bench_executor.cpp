// How much the host adds around node code: a chain of N trivial nodes (testing.count, a
// few arithmetic operations each), run cold (every node executes) and warm (everything
// but the output node comes from the cache); plus the start-up time of `noisegraph nodes`.
//
// usage: bench_executor [nodes=200] [repeats=20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

using namespace ng::host;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Graph chain(int n) {
  Graph g;
  g.add_node("testing.constant", {}, "n0");
  for (int i = 1; i < n - 1; ++i) {
    const std::string id = "n" + std::to_string(i);
    g.add_node("testing.count", {}, id);
    g.connect("n" + std::to_string(i - 1), "value", id, "value");
    g.set_param(id, "offset", ng::ParamValue(1.0));
  }
  g.add_node("testing.sink", {}, "out");
  g.connect("n" + std::to_string(n - 2), "value", "out", "value");
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  PluginRegistry registry;
  if (!registry.load_file(std::string(NG_BENCH_PLUGIN_DIR) + "/testing.so")) {
    std::fprintf(stderr, "cannot load the testing plugin: %s\n", registry.failures().back().reason.c_str());
    return 1;
  }
  const auto out_dir = std::filesystem::temp_directory_path() / "noisegraph_bench_executor";
  RunOptions options;
  options.output_dir = out_dir;
  options.threads = 1;

  const Graph graph = chain(n);
  const std::string yaml = to_yaml(graph);
  std::vector<double> parse, check, cold, warm, node_ms;
  Executor executor(registry);
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    Graph g = load_graph_from_string(yaml, "chain.yaml");
    parse.push_back(ms(t0));
    t0 = Clock::now();
    if (!validate(g, registry).empty()) return 1;
    check.push_back(ms(t0));

    executor.clear_cache();
    t0 = Clock::now();
    RunResult result = executor.run(g, options);
    cold.push_back(ms(t0));
    if (!result.ok()) {
      std::fprintf(stderr, "run failed: %s\n", result.message.c_str());
      return 1;
    }
    double in_nodes = 0;
    for (const auto& rec : result.nodes) in_nodes += rec.wall_ms;
    node_ms.push_back(in_nodes);

    t0 = Clock::now();
    if (!executor.run(g, options).ok()) return 1;
    warm.push_back(ms(t0));
  }

  // `noisegraph nodes` start-up: process start, LibTorch load, plugin loading, listing.
  std::vector<double> startup;
  const std::string command = std::string("'") + NG_CLI_BINARY + "' nodes > /dev/null 2>&1";
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    if (std::system(command.c_str()) != 0) return 1;
    startup.push_back(ms(t0));
  }

  const double cold_ms = median(cold), warm_ms = median(warm), inside = median(node_ms);
  std::printf("chain of %d nodes, %d repeats, medians:\n", n, repeats);
  std::printf("  parse YAML            %8.2f ms\n", median(parse));
  std::printf("  validate              %8.2f ms\n", median(check));
  std::printf("  run, cold             %8.2f ms total, %6.1f us per node (%.1f us in node code)\n", cold_ms,
              1000 * cold_ms / n, 1000 * inside / n);
  std::printf("  host overhead, cold   %8.1f us per node (validation, ordering, signatures, bookkeeping)\n", 1000 * (cold_ms - inside) / n);
  std::printf("  run, warm (cached)    %8.2f ms total, %6.1f us per node\n", warm_ms, 1000 * warm_ms / n);
  std::printf("  `noisegraph nodes`    %8.1f ms (process start-up with every plugin of the build)\n", median(startup));
  return 0;
}
