#pragma once
/// @file models.hpp
/// The interfaces through which models cross plugin boundaries. A sampler from one plugin
/// drives a denoiser from another through these classes only, so a third-party U-Net
/// works with every sampler and guider as soon as it implements Denoiser.
///
/// Sigma space (k-diffusion): samplers see a noisy sample x at noise level sigma and ask
/// the model for D(x, sigma, cond), its estimate of the clean sample x0. How a network's
/// raw output (epsilon, v, x0 or flow velocity) becomes that estimate is the job of the
/// model's ModelSampling.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "noisegraph/values.hpp"

namespace ng {

/// How a model's training parameterization maps to the x0-denoiser form. Concrete
/// implementations (discrete-time VP with eps/v/x0, flow matching) live in
/// noisegraph/diffusion/model_sampling.hpp.
class NG_API ModelSampling {
 public:
  virtual ~ModelSampling();

  /// "eps", "v", "x0" or "flow"; informative.
  virtual std::string parameterization() const = 0;
  /// Smallest and largest noise level the model was trained on.
  virtual double sigma_min() const = 0;
  virtual double sigma_max() const = 0;
  /// The network's time input for a noise level (e.g. the discrete timestep index in
  /// [0, T-1] as a float, or t in [0,1] for flow models). Element-wise.
  virtual at::Tensor timestep(const at::Tensor& sigma) const = 0;
  /// Inverse of timestep(): noise level for a network time. Element-wise.
  virtual at::Tensor sigma_at(const at::Tensor& timestep) const = 0;
  /// What the network is fed: c_in(sigma) * x. sigma is [B], x is [B,...].
  virtual at::Tensor scale_input(const at::Tensor& sigma, const at::Tensor& x) const = 0;
  /// x0 estimate from the network output. sigma is [B].
  virtual at::Tensor denoised(const at::Tensor& sigma, const at::Tensor& model_output,
                              const at::Tensor& x) const = 0;
  /// The sample a sampler starts from when beginning at sigma: clean latent noised to that
  /// level with the given unit-variance noise (x0 + sigma*noise for VP, (1-t) x0 + t noise
  /// for flow). Used by text-to-image (latent = 0) and by img2img / inpainting.
  virtual at::Tensor noise_scaling(const at::Tensor& sigma, const at::Tensor& noise,
                                   const at::Tensor& latent) const = 0;
};

/// Per-row conditioning that a Denoiser receives; built by guiders from ConditioningEntry.
struct DenoiserCondition {
  at::Tensor context;       ///< [B,T,D] token embeddings, or undefined (no prompt at all)
  at::Tensor context_mask;  ///< [B,T] 1 = real token; rows of all zeros are unconditional
  at::Tensor class_ids;     ///< [B] int64, -1 = unconditional; undefined = no class input
  int64_t batch() const;
};

/// Stacks one entry per row into a DenoiserCondition. Rows whose entry has no tokens get
/// zero tokens and an all-zero mask (the model then uses its unconditional embedding).
/// A nullptr entry is an unconditional row. Token sequences of different lengths are
/// padded. Throws ng::Error when token widths differ.
NG_API DenoiserCondition stack_conditions(const std::vector<const ConditioningEntry*>& rows);

/// MODEL: the x0-denoiser D(x, sigma, cond).
class NG_API Denoiser : public Object {
 public:
  ~Denoiser() override;
  /// x: [B,C,H,W] noisy sample in sigma space; sigma: [B] float32; cond.batch() == B.
  /// Returns the x0 estimate, same shape as x. Must not modify x.
  virtual at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                             const DenoiserCondition& cond) = 0;
  virtual const ModelSampling& sampling() const = 0;
  /// Channels and spatial size the model was trained on (C, H, W of its input).
  virtual std::vector<int64_t> sample_shape() const = 0;
  /// Pixels per latent cell (8 for a 32x32 image with a 4x8x8 latent... i.e. 4; 1 for
  /// pixel-space models). Used to map pixel areas and masks to latent space.
  virtual int64_t spatial_scale() const { return 1; }
  /// Width of the prompt token embeddings it expects, 0 if it takes no prompt.
  virtual int64_t context_dim() const { return 0; }
  /// Number of classes it is conditioned on, 0 if none.
  virtual int64_t num_classes() const { return 0; }
};

/// AUTOENCODER: image <-> latent. encode() returns latents already multiplied by the
/// scaling factor, so diffusion sees roughly unit variance; decode() undoes it.
class NG_API Autoencoder : public Object {
 public:
  ~Autoencoder() override;
  /// image [B,C,H,W] in [0,1] -> latent [B,c,h,w] (mean of the posterior, scaled).
  virtual at::Tensor encode(const at::Tensor& image) = 0;
  /// latent [B,c,h,w] (scaled) -> image [B,C,H,W] clamped to [0,1].
  virtual at::Tensor decode(const at::Tensor& latent) = 0;
  virtual int64_t image_channels() const = 0;
  virtual int64_t latent_channels() const = 0;
  /// Pixels per latent cell along each side.
  virtual int64_t downscale() const = 0;
};

/// CLASSIFIER: a (possibly noise-aware) classifier, used for classifier guidance and for
/// evaluating generated images.
class NG_API Classifier : public Object {
 public:
  ~Classifier() override;
  /// Logits [B,K] for inputs x [B,...] at noise level sigma [B] (zeros for clean input).
  /// Differentiable with respect to x when called with grad mode enabled.
  virtual at::Tensor logits(const at::Tensor& x, const at::Tensor& sigma) = 0;
  virtual std::vector<std::string> class_names() const = 0;
  /// "latent" if it reads model latents, "image" if it reads IMAGE tensors.
  virtual std::string input_space() const = 0;
};

/// PROMPT_ENCODER: text -> token embeddings for cross-attention.
class NG_API PromptEncoder : public Object {
 public:
  ~PromptEncoder() override;
  /// Encodes a prompt into an entry with tokens [T,D] and token_mask [T]. The empty prompt
  /// gives the unconditional embedding. Words outside the vocabulary are listed in
  /// `unknown_words` (never silently mapped).
  virtual ConditioningEntry encode(const std::string& text,
                                   std::vector<std::string>* unknown_words) = 0;
  virtual int64_t embedding_dim() const = 0;
};

}  // namespace ng
