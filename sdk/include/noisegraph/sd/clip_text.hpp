#pragma once
/// @file sd/clip_text.hpp
/// The CLIP text transformer that Stable Diffusion conditions on (Radford et al. 2021):
/// token + position embeddings, pre-LayerNorm transformer layers with causal
/// self-attention, a final LayerNorm. SD 1.x uses OpenAI's ViT-L/14 text model (768 wide,
/// 12 layers, QuickGELU); SD 2.x OpenCLIP's ViT-H/14 (1024 wide, 24 layers, exact GELU),
/// read from its penultimate layer.
///
/// Weights use the Hugging Face `CLIPTextModel` names without the `text_model.` prefix
/// (`embeddings.token_embedding.weight`, `encoder.layers.0.self_attn.q_proj.weight`, ...);
/// checkpoint.hpp converts OpenCLIP names (`transformer.resblocks.0.attn.in_proj_weight`) to these.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "noisegraph/sd/layout.hpp"

namespace ng::sd {

struct NG_API ClipTextConfig {
  int64_t vocab = 49408, positions = 77, width = 768, layers = 12, mlp = 3072;
  int64_t heads = 12;     ///< not visible in shapes: width / 64 unless set
  bool quick_gelu = true; ///< x * sigmoid(1.702 x) (OpenAI CLIP); false = exact GELU (OpenCLIP)
  std::string describe() const;
};

/// Architecture from the shapes (names as above). heads = width / 64 (every released
/// CLIP text model), or 1 when width < 64; quick_gelu is left true (set it for OpenCLIP).
NG_API ClipTextConfig infer_clip_text_config(const Layout& layout, const std::string& source);

/// Every weight of the text model of `cfg`, with its shape (without `position_ids`, a
/// buffer some files carry and the model does not need).
NG_API Layout clip_text_layout(const ClipTextConfig& cfg);

class NG_API ClipTextModel {
 public:
  ClipTextModel(ClipTextConfig cfg, Weights weights);

  /// ids [B,T] (T <= positions) -> [B,T,width]: the output of layer `layers - skip + 1`
  /// (skip = 1: the last layer; 2: the penultimate, "clip skip 2"), after the final
  /// LayerNorm, as SD feeds the U-Net. Throws ng::Error for skip outside [1, layers].
  at::Tensor encode(const at::Tensor& ids, int64_t skip = 1) const;

  /// [layers + 1, B, T, width]: the embeddings, then each layer's output, before the final
  /// LayerNorm (Hugging Face's `hidden_states`).
  at::Tensor hidden_states(const at::Tensor& ids) const;

  const ClipTextConfig& config() const { return cfg_; }

 private:
  at::Tensor run(const at::Tensor& ids, int64_t stop_after, std::vector<at::Tensor>* all) const;
  ClipTextConfig cfg_;
  Weights w_;
};

}  // namespace ng::sd
