// Exact mixture-of-Gaussians denoiser and classifier (analytic.hpp).
#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

// alpha and std of the frame per row, [B,1] in x's options.
std::pair<at::Tensor, at::Tensor> frame_rows(const ModelSampling& ms, const at::Tensor& x, const at::Tensor& sigma) {
  const int64_t B = x.size(0);
  auto s = sigma.to(x.options());
  if (s.dim() == 0) s = s.expand({B});
  if (s.dim() != 1 || s.size(0) != B) throw Error("analytic model: sigma must be a scalar or [B]");
  s = s.reshape({B, 1});
  const auto alpha = NoiseFrame::of(ms).flow ? 1.0 - s : at::ones_like(s);
  return {alpha, s};
}

// log pi_j N(x; alpha m_j, tau_j I) for every row and component: [B, J]; also tau [B, J].
std::pair<at::Tensor, at::Tensor> component_log_density(const std::vector<MixtureComponent>& comps,
                                                        const at::Tensor& xf, const at::Tensor& means,
                                                        const at::Tensor& alpha, const at::Tensor& std) {
  const auto opts = xf.options();
  std::vector<double> var, logw;
  for (const auto& c : comps) {
    var.push_back(c.variance);
    logw.push_back(std::log(c.weight));
  }
  const auto v = at::tensor(var, at::kDouble).to(opts).unsqueeze(0);       // [1,J]
  const auto lw = at::tensor(logw, at::kDouble).to(opts).unsqueeze(0);     // [1,J]
  const auto tau = alpha * alpha * v + std * std;                          // [B,J]
  const double d = double(xf.size(1));
  // |x - alpha m_j|^2 for all rows and components.
  const auto diff = xf.unsqueeze(1) - alpha.unsqueeze(2) * means.unsqueeze(0);  // [B,J,d]
  const auto dist2 = diff.pow(2).sum(2);
  const auto logp = lw - dist2 / (2.0 * tau) - 0.5 * d * tau.log();
  return {logp, tau};
}

at::Tensor stacked_means(const std::vector<MixtureComponent>& comps, const at::Tensor& x) {
  std::vector<at::Tensor> m;
  for (const auto& c : comps) m.push_back(c.mean.reshape({-1}).to(x.options()));
  return at::stack(m);  // [J,d]
}

}  // namespace

MixtureDenoiser::MixtureDenoiser(std::vector<MixtureComponent> comps, std::shared_ptr<ModelSampling> sampling,
                                 std::string description)
    : components_(std::move(comps)), sampling_(std::move(sampling)), description_(std::move(description)) {
  if (components_.empty()) throw Error("analytic model: needs at least one component");
  if (!sampling_) throw Error("analytic model: no model sampling given");
  const auto shape = components_[0].mean.sizes().vec();
  for (auto& c : components_) {
    if (!c.mean.defined() || c.mean.sizes().vec() != shape)
      throw Error("analytic model: every component mean must have the same [C,H,W] shape");
    if (!(c.variance >= 0.0)) throw Error("analytic model: component variance must be >= 0");
    if (!(c.weight > 0.0)) throw Error("analytic model: component weight must be > 0");
    c.mean = c.mean.to(at::kDouble).contiguous();
    num_classes_ = std::max(num_classes_, c.label + 1);
  }
}

std::vector<int64_t> MixtureDenoiser::sample_shape() const { return components_[0].mean.sizes().vec(); }

std::string MixtureDenoiser::describe() const {
  if (!description_.empty()) return description_;
  return "analytic mixture of " + std::to_string(components_.size()) + " Gaussian(s), " +
         sampling_->parameterization();
}

at::Tensor MixtureDenoiser::data_mean(int64_t label) const {
  at::Tensor sum;
  double wsum = 0.0;
  for (const auto& c : components_) {
    if (label >= 0 && c.label != label) continue;
    sum = sum.defined() ? sum + c.weight * c.mean : c.weight * c.mean;
    wsum += c.weight;
  }
  if (!sum.defined()) throw Error("analytic model: no component with class " + std::to_string(label));
  return sum / wsum;
}

