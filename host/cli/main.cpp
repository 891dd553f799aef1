// noisegraph: run, validate and inspect node graphs without the editor.
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <noisegraph/host/validate.hpp>
#include <noisegraph/server/commands.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace {

using namespace ng::cli;

std::string footer() {
  std::string text =
      "Run 'noisegraph COMMAND --help' for the options of one command.\n"
      "Exit codes: 0 ok, 1 graph or validation error, 2 usage error, 3 run failed, 130 cancelled.\n";
  const auto docs = docs_dir();
  text += "Documentation: " + (docs.empty() ? std::string("docs/ in the source tree") : docs.string()) +
          " (cli.md, graph-format.md, plugins.md)";
  return text;
}

std::string command_footer() {
  const auto docs = docs_dir();
  return "Exit codes: 0 ok, 1 graph or validation error, 2 usage error, 3 run failed, 130 cancelled.\n"
         "Documentation: " + (docs.empty() ? std::string("docs/cli.md in the source tree") : (docs / "cli.md").string());
}

// The name of the (sub)command the error belongs to, for "run 'noisegraph run --help'".
std::string failing_command(const CLI::App& app) {
  const auto parsed = app.get_subcommands();
  return parsed.empty() ? std::string() : parsed.back()->get_name();
}

int usage_error(const std::string& command, const std::string& message) {
  const std::string who = command.empty() ? "noisegraph" : "noisegraph " + command;
  std::fprintf(stderr, "%s: error: %s\nrun '%s --help' for usage\n", who.c_str(), message.c_str(), who.c_str());
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Runs, validates and inspects NoiseGraph node graphs (diffusion image generation).", "noisegraph");
  app.set_version_flag("--version", version_line(), "Print the NoiseGraph and LibTorch versions and exit");
  app.require_subcommand(1, 1);
  app.get_formatter()->column_width(32);

  std::map<std::string, Command> commands;
  commands["run"] = add_run_command(app);
  commands["validate"] = add_validate_command(app);
  commands["nodes"] = add_nodes_command(app);
  commands["describe"] = add_describe_command(app);
  commands["plugins"] = add_plugins_command(app);
  commands["serve"] = ng::server::add_serve_command(app, load_plugins);
  commands["worker"] = ng::server::add_worker_command(app, load_plugins);

  // Set after the subcommands exist, which would otherwise inherit the whole footer.
  app.footer(footer());
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_footer().empty()) sub->footer(command_footer());

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(app.help().c_str(), stderr);
    return kUsage;
  }
  // `noisegraph help [COMMAND]` is `noisegraph [COMMAND] --help`.
  if (args.front() == "help") {
    args.erase(args.begin());
    if (args.size() > 1) return usage_error("", "help takes at most one command name");
    args.push_back("--help");
  }
  // A word that is not a command: name the closest commands rather than CLI11's
  // "arguments were not expected".
  if (!args.front().empty() && args.front()[0] != '-' && !commands.count(args.front())) {
    std::vector<std::string> names;
    for (const auto& [name, _] : commands) names.push_back(name);
    auto close = ng::host::did_you_mean(args.front(), names);
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return usage_error("", "unknown command '" + args.front() + "'" +
                               (close.empty() ? " (commands: " + known + ")" : "; did you mean '" + close.front() + "'?"));
  }

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(failing_command(app), e.what());
  }

  const std::string command = failing_command(app);
  try {
    return commands.at(command)();
  } catch (const UsageError& e) {
    return usage_error(command, e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph: error: %s\n", e.what());
    return kGraphError;
  }
}
