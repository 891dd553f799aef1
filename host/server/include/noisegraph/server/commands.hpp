#pragma once
/// @file server/commands.hpp
/// `noisegraph serve` and `noisegraph worker`, declared on the CLI's CLI11 app.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <noisegraph/host/plugin_registry.hpp>

namespace ng::server {

/// Loads plugins from extra folders and the default search path (the CLI's loader).
using PluginLoader = std::function<void(host::PluginRegistry&, const std::vector<std::string>&)>;

/// Declares `serve` on `app`; the returned function runs it after parsing (exit code).
std::function<int()> add_serve_command(CLI::App& app, PluginLoader load_plugins);
/// Declares `worker` on `app`.
std::function<int()> add_worker_command(CLI::App& app, PluginLoader load_plugins);

}  // namespace ng::server
