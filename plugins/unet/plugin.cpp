#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_unet_plugin(ng::Registrar& r) { ng::unet::register_load_node(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_unet_plugin)
