#pragma once
// Registration functions of the autoencoder plugin.
#include <memory>

namespace ng {
class Registrar;
class Autoencoder;
}  // namespace ng

namespace ng::autoencoder {

void register_autoencoder_nodes(Registrar& r);  // autoencoder.load, .encode, .decode, .pixel

/// The identity "autoencoder" of pixel-space models: IMAGE [0,1] <-> [-1,1].
std::shared_ptr<Autoencoder> make_pixel_space(int64_t channels);

}  // namespace ng::autoencoder
