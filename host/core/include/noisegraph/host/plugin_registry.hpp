#pragma once
/// @file plugin_registry.hpp
/// Finding, checking and loading node plugins (shared libraries built with
/// noisegraph_add_plugin), and the table of node types they provide.
///
/// Safety rules (see docs/plugins.md):
///  - A library's PluginInfo (SDK ABI, compiler ABI, LibTorch version) is read first; on
///    any mismatch nothing else in it is called and it is reported as a failure.
///  - A file that is not a loadable library, lacks the entry points, throws while
///    registering, or is a second copy of an already loaded plugin name is reported and
///    skipped. Node types with ids outside "<plugin>." or already registered are reported
///    and skipped; the plugin's other nodes stay.
///  - Libraries are never unloaded while the process runs (objects they made, such as
///    models held in a cache, may outlive the registry).
///  - Before a library is loaded in-process it is probed in a child process
///    (plugin_probe.hpp); one that crashes there (SIGBUS from a truncated file, SIGABRT
///    from a constructor, SIGSEGV from a bad entry point) is reported with the signal and
///    never loaded.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <noisegraph/node.hpp>

namespace boost::dll {
class shared_library;
}

namespace ng::host {

/// A node type as the host knows it.
struct NodeType {
  /// The library the spec's code lives in (null for built-in types). Declared first so it
  /// is destroyed after the spec.
  std::shared_ptr<boost::dll::shared_library> library;
  ng::NodeSpec spec;
  std::string plugin;          ///< plugin name ("image"), or "builtin"
  std::filesystem::path file;  ///< library file ("" for built-in types)
};

struct LoadedPlugin {
  std::string name;
  std::filesystem::path file;
  std::size_t node_count = 0;  ///< node types accepted from it
};

/// Something that could not be loaded. `file` is the library (or folder); `reason` says
/// what was expected and what was found.
struct PluginFailure {
  std::filesystem::path file;
  std::string reason;
};

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  /// Loads every "*.so" file directly in `dir`, in name order. A missing folder is a
  /// failure entry. Returns the number of plugins loaded.
  std::size_t load_directory(const std::filesystem::path& dir);

  /// Loads one plugin library. Returns false (and adds a failure entry) when refused.
  bool load_file(const std::filesystem::path& file);

  /// Whether libraries are probed in a child process before loading (default: yes, unless
  /// NOISEGRAPH_PLUGIN_PROBE=off). The probe program itself turns it off.
  void set_probing(bool on) { probing_ = on; }
  bool probing() const { return probing_; }

  /// Loads the default search path (see default_search_path()).
  void load_default(const std::vector<std::filesystem::path>& extra_dirs = {});

  /// Where plugins are looked for, in order:
  ///  1. `extra_dirs` (the CLI's --plugins), which are reported when missing;
  ///  2. each folder of the NOISEGRAPH_PLUGIN_PATH environment variable (':'-separated);
  ///  3. for a program running from the build tree (its folder is the build's bin/), the
  ///     build's plugin folder; for an installed program, its install folder
  ///     <executable dir>/../lib/noisegraph/plugins. An installed program never picks up
  ///     plugins from a build tree;
  ///  4. for an installed program, the user's folder $XDG_DATA_HOME/noisegraph/plugins
  ///     (~/.local/share/noisegraph/plugins), after the installed plugins so it cannot
  ///     shadow them.
  /// Folders of 2, 3 and 4 that do not exist are skipped silently.
  static std::vector<std::filesystem::path> default_search_path(
      const std::vector<std::filesystem::path>& extra_dirs = {});

  /// Adds a node type that lives in the host itself (tests, embedders). Same checks as a
  /// plugin's node types, with `plugin` as the prefix. Returns false when refused (reason in
  /// failures()).
  bool add_builtin(ng::NodeSpec spec, const std::string& plugin = "builtin");

  /// The node type with this id, or nullptr.
  const NodeType* find(const std::string& id) const;
  /// Every node type, sorted by id.
  std::vector<const NodeType*> node_types() const;
  /// Every node type id, sorted.
  std::vector<std::string> node_type_ids() const;
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<PluginFailure>& failures() const { return failures_; }

 private:
  bool accept(ng::NodeSpec spec, const std::string& plugin, const std::filesystem::path& file,
              const std::shared_ptr<boost::dll::shared_library>& library);

  std::map<std::string, std::unique_ptr<NodeType>> types_;
  std::vector<LoadedPlugin> plugins_;
  std::vector<PluginFailure> failures_;
  bool probing_ = true;

  bool load_probed(const std::filesystem::path& file);  // after the probe said yes
};

/// The running executable's folder (from /proc/self/exe).
std::filesystem::path executable_dir();

}  // namespace ng::host
