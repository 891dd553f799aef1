#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_schedule_plugin(ng::Registrar& r) {
  ng::schedule::register_model_schedules(r);
  ng::schedule::register_sigma_edits(r);
  ng::schedule::register_forward_nodes(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_schedule_plugin)
