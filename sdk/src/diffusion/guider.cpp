// Guider base, noise fraction, noise frame and the unguided BasicGuider (guider.hpp).
#include <ATen/ATen.h>

#include <algorithm>

#include "cond_rows.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {

double noise_fraction(const ModelSampling& sampling, double sigma) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const auto t = sampling.timestep(at::tensor({sigma, sampling.sigma_max(), sampling.sigma_min()}, opts))
                     .to(at::kDouble);
  const double ts = t[0].item<double>(), tmax = t[1].item<double>(), tmin = t[2].item<double>();
  if (!(tmax > tmin)) return 0.0;
  return std::clamp((tmax - ts) / (tmax - tmin), 0.0, 1.0);
}

NoiseFrame NoiseFrame::of(const ModelSampling& sampling) {
  return NoiseFrame{sampling.parameterization() == "flow"};
}

Guider::Guider(std::shared_ptr<Denoiser> model) : model_(std::move(model)) {
  if (!model_) throw Error("guider: no model given");
}
Guider::~Guider() = default;

BasicGuider::BasicGuider(std::shared_ptr<Denoiser> model, Conditioning positive)
    : Guider(std::move(model)), positive_(std::move(positive)) {}

at::Tensor BasicGuider::predict(const at::Tensor& x_all, const at::Tensor& sigma, const GuideStep&) {
  return detail::predict_by_row(x_all, detail::sigma_rows(sigma, x_all), {&positive_},
                                [&](const at::Tensor& x, const at::Tensor& s, const std::vector<const Conditioning*>& lists) {
    const Conditioning& positive = *lists[0];
    const double frac = detail::fraction_if_needed(sampling(), s, {&positive});
    detail::RowBatch batch;
    auto pos = detail::make_branch(positive, frac, batch, false, "basic guider");
    if (pos.needs_fallback()) pos.fallback_row = batch.add(nullptr);
    const auto d = batch.run(*model_, x, s);
    const auto fallback = pos.fallback_row >= 0 ? d[size_t(pos.fallback_row)] : at::Tensor();
    return detail::blend(pos, d, fallback, x, model_->spatial_scale());
  });
}

std::string BasicGuider::describe() const {
  return "no guidance, " + std::to_string(positive_.size()) + " condition(s)";
}

}  // namespace ng::diffusion
