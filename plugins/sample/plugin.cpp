#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_sample_plugin(ng::Registrar& r) {
  ng::sample::register_sampler_node(r);
  ng::sample::register_noise_nodes(r);
  ng::sample::register_sample_nodes(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_sample_plugin)
