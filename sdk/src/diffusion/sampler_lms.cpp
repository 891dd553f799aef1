// Linear multistep in sigma (k-diffusion's LMS; an Adams-Bashforth method on a non-uniform
// grid): the slope (x - D)/sigma at the last `order` levels is interpolated by its Lagrange
// polynomial in sigma, which is integrated exactly over [sigma_i, sigma_{i+1}].
#include <ATen/ATen.h>

#include <deque>

#include "sampler_run.hpp"

namespace ng::diffusion::detail {
namespace {

// Integral over [a, b] of the j-th Lagrange basis polynomial of `nodes`.
double lagrange_integral(const std::vector<double>& nodes, size_t j, double a, double b) {
  std::vector<double> poly{1.0};  // coefficients, lowest degree first
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (k == j) continue;
    const double denom = nodes[j] - nodes[k];
    std::vector<double> next(poly.size() + 1, 0.0);
    for (size_t p = 0; p < poly.size(); ++p) {  // poly * (t - nodes[k]) / denom
      next[p + 1] += poly[p] / denom;
      next[p] -= poly[p] * nodes[k] / denom;
    }
    poly = std::move(next);
  }
  double ia = 0.0, ib = 0.0, pa = a, pb = b;
  for (size_t p = 0; p < poly.size(); ++p, pa *= a, pb *= b) {
    ia += poly[p] * pa / double(p + 1);
    ib += poly[p] * pb / double(p + 1);
  }
  return ib - ia;
}

}  // namespace

at::Tensor sample_lms(SamplerRun& run, at::Tensor x, const SamplerOptions& o) {
  std::deque<at::Tensor> slopes;  // newest first
  for (int i = 0; i < run.steps(); ++i) {
    run.begin_step();
    const double s = run.sigma(i), sn = run.sigma(i + 1);
    const auto d = run.denoise(x, s, i);
    if (s <= 0.0) {
      slopes.clear();
      x = run.end_step(i, d, d);
      continue;
    }
    slopes.push_front((x - d) / s);
    if (int(slopes.size()) > o.order) slopes.pop_back();
    std::vector<double> nodes;
    for (size_t k = 0; k < slopes.size(); ++k) nodes.push_back(run.sigma(i - int(k)));
    for (size_t j = 0; j < slopes.size(); ++j) x = x + slopes[j] * lagrange_integral(nodes, j, s, sn);
    x = run.end_step(i, x, d);
  }
  return x;
}

}  // namespace ng::diffusion::detail
