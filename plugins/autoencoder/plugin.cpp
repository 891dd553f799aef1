#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {
void register_autoencoder_plugin(ng::Registrar& r) { ng::autoencoder::register_autoencoder_nodes(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_autoencoder_plugin)
