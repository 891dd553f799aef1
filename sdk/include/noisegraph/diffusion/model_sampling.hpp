#pragma once
/// @file diffusion/model_sampling.hpp
/// Concrete ng::ModelSampling implementations: how a network trained with a given
/// parameterization becomes the x0-denoiser D(x, sigma) that samplers call.
///
/// A Denoiser implementation typically does
/// @code
///   at::Tensor denoise(x, sigma, cond) {
///     auto out = net(sampling_.scale_input(sigma, x), sampling_.timestep(sigma), cond);
///     return sampling_.denoised(sigma, out, x);
///   }
/// @endcode
///
/// Tensor conventions for every method: `sigma` is either a 0-dim tensor (one level for
/// the whole batch) or [B] (one per row of x); it is broadcast over the trailing
/// dimensions of x. Results have the dtype and device of x (or of sigma for the
/// element-wise timestep()/sigma_at()). Internal tables are float64.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "noisegraph/models.hpp"

namespace ng::diffusion {

/// What the network of a discrete-time VP model predicts.
enum class Prediction {
  Epsilon,  ///< the added noise eps (Ho et al. 2020)
  V,        ///< v = alpha_t eps - sigma_t x0 (Salimans & Ho 2022, "progressive distillation")
  X0,       ///< the clean sample itself
};

/// "eps", "v" or "x0".
NG_API std::string prediction_name(Prediction p);
/// Inverse of prediction_name(); also accepts "epsilon". Throws ng::Error otherwise.
NG_API Prediction prediction_from_name(const std::string& name);

/// Reshapes a 0-dim or [B] sigma so it broadcasts against a tensor with `ndim` dims
/// ([B] -> [B,1,...,1]). A 0-dim sigma is returned unchanged.
NG_API at::Tensor broadcast_sigma(const at::Tensor& sigma, int64_t ndim);

/// A discrete-time variance-preserving model (DDPM / LDM family) seen in sigma space
/// (Karras et al. 2022, "EDM", table 1, "VP" column with discrete timesteps).
///
/// The network was trained on x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) eps at integer t in
/// [0, T-1]. With sigma = sqrt((1-abar)/abar) the sampler's x = x_t / sqrt(abar_t) = x0 + sigma
/// eps, so:
///  - scale_input:  c_in = 1 / sqrt(sigma^2 + 1)      (turns x back into x_t)
///  - denoised, eps:  D = x - sigma * out
///  - denoised, v:    D = x / (sigma^2 + 1) - out * sigma / sqrt(sigma^2 + 1)
///                    (c_skip and c_out of EDM with sigma_data = 1)
///  - denoised, x0:   D = out
///  - noise_scaling:  latent + sigma * noise
///  - timestep(sigma): continuous index, linear interpolation of log sigma between the two
///    neighbouring table entries (k-diffusion's sigma_to_t); clamped to [0, T-1].
///  - sigma_at(t):    inverse of timestep(): exp of the linearly interpolated log sigma.
class NG_API DiscreteVPSampling : public ModelSampling {
 public:
  /// `alphas_cumprod`: [T] (any float dtype, T >= 2), strictly decreasing in (0, 1).
  /// Throws ng::Error otherwise.
  DiscreteVPSampling(const at::Tensor& alphas_cumprod, Prediction prediction);

  std::string parameterization() const override;
  double sigma_min() const override;
  double sigma_max() const override;
  at::Tensor timestep(const at::Tensor& sigma) const override;
  at::Tensor sigma_at(const at::Tensor& timestep) const override;
  at::Tensor scale_input(const at::Tensor& sigma, const at::Tensor& x) const override;
  at::Tensor denoised(const at::Tensor& sigma, const at::Tensor& model_output,
                      const at::Tensor& x) const override;
  at::Tensor noise_scaling(const at::Tensor& sigma, const at::Tensor& noise,
                           const at::Tensor& latent) const override;

  Prediction prediction() const { return prediction_; }
  int64_t num_timesteps() const { return sigmas_.size(0); }
  /// float64 [T] tables (CPU).
  const at::Tensor& alphas_cumprod() const { return alphas_cumprod_; }
  const at::Tensor& sigmas() const { return sigmas_; }

 private:
  at::Tensor alphas_cumprod_, sigmas_, log_sigmas_;
  Prediction prediction_;
};

/// A rectified-flow / flow-matching model (Liu et al. 2022; Lipman et al. 2022; Esser et al.
/// 2024 "SD3"): x_t = (1 - t) x0 + t eps, and the network predicts the velocity
/// v = eps - x0. Here sigma == t in [0, 1] and the sampler's x is x_t itself:
///  - scale_input:   x (c_in = 1)
///  - denoised:      D = x - sigma * out
///  - noise_scaling: sigma * noise + (1 - sigma) * latent
///  - timestep(sigma) = sigma * multiplier (the network's time input; 1000 by default,
///    1 for a network that takes t in [0,1]); sigma_at(t) = t / multiplier.
///
/// `shift` (SD3, Esser et al. 2024, eq. 23) does not change what the network sees; it
/// bends inference schedules toward high noise: t' = shift t / (1 + (shift - 1) t).
/// Schedules built from this model (sigma_table() in sigmas.hpp, schedule.flow) apply it.
///
/// The flow ODE in sigma is dx/dsigma = (x - D)/sigma, the same equation as for VE/VP models in
/// sigma space, so every deterministic sampler works unchanged; stochastic samplers use
/// the (alpha = 1 - sigma, std = sigma) frame (see samplers.hpp).
class NG_API FlowSampling : public ModelSampling {
 public:
  /// `shift` > 0 (1 = none); `multiplier` > 0; `t_min` in (0,1) is the smallest trained t
  /// (before shift). Throws ng::Error otherwise.
  explicit FlowSampling(double shift = 1.0, double multiplier = 1000.0, double t_min = 1e-3);

  std::string parameterization() const override;
  double sigma_min() const override;  ///< shifted(t_min)
  double sigma_max() const override;  ///< 1
  at::Tensor timestep(const at::Tensor& sigma) const override;
  at::Tensor sigma_at(const at::Tensor& timestep) const override;
  at::Tensor scale_input(const at::Tensor& sigma, const at::Tensor& x) const override;
  at::Tensor denoised(const at::Tensor& sigma, const at::Tensor& model_output,
                      const at::Tensor& x) const override;
  at::Tensor noise_scaling(const at::Tensor& sigma, const at::Tensor& noise,
                           const at::Tensor& latent) const override;

  double shift() const { return shift_; }
  double multiplier() const { return multiplier_; }
  /// t' = shift t / (1 + (shift - 1) t) for t in [0, 1].
  double shifted(double t) const;

 private:
  double shift_, multiplier_, t_min_;
};

}  // namespace ng::diffusion
