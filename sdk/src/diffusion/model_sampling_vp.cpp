// Discrete-time VP model in sigma space (model_sampling.hpp; Karras et al. 2022, table 1).
#include <ATen/ATen.h>

#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {

std::string prediction_name(Prediction p) {
  switch (p) {
    case Prediction::Epsilon: return "eps";
    case Prediction::V: return "v";
    case Prediction::X0: return "x0";
  }
  return "eps";
}

Prediction prediction_from_name(const std::string& name) {
  if (name == "eps" || name == "epsilon") return Prediction::Epsilon;
  if (name == "v") return Prediction::V;
  if (name == "x0") return Prediction::X0;
  throw Error("unknown prediction type '" + name + "': expected eps, v or x0");
}

at::Tensor broadcast_sigma(const at::Tensor& sigma, int64_t ndim) {
  if (sigma.dim() == 0) return sigma;
  if (sigma.dim() != 1)
    throw Error("sigma must be a scalar or [B], got " + std::to_string(sigma.dim()) + " dims");
  std::vector<int64_t> shape(size_t(std::max<int64_t>(ndim, 1)), 1);
  shape[0] = sigma.size(0);
  return sigma.reshape(shape);
}

DiscreteVPSampling::DiscreteVPSampling(const at::Tensor& abar, Prediction prediction)
    : prediction_(prediction) {
  if (!abar.defined() || abar.dim() != 1 || abar.size(0) < 2)
    throw Error("DiscreteVPSampling: alphas_cumprod must be a 1-D tensor with at least 2 entries");
  alphas_cumprod_ = abar.to(at::kDouble).cpu().contiguous();
  const bool in_range = (alphas_cumprod_ > 0).all().item<bool>() && (alphas_cumprod_ < 1).all().item<bool>();
  const bool decreasing = (alphas_cumprod_.slice(0, 1) < alphas_cumprod_.slice(0, 0, -1)).all().item<bool>();
  if (!in_range || !decreasing)
    throw Error("DiscreteVPSampling: alphas_cumprod must be strictly decreasing inside (0, 1)");
  sigmas_ = ((1.0 - alphas_cumprod_) / alphas_cumprod_).sqrt();
  log_sigmas_ = sigmas_.log();
}

std::string DiscreteVPSampling::parameterization() const { return prediction_name(prediction_); }
double DiscreteVPSampling::sigma_min() const { return sigmas_[0].item<double>(); }
double DiscreteVPSampling::sigma_max() const { return sigmas_[-1].item<double>(); }

at::Tensor DiscreteVPSampling::timestep(const at::Tensor& sigma) const {
  // log sigma is increasing in t: find the bracketing table entries and interpolate.
  const int64_t T = log_sigmas_.size(0);
  const auto ls = sigma.to(at::kDouble).cpu().clamp_min(1e-300).log();
  const auto hi = at::searchsorted(log_sigmas_, ls).clamp(1, T - 1);
  const auto lo = hi - 1;
  const auto l_lo = log_sigmas_.index_select(0, lo.flatten()).view_as(ls);
  const auto l_hi = log_sigmas_.index_select(0, hi.flatten()).view_as(ls);
  const auto w = ((ls - l_lo) / (l_hi - l_lo)).clamp(0.0, 1.0);
  const auto t = lo.to(at::kDouble) + w;
  return t.to(sigma.options().dtype(sigma.is_floating_point() ? sigma.scalar_type() : at::kFloat));
}

at::Tensor DiscreteVPSampling::sigma_at(const at::Tensor& timestep) const {
  const int64_t T = log_sigmas_.size(0);
  const auto t = timestep.to(at::kDouble).cpu().clamp(0.0, double(T - 1));
  const auto lo = t.floor().to(at::kLong).clamp(0, T - 2);
  const auto w = t - lo.to(at::kDouble);
  const auto l_lo = log_sigmas_.index_select(0, lo.flatten()).view_as(t);
  const auto l_hi = log_sigmas_.index_select(0, (lo + 1).flatten()).view_as(t);
  const auto s = ((1.0 - w) * l_lo + w * l_hi).exp();
  return s.to(timestep.options().dtype(timestep.is_floating_point() ? timestep.scalar_type() : at::kFloat));
}

at::Tensor DiscreteVPSampling::scale_input(const at::Tensor& sigma, const at::Tensor& x) const {
  const auto s = broadcast_sigma(sigma, x.dim()).to(x.options());
  return x / (s * s + 1.0).sqrt();
}

at::Tensor DiscreteVPSampling::denoised(const at::Tensor& sigma, const at::Tensor& out,
                                        const at::Tensor& x) const {
  const auto s = broadcast_sigma(sigma, x.dim()).to(x.options());
  switch (prediction_) {
    case Prediction::Epsilon: return x - s * out;
    case Prediction::V: {
      const auto s2 = s * s + 1.0;
      return x / s2 - out * s / s2.sqrt();
    }
    case Prediction::X0: return out;
  }
  return out;
}

at::Tensor DiscreteVPSampling::noise_scaling(const at::Tensor& sigma, const at::Tensor& noise,
                                             const at::Tensor& latent) const {
  const auto s = broadcast_sigma(sigma, latent.dim()).to(latent.options());
  return latent + s * noise.to(latent.options());
}

}  // namespace ng::diffusion
