#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_conditioning_plugin(ng::Registrar& r) {
  ng::conditioning::register_combine_nodes(r);
  ng::conditioning::register_modify_nodes(r);
  ng::conditioning::register_source_nodes(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_conditioning_plugin)
