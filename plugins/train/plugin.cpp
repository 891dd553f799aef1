#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_train_plugin(ng::Registrar& r) {
  ng::train_nodes::register_autoencoder_node(r);
  ng::train_nodes::register_diffusion_nodes(r);
  ng::train_nodes::register_classifier_node(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_train_plugin)
