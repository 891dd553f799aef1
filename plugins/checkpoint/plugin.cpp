#include <noisegraph/plugin.hpp>

namespace ng::checkpoint {
void register_load_node(Registrar& r);  // checkpoint.load
}

namespace {
void register_checkpoint_plugin(ng::Registrar& r) { ng::checkpoint::register_load_node(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_checkpoint_plugin)
