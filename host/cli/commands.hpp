#pragma once
// The subcommands of `noisegraph`; each returns the process exit code (args.hpp).
#include <string>
#include <vector>

#include <noisegraph/host/plugin_registry.hpp>

#include "args.hpp"

namespace ng::cli {

int cmd_run(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_nodes(const std::vector<std::string>& args);
int cmd_describe(const std::vector<std::string>& args);
int cmd_plugins(const std::vector<std::string>& args);

/// Loads plugins from --plugins folders and the default search path.
void load_plugins(host::PluginRegistry& registry, const Args& args);

}  // namespace ng::cli
