#pragma once
/// @file diffusion/guider.hpp
/// GUIDER: turns a model and its conditioning into the one x0-prediction a sampler asks
/// for at each step. All guidance lives here (classifier-free, classifier, composition,
/// regional prompts, timestep ranges), so every sampler gets every guidance for free.
///
/// Conditioning entries (values.hpp) are interpreted by every guider the same way:
///  - Timestep range: an entry applies while the step's noise fraction lies in
///    [entry.start, entry.end], where noise_fraction() is 0 at the model's sigma_max and 1
///    at its sigma_min (ComfyUI's percent convention: it does not depend on the step
///    count or sampler). Entries outside their range are dropped for that evaluation.
///  - Region: an entry with `area` (image pixels, mapped to latent cells with the model's
///    spatial_scale()) or `mask` (resized to the latent with bilinear interpolation)
///    predicts only inside its region. Several entries of one CONDITIONING are blended
///    per position by normalised weights strength * region (MultiDiffusion, Bar-Tal et al.
///    2023, eq. 5 with per-pixel weights); positions no active entry covers fall back to
///    the unconditional (or negative) prediction.
///  - All rows (unconditional, negative, each positive entry) of one evaluation go through
///    ONE batched Denoiser::denoise call.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "noisegraph/models.hpp"

namespace ng::diffusion {

/// Where in the sampling run a guider is being asked.
struct GuideStep {
  int index = 0;  ///< 0-based sampler step
  int total = 1;  ///< number of steps of the run
  /// Fraction of the run's steps already done, in [0, 1). Timestep ranges of conditioning
  /// entries do not use it (they use noise_fraction(), which does not depend on the step
  /// count); it is there for custom guiders that schedule by step.
  double fraction() const { return total > 0 ? double(index) / double(total) : 0.0; }
};

/// Position of `sigma` on the model's noise axis in [0, 1]: 0 at sigma_max (pure noise),
/// 1 at sigma_min, linear in the model's timestep().
NG_API double noise_fraction(const ModelSampling& sampling, double sigma);

/// The noise frame of a model's sampler-space x: x = alpha(sigma) x0 + std(sigma) eps.
/// Sigma-space VP/VE models: alpha = 1, std = sigma. Flow models: alpha = 1 - sigma,
/// std = sigma. Stochastic samplers and guidance need it; deterministic ODE samplers do not
/// (dx/dsigma = (x - D)/sigma holds in both).
struct NG_API NoiseFrame {
  bool flow = false;
  double alpha(double sigma) const { return flow ? 1.0 - sigma : 1.0; }
  double std(double sigma) const { return sigma; }
  static NoiseFrame of(const ModelSampling& sampling);
};

/// Base of all guiders: a shared, immutable handle holding the model it drives.
class NG_API Guider : public Object {
 public:
  explicit Guider(std::shared_ptr<Denoiser> model);
  ~Guider() override;

  /// The guided x0 estimate for x [B,C,H,W] at noise level sigma (0-dim or [B]; float).
  /// Guiders decide timestep ranges from the first row's sigma.
  virtual at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) = 0;

  const std::shared_ptr<Denoiser>& model() const { return model_; }
  const ModelSampling& sampling() const { return model_->sampling(); }

 protected:
  std::shared_ptr<Denoiser> model_;
};

/// Conditional prediction without guidance: D(x, sigma, positive) (entries blended by
/// region and strength as described above).
class NG_API BasicGuider : public Guider {
 public:
  BasicGuider(std::shared_ptr<Denoiser> model, Conditioning positive);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) override;
  std::string describe() const override;

 private:
  Conditioning positive_;
};

/// Options of classifier-free guidance.
struct CFGOptions {
  double cfg = 1.0;      ///< guidance scale w; 1 = conditional only (the uncond branch is skipped)
  double rescale = 0.0;  ///< phi of guidance rescale (Lin et al. 2023, eq. 15-16); 0 = off
  /// Guidance applies only while sigma_low <= sigma <= sigma_high (Kynkaanniemi et al.
  /// 2024, "Applying guidance in a limited interval"); outside it the conditional
  /// prediction is returned and the unconditional branch is not evaluated.
  double sigma_low = 0.0;
  double sigma_high = 1e30;
};

