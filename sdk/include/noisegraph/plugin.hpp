#pragma once
/// @file plugin.hpp
/// Making a shared library a NoiseGraph plugin.
///
/// @code
///   #include <noisegraph/plugin.hpp>
///   static void register_nodes(ng::Registrar& r) {
///     ng::NodeSpec spec("myplugin.invert", {1, 0});
///     ...
///     r.add(std::move(spec));
///   }
///   NOISEGRAPH_PLUGIN(register_nodes)
/// @endcode
///
/// Build it with `noisegraph_add_plugin(myplugin SOURCES myplugin.cpp)`, which names the
/// library, hides its symbols and defines NOISEGRAPH_PLUGIN_NAME. Node ids must start
/// with "<plugin name>.". Registration is an explicit call from the host; never register
/// from static initialisers.
#include <boost/dll/alias.hpp>

#include <exception>
#include <string>

#include "noisegraph/abi.hpp"
#include "noisegraph/node.hpp"
#include "noisegraph/registrar.hpp"

#ifndef NOISEGRAPH_PLUGIN_NAME
#error "NOISEGRAPH_PLUGIN_NAME must be defined (noisegraph_add_plugin does it)"
#endif

namespace ng {

namespace plugin_detail {
using InfoFn = PluginInfo();
/// Returns false and fills `error` when registration threw.
using RegisterFn = bool(Registrar&, std::string& error);
}  // namespace plugin_detail

}  // namespace ng

/// Exports the two entry points of a plugin. `register_fn` is `void(ng::Registrar&)`; any
/// exception it throws is caught here, inside the plugin, and reported by the host.
#define NOISEGRAPH_PLUGIN(register_fn)                                                       \
  namespace {                                                                                \
  ng::PluginInfo noisegraph_info_impl() {                                                    \
    return ng::PluginInfo{NOISEGRAPH_SDK_ABI, NOISEGRAPH_COMPILER_ID, NOISEGRAPH_TORCH_VERSION, \
                          NOISEGRAPH_PLUGIN_NAME};                                           \
  }                                                                                          \
  bool noisegraph_register_impl(ng::Registrar& registrar, std::string& error) noexcept {    \
    try {                                                                                    \
      register_fn(registrar);                                                                \
      return true;                                                                           \
    } catch (const std::exception& e) {                                                      \
      error = e.what();                                                                      \
    } catch (...) {                                                                          \
      error = "unknown exception";                                                           \
    }                                                                                        \
    return false;                                                                            \
  }                                                                                          \
  }                                                                                          \
  BOOST_DLL_ALIAS(noisegraph_info_impl, noisegraph_plugin_info)                              \
  BOOST_DLL_ALIAS(noisegraph_register_impl, noisegraph_plugin_register)
