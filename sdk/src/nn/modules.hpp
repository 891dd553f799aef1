#pragma once
// Private: the torch::nn modules behind the SDK's model interfaces. Included by the nn
// and train sources only (it pulls in torch/torch.h, which is slow to compile).
#include <torch/torch.h>

#include <filesystem>

#include "noisegraph/nn/configs.hpp"

namespace ng::nn {

/// Sinusoidal embedding of (possibly fractional) timesteps, [B] -> [B,dim]
/// (Vaswani et al. 2017, sec. 3.5; as used by DDPM, Ho et al. 2020, appendix B).
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period = 10000.0);

/// GroupNorm -> SiLU -> conv3x3 -> (+ time embedding) -> GroupNorm -> SiLU -> conv3x3,
/// plus a 1x1 skip when widths differ. temb_dim = 0: no time input.
struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int64_t in, int64_t out, int64_t temb_dim, int64_t groups);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb);
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear temb_proj{nullptr};
};
TORCH_MODULE(ResBlock);

/// Self-attention over the spatial positions, then (if context_dim > 0) cross-attention
/// from positions to prompt tokens. A learned null token is always among the keys, so
/// a row whose mask is all zeros (unconditional) attends to the null token only.
struct AttentionBlockImpl : torch::nn::Module {
  AttentionBlockImpl(int64_t channels, int64_t heads, int64_t groups, int64_t context_dim);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context, const at::Tensor& mask);
  int64_t heads;
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::nn::LayerNorm cross_norm{nullptr};
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, cross_proj{nullptr};
  at::Tensor null_token;  // [1, context_dim]
};
TORCH_MODULE(AttentionBlock);

/// The denoising U-Net. forward(x, t, context, mask, class_ids): x [B,C,H,W], t [B] float
/// network time, context [B,T,D] or undefined, mask [B,T] or undefined, class_ids [B]
/// (-1 = null class) or undefined. Returns [B,cfg.network_out_channels(),H,W].
struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(UNetConfig cfg);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                     const at::Tensor& mask, const at::Tensor& class_ids);
  UNetConfig cfg;
  torch::nn::Linear time1{nullptr}, time2{nullptr};
  torch::nn::Embedding class_embed{nullptr};
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::GroupNorm norm_out{nullptr};
  // A flat list of stages; kind_ says what each one is (ResBlock/attention/down/up).
  torch::nn::ModuleList down{nullptr}, mid{nullptr}, up{nullptr};
  std::vector<int> down_kind, up_kind;  // 0 res, 1 attn, 2 down/up-sample
};
TORCH_MODULE(UNet);

/// KL autoencoder. encode() gives posterior mean and log-variance (unscaled).
struct AutoencoderNetImpl : torch::nn::Module {
  explicit AutoencoderNetImpl(AutoencoderConfig cfg);
  std::pair<at::Tensor, at::Tensor> encode(const at::Tensor& image01);
  at::Tensor decode(const at::Tensor& z);  // raw output, ~[0,1], not clamped
  AutoencoderConfig cfg;
  torch::nn::Conv2d enc_in{nullptr}, enc_out{nullptr}, dec_in{nullptr}, dec_out{nullptr};
  torch::nn::GroupNorm enc_norm{nullptr}, dec_norm{nullptr};
  torch::nn::ModuleList enc{nullptr}, dec{nullptr};
  std::vector<int> enc_kind, dec_kind;  // 0 res, 2 resample
};
TORCH_MODULE(AutoencoderNet);

/// Word embeddings + position embeddings: ids [B,T] -> [B,T,dim].
struct PromptNetImpl : torch::nn::Module {
  explicit PromptNetImpl(PromptConfig cfg);
  at::Tensor forward(const at::Tensor& ids);
  PromptConfig cfg;
  torch::nn::Embedding words{nullptr}, positions{nullptr};
};
TORCH_MODULE(PromptNet);

/// Convolutional classifier; features() is the pooled penultimate layer.
struct ClassifierNetImpl : torch::nn::Module {
  explicit ClassifierNetImpl(ClassifierConfig cfg);
  at::Tensor features(const at::Tensor& x, const at::Tensor& t);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t) { return head(features(x, t)); }
  /// The output of every ResBlock of a clean image classifier, shallow to deep (for
  /// perceptual losses: they keep their gradient with respect to x).
  std::vector<at::Tensor> activations(const at::Tensor& x);
  ClassifierConfig cfg;
  torch::nn::Linear time1{nullptr}, time2{nullptr}, head{nullptr};
  torch::nn::Conv2d conv_in{nullptr};
  torch::nn::GroupNorm norm_out{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  std::vector<int> kind;  // 0 res, 2 down
};
TORCH_MODULE(ClassifierNet);

/// The network of a clean image classifier file, frozen (eval mode, no parameter
/// gradients; gradients still flow to its input). Throws ng::Error naming the file for
/// anything else. Defined in loaders.cpp, which owns the file checks.
ClassifierNet load_frozen_image_classifier_net(const std::filesystem::path& path);

/// The network of an autoencoder file, trainable (for fine-tuning), with its scaling factor
/// exactly as the file states it. Throws ng::Error naming the file for anything else.
struct AutoencoderFileNet {
  AutoencoderNet net;
  std::string scaling_factor_text;  ///< the file's "noisegraph.scaling_factor", verbatim
  double scaling_factor = 1.0;
};
AutoencoderFileNet load_autoencoder_net(const std::filesystem::path& path);

/// All parameters and buffers by name (what model files store).
std::map<std::string, at::Tensor> state_dict(const torch::nn::Module& m, const std::string& prefix = "");
/// Copies tensors `prefix + name` from `tensors` into the module. Throws ng::Error naming
/// `source` when a tensor is missing or has the wrong shape.
void load_state_dict(torch::nn::Module& m, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& prefix, const std::string& source);
int64_t parameter_count(const torch::nn::Module& m);

}  // namespace ng::nn
