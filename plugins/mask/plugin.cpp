#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {

void register_mask_plugin(ng::Registrar& r) {
  ng::mask::register_shape_nodes(r);
  ng::mask::register_edit_nodes(r);
  ng::mask::register_convert_nodes(r);
}

}  // namespace

NOISEGRAPH_PLUGIN(register_mask_plugin)
