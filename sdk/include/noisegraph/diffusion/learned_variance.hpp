#pragma once
/// @file diffusion/learned_variance.hpp
/// Learned reverse-process variance and the variational bound of discrete-time VP models
/// (Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models").
///
/// Notation (Ho et al. 2020): beta_t, alpha_t = 1 - beta_t, abar_t = prod_{s<=t} alpha_s,
/// index t = 0..T-1 (t = 0 is the paper's t = 1). The forward posterior is
///   q(x_{t-1} | x_t, x0) = N(c1_t x0 + c2_t x_t, beta~_t I),
///   c1_t = beta_t sqrt(abar_{t-1}) / (1 - abar_t),  c2_t = (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t),
///   beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t                    (eq. 6-7, abar_{-1} = 1).
/// A learned-variance network outputs, next to eps, v per element and
///   log Sigma_t = (v+1)/2 log beta_t + (1-v)/2 log beta~_t               (Improved DDPM, eq. 15),
/// where log beta~_0 (= -inf) is replaced by log beta~_1, as the paper's code does.
///
/// Respacing (sec. 4): sampling with K of the T timesteps t_1 < ... < t_K uses the
/// recomputed betas beta_i = 1 - abar_{t_i} / abar_{t_{i-1}}, and the same v then interpolates
/// between those betas and their beta~. In sigma space this is what the `ddpm` sampler does
/// for any SIGMAS (its step from level S to N is exactly the respaced step), so a respaced
/// run is the ddpm sampler on uniform_sigmas(..., Linspace) (round(linspace(0, T-1, K)), the
/// spacing of the paper's code).
///
/// The variational bound in bits per dimension (eq. 4-5, data in [-1, 1] with 256 levels):
///   L = L_T + sum_{t>=1} L_t + L_0,  L_T = KL(q(x_T|x0) || N(0, I)),
///   L_t = KL(q(x_{t-1}|x_t,x0) || p(x_{t-1}|x_t)),  L_0 = -log p(x0 | x_1) (discretised Gaussian).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::diffusion {

/// The float64 [T] tables of a beta schedule used by the bound and the learned variance.
struct NG_API PosteriorTables {
  at::Tensor betas, alphas_cumprod, alphas_cumprod_prev;
  at::Tensor posterior_variance;       ///< beta~_t (0 at t = 0)
  at::Tensor posterior_log_variance;   ///< log beta~_t with t = 0 set to log beta~_1
  at::Tensor coef_x0, coef_xt;         ///< c1_t, c2_t
  int64_t num_timesteps() const { return betas.size(0); }
  /// Tables of the betas (float64 [T], T >= 2, in (0, 1)). Throws ng::Error otherwise.
  static PosteriorTables from_betas(const at::Tensor& betas);
};

/// log Sigma of eq. 15 for network output v [B,...] at integer timesteps t [B] (int64).
/// Result has v's dtype.
NG_API at::Tensor learned_log_variance(const PosteriorTables& tab, const at::Tensor& v, const at::Tensor& t);

/// Per-row L_t in bits per dimension ([B]) for rows at integer timesteps t [B]: the Gaussian
/// KL between the true posterior (from x0, xt) and the model's p(x_{t-1}|x_t) with mean from
/// eps_pred (x0 estimate (xt - sqrt(1-abar) eps)/sqrt(abar), not clipped) and log-variance
/// from v; rows with t = 0 get L_0, the discretised Gaussian decoder NLL of x0 (x0 in [-1, 1],
/// 256 levels). Tensors [B,C,H,W], any float dtype; xt = sqrt(abar) x0 + sqrt(1-abar) eps.
NG_API at::Tensor vlb_terms_bits(const PosteriorTables& tab, const at::Tensor& x0, const at::Tensor& xt,
                                 const at::Tensor& t, const at::Tensor& eps_pred, const at::Tensor& v);

/// Per-row prior term L_T = KL(q(x_T | x0) || N(0, I)) in bits per dimension, [B].
NG_API at::Tensor prior_bits(const PosteriorTables& tab, const at::Tensor& x0);

/// log N-CDF bins of the discretised Gaussian decoder: per element log P(x0 | mean, log var)
/// for x0 on the 256-level grid of [-1, 1] (edge bins extend to +-infinity).
NG_API at::Tensor discretized_gaussian_log_likelihood(const at::Tensor& x0, const at::Tensor& mean,
                                                      const at::Tensor& log_variance);

/// Betas of a respaced schedule: beta_i = 1 - abar[t_i] / abar[t_{i-1}] (abar[t_{-1}] = 1)
/// for ascending timesteps t (Improved DDPM, sec. 4). float64 [K].
NG_API at::Tensor respaced_betas(const at::Tensor& alphas_cumprod, const std::vector<int64_t>& timesteps);

/// Implemented (next to Denoiser) by models that predict their reverse variance. The ddpm
/// sampler with variance "learned" reads it after each guider call.
class NG_API VarianceOutput {
 public:
  virtual ~VarianceOutput();
  /// The interpolation v (eq. 15) of the most recent denoise() call, one row per row of
  /// that call's x ([R,C,H,W]); undefined before the first call. Guiders put the positive
  /// (conditional) rows first, so a sampler with batch B reads rows [0, B): the variance of
  /// the conditional branch, as GLIDE does under classifier-free guidance.
  virtual at::Tensor last_variance_interpolation() const = 0;
};

}  // namespace ng::diffusion
