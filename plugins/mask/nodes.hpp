#pragma once
// Registration functions of the mask plugin's node families (one .cpp each).
namespace ng {
class Registrar;
}

namespace ng::mask {

void register_shape_nodes(Registrar& r);    // mask.rectangle, mask.ellipse, mask.solid
void register_edit_nodes(Registrar& r);     // mask.threshold, mask.invert, mask.grow, mask.feather, mask.combine, mask.resize
void register_convert_nodes(Registrar& r);  // mask.from_image, mask.to_image

}  // namespace ng::mask
