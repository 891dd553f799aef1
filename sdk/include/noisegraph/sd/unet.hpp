#pragma once
/// @file sd/unet.hpp
/// The latent-diffusion U-Net of Stable Diffusion 1.x and 2.x (Rombach et al. 2022,
/// "High-Resolution Image Synthesis with Latent Diffusion Models"; the CompVis
/// `openaimodel.UNetModel` with spatial transformers), computed from the weights under
/// their original names (`input_blocks.1.0.in_layers.0.weight`, ...: the checkpoint's
/// `model.diffusion_model.` prefix removed).
///
/// The architecture is read from the tensors' shapes (infer_unet_config), never from a
/// table of known models; only the number of attention heads cannot be seen in shapes, so
/// it is a config field with the family's default (SD 1.x: 8 heads; SD 2.x: 64 channels
/// per head).
///
/// Blocks (eps: GroupNorm 1e-5 in ResBlocks and the output, 1e-6 in transformers, LayerNorm 1e-5):
///  - ResBlock: GN, SiLU, conv3x3, + Linear(SiLU(emb)), GN, SiLU, conv3x3, + skip (1x1 conv if widths differ)
///  - SpatialTransformer: GN, proj_in (1x1 conv or linear), `depth` x [self-attention,
///    cross-attention to the prompt tokens, GEGLU feed-forward (4x, exact GELU)], proj_out, + input
///  - Downsample: conv3x3 stride 2; Upsample: nearest x2 then conv3x3
///  - timestep embedding: [cos, sin] of t * exp(-ln(10000) i / half), then Linear, SiLU, Linear
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "noisegraph/sd/layout.hpp"

namespace ng::sd {

struct NG_API UNetConfig {
  int64_t in_channels = 4, out_channels = 4, model_channels = 320;
  std::vector<int64_t> channel_mult;            ///< one per level, e.g. {1, 2, 4, 4}
  int64_t num_res_blocks = 2;                   ///< per level on the way down (+1 on the way up)
  std::vector<int64_t> transformer_depth;       ///< per level; 0 = no attention at that level
  int64_t middle_depth = 1;                     ///< transformer depth of the middle block
  int64_t context_dim = 768;                    ///< prompt token width
  bool linear_proj = false;                     ///< proj_in/proj_out are Linear (SD 2.x) instead of 1x1 conv
  int64_t num_heads = 8;                        ///< heads per attention layer, or -1 to use head_channels
  int64_t head_channels = -1;                   ///< channels per head (SD 2.x: 64), used when num_heads = -1

  /// Heads of an attention layer with `channels` channels.
  int64_t heads_for(int64_t channels) const;
  /// "320 ch, mult [1,2,4,4], 2 res blocks, attention depth [1,1,1,0], context 768, 8 heads".
  std::string describe() const;
};

/// Reads the architecture from the shapes of a U-Net's weights (names without the
/// `model.diffusion_model.` prefix). Heads are left at the defaults of UNetConfig; set
/// them afterwards. Throws ng::Error naming `source` when the layout is not such a U-Net.
NG_API UNetConfig infer_unet_config(const Layout& layout, const std::string& source);

/// Every weight the U-Net of `cfg` has, with its shape.
NG_API Layout unet_layout(const UNetConfig& cfg);

/// The network. Weights are float32 (or any one floating type) on one device.
class NG_API UNet {
 public:
  UNet(UNetConfig cfg, Weights weights);

  /// x [B,in,H,W] (H, W multiples of 2^(levels-1)); t [B] timesteps (float, 0..999);
  /// context [B,T,context_dim]; context_mask [B,T] (1 = attend, 0 = ignore; undefined =
  /// attend to all). Returns [B,out,H,W].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                     const at::Tensor& context_mask = {}) const;

  const UNetConfig& config() const { return cfg_; }
  const Weights& weights() const { return w_; }

 private:
  UNetConfig cfg_;
  Weights w_;
};

/// The sinusoidal embedding the U-Net starts from: [B] -> [B,dim], cos first then sin.
NG_API at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim);

}  // namespace ng::sd
