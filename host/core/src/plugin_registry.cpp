// Loading plugin libraries with Boost.DLL: check PluginInfo first, then register, then
// vet every node type. Nothing a plugin does wrong stops the host.
#include "noisegraph/host/plugin_registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <noisegraph/abi.hpp>
// plugin.hpp is meant for plugins and insists on a plugin name; the host only needs its
// entry point types.
#define NOISEGRAPH_PLUGIN_NAME "host"
#include <noisegraph/plugin.hpp>
#undef NOISEGRAPH_PLUGIN_NAME
#include <noisegraph/registrar.hpp>

#include "noisegraph/host/plugin_probe.hpp"

namespace ng::host {

namespace fs = std::filesystem;

namespace {

// Libraries stay loaded until the process exits, whatever happens to registries: objects a
// plugin made (models in a cache, tensors with custom deleters) may outlive them.
void keep_loaded(const std::shared_ptr<boost::dll::shared_library>& lib) {
  static std::mutex mutex;
  static auto* libraries = new std::vector<std::shared_ptr<boost::dll::shared_library>>();
  std::lock_guard<std::mutex> lock(mutex);
  libraries->push_back(lib);
}

class CollectingRegistrar : public ng::Registrar {
 public:
  void add(ng::NodeSpec spec) override { specs.push_back(std::move(spec)); }
  std::vector<ng::NodeSpec> specs;
};

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string str(const char* s) { return s ? std::string(s) : std::string("(null)"); }

// Why a spec cannot be accepted, or "" when it is fine.
std::string spec_problem(const ng::NodeSpec& spec, const std::string& plugin) {
  const std::string prefix = plugin + ".";
  const std::string& id = spec.id();
  if (id.compare(0, prefix.size(), prefix) != 0 || id.size() == prefix.size())
    return "id must start with '" + prefix + "' (the plugin name)";
  for (std::size_t i = prefix.size(); i < id.size(); ++i)
    if (!valid_name_char(id[i])) return "id may only use letters, digits, '_' and '-' after the plugin name";
  if (!spec.runner()) return "has no run function (NodeSpec::run was not called)";
  for (const auto& p : spec.params()) {
    const auto& d = p.default_value;
    if (p.kind == ng::ParamKind::Enum) {
      auto* s = std::get_if<std::string>(&d);
      if (!s || std::find(p.choices.begin(), p.choices.end(), *s) == p.choices.end())
        return "default of enum parameter '" + p.name + "' is not one of its choices";
    }
    double v = 0;
    if (auto* i = std::get_if<int64_t>(&d)) v = double(*i);
    else if (auto* f = std::get_if<double>(&d)) v = *f;
    else continue;
    if ((p.min && v < *p.min) || (p.max && v > *p.max))
      return "default of parameter '" + p.name + "' is outside its range";
  }
  return {};
}

}  // namespace

PluginRegistry::PluginRegistry() {
  if (const char* env = std::getenv("NOISEGRAPH_PLUGIN_PROBE"))
    probing_ = !(std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0 || std::strcmp(env, "no") == 0);
}
PluginRegistry::~PluginRegistry() = default;

fs::path executable_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fs::current_path(ec);
  return p.parent_path();
}

std::vector<fs::path> PluginRegistry::default_search_path(const std::vector<fs::path>& extra_dirs) {
  std::vector<fs::path> dirs = extra_dirs;
  if (const char* env = std::getenv("NOISEGRAPH_PLUGIN_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      std::string part = s.substr(start, end - start);
      std::error_code ec;
      if (!part.empty() && fs::is_directory(part, ec)) dirs.emplace_back(part);
      start = end + 1;
    }
  }
  // Programs in the build tree use the build's plugins; installed ones only their own.
  std::error_code ec;
  if (fs::equivalent(executable_dir(), NOISEGRAPH_BUILD_BIN_DIR, ec)) {
    if (fs::is_directory(NOISEGRAPH_BUILD_PLUGIN_DIR, ec)) dirs.emplace_back(NOISEGRAPH_BUILD_PLUGIN_DIR);
  } else {
    fs::path installed = fs::path(NOISEGRAPH_INSTALL_PLUGIN_SUBDIR);
    if (installed.is_relative()) installed = executable_dir() / ".." / installed;
    if (fs::is_directory(installed, ec)) dirs.push_back(installed.lexically_normal());
    // Then the user's own plugins, after the installed ones so they add node types but
    // never shadow a shipped plugin: $XDG_DATA_HOME/noisegraph/plugins, by default
    // ~/.local/share/noisegraph/plugins.
    fs::path data_home;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) data_home = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home) data_home = fs::path(home) / ".local" / "share";
    const fs::path user = data_home / "noisegraph" / "plugins";
    if (!data_home.empty() && fs::is_directory(user, ec)) dirs.push_back(user);
  }
  // A folder named twice (--plugins and NOISEGRAPH_PLUGIN_PATH, say) is searched once;
  // loading it twice would report every plugin as a duplicate of itself.
  std::vector<fs::path> unique;
  for (const auto& d : dirs) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const fs::path& u) {
      std::error_code eq;
      return fs::equivalent(u, d, eq) || u == d;
    });
    if (!seen) unique.push_back(d);
  }
  return unique;
}

void PluginRegistry::load_default(const std::vector<fs::path>& extra_dirs) {
  for (const auto& dir : default_search_path(extra_dirs)) load_directory(dir);
}

