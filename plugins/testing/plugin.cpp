// Test-only node types: small, deterministic and observable, for host tests and benchmarks.
#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

static void register_nodes(ng::Registrar& r) {
  register_scalar_nodes(r);
  register_failing_nodes(r);
  register_sink_nodes(r);
  register_image_nodes(r);
  register_file_nodes(r);
}

NOISEGRAPH_PLUGIN(register_nodes)
