// DPM-Solver++(2M) and its SDE variant (Lu et al. 2022, "DPM-Solver++", alg. 2 and sec. 5),
// data prediction in the model's frame x = alpha x0 + std eps with lambda = log(alpha/std).
// Sigma-space VP models have alpha = 1 (lambda = -log sigma, as in k-diffusion); flow models
// alpha = 1 - sigma (lambda = -inf at sigma = 1, where the first step is exact).
//
// 2M:   x_n = (std_n/std) x - alpha_n expm1(-h) D~,   h = lambda_n - lambda,
//       D~ = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1}, r = h_{i-1}/h  (first order on the first
//       and the last step).
// SDE:  x_n = (std_n/std) e^{-eta h} x + alpha_n (1 - e^{-(1+eta)h}) D_i
//           + alpha_n (1 - e^{-(1+eta)h}) / (2r) (D_i - D_{i-1})     (midpoint correction)
//           + std_n sqrt(1 - e^{-2 eta h}) z.
#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {
namespace {

double lambda_of(const NoiseFrame& f, double sigma) {
  const double a = f.alpha(sigma), s = f.std(sigma);
  if (a <= 0.0) return -std::numeric_limits<double>::infinity();
  if (s <= 0.0) return std::numeric_limits<double>::infinity();
  return std::log(a / s);
}

}  // namespace

at::Tensor sample_dpmpp_2m(SamplerRun& run, at::Tensor x, const SamplerOptions&) {
  const auto& f = run.frame();
  at::Tensor d_old;
  double h_old = std::numeric_limits<double>::infinity();
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    if (s <= 0.0) {
      x = run.end_step(i, d, d);
      continue;
    }
    const double h = lambda_of(f, sn) - lambda_of(f, s);
    const double cx = sn / s, cd = -f.alpha(sn) * std::expm1(-h);
    if (!d_old.defined() || sn <= 0.0 || !std::isfinite(h_old) || !std::isfinite(h)) {
      x = x * cx + d * cd;
    } else {
      const double r = h_old / h;
      x = x * cx + (d * (1.0 + 1.0 / (2.0 * r)) - d_old * (1.0 / (2.0 * r))) * cd;
    }
    d_old = d;
    h_old = h;
    x = run.end_step(i, x, d);
  }
  return x;
}

at::Tensor sample_dpmpp_2m_sde(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  const auto& f = run.frame();
  at::Tensor d_old;
  double h_old = std::numeric_limits<double>::infinity();
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    if (s <= 0.0) {
      x = run.end_step(i, d, d);
      continue;
    }
    const double h = lambda_of(f, sn) - lambda_of(f, s);
    if (sn <= 0.0) {
      x = d * f.alpha(sn);
    } else {
      const double eta = sn < s ? o.eta.value_or(1.0) : 0.0;  // no noise on a flipped (ascending) schedule
      const double eta_h = eta > 0.0 ? eta * h : 0.0;
      const double cx = sn / s * std::exp(-eta_h);
      const double cd = -f.alpha(sn) * std::expm1(-h - eta_h);
      x = x * cx + d * cd;
      if (d_old.defined() && std::isfinite(h_old) && std::isfinite(h)) {
        const double r = h_old / h;
        x = x + (d - d_old) * (0.5 * cd / r);
      }
      if (eta > 0.0) x = x + run.noise(x) * (f.std(sn) * std::sqrt(-std::expm1(-2.0 * eta_h)) * o.s_noise);
    }
    d_old = d;
    h_old = h;
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
