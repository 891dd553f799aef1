#pragma once
// RePaint resampling (Lugmayr, Danelljan, Romero, Yu, Timofte & Van Gool 2022, "RePaint:
// Inpainting using Denoising Diffusion Probabilistic Models", sec. 4.2 and alg. 1) as a
// SAMPLER wrapper.
//
// Plain inpainting (sample_latent with a noise mask) pastes the known region, noised to the
// current level, after every step. The generated region then only "sees" the known region
// through the model's next prediction, so it can commit to content that does not fit and
// the seam shows. RePaint harmonises by going back: after `jump_length` steps from sigma_a
// down to sigma_b, x is re-noised with the forward process from sigma_b back up to sigma_a
// and the same steps are sampled again, `resamples` times in all, before moving on. Each
// pass starts from a sample in which the known region is already pasted, so the model can
// revise the generated region toward agreement.
//
// Re-noising in a model's NoiseFrame (x = alpha x0 + std eps), from level b to level a > b:
//   x_a = (alpha_a / alpha_b) x_b + sqrt(std_a^2 - (alpha_a / alpha_b)^2 std_b^2) z,
// the forward transition q(x_a | x_b). VP models in sigma space: x_a = x_b + sqrt(a^2 - b^2) z.
// Flow models: alpha = 1 - t, std = t.
//
// The wrapper drives any Sampler through its public interface: it runs the inner sampler
// on each slice sigmas[a..b] of the schedule (so a deterministic inner sampler takes exactly
// its usual steps) and passes the step callback through with indices mapped to the full run.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <noisegraph/diffusion/samplers.hpp>

namespace ng::edit {

struct RePaintOptions {
  int jump_length = 5;  ///< steps between jumps back (RePaint's j)
  int resamples = 3;    ///< passes over each slice (RePaint's r); 1 = the inner sampler alone
};

/// One pass of the inner sampler: steps [first, last) of the full schedule.
struct RePaintPass {
  int first = 0, last = 0;
  bool renoise = false;  ///< re-noise from sigma[last] back to sigma[first] before this pass
};

/// The passes RePaint runs for n steps, in order: for each slice [a, min(a + j, n)),
/// `resamples` passes, every pass after the first of a slice re-noised first.
std::vector<RePaintPass> repaint_passes(int steps, const RePaintOptions& options);

/// Forward transition q(x_a | x_b) in the frame of `sampling` (see file comment), from
/// level sigma_b to sigma_a >= sigma_b, with unit noise z shaped like x.
at::Tensor renoise(const ModelSampling& sampling, const at::Tensor& x, double sigma_b, double sigma_a,
                   const at::Tensor& z);

/// SAMPLER -> SAMPLER (see file comment). Noise of the jumps comes from per-image streams
/// derived from the run's seed (independent of the inner sampler's own streams, and of
/// the batch layout); a stochastic inner sampler gets fresh streams for every pass. With
/// ZeroNoise the jumps add no noise. Steps are reported as one run of all passes.
class RePaintSampler : public diffusion::Sampler {
 public:
  /// Throws ng::Error for jump_length < 1 or resamples < 1.
  RePaintSampler(std::shared_ptr<const diffusion::Sampler> inner, RePaintOptions options);

  std::string name() const override;
  bool stochastic() const override { return options_.resamples > 1 || inner_->stochastic(); }
  std::string describe() const override;
  diffusion::SampleResult sample(diffusion::Guider& guider, const at::Tensor& sigmas, const at::Tensor& x,
                                 const diffusion::NoiseSource& noise, Context& ctx,
                                 const diffusion::StepCallback& callback = {}) const override;

 private:
  std::shared_ptr<const diffusion::Sampler> inner_;
  RePaintOptions options_;
};

}  // namespace ng::edit
