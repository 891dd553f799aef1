#pragma once
// The subcommands of `noisegraph`. Each add_* function declares a subcommand with its
// options on `app` and returns what to run once the command line has been parsed.
#include <functional>
#include <string>
#include <vector>

#include <noisegraph/host/plugin_registry.hpp>

#include "args.hpp"

namespace ng::cli {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_nodes_command(CLI::App& app);
Command add_describe_command(CLI::App& app);
Command add_plugins_command(CLI::App& app);

/// Adds the `--plugins DIR` option every command takes.
void add_plugins_option(CLI::App& command, std::vector<std::string>& dirs);

/// Loads plugins from `dirs` (the --plugins folders) and the default search path.
void load_plugins(host::PluginRegistry& registry, const std::vector<std::string>& dirs);

}  // namespace ng::cli
