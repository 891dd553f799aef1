#pragma once
/// @file diffusion/samplers.hpp
/// SAMPLER: integrates the reverse process over a SIGMAS schedule, k-diffusion style.
///
/// A sampler starts from x = noise_scaling(sigmas[0], noise, latent) (the caller does that),
/// asks the guider for D(x, sigma_i) at each step and moves x to sigmas[i+1]. Deterministic
/// samplers solve the probability-flow ODE (Karras et al. 2022, eq. 3 in sigma space)
///   dx/dsigma = (x - D(x, sigma)) / sigma,
/// which holds for sigma-space VP models and for rectified-flow models alike. Stochastic
/// samplers add noise in the model's NoiseFrame (x = alpha x0 + std eps): alpha = 1 for VP
/// models, alpha = 1 - sigma for flow models, so they are correct for both.
///
/// Every step: ctx.check_cancelled() first (so a cancel stops within one step), then the
/// step, then the optional StepCallback (may replace x, e.g. inpainting re-injects the known
/// region), then ctx.report_step(i + 1, n, D) with the current x0 estimate as preview.
/// Stochastic noise comes from NoiseSource::stream(), so results are deterministic per seed
/// and independent of batch layout. x may be float32 or float64 on any device; the sigmas
/// are read as doubles.
///
/// | name            | method                                            | source                       |
/// |-----------------|---------------------------------------------------|------------------------------|
/// | euler           | explicit Euler on the PF-ODE                      | Karras et al. 2022, alg. 1 (no churn) |
/// | euler_ancestral | Euler to sigma_down + fresh noise up to sigma_next| k-diffusion; Song et al. 2021 (SDE) |
/// | heun            | Heun's 2nd-order method (Euler on the last step)  | Karras et al. 2022, alg. 1   |
/// | lms             | linear multistep, Lagrange poly in sigma, order<=4| k-diffusion (Adams-Bashforth in sigma) |
/// | ddim            | DDIM with eta (eta = 0 deterministic)             | Song, Meng & Ermon 2021, eq. 12 |
/// | ddpm            | DDPM ancestral, posterior mean + fixed variance   | Ho et al. 2020, eq. 6-7, alg. 2 |
/// | dpmpp_2m        | DPM-Solver++(2M), data prediction, multistep      | Lu et al. 2022, alg. 2       |
/// | dpmpp_2m_sde    | DPM-Solver++(2M) SDE variant, midpoint correction | Lu et al. 2022, sec. 5; k-diffusion |
///
/// euler and heun are also the flow-matching Euler/Heun samplers (rectified flow,
/// Liu et al. 2022): on a flow model sigma = t and (x - D)/sigma is the predicted velocity.
#include <ATen/core/Tensor.h>

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/noise.hpp"

namespace ng::diffusion {

/// Options of the samplers; each sampler reads only the ones that apply to it.
struct SamplerOptions {
  /// euler_ancestral, ddim, dpmpp_2m_sde: amount of fresh noise (0 = ODE). Unset = the
  /// sampler's usual default: 1 for euler_ancestral and dpmpp_2m_sde, 0 for ddim.
  std::optional<double> eta;
  double s_noise = 1.0;  ///< euler_ancestral, dpmpp_2m_sde, ddpm, ddim: multiplier of fresh noise
  /// ddpm: "fixed_small" (posterior variance beta~_t) or "fixed_large" (beta_t), Ho et al. 2020 sec. 3.2;
  /// "learned": the model's own interpolation between the two (Nichol & Dhariwal 2021, eq. 15),
  /// for models implementing diffusion::VarianceOutput (learned_variance.hpp), with the betas
  /// of each step recomputed from its two levels (respacing, sec. 4).
  std::string variance = "fixed_small";
  double clip_x0 = 0.0;  ///< ddpm, ddim: clamp the x0 estimate to [-clip_x0, clip_x0] when > 0
  int order = 4;         ///< lms: maximum order, 1..4
};

/// What a StepCallback sees after step `index` moved x from sigma to sigma_next.
struct StepState {
  int index = 0;       ///< 0-based step
  int total = 0;       ///< number of steps
  double sigma = 0;    ///< level the step started from
  double sigma_next = 0;  ///< level x is now at
  at::Tensor x;        ///< the new sample; the callback may replace it (same shape)
  at::Tensor denoised; ///< the x0 estimate used by the step
};
using StepCallback = std::function<void(StepState&)>;

struct SampleResult {
  at::Tensor samples;   ///< x at the last sigma (the clean sample when it is 0)
  at::Tensor denoised;  ///< the last x0 estimate (equals samples when the schedule ends at 0
                        ///< and the last step lands on D)
};

/// Base class; concrete samplers are made by make_sampler().
class NG_API Sampler : public Object {
 public:
  ~Sampler() override;
  virtual std::string name() const = 0;
  /// Runs len(sigmas) - 1 steps from x (already noised to sigmas[0]). Throws ng::Error for a
  /// malformed schedule and ng::Cancelled when the context is cancelled.
  virtual SampleResult sample(Guider& guider, const at::Tensor& sigmas, const at::Tensor& x,
                              const NoiseSource& noise, Context& ctx,
                              const StepCallback& callback = {}) const = 0;
  /// True when the sampler draws noise at each step with its options (ddpm always; ddim,
  /// euler_ancestral and dpmpp_2m_sde when eta > 0).
  virtual bool stochastic() const = 0;
};

/// "euler", "euler_ancestral", "heun", "lms", "ddim", "ddpm", "dpmpp_2m", "dpmpp_2m_sde".
NG_API std::vector<std::string> sampler_names();
/// Makes a named sampler. Throws ng::Error for an unknown name or invalid options
/// (eta < 0, order outside 1..4, unknown variance).
NG_API std::shared_ptr<Sampler> make_sampler(const std::string& name, const SamplerOptions& options = {});

/// Convenience for callers that drive a whole generation: x = noise_scaling(sigmas[0],
/// noise.initial(latent), latent), then sampler.sample(...). When `noise_mask` is defined
/// (1 = regenerate, 0 = keep; [B|1,1,H,W] any resolution) it also re-injects the known
/// region after every step, noised to the new level with the same initial noise, so the
/// unmasked region of `latent` is reproduced exactly at sigma = 0.
NG_API SampleResult sample_latent(const Sampler& sampler, Guider& guider, const at::Tensor& sigmas,
                                  const at::Tensor& latent, const NoiseSource& noise, Context& ctx,
                                  const at::Tensor& noise_mask = {});

/// Resizes a MASK-like tensor [B|1,1,H,W] to [B|1,1,h,w] (bilinear) with values in [0,1].
NG_API at::Tensor resize_mask(const at::Tensor& mask, int64_t h, int64_t w);

}  // namespace ng::diffusion
