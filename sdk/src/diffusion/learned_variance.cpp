// Learned variance, respaced betas and the variational bound (learned_variance.hpp).
#include "noisegraph/diffusion/learned_variance.hpp"

#include <ATen/ATen.h>

#include <cmath>

#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {

VarianceOutput::~VarianceOutput() = default;

namespace {

// Gathers table entries at integer timesteps t and shapes them to broadcast over `like`.
at::Tensor at_t(const at::Tensor& table, const at::Tensor& t, const at::Tensor& like) {
  std::vector<int64_t> shape(size_t(like.dim()), 1);
  shape[0] = t.size(0);
  return table.index_select(0, t.to(at::kLong).cpu()).to(like.device(), like.scalar_type()).view(shape);
}

at::Tensor mean_per_row(const at::Tensor& x) { return x.flatten(1).mean(1); }

// KL(N(m1, e^lv1) || N(m2, e^lv2)) per element, in nats.
at::Tensor gaussian_kl(const at::Tensor& m1, const at::Tensor& lv1, const at::Tensor& m2, const at::Tensor& lv2) {
  return 0.5 * (-1.0 + lv2 - lv1 + (lv1 - lv2).exp() + (m1 - m2).pow(2) * (-lv2).exp());
}

at::Tensor normal_cdf(const at::Tensor& z) { return 0.5 * (1.0 + at::erf(z / std::sqrt(2.0))); }

}  // namespace

PosteriorTables PosteriorTables::from_betas(const at::Tensor& betas_in) {
  const auto b = betas_in.to(at::kDouble).cpu().contiguous();
  const auto betas = make_betas_from_list(std::vector<double>(b.data_ptr<double>(), b.data_ptr<double>() + b.numel()));
  PosteriorTables p;
  p.betas = betas;
  p.alphas_cumprod = diffusion::alphas_cumprod(betas);
  p.alphas_cumprod_prev = at::cat({at::ones({1}, betas.options()), p.alphas_cumprod.slice(0, 0, -1)});
  const auto& a = p.alphas_cumprod;
  const auto& ap = p.alphas_cumprod_prev;
  p.posterior_variance = betas * (1.0 - ap) / (1.0 - a);
  p.posterior_log_variance = p.posterior_variance.clone();
  p.posterior_log_variance[0] = p.posterior_variance[1];
  p.posterior_log_variance = p.posterior_log_variance.log();
  p.coef_x0 = betas * ap.sqrt() / (1.0 - a);
  p.coef_xt = (1.0 - ap) * (1.0 - betas).sqrt() / (1.0 - a);
  return p;
}

at::Tensor learned_log_variance(const PosteriorTables& tab, const at::Tensor& v, const at::Tensor& t) {
  const auto lo = at_t(tab.posterior_log_variance, t, v);
  const auto hi = at_t(tab.betas.log(), t, v);
  const auto frac = (v + 1.0) / 2.0;
  return frac * hi + (1.0 - frac) * lo;
}

at::Tensor discretized_gaussian_log_likelihood(const at::Tensor& x0, const at::Tensor& mean,
                                               const at::Tensor& log_variance) {
  // Bin of width 2/255 around each level; the outermost bins take the tails.
  const auto inv_std = (-0.5 * log_variance).exp();
  const auto centred = x0 - mean;
  const auto cdf_hi = normal_cdf((centred + 1.0 / 255.0) * inv_std);
  const auto cdf_lo = normal_cdf((centred - 1.0 / 255.0) * inv_std);
  const auto tiny = 1e-12;
  const auto log_hi = cdf_hi.clamp_min(tiny).log();          // bin (-inf, x + 1/255]
  const auto log_one_minus_lo = (1.0 - cdf_lo).clamp_min(tiny).log();  // bin [x - 1/255, inf)
  const auto mid = (cdf_hi - cdf_lo).clamp_min(tiny).log();
  return at::where(x0 < -0.999, log_hi, at::where(x0 > 0.999, log_one_minus_lo, mid));
}

at::Tensor vlb_terms_bits(const PosteriorTables& tab, const at::Tensor& x0, const at::Tensor& xt, const at::Tensor& t,
                          const at::Tensor& eps_pred, const at::Tensor& v) {
  if (x0.sizes() != xt.sizes() || x0.sizes() != eps_pred.sizes() || x0.sizes() != v.sizes() ||
      t.dim() != 1 || t.size(0) != x0.size(0))
    throw Error("vlb_terms_bits: x0, xt, eps_pred and v must share one shape [B,...] and t be [B]");
  const auto a = at_t(tab.alphas_cumprod, t, x0);
  const auto x0_pred = (xt - (1.0 - a).sqrt() * eps_pred) / a.sqrt();
  const auto c1 = at_t(tab.coef_x0, t, x0), c2 = at_t(tab.coef_xt, t, x0);
  const auto true_mean = c1 * x0 + c2 * xt;
  const auto true_logvar = at_t(tab.posterior_log_variance, t, x0);
  const auto model_mean = c1 * x0_pred + c2 * xt;
  const auto model_logvar = learned_log_variance(tab, v, t);
  const auto kl = mean_per_row(gaussian_kl(true_mean, true_logvar, model_mean, model_logvar)) / std::log(2.0);
  const auto nll = -mean_per_row(discretized_gaussian_log_likelihood(x0, model_mean, model_logvar)) / std::log(2.0);
  return at::where(t.to(kl.device()) == 0, nll, kl);
}

at::Tensor prior_bits(const PosteriorTables& tab, const at::Tensor& x0) {
  const int64_t T = tab.num_timesteps();
  const double a = tab.alphas_cumprod[T - 1].item<double>();
  const auto mean = std::sqrt(a) * x0;
  const auto logvar = at::full_like(x0, std::log(1.0 - a));
  return mean_per_row(gaussian_kl(mean, logvar, at::zeros_like(x0), at::zeros_like(x0))) / std::log(2.0);
}

at::Tensor respaced_betas(const at::Tensor& alphas_cumprod, const std::vector<int64_t>& timesteps) {
  const auto a = alphas_cumprod.to(at::kDouble).cpu();
  if (timesteps.empty()) throw Error("respaced_betas: no timesteps");
  std::vector<double> out;
  double prev = 1.0;
  int64_t last = -1;
  for (auto t : timesteps) {
    if (t <= last || t >= a.size(0))
      throw Error("respaced_betas: timesteps must be ascending and within [0, " + std::to_string(a.size(0) - 1) + "]");
    const double cur = a[t].item<double>();
    out.push_back(1.0 - cur / prev);
    prev = cur;
    last = t;
  }
  return at::tensor(out, at::TensorOptions().dtype(at::kDouble));
}

}  // namespace ng::diffusion
