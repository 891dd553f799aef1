// Euler ancestral (k-diffusion): split the move to sigma_next into a deterministic Euler
// step down to sigma_down and fresh noise sigma_up, sigma_down^2 + sigma_up^2 = sigma_next^2,
// with sigma_up = eta * sqrt(sigma_next^2 (sigma^2 - sigma_next^2) / sigma^2). eta = 1 is the
// DDPM posterior (Ho et al. 2020, eq. 7); eta = 0 is DDIM / Euler.
//
// The split is done on the VE-equivalent levels S = std/alpha of the model's noise frame
// and mapped back with x = alpha x_ve, so flow models (alpha = 1 - sigma) are handled too.
#include <ATen/ATen.h>

#include <cmath>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {

at::Tensor sample_euler_ancestral(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  const auto& f = run.frame();
  const double eta = o.eta.value_or(1.0);
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    if (s <= 0.0) {
      x = run.end_step(i, d, d);
      continue;
    }
    if (!(sn < s) || sn <= 0.0 || eta == 0.0) {  // deterministic: plain Euler
      x = x + (x - d) * ((sn - s) / s);
      x = run.end_step(i, x, d);
      continue;
    }
    const double S = ve_sigma(f, s), N = ve_sigma(f, sn), an = f.alpha(sn);
    const double keep = std::isinf(S) ? 1.0 : std::max(0.0, 1.0 - N * N / (S * S));
    const double up = std::min(N, eta * N * std::sqrt(keep));
    const double down = std::sqrt(std::max(0.0, N * N - up * up));
    // x_ve_next = D + (down/S)(x_ve - D) + up z, x_ve = x/alpha; note (down/S)/alpha = down/std.
    const double cx = an * down / f.std(s);
    const double cd = an * (1.0 - (std::isinf(S) ? 0.0 : down / S));
    x = x * cx + d * cd + run.noise(x) * (an * up * o.s_noise);
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