std::size_t PluginRegistry::load_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    failures_.push_back({dir, "plugin folder does not exist or is not a folder"});
    return 0;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".so" && !it->is_directory(ec)) files.push_back(it->path());
  if (ec) failures_.push_back({dir, "cannot list plugin folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  // Probe every regular file in one go (one child process for the whole folder).
  std::vector<fs::path> regular;
  for (const auto& f : files)
    if (fs::is_regular_file(f, ec)) regular.push_back(f);
  std::vector<ProbeVerdict> verdicts;
  if (probing_) verdicts = probe_plugins(regular);
  std::size_t loaded = 0, r = 0;
  for (const auto& f : files) {
    if (r < regular.size() && regular[r] == f) {
      const ProbeVerdict* v = verdicts.empty() ? nullptr : &verdicts[r];
      ++r;
      if (v && (v->kind == ProbeVerdict::Kind::Crashed || v->kind == ProbeVerdict::Kind::TimedOut)) {
        failures_.push_back({f, v->message});
        continue;
      }
    }
    loaded += load_probed(f) ? 1 : 0;
  }
  return loaded;
}

bool PluginRegistry::load_file(const fs::path& file) {
  std::error_code ec;
  if (probing_ && fs::is_regular_file(file, ec)) {
    const ProbeVerdict v = probe_plugins({file}).front();
    if (v.kind == ProbeVerdict::Kind::Crashed || v.kind == ProbeVerdict::Kind::TimedOut) {
      failures_.push_back({file, v.message});
      return false;
    }
  }
  return load_probed(file);
}

bool PluginRegistry::load_probed(const fs::path& file) {
  auto refuse = [&](const std::string& reason) {
    failures_.push_back({file, reason});
    return false;
  };
  std::error_code fec;
  if (!fs::is_regular_file(file, fec)) return refuse("not a file");
  const fs::path absolute = fs::absolute(file, fec).lexically_normal();

  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  ::dlerror();
  lib->load(absolute, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) {
    const char* why = ::dlerror();
    return refuse("not a loadable shared library: " + (why ? std::string(why) : ec.message()));
  }
  keep_loaded(lib);

  if (!lib->has("noisegraph_plugin_info"))
    return refuse("not a NoiseGraph plugin: it does not export 'noisegraph_plugin_info' (build it with "
                  "noisegraph_add_plugin and NOISEGRAPH_PLUGIN(...))");
  const ng::PluginInfo info = lib->get_alias<ng::plugin_detail::InfoFn>("noisegraph_plugin_info")();
  const ng::PluginInfo host = ng::host_plugin_info();
  if (info.abi != host.abi)
    return refuse("built for NoiseGraph SDK ABI " + std::to_string(info.abi) + ", but this host uses ABI " +
                  std::to_string(host.abi) + "; rebuild the plugin against this SDK");
  if (!info.compiler || std::strcmp(info.compiler, host.compiler) != 0)
    return refuse("built with compiler ABI '" + str(info.compiler) + "', but this host uses '" + host.compiler +
                  "'; rebuild the plugin with the same compiler settings");
  if (!info.torch_version || std::strcmp(info.torch_version, host.torch_version) != 0)
    return refuse("built against LibTorch " + str(info.torch_version) + ", but this host uses LibTorch " +
                  host.torch_version + "; rebuild the plugin");
  const std::string name = str(info.name);
  if (!info.name || name.empty() || !std::all_of(name.begin(), name.end(), valid_name_char))
    return refuse("plugin name '" + name + "' is not valid (letters, digits, '_' and '-')");
  for (const auto& p : plugins_)
    if (p.name == name)
      return refuse("a plugin named '" + name + "' is already loaded from " + p.file.string() + "; skipped this copy");
  if (!lib->has("noisegraph_plugin_register"))
    return refuse("not a NoiseGraph plugin: it does not export 'noisegraph_plugin_register'");

  CollectingRegistrar registrar;
  std::string error;
  const bool ok = lib->get_alias<ng::plugin_detail::RegisterFn>("noisegraph_plugin_register")(registrar, error);
  if (!ok) return refuse("plugin '" + name + "' failed while registering its nodes: " + error);

  LoadedPlugin record{name, absolute, 0};
  for (auto& spec : registrar.specs)
    if (accept(std::move(spec), name, absolute, lib)) ++record.node_count;
  plugins_.push_back(std::move(record));
  return true;
}

bool PluginRegistry::add_builtin(ng::NodeSpec spec, const std::string& plugin) {
  return accept(std::move(spec), plugin, {}, nullptr);
}

bool PluginRegistry::accept(ng::NodeSpec spec, const std::string& plugin, const fs::path& file,
                            const std::shared_ptr<boost::dll::shared_library>& library) {
  std::string why = spec_problem(spec, plugin);
  if (why.empty()) {
    if (auto it = types_.find(spec.id()); it != types_.end())
      why = "is already registered" + (it->second->file.empty() ? std::string() : " by " + it->second->file.string());
  }
  if (!why.empty()) {
    failures_.push_back({file.empty() ? fs::path("<" + plugin + ">") : file, "node type '" + spec.id() + "' skipped: " + why});
    return false;
  }
  const std::string id = spec.id();
  types_.emplace(id, std::make_unique<NodeType>(NodeType{library, std::move(spec), plugin, file}));
  return true;
}

const NodeType* PluginRegistry::find(const std::string& id) const {
  auto it = types_.find(id);
  return it == types_.end() ? nullptr : it->second.get();
}

std::vector<const NodeType*> PluginRegistry::node_types() const {
  std::vector<const NodeType*> out;
  for (const auto& [id, t] : types_) out.push_back(t.get());
  return out;
}

std::vector<std::string> PluginRegistry::node_type_ids() const {
  std::vector<std::string> out;
  for (const auto& [id, t] : types_) out.push_back(id);
  return out;
}

}  // namespace ng::host
