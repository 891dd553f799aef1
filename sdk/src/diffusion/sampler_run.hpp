// Private: the per-run plumbing every sampler shares (guider calls, noise, callback,
// progress, cancellation), and the sampler functions themselves (one file each).
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "noisegraph/diffusion/samplers.hpp"

namespace ng::diffusion::detail {

class SamplerRun {
 public:
  SamplerRun(Guider& guider, const at::Tensor& sigmas, const NoiseSource& noise, Context& ctx,
             const StepCallback& callback, int64_t batch);

  int steps() const { return int(sigmas_.size()) - 1; }
  double sigma(int i) const { return sigmas_[size_t(i)]; }
  const NoiseFrame& frame() const { return frame_; }
  Guider& guider() const { return guider_; }
  int64_t batch() const { return batch_; }

  /// Throws ng::Cancelled when the user asked to stop; call first in every step.
  void begin_step() const { ctx_.check_cancelled(); }
  /// The guided x0 estimate at noise level `sigma` during step i.
  at::Tensor denoise(const at::Tensor& x, double sigma, int i);
  /// Unit Gaussian noise like x from the run's per-image streams.
  at::Tensor noise(const at::Tensor& x);
  /// Callback (may replace x) and progress report after step i; returns the (new) x.
  at::Tensor end_step(int i, at::Tensor x, const at::Tensor& denoised);

  at::Tensor last_denoised;

 private:
  Guider& guider_;
  std::vector<double> sigmas_;
  NoiseFrame frame_;
  const NoiseSource& source_;
  std::unique_ptr<NoiseStream> stream_;
  int64_t batch_;
  Context& ctx_;
  const StepCallback& callback_;
};

using SamplerFn = at::Tensor (*)(SamplerRun&, at::Tensor, const SamplerOptions&);

at::Tensor sample_euler(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_euler_ancestral(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_heun(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_lms(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_ddim(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_ddpm(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_dpmpp_2m(SamplerRun& run, at::Tensor x, const SamplerOptions& o);
at::Tensor sample_dpmpp_2m_sde(SamplerRun& run, at::Tensor x, const SamplerOptions& o);

/// VE-equivalent noise level std/alpha of a frame (infinite where alpha = 0).
double ve_sigma(const NoiseFrame& f, double sigma);

}  // namespace ng::diffusion::detail
