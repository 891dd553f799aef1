#include <noisegraph/plugin.hpp>

#include "nodes.hpp"

namespace {

void register_image_plugin(ng::Registrar& r) {
  ng::image::register_io_nodes(r);
  ng::image::register_geometry_nodes(r);
  ng::image::register_combine_nodes(r);
  ng::image::register_colour_nodes(r);
}

}  // namespace

NOISEGRAPH_PLUGIN(register_image_plugin)
