// The VP forward process q(x_t | x_0) and its training targets (forward.hpp).
#include <ATen/ATen.h>

#include "noisegraph/diffusion/forward.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

// abar_t gathered for each row, shaped to broadcast against x0.
at::Tensor abar_at(const at::Tensor& x0, const at::Tensor& abar, const at::Tensor& t) {
  if (!abar.defined() || abar.dim() != 1) throw Error("q_sample: alphas_cumprod must be 1-D");
  if (!t.defined() || t.dim() > 1) throw Error("q_sample: t must be a scalar or [B]");
  const auto idx = t.to(at::kLong).cpu();
  const int64_t T = abar.size(0);
  if (idx.numel() && ((idx < 0).any().item<bool>() || (idx >= T).any().item<bool>()))
    throw Error("q_sample: timestep outside [0, " + std::to_string(T - 1) + "]");
  auto a = abar.to(at::kDouble).cpu().index_select(0, idx.flatten()).view(idx.sizes());
  return broadcast_sigma(a, x0.dim()).to(x0.options());
}

}  // namespace

at::Tensor q_sample(const at::Tensor& x0, const at::Tensor& abar, const at::Tensor& t,
                    const at::Tensor& noise) {
  const auto a = abar_at(x0, abar, t);
  return a.sqrt() * x0 + (1.0 - a).sqrt() * noise.to(x0.options());
}

at::Tensor q_sample_sigma(const at::Tensor& x0, const at::Tensor& sigma, const at::Tensor& noise) {
  const auto s = broadcast_sigma(sigma, x0.dim()).to(x0.options());
  return (x0 + s * noise.to(x0.options())) / (1.0 + s * s).sqrt();
}

at::Tensor v_target(const at::Tensor& x0, const at::Tensor& abar, const at::Tensor& t,
                    const at::Tensor& noise) {
  const auto a = abar_at(x0, abar, t);
  return a.sqrt() * noise.to(x0.options()) - (1.0 - a).sqrt() * x0;
}

at::Tensor flow_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) {
  const auto s = broadcast_sigma(t, x0.dim()).to(x0.options());
  return (1.0 - s) * x0 + s * noise.to(x0.options());
}

}  // namespace ng::diffusion
