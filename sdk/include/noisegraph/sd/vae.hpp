#pragma once
/// @file sd/vae.hpp
/// The KL autoencoder of Stable Diffusion (Rombach et al. 2022; CompVis `AutoencoderKL`
/// with its `Encoder`/`Decoder`), computed from the weights under their original names
/// (`encoder.down.0.block.0.conv1.weight`, ..., `quant_conv.*`, `post_quant_conv.*`: the
/// checkpoint's `first_stage_model.` prefix removed). The architecture is read from the
/// shapes.
///
/// Conventions of the original: images in [-1, 1]; GroupNorm(32, eps 1e-6) everywhere;
/// ResnetBlocks with a 1x1 `nin_shortcut` when widths differ; single-head attention in the
/// middle (and at levels whose weights have it); downsampling pads (0,1,0,1) then a stride-2
/// 3x3 conv; upsampling is nearest x2 then a 3x3 conv. Latents are multiplied by the
/// scaling factor (0.18215 for SD 1.x/2.x) only by the Autoencoder wrapper, not here.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "noisegraph/sd/layout.hpp"

namespace ng::sd {

struct NG_API VaeConfig {
  int64_t in_channels = 3, out_channels = 3, ch = 128;
  std::vector<int64_t> ch_mult;       ///< one per level, e.g. {1, 2, 4, 4}
  std::vector<bool> attention;        ///< per level (SD: none; the middle always has one)
  int64_t num_res_blocks = 2;
  int64_t z_channels = 4, embed_dim = 4;
  /// Pixels per latent cell along each side: 2^(levels - 1).
  int64_t downscale() const { return int64_t(1) << (ch_mult.size() - 1); }
  std::string describe() const;
};

/// Architecture from the shapes of the autoencoder's weights. Throws ng::Error naming `source`.
NG_API VaeConfig infer_vae_config(const Layout& layout, const std::string& source);

/// Every weight of the autoencoder of `cfg`, with its shape.
NG_API Layout vae_layout(const VaeConfig& cfg);

class NG_API Vae {
 public:
  Vae(VaeConfig cfg, Weights weights);

  /// image [B,in,H,W] in [-1,1] -> moments [B, 2*embed_dim, H/f, W/f]: the posterior mean,
  /// then its log-variance (raw; the original clamps it to [-30, 20] only when sampling).
  at::Tensor encode_moments(const at::Tensor& image) const;
  /// latent z [B,embed_dim,h,w] (unscaled) -> image [B,out,h*f,w*f], roughly in [-1,1].
  at::Tensor decode(const at::Tensor& z) const;

  /// decode() in overlapping tiles of `tile` latent cells (overlap `overlap`), blended
  /// linearly across the overlaps, so memory grows with the tile, not the image. Not equal
  /// to decode() to the last bit: the middle attention sees one tile at a time (the same
  /// trade-off as every tiled VAE).
  at::Tensor decode_tiled(const at::Tensor& z, int64_t tile = 64, int64_t overlap = 16) const;
  /// encode_moments() in tiles of `tile` pixels (overlap in pixels), blended likewise.
  at::Tensor encode_moments_tiled(const at::Tensor& image, int64_t tile = 512, int64_t overlap = 128) const;

  const VaeConfig& config() const { return cfg_; }

 private:
  VaeConfig cfg_;
  Weights w_;
};

}  // namespace ng::sd
