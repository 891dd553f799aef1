// DDPM ancestral sampling (Ho et al. 2020, alg. 2) in sigma space. The reverse step is the
// forward-process posterior q(x_prev | x, x0 = D) (eq. 6-7). In VE form (x = x0 + S eps,
// levels S > N) it is
//   mean = D + (N^2 / S^2) (x - D)
//   var  = N^2 (1 - N^2/S^2)                      "fixed_small" (beta~_t)
//   var  = (S^2 - N^2)(1 + N^2)/(1 + S^2)          "fixed_large" (beta_t, scaled to VE)
//   log var = (v+1)/2 log large + (1-v)/2 log small "learned" (Nichol & Dhariwal 2021, eq. 15)
// with no noise on the final step to 0 (alg. 2: z = 0 at t = 1). Both variances are the VP
// ones of the step's own betas (beta = 1 - abar_N/abar_S) times 1/abar_N = 1 + N^2, so any
// SIGMAS subset is a respaced DDPM (Improved DDPM, sec. 4) and the log-interpolation of eq. 15
// is the same in both frames. Levels of other frames are converted with S = std/alpha and the
// result scaled back by alpha_next. Optional clipping of D to [-c, c] (the paper's images
// live in [-1, 1]).
#include <ATen/ATen.h>

#include <cmath>

#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/error.hpp"
#include "sampler_run.hpp"

namespace ng::diffusion::detail {

namespace {

// The model's v for the rows of this run: the first `batch` rows of its last denoise call
// (guiders put the positive rows first).
at::Tensor learned_v(const VarianceOutput& vo, const at::Tensor& x, int64_t batch) {
  auto v = vo.last_variance_interpolation();
  if (!v.defined())
    throw Error("ddpm: variance 'learned' needs a model that predicts its variance (a U-Net trained with "
                "learned_variance); this one does not: use fixed_small or fixed_large");
  if (v.dim() != x.dim() || v.size(0) < batch || v.size(0) % batch != 0 ||
      v.sizes().slice(1) != x.sizes().slice(1))
    throw Error("ddpm: the model's learned variance does not match the sample (shape " +
                c10::str(v.sizes()) + " for " + c10::str(x.sizes()) + ")");
  return v.narrow(0, 0, batch).to(x.device(), x.scalar_type());
}

}  // namespace

at::Tensor sample_ddpm(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  const auto& f = run.frame();
  const bool large = o.variance == "fixed_large", learned = o.variance == "learned";
  const VarianceOutput* vo = nullptr;
  if (learned) {
    vo = dynamic_cast<const VarianceOutput*>(run.guider().model().get());
    if (!vo)
      throw Error("ddpm: variance 'learned' needs a model that predicts its variance (a U-Net trained with "
                  "learned_variance); this one does not: use fixed_small or fixed_large");
    if (f.flow) throw Error("ddpm: variance 'learned' applies to VP (DDPM-family) models, not flow models");
  }
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    auto d = run.denoise(x, s, i);
    if (o.clip_x0 > 0.0) d = d.clamp(-o.clip_x0, o.clip_x0);
    if (s <= 0.0) {
      x = run.end_step(i, d, d);
      continue;
    }
    if (!(sn < s)) {  // not a reverse step (flipped schedule): deterministic move
      x = x + (x - d) * ((sn - s) / s);
      x = run.end_step(i, x, d);
      continue;
    }
    const double S = ve_sigma(f, s), N = ve_sigma(f, sn), a = f.alpha(s), an = f.alpha(sn);
    const double c = std::isinf(S) ? 0.0 : N * N / (S * S);
    const double var_small = N * N * (1.0 - c);
    const double var_large = std::isinf(S) ? 1.0 + N * N : (S * S - N * N) * (1.0 + N * N) / (1.0 + S * S);
    // x_next = alpha_n [(1 - c) D + c x/alpha] + alpha_n sd z; c/alpha = N^2 alpha / std^2.
    at::Tensor sd_learned;
    if (learned && sn > 0.0) {
      const auto frac = (learned_v(*vo, x, run.batch()) + 1.0) / 2.0;
      sd_learned = (0.5 * (frac * std::log(var_large) + (1.0 - frac) * std::log(var_small))).exp();
    }
    x = x * (an * N * N * a / (f.std(s) * f.std(s))) + d * (an * (1.0 - c));
    if (sd_learned.defined()) {
      x = x + run.noise(x) * sd_learned * (an * o.s_noise);
    } else {
      const double var = sn > 0.0 ? (large ? var_large : var_small) : 0.0;
      if (var > 0.0) x = x + run.noise(x) * (an * std::sqrt(var) * o.s_noise);
    }
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
