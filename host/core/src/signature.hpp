#pragma once
// Cache keys for node outputs (private to host core).
#include <map>
#include <string>

#include <noisegraph/context.hpp>
#include <noisegraph/node.hpp>

namespace ng::host {

/// A 128-bit hex digest of everything a node's outputs depend on: type id, version, the
/// typed parameter values, for Path parameters the resolved file's size and modification
/// time, and the signatures of its inputs ("<upstream signature>/<output>" per port).
std::string node_signature(const ng::NodeSpec& spec, const std::map<std::string, ng::ParamValue>& params,
                           const std::map<std::string, std::string>& input_signatures, const ng::Context& ctx);

}  // namespace ng::host
