#include <noisegraph/plugin.hpp>

namespace ng::evaluate {
void register_classify_node(ng::Registrar& r);  // evaluate.classify (classify_node.cpp)
}

namespace {
void register_evaluate_plugin(ng::Registrar& r) { ng::evaluate::register_classify_node(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_evaluate_plugin)
