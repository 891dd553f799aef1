// Rectified-flow model sampling (model_sampling.hpp): x_t = (1 - t) x0 + t eps, v = eps - x0.
#include <ATen/ATen.h>

#include <sstream>

#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {

FlowSampling::FlowSampling(double shift, double multiplier, double t_min)
    : shift_(shift), multiplier_(multiplier), t_min_(t_min) {
  if (!(shift > 0.0) || !(multiplier > 0.0) || !(t_min > 0.0 && t_min < 1.0)) {
    std::ostringstream s;
    s << "FlowSampling: expected shift > 0, multiplier > 0 and 0 < t_min < 1, got shift=" << shift
      << " multiplier=" << multiplier << " t_min=" << t_min;
    throw Error(s.str());
  }
}

std::string FlowSampling::parameterization() const { return "flow"; }
double FlowSampling::sigma_min() const { return shifted(t_min_); }
double FlowSampling::sigma_max() const { return 1.0; }

double FlowSampling::shifted(double t) const { return shift_ * t / (1.0 + (shift_ - 1.0) * t); }

at::Tensor FlowSampling::timestep(const at::Tensor& sigma) const { return sigma * multiplier_; }
at::Tensor FlowSampling::sigma_at(const at::Tensor& timestep) const { return timestep / multiplier_; }

at::Tensor FlowSampling::scale_input(const at::Tensor&, const at::Tensor& x) const { return x; }

at::Tensor FlowSampling::denoised(const at::Tensor& sigma, const at::Tensor& out,
                                  const at::Tensor& x) const {
  return x - broadcast_sigma(sigma, x.dim()).to(x.options()) * out;
}

at::Tensor FlowSampling::noise_scaling(const at::Tensor& sigma, const at::Tensor& noise,
                                       const at::Tensor& latent) const {
  const auto s = broadcast_sigma(sigma, latent.dim()).to(latent.options());
  return s * noise.to(latent.options()) + (1.0 - s) * latent;
}

}  // namespace ng::diffusion
