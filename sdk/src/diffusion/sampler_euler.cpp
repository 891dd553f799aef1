// Euler's method on the probability-flow ODE dx/dsigma = (x - D)/sigma
// (Karras et al. 2022, alg. 1 without stochastic churn). On a flow model sigma = t and
// (x - D)/sigma is the predicted velocity, so this is also the rectified-flow Euler sampler.
#include <ATen/ATen.h>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {

at::Tensor sample_euler(SamplerRun& run, at::Tensor x, const SamplerOptions&) {
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    x = s > 0.0 ? x + (x - d) * ((sn - s) / s) : d;
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
