// Classifier guidance in sigma space (Dhariwal & Nichol 2021, sec. 4; derivation in guider.hpp).
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <sstream>

#include "cond_rows.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {

at::Tensor classifier_log_prob_grad(Classifier& classifier, const ModelSampling& sampling,
                                    const at::Tensor& x, const at::Tensor& sigma, int64_t class_id,
                                    bool scaled_input) {
  const auto s = detail::sigma_rows(sigma, x).detach();
  c10::AutoGradMode grad_on(true);
  const auto xg = x.detach().clone().requires_grad_(true);
  const auto input = scaled_input ? sampling.scale_input(s, xg) : xg;
  const auto logits = classifier.logits(input, s);
  if (!logits.defined() || logits.dim() != 2 || logits.size(0) != x.size(0))
    throw Error("classifier guidance: the classifier must return logits [B,K]");
  if (class_id < 0 || class_id >= logits.size(1))
    throw Error("classifier guidance: class " + std::to_string(class_id) + " outside [0, " +
                std::to_string(logits.size(1) - 1) + "]");
  if (!logits.requires_grad())
    throw Error("classifier guidance: the classifier's logits are not differentiable with respect to x");
  const auto log_p = at::log_softmax(logits, 1).select(1, class_id).sum();
  auto grads = torch::autograd::grad({log_p}, {xg});
  return grads[0].detach();
}

ClassifierGuidance::ClassifierGuidance(std::shared_ptr<Guider> inner, std::shared_ptr<Classifier> classifier,
                                       int64_t class_id, double scale, bool scaled_input)
    : Guider(inner ? inner->model() : nullptr), inner_(std::move(inner)),
      classifier_(std::move(classifier)), class_id_(class_id), scale_(scale), scaled_input_(scaled_input) {
  if (!classifier_) throw Error("classifier guidance: no classifier given");
  if (!std::isfinite(scale_)) throw Error("classifier guidance: scale must be finite");
  const auto names = classifier_->class_names();
  if (!names.empty() && (class_id_ < 0 || class_id_ >= int64_t(names.size())))
    throw Error("classifier guidance: class " + std::to_string(class_id_) + " outside [0, " +
                std::to_string(names.size() - 1) + "]");
}

at::Tensor ClassifierGuidance::predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) {
  auto d = inner_->predict(x, sigma, step);
  if (scale_ == 0.0) return d;
  const auto s = detail::sigma_rows(sigma, x);
  const auto frame = NoiseFrame::of(sampling());
  const auto sb = broadcast_sigma(s, x.dim());
  const auto alpha = frame.flow ? 1.0 - sb : at::ones_like(sb);
  // Where alpha = 0 (flow at sigma = 1) the data carries no signal: no guidance there.
  const auto coef = at::where(alpha > 0, sb * sb / alpha.clamp_min(1e-12), at::zeros_like(sb));
  const auto g = classifier_log_prob_grad(*classifier_, sampling(), x, s, class_id_, scaled_input_);
  return d + scale_ * coef * g.to(d.options());
}

std::string ClassifierGuidance::describe() const {
  std::ostringstream o;
  o << "classifier guidance, class " << class_id_ << ", scale " << scale_;
  return o.str();
}

}  // namespace ng::diffusion
