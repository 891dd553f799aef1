#pragma once
// Registration functions of the unet plugin.
namespace ng {
class Registrar;
}

namespace ng::unet {

void register_load_node(Registrar& r);  // unet.load

}  // namespace ng::unet
