#pragma once
// Private: where each weight of the three SD networks lives in a checkpoint. Maps the
// names of single files (latent-diffusion, OpenCLIP) and diffusers folders to one
// canonical naming per network (sd/unet.hpp, sd/vae.hpp, sd/clip_text.hpp).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/sd/layout.hpp"

namespace ng::sd::keys {

/// One canonical weight: a whole stored tensor, or part `part` of `parts` equal slices of
/// its first dimension (OpenCLIP's fused q/k/v), reshaped to `shape`.
struct TensorRef {
  const io::MappedTensorFile* file = nullptr;
  std::string name;
  int64_t part = 0, parts = 1;
  Shape shape;
};
using RefMap = std::map<std::string, TensorRef>;

struct KeyMap {
  RefMap unet, vae, clip;
  std::map<std::string, int64_t> ignored;  // key group -> count
  bool openclip = false;                   // SD 2.x text encoder names
  bool v_pred_key = false;                 // a `v_pred` marker key was present
};

/// Sorts the keys of a single latent-diffusion file. Throws ng::Error naming the file for
/// SDXL/SD3/Flux keys and for keys it does not know (first 10 and the count).
KeyMap map_single_file(const io::MappedTensorFile& file);

/// Renames diffusers' UNet2DConditionModel / AutoencoderKL / CLIPTextModel keys.
RefMap map_diffusers_unet(const io::MappedTensorFile& file);
RefMap map_diffusers_vae(const io::MappedTensorFile& file);
RefMap map_diffusers_clip(const io::MappedTensorFile& file);

/// The shapes of the canonical weights.
Layout layout_of(const RefMap& refs);

/// Reads one canonical weight as float32.
at::Tensor load(const TensorRef& ref);

}  // namespace ng::sd::keys
