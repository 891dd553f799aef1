#pragma once
/// @file configs.hpp
/// Architecture descriptions of the SDK's neural networks. Each config is a plain struct
/// that round-trips through JSON; model files store it in their safetensors metadata
/// (key "noisegraph.config") so a loader rebuilds the exact network from the file alone.
///
/// from_json() accepts missing keys (they keep the defaults below) and rejects values of
/// the wrong type or out of range with an ng::Error naming the key.
#include <cstdint>
#include <string>
#include <vector>

#include "noisegraph/export.hpp"
#include "noisegraph/io/json.hpp"

namespace ng::nn {

/// A denoising U-Net (DDPM/LDM style): ResBlocks with GroupNorm and a sinusoidal
/// timestep embedding, self-attention at chosen resolutions, optional class embedding
/// and optional cross-attention over prompt token embeddings.
struct NG_API UNetConfig {
  int64_t in_channels = 4;
  int64_t out_channels = 4;
  int64_t sample_size = 8;                   ///< input height = width
  std::vector<int64_t> channels = {64, 128};  ///< per level; level i runs at sample_size / 2^i
  int64_t res_blocks = 1;                    ///< ResBlocks per level (down path; up path has one more)
  std::vector<int64_t> attention_resolutions = {4};  ///< spatial sizes that get attention blocks
  int64_t heads = 4;
  int64_t groups = 8;                        ///< GroupNorm groups (must divide every width)
  int64_t num_classes = 0;                   ///< > 0: class embedding with an extra null class
  int64_t context_dim = 0;                   ///< > 0: cross-attention over [B,T,context_dim] tokens
  int64_t spatial_scale = 1;                 ///< pixels per sample cell (latent models: autoencoder downscale)
  /// Learned reverse-process variance (Nichol & Dhariwal 2021, "Improved DDPM", eq. 15):
  /// the network outputs 2 * out_channels channels, the prediction first, then per element
  /// v in ~[-1, 1] with log Sigma = (v+1)/2 log beta_t + (1-v)/2 log beta~_t. Stored in the
  /// config JSON only when true, so files and run ids of other models are unchanged.
  bool learned_variance = false;

  int64_t time_embed_dim() const { return 4 * channels.at(0); }
  /// Channels the network itself outputs: out_channels, doubled with learned_variance.
  int64_t network_out_channels() const { return learned_variance ? 2 * out_channels : out_channels; }
  json::Value to_json() const;
  static UNetConfig from_json(const json::Value& v);
  void validate() const;  ///< throws ng::Error on an impossible architecture
};

/// KL autoencoder (LDM style): image [B,C,S,S] <-> latent [B,c,S/f,S/f], f = 2^(levels-1).
struct NG_API AutoencoderConfig {
  int64_t image_channels = 1;
  int64_t image_size = 32;
  int64_t latent_channels = 4;
  std::vector<int64_t> channels = {32, 64, 64};  ///< per level; one downsampling between levels
  int64_t res_blocks = 1;
  int64_t groups = 8;

  int64_t downscale() const { return int64_t(1) << (channels.size() - 1); }
  json::Value to_json() const;
  static AutoencoderConfig from_json(const json::Value& v);
  void validate() const;
};

/// Word-level prompt encoder: a fixed vocabulary, one learned embedding per word plus a
/// learned position embedding. Trained jointly with the model that reads it.
struct NG_API PromptConfig {
  std::vector<std::string> vocabulary;  ///< lower-case words (may contain '-')
  int64_t max_tokens = 8;
  int64_t dim = 64;

  json::Value to_json() const;
  static PromptConfig from_json(const json::Value& v);
  void validate() const;
};

/// A small convolutional classifier. With time_conditioned it also reads a timestep
/// embedding (noise-aware classifier for classifier guidance on noisy latents).
struct NG_API ClassifierConfig {
  int64_t in_channels = 1;
  int64_t input_size = 32;
  std::vector<int64_t> channels = {32, 64, 128};
  int64_t res_blocks = 1;
  int64_t groups = 8;
  bool time_conditioned = false;
  std::vector<std::string> class_names;
  std::string input_space = "image";  ///< "image" (IMAGE in [0,1]) or "latent" (scaled latents)

  int64_t num_classes() const { return int64_t(class_names.size()); }
  int64_t feature_dim() const { return channels.back(); }
  json::Value to_json() const;
  static ClassifierConfig from_json(const json::Value& v);
  void validate() const;
};

/// The ten Fashion-MNIST class names in label order ("T-shirt/top", "Trouser", ...).
NG_API const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace ng::nn
