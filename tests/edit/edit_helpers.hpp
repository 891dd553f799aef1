// Fixtures of the editing tests: size-agnostic analytic denoisers, a recording guider.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <memory>
#include <thread>
#include <vector>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"

namespace edt {

using namespace ng::diffusion;

inline void use_all_cores() { at::set_num_threads(int(std::thread::hardware_concurrency())); }

inline std::shared_ptr<ng::ModelSampling> vp() { return default_vp_sampling(); }
inline std::shared_ptr<ng::ModelSampling> flow() { return std::make_shared<FlowSampling>(); }

/// The exact denoiser of data N(mean, std^2) per element, for samples of any size (in sigma
/// space for VP, in the flow frame for flow models). It is pixelwise, so tiling it must not
/// change anything. Reports an 8x8 native size.
class PixelwiseGaussian : public ng::Denoiser {
 public:
  PixelwiseGaussian(double mean, double std, std::shared_ptr<ng::ModelSampling> s, int64_t native = 8)
      : mean_(mean), var_(std * std), sampling_(std::move(s)), native_(native) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const ng::DenoiserCondition&) override {
    ++calls;
    rows += x.size(0);
    const auto sg = broadcast_sigma(sigma.to(x.options()), x.dim());
    const bool fl = sampling_->parameterization() == "flow";
    const auto a = fl ? 1.0 - sg : at::ones_like(sg);
    const auto tau = a * a * var_ + sg * sg;
    return mean_ + (a * var_ / tau) * (x - a * mean_);
  }
  const ng::ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override { return {1, native_, native_}; }
  int calls = 0;
  int64_t rows = 0;

 private:
  double mean_, var_;
  std::shared_ptr<ng::ModelSampling> sampling_;
  int64_t native_;
};

/// Records the first row's sigma of every prediction, then returns the inner guider's.
class RecordingGuider : public Guider {
 public:
  explicit RecordingGuider(std::shared_ptr<ng::Denoiser> m) : Guider(m), inner_(m, ng::Conditioning{}) {}
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const GuideStep& step) override {
    sigmas.push_back(sigma.flatten()[0].item<double>());
    return inner_.predict(x, sigma, step);
  }
  std::vector<double> sigmas;

 private:
  BasicGuider inner_;
};

/// Counts step reports (and their totals) of a run.
class CountingContext : public ng::BasicContext {
 public:
  void report_step(int step, int total, const at::Tensor&) override {
    steps.push_back(step);
    last_total = total;
  }
  std::vector<int> steps;
  int last_total = 0;
};

}  // namespace edt
