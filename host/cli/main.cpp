// noisegraph: run, validate and inspect node graphs without the editor.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace {

const char* kHelp = R"(usage: noisegraph <command> [options]

commands:
  run GRAPH.yaml      run a graph (validates it first)
      --set NODE.PARAM=VALUE   override a parameter (repeatable)
      --output-dir DIR         where output nodes write (default: ./output)
      --seed N                 set every seed parameter in the graph to N
      --threads N              LibTorch threads (default: all cores)
      --device cpu|cuda[:N]    device for models (default: cpu)
      --models DIR             extra folder searched for model files (repeatable)
      --report FILE.json       write a machine-readable run report
      --quiet                  only warnings, errors and written files
      --verbose                also debug messages from nodes
  validate GRAPH.yaml [--json]  report every problem of a graph without running it
  nodes [--json]              list the node types of all loaded plugins
  describe TYPE [--json]      show a node type's ports and parameters
  plugins [--json]            list loaded plugins and the ones that failed, with reasons

every command accepts --plugins DIR (repeatable) to load plugins from DIR first.
exit codes: 0 ok, 1 graph or validation error, 2 usage error, 3 run failed, 130 cancelled.
documentation: docs/cli.md
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ng::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kHelp, stderr);
    return kUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kHelp, stdout);
      return kOk;
    }
    if (command == "--version") {
      std::printf("noisegraph %s\n", NOISEGRAPH_VERSION);
      return kOk;
    }
    if (command == "run") return cmd_run(args);
    if (command == "validate") return cmd_validate(args);
    if (command == "nodes") return cmd_nodes(args);
    if (command == "describe") return cmd_describe(args);
    if (command == "plugins") return cmd_plugins(args);
    throw UsageError("unknown command '" + command + "' (commands: run, validate, nodes, describe, plugins)");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "noisegraph: error: %s\nrun 'noisegraph --help' for usage\n", e.what());
    return kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph: error: %s\n", e.what());
    return kGraphError;
  }
}
