#pragma once
/// @file diffusion/analytic.hpp
/// Exact denoisers and classifiers for data whose posterior is known in closed form. They
/// are the ground truth of the sampler and guidance tests, the "analytic" demo models, and
/// stand-ins for a real network in benchmarks.
///
/// Data model: a mixture of isotropic Gaussians, component j with mean m_j (a [C,H,W]
/// tensor), variance v_j >= 0 per element, weight pi_j and a class label. v_j = 0 gives a
/// finite point set. A sample x in the model's noise frame is x = alpha x0 + std eps
/// (NoiseFrame: alpha = 1, std = sigma for VP models in sigma space; alpha = 1 - sigma for
/// flow models). With tau_j = alpha^2 v_j + std^2:
///   p(j | x) ∝ pi_j N(x; alpha m_j, tau_j I)
///   E[x0 | x, j] = m_j + (alpha v_j / tau_j) (x - alpha m_j)
///   D(x, sigma) = E[x0 | x] = sum_j p(j | x) E[x0 | x, j]
/// For a single Gaussian in sigma space this is D = mu + s^2/(s^2 + sigma^2) (x - mu), and the
/// PF-ODE started at x(sigma_max) ends at mu + s / sqrt(s^2 + sigma_max^2) (x - mu).
///
/// Conditioning: a row with class_ids[b] = k >= 0 restricts the mixture to components
/// labelled k (the exact class-conditional denoiser); -1 (or no class input) uses every
/// component (the exact unconditional denoiser). So CFG on it has closed forms too.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "noisegraph/models.hpp"

namespace ng::diffusion {

struct MixtureComponent {
  at::Tensor mean;       ///< [C,H,W]
  double variance = 0;   ///< per element, >= 0
  double weight = 1;     ///< > 0, normalised over the components in play
  int64_t label = -1;    ///< class, -1 = none
};

/// The exact posterior-mean denoiser of a Gaussian mixture (see file comment).
class NG_API MixtureDenoiser : public Denoiser {
 public:
  /// All means must share one shape. Throws ng::Error for an empty list, mismatched shapes,
  /// negative variance or non-positive weight.
  MixtureDenoiser(std::vector<MixtureComponent> components, std::shared_ptr<ModelSampling> sampling,
                  std::string description = {});

  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) override;
  const ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override;
  int64_t num_classes() const override { return num_classes_; }
  std::string describe() const override;

  const std::vector<MixtureComponent>& components() const { return components_; }
  /// Mean and per-element variance of the data (or of class `label`, -1 = all).
  at::Tensor data_mean(int64_t label = -1) const;

 private:
  std::vector<MixtureComponent> components_;
  std::shared_ptr<ModelSampling> sampling_;
  std::string description_;
  int64_t num_classes_ = 0;
};

/// One Gaussian N(mean, std^2 I) filling a [C,H,W] sample with the constant `mean`.
NG_API std::shared_ptr<MixtureDenoiser> gaussian_model(std::vector<int64_t> shape, double mean, double std,
                                                       std::shared_ptr<ModelSampling> sampling);

/// The exact Bayes classifier of a labelled mixture (equal-variance components per class
/// are not required): logits_k = log sum_{j in k} pi_j N(x; alpha m_j, tau_j I), evaluated
/// on the sampler's x (the SDK's Classifier convention), differentiable in x.
class NG_API MixtureClassifier : public Classifier {
 public:
  MixtureClassifier(std::shared_ptr<MixtureDenoiser> model, std::vector<std::string> class_names);
  at::Tensor logits(const at::Tensor& x, const at::Tensor& sigma) override;
  std::vector<std::string> class_names() const override { return names_; }
  std::string input_space() const override { return "latent"; }
  std::string describe() const override;

 private:
  std::shared_ptr<MixtureDenoiser> model_;
  std::vector<std::string> names_;
};

/// The VP sampling the analytic models use by default: 1000 "linear" DDPM steps
/// (beta 1e-4 .. 0.02, Ho et al. 2020), epsilon parameterization.
NG_API std::shared_ptr<ModelSampling> default_vp_sampling();

}  // namespace ng::diffusion
