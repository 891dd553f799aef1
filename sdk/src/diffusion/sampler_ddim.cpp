// DDIM (Song, Meng & Ermon 2021, eq. 12) in the model's noise frame x = alpha x0 + std eps:
//   eps^ = (x - alpha D) / std
//   x_next = alpha_n D + sqrt(std_n^2 - s_eta^2) eps^ + s_eta z,
//   s_eta^2 = eta^2 std_n^2 (1 - N^2/S^2)   (eq. 16, written with VE levels S = std/alpha)
// eta = 0 is the deterministic DDIM (equal to Euler in sigma space), eta = 1 is DDPM.
// clip_x0 clamps D in the x0 term only; eps^ comes from the unclipped D.
#include <ATen/ATen.h>

#include <cmath>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {

at::Tensor sample_ddim(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  const auto& f = run.frame();
  const double eta = o.eta.value_or(0.0);
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    const auto d_used = o.clip_x0 > 0.0 ? d.clamp(-o.clip_x0, o.clip_x0) : d;
    if (s <= 0.0) {
      x = run.end_step(i, d_used, d);
      continue;
    }
    const double S = ve_sigma(f, s), N = ve_sigma(f, sn), an = f.alpha(sn), stdn = f.std(sn);
    const auto eps = (x - d * f.alpha(s)) / f.std(s);
    double var = 0.0;
    if (eta > 0.0 && sn > 0.0 && sn < s)
      var = eta * eta * stdn * stdn * std::max(0.0, 1.0 - (std::isinf(S) ? 0.0 : N * N / (S * S)));
    x = d_used * an + eps * std::sqrt(std::max(0.0, stdn * stdn - var));
    if (var > 0.0) x = x + run.noise(x) * (std::sqrt(var) * o.s_noise);
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
