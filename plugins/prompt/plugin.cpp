#include <noisegraph/plugin.hpp>

namespace ng::prompt {
void register_prompt_nodes(ng::Registrar& r);  // prompt.load, prompt.encode (prompt_nodes.cpp)
}

namespace {
void register_prompt_plugin(ng::Registrar& r) { ng::prompt::register_prompt_nodes(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_prompt_plugin)
