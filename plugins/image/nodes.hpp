#pragma once
// Registration functions of the image plugin's node families (one .cpp each).
namespace ng {
class Registrar;
}

namespace ng::image {

void register_io_nodes(Registrar& r);        // image.load, image.save
void register_geometry_nodes(Registrar& r);  // image.resize, image.crop, image.pad
void register_combine_nodes(Registrar& r);   // image.blend, image.composite, image.batch, image.select, image.grid
void register_colour_nodes(Registrar& r);    // image.to_grey, image.to_rgb, image.invert, image.solid

}  // namespace ng::image
