#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_guidance_plugin(ng::Registrar& r) {
  ng::guidance::register_guider_nodes(r);
  ng::guidance::register_classifier_node(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_guidance_plugin)
