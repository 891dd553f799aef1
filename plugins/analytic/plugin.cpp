#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_analytic_plugin(ng::Registrar& r) {
  ng::analytic::register_gaussian_nodes(r);
  ng::analytic::register_points_node(r);
  ng::analytic::register_classifier_node(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_analytic_plugin)
