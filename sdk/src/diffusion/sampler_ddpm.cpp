// DDPM ancestral sampling (Ho et al. 2020, alg. 2) in sigma space. The reverse step is the
// forward-process posterior q(x_prev | x, x0 = D) (eq. 6-7). In VE form (x = x0 + S eps,
// levels S > N) it is
//   mean = D + (N^2 / S^2) (x - D)
//   var  = N^2 (1 - N^2/S^2)                      "fixed_small" (beta~_t)
//   var  = (S^2 - N^2)(1 + N^2)/(1 + S^2)          "fixed_large" (beta_t, scaled to VE)
// with no noise on the final step to 0 (alg. 2: z = 0 at t = 1). Levels of other frames are
// converted with S = std/alpha and the result scaled back by alpha_next. Optional clipping of
// D to [-c, c] (the paper's images live in [-1, 1]).
#include <ATen/ATen.h>

#include <cmath>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {

at::Tensor sample_ddpm(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  const auto& f = run.frame();
  const bool large = o.variance == "fixed_large";
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
    double var = 0.0;
    if (sn > 0.0) var = large ? (std::isinf(S) ? 1.0 + N * N : (S * S - N * N) * (1.0 + N * N) / (1.0 + S * S))
                              : N * N * (1.0 - c);
    // x_next = alpha_n [(1 - c) D + c x/alpha] + alpha_n sd z; c/alpha = N^2 alpha / std^2.
    x = x * (an * N * N * a / (f.std(s) * f.std(s))) + d * (an * (1.0 - c));
    if (var > 0.0) x = x + run.noise(x) * (an * std::sqrt(var) * o.s_noise);
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
