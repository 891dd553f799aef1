#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {

void register_edit_plugin(ng::Registrar& r) {
  ng::edit::register_noise_mask_node(r);
  ng::edit::register_latent_composite_node(r);
  ng::edit::register_repaint_node(r);
  ng::edit::register_multidiffusion_node(r);
}

}  // namespace

NOISEGRAPH_PLUGIN(register_edit_plugin)
