#pragma once
// Finding node types by what the user types and by the port a new node must fit.
#include <QString>

#include <vector>

#include "noisegraph/node.hpp"

namespace ng::host {
class PluginRegistry;
struct NodeType;
}  // namespace ng::host

namespace ng::editor {

/// Restricts a search to node types that can link to a given port.
struct PortFilter {
  enum class Side { Any, NeedsInput, NeedsOutput };
  Side side = Side::Any;  ///< NeedsInput: an input accepting `type`; NeedsOutput: an output of `type`
  QString type;
};

/// True when every word of `query` occurs (case-insensitively) in the type's display
/// name, id, category or port types, and it has a port `filter` asks for.
bool node_matches(const ng::NodeSpec& spec, const QString& query, const PortFilter& filter = {});

/// Matching types, best first: name starts with the query, then name contains it, then
/// the rest; ties alphabetical by display name.
std::vector<const host::NodeType*> find_node_types(const host::PluginRegistry& registry, const QString& query,
                                                   const PortFilter& filter = {});

/// "IMAGE, MASK → LATENT": a node's port types at a glance.
QString port_signature(const ng::NodeSpec& spec);

/// Rich-text tooltip: name, id, description, ports and parameters.
QString node_tooltip(const ng::NodeSpec& spec);

}  // namespace ng::editor
