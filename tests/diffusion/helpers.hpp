// Shared fixtures of the diffusion tests: analytic models, a counting denoiser, contexts.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <memory>
#include <thread>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"

namespace ngt {

using namespace ng::diffusion;

inline void use_all_cores() { at::set_num_threads(int(std::thread::hardware_concurrency())); }

inline std::shared_ptr<ng::ModelSampling> vp() { return default_vp_sampling(); }
inline std::shared_ptr<ng::ModelSampling> flow(double shift = 1.0) { return std::make_shared<FlowSampling>(shift); }

/// Wraps a denoiser and counts calls and rows.
class CountingDenoiser : public ng::Denoiser {
 public:
  explicit CountingDenoiser(std::shared_ptr<ng::Denoiser> inner) : inner_(std::move(inner)) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& s, const ng::DenoiserCondition& c) override {
    ++calls;
    rows += x.size(0);
    return inner_->denoise(x, s, c);
  }
  const ng::ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  int64_t spatial_scale() const override { return scale; }
  int calls = 0;
  int64_t rows = 0;
  int64_t scale = 1;

 private:
  std::shared_ptr<ng::Denoiser> inner_;
};

/// Two classes, one Gaussian each: class 0 around -m, class 1 around +m (all elements).
inline std::shared_ptr<MixtureDenoiser> two_class_model(std::vector<int64_t> shape, double m, double s,
                                                        std::shared_ptr<ng::ModelSampling> sampling) {
  std::vector<MixtureComponent> comps;
  comps.push_back({at::full(shape, -m, at::kDouble), s * s, 1.0, 0});
  comps.push_back({at::full(shape, m, at::kDouble), s * s, 1.0, 1});
  return std::make_shared<MixtureDenoiser>(comps, std::move(sampling));
}

/// Class-conditional rows (class_ids >= 0) see data N(mc, vc); unconditional rows (-1) see
/// N(mu, vu): one Gaussian each, so CFG predictions are affine in x (sigma space only).
class TwoGaussianDenoiser : public ng::Denoiser {
 public:
  TwoGaussianDenoiser(double mc, double vc, double mu, double vu, std::shared_ptr<ng::ModelSampling> s)
      : mc_(mc), vc_(vc), mu_(mu), vu_(vu), sampling_(std::move(s)) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const ng::DenoiserCondition& c) override {
    const auto s2 = sigma.to(x.options()).view({-1, 1, 1, 1}).pow(2);
    const auto cond = (c.class_ids.to(x.device()) >= 0).view({-1, 1, 1, 1});
    const auto dc = mc_ + vc_ / (vc_ + s2) * (x - mc_);
    const auto du = mu_ + vu_ / (vu_ + s2) * (x - mu_);
    return at::where(cond, dc, du);
  }
  const ng::ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override { return {1, 4, 4}; }
  int64_t num_classes() const override { return 1; }

 private:
  double mc_, vc_, mu_, vu_;
  std::shared_ptr<ng::ModelSampling> sampling_;
};

inline ng::ConditioningEntry class_entry(int64_t k) {
  ng::ConditioningEntry e;
  e.class_id = k;
  return e;
}

/// A context that cancels itself after `cancel_after` reported steps.
class CancellingContext : public ng::BasicContext {
 public:
  void report_step(int step, int, const at::Tensor&) override {
    last_step = step;
    if (step >= cancel_after) cancel();
  }
  int cancel_after = 1 << 30;
  int last_step = 0;
};

inline double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace ngt