at::Tensor MixtureDenoiser::denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) {
  const int64_t B = x.size(0);
  const auto xf = x.reshape({B, -1});
  if (xf.size(1) != components_[0].mean.numel())
    throw Error("analytic model: expects samples of shape " + c10::str(components_[0].mean.sizes()) +
                ", got " + c10::str(x.sizes()));
  const auto [alpha, std] = frame_rows(*sampling_, x, sigma);
  const auto means = stacked_means(components_, xf);
  auto [logp, tau] = component_log_density(components_, xf, means, alpha, std);
  // Rows conditioned on class k only see components labelled k.
  if (cond.class_ids.defined() && num_classes_ > 0) {
    std::vector<int64_t> labels;
    for (const auto& c : components_) labels.push_back(c.label);
    const auto lab = at::tensor(labels, at::kLong).to(x.device()).unsqueeze(0);  // [1,J]
    const auto ids = cond.class_ids.to(x.device()).reshape({B, 1});
    const auto allowed = (ids < 0) | (lab == ids);
    if (!allowed.any(1).all().item<bool>())
      throw Error("analytic model: class id outside [0, " + std::to_string(num_classes_ - 1) + "]");
    logp = logp.masked_fill(~allowed, -std::numeric_limits<double>::infinity());
  }
  const auto w = at::softmax(logp, 1);  // [B,J]
  std::vector<double> var;
  for (const auto& c : components_) var.push_back(c.variance);
  const auto v = at::tensor(var, at::kDouble).to(x.options()).unsqueeze(0);
  const auto gain = alpha * v / tau;  // [B,J]
  const auto cond_mean = means.unsqueeze(0) +
                         gain.unsqueeze(2) * (xf.unsqueeze(1) - alpha.unsqueeze(2) * means.unsqueeze(0));
  return (w.unsqueeze(2) * cond_mean).sum(1).view_as(x);
}

std::shared_ptr<MixtureDenoiser> gaussian_model(std::vector<int64_t> shape, double mean, double std,
                                                std::shared_ptr<ModelSampling> sampling) {
  MixtureComponent c;
  c.mean = at::full(shape, mean, at::kDouble);
  c.variance = std * std;
  std::ostringstream d;
  d << "analytic Gaussian N(" << mean << ", " << std << "^2), " << sampling->parameterization();
  return std::make_shared<MixtureDenoiser>(std::vector<MixtureComponent>{c}, std::move(sampling), d.str());
}

MixtureClassifier::MixtureClassifier(std::shared_ptr<MixtureDenoiser> model, std::vector<std::string> names)
    : model_(std::move(model)), names_(std::move(names)) {
  if (!model_ || model_->num_classes() < 1) throw Error("analytic classifier: the model has no class labels");
  if (names_.empty())
    for (int64_t k = 0; k < model_->num_classes(); ++k) names_.push_back("class " + std::to_string(k));
  if (int64_t(names_.size()) != model_->num_classes())
    throw Error("analytic classifier: " + std::to_string(names_.size()) + " names for " +
                std::to_string(model_->num_classes()) + " classes");
}

at::Tensor MixtureClassifier::logits(const at::Tensor& x, const at::Tensor& sigma) {
  const auto& comps = model_->components();
  const int64_t B = x.size(0);
  const auto xf = x.reshape({B, -1});
  const auto [alpha, std] = frame_rows(model_->sampling(), x, sigma);
  const auto [logp, tau] = component_log_density(comps, xf, stacked_means(comps, xf), alpha, std);
  std::vector<at::Tensor> per_class;
  for (int64_t k = 0; k < model_->num_classes(); ++k) {
    std::vector<int64_t> idx;
    for (size_t j = 0; j < comps.size(); ++j)
      if (comps[j].label == k) idx.push_back(int64_t(j));
    per_class.push_back(at::logsumexp(logp.index_select(1, at::tensor(idx, at::kLong).to(x.device())), 1));
  }
  return at::stack(per_class, 1);
}

std::string MixtureClassifier::describe() const {
  return "analytic Bayes classifier, " + std::to_string(names_.size()) + " classes";
}

std::shared_ptr<ModelSampling> default_vp_sampling() {
  return std::make_shared<DiscreteVPSampling>(alphas_cumprod(make_betas("linear", 1000, 1e-4, 0.02)),
                                              Prediction::Epsilon);
}

}  // namespace ng::diffusion
