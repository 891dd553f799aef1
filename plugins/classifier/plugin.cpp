#include <noisegraph/plugin.hpp>

namespace ng::classifier {
void register_load_node(ng::Registrar& r);  // classifier.load (load_node.cpp)
}

namespace {
void register_classifier_plugin(ng::Registrar& r) { ng::classifier::register_load_node(r); }
}  // namespace

NOISEGRAPH_PLUGIN(register_classifier_plugin)
