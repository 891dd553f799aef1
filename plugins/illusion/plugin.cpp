// Visual illusions: multi-view (anagram) and factorized (hybrid) denoising.
#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_illusion_plugin(ng::Registrar& r) { ng::illusion::register_nodes(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_illusion_plugin)
