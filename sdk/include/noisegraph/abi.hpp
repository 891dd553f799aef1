#pragma once
/// @file abi.hpp
/// The binary contract between the host and a plugin library.
///
/// A plugin exports two symbols (the NOISEGRAPH_PLUGIN macro in plugin.hpp writes both):
///  - `noisegraph_plugin_info`: returns a PluginInfo. The host calls it first and
///    refuses the library, calling nothing else in it, unless abi, compiler and torch
///    version all equal its own.
///  - `noisegraph_plugin_register`: adds the plugin's node types to a Registrar.
///
/// Bump NOISEGRAPH_SDK_ABI whenever a class or struct that crosses the boundary changes
/// layout or virtual functions. History:
///  1 - first release.
///  2 - ParamSpec::path_role (Path parameters say whether they read or write).
///  3 - ParamValue holds uint64_t for Seed parameters; ConditioningEntry::row (prompt rows);
///      PortSpec::variadic (inputs with any number of links).
#include <torch/version.h>

#include "noisegraph/export.hpp"

/// LibTorch version the including code is compiled against.
#define NOISEGRAPH_TORCH_VERSION TORCH_VERSION

#define NOISEGRAPH_SDK_ABI 3

#define NG_STRINGIFY_IMPL(x) #x
#define NG_STRINGIFY(x) NG_STRINGIFY_IMPL(x)

/// Identifies the C++ ABI the library was compiled with. Two libraries whose strings
/// differ cannot safely exchange std::string, std::function or torch tensors.
#if defined(__clang__)
#define NOISEGRAPH_COMPILER_ID "clang-" NG_STRINGIFY(__clang_major__) "-cxxabi" NG_STRINGIFY(__GXX_ABI_VERSION) "-dual" NG_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(__GNUC__)
#define NOISEGRAPH_COMPILER_ID "gcc-cxxabi" NG_STRINGIFY(__GXX_ABI_VERSION) "-dual" NG_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#else
#define NOISEGRAPH_COMPILER_ID "unknown"
#endif

namespace ng {

/// What a plugin says about itself before the host touches anything else in it.
/// Plain data only: this struct must stay readable whatever the rest of the ABI is,
/// so `abi` is first and fields are only ever appended.
struct PluginInfo {
  int abi;                    ///< NOISEGRAPH_SDK_ABI the plugin was built against
  const char* compiler;       ///< NOISEGRAPH_COMPILER_ID of the plugin's compiler
  const char* torch_version;  ///< TORCH_VERSION the plugin was built against
  const char* name;           ///< plugin name, e.g. "image"; node ids start with it
};

/// The values the running host expects; compare with a plugin's PluginInfo.
NG_API PluginInfo host_plugin_info();

}  // namespace ng
