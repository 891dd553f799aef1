// Heun's second-order method on the PF-ODE (Karras et al. 2022, alg. 1 lines 7-8): an Euler
// predictor, then the trapezoidal average of the slopes at both ends. The last step to
// sigma = 0 is plain Euler, where the slope (x - D)/sigma is undefined.
#include <ATen/ATen.h>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {

at::Tensor sample_heun(SamplerRun& run, at::Tensor x, const SamplerOptions&) {
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1), dt = sn - s;
    const auto d = run.denoise(x, s, i);
    if (s <= 0.0) {
      x = run.end_step(i, d, d);
      continue;
    }
    const auto slope = (x - d) / s;
    auto x_euler = x + slope * dt;
    if (sn > 0.0) {
      const auto d2 = run.denoise(x_euler, sn, i);
      x = x + (slope + (x_euler - d2) / sn) * (dt / 2.0);
    } else {
      x = x_euler;
    }
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
