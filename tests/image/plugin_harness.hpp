#pragma once
// Loads a built plugin .so the way the host does (Boost.DLL, explicit register call) and
// runs its nodes with an ng::BasicContext, without needing host/core.
#include <boost/dll/shared_library.hpp>
#include <noisegraph/abi.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/param_types.hpp>
#include <noisegraph/registrar.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

class CollectingRegistrar : public ng::Registrar {
 public:
  void add(ng::NodeSpec spec) override { specs.push_back(std::move(spec)); }
  std::vector<ng::NodeSpec> specs;
};

/// A loaded plugin and the node specs it registered. Members are destroyed in reverse
/// order, so the specs (whose run functions live in the library) go before the library.
struct LoadedPlugin {
  boost::dll::shared_library library;
  std::vector<ng::NodeSpec> specs;

  const ng::NodeSpec& spec(const std::string& id) const {
    for (const auto& s : specs)
      if (s.id() == id) return s;
    throw std::runtime_error("plugin has no node '" + id + "'");
  }
};

inline LoadedPlugin load_plugin(const std::string& name) {
  LoadedPlugin out;
  out.library.load(std::string(NG_TEST_PLUGIN_DIR) + "/" + name + ".so");
  using InfoFn = ng::PluginInfo();
  using RegisterFn = bool(ng::Registrar&, std::string&);
  auto info = out.library.get_alias<InfoFn>("noisegraph_plugin_info")();
  if (info.abi != NOISEGRAPH_SDK_ABI) throw std::runtime_error("plugin ABI mismatch");
  CollectingRegistrar registrar;
  std::string error;
  if (!out.library.get_alias<RegisterFn>("noisegraph_plugin_register")(registrar, error))
    throw std::runtime_error("register failed: " + error);
  out.specs = std::move(registrar.specs);
  return out;
}

/// Runs `spec` with its parameter defaults overridden by `params`. Returns the outputs;
/// throws std::runtime_error carrying the node's failure message.
inline std::map<std::string, ng::Value> run_node(const ng::NodeSpec& spec,
                                                 std::map<std::string, ng::Value> inputs,
                                                 const std::map<std::string, ng::ParamValue>& params,
                                                 ng::Context& ctx) {
  std::map<std::string, ng::ParamValue> all;
  for (const auto& p : spec.params()) all[p.name] = p.default_value;
  for (const auto& [k, v] : params) {
    const ng::ParamSpec* p = spec.find_param(k);
    if (!p) throw std::runtime_error("test bug: no parameter " + k);
    // As the host types an override: an int64 for a SEED becomes its uint64, and so on.
    ng::ParamParse typed = ng::check_param_value(*p, v);
    if (!typed.value) throw std::runtime_error("test bug: " + typed.message);
    all[k] = *typed.value;
  }
  ng::NodeCall call("node", spec, std::move(inputs), std::move(all), ctx);
  ng::RunResult result = spec.runner()(call);
  if (result.status != ng::RunResult::Status::Ok) throw std::runtime_error(result.message);
  for (const auto& port : spec.outputs())
    if (!call.outputs().count(port.name)) throw std::runtime_error("output not set: " + port.name);
  return call.outputs();
}

inline at::Tensor tensor_of(const ng::Value& v) { return std::get<at::Tensor>(v.data); }

}  // namespace test
