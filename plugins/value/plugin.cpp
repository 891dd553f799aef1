#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

NOISEGRAPH_PLUGIN(ng::value::register_value_nodes)
