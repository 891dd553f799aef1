#pragma once
/// @file registrar.hpp
/// The host object a plugin's register function adds node types to.
#include "noisegraph/node.hpp"

namespace ng {

/// Where a plugin puts its node types. Implemented by the host.
class NG_API Registrar {
 public:
  virtual ~Registrar();
  /// Adds a node type. The host rejects duplicates and ids outside the plugin's prefix
  /// (reported, not fatal for the other nodes).
  virtual void add(NodeSpec spec) = 0;
};

}  // namespace ng