/// Classifier-free guidance (Ho & Salimans 2021, eq. 6) in x0 space:
///   D = D_u + w (D_c - D_u),
/// D_c from the positive entries, D_u from the negative entries (an empty negative list =
/// the model's unconditional row). Both branches run in one batched call. With rescale
/// phi > 0, the guided velocity v_cfg is matched to the std of the conditional one,
/// v = phi v_cfg std(v_c)/std(v_cfg) + (1 - phi) v_cfg, per sample (Lin et al. 2023,
/// eq. 15-16; v = alpha eps - std x0 in the VP-normalised frame).
class NG_API CFGGuider : public Guider {
 public:
  CFGGuider(std::shared_ptr<Denoiser> model, Conditioning positive, Conditioning negative,
            CFGOptions options);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) override;
  std::string describe() const override;
  const CFGOptions& options() const { return options_; }

 private:
  Conditioning positive_, negative_;
  CFGOptions options_;
};

/// Composable diffusion (Liu et al. 2022, eq. 10) in x0 space:
///   D = D_u + sum_i w_i m_i (D_i - D_u),
/// one term per entry of `terms`, w_i = entry.strength (negative = "NOT", eq. 13), m_i its
/// region (1 without area/mask). D_u from `negative` (empty = unconditional). Batched.
class NG_API ComposableGuider : public Guider {
 public:
  ComposableGuider(std::shared_ptr<Denoiser> model, Conditioning terms, Conditioning negative);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) override;
  std::string describe() const override;

 private:
  Conditioning terms_, negative_;
};

/// Classifier guidance (Dhariwal & Nichol 2021, sec. 4) on top of any guider.
///
/// By Tweedie's formula, for x = alpha x0 + std eps, E[x0 | x] = (x + std^2 grad log p(x))
/// / alpha. Conditioning on class y adds grad log p(y | x) to the score, so
///   D(x | y) = D(x) + std^2 / alpha * grad_x log p(y | x, sigma),
/// and guidance scale s multiplies the gradient term:
///   D' = D + s * std^2 / alpha * grad_x log p(y | x, sigma)
/// (sigma-space VP models: alpha = 1, std = sigma, so D' = D + s sigma^2 grad). For a VP
/// model this equals the paper's eps' = eps - s sqrt(1 - abar) grad_{x_t} log p(y | x_t):
/// with x_t = sqrt(abar) x, grad_x = sqrt(abar) grad_{x_t} and D = x - sigma eps,
/// D' = x - sigma eps' = D + s sigma sqrt(1-abar) grad_{x_t} = D + s sigma^2 grad_x.
/// No guidance is applied where alpha = 0 (flow models at sigma = 1).
///
/// The classifier receives x as the sampler holds it (`scaled_input = false`) or the
/// network's input scale_input(sigma, x) (`true`, i.e. x_t for VP models, which is what a
/// noise-aware classifier trained on q_sample() outputs reads); the gradient is always
/// taken with respect to the sampler's x. It also receives sigma [B].
class NG_API ClassifierGuidance : public Guider {
 public:
  ClassifierGuidance(std::shared_ptr<Guider> inner, std::shared_ptr<Classifier> classifier,
                     int64_t class_id, double scale, bool scaled_input);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) override;
  std::string describe() const override;

 private:
  std::shared_ptr<Guider> inner_;
  std::shared_ptr<Classifier> classifier_;
  int64_t class_id_;
  double scale_;
  bool scaled_input_;
};

/// grad_x log softmax(classifier(x_in, sigma))[class_id] summed over the batch, where x_in
/// is x or scale_input(sigma, x). Exposed for tests and custom guiders.
NG_API at::Tensor classifier_log_prob_grad(Classifier& classifier, const ModelSampling& sampling,
                                           const at::Tensor& x, const at::Tensor& sigma,
                                           int64_t class_id, bool scaled_input);

}  // namespace ng::diffusion
