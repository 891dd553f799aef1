#pragma once
/// @file diffusion/sigmas.hpp
/// Inference schedules: the noise levels a sampler visits (the SIGMAS port type).
///
/// Every schedule returns a 1-D float32 CPU tensor of n + 1 values, descending, whose last
/// value is 0: n sampler steps go from sigmas[0] to sigmas[n] = 0. Schedules that need a
/// model read its noise range or its training table through ng::ModelSampling, so they
/// work for VP and flow models alike.
///
/// Throws ng::Error for n < 1, sigma_min <= 0, sigma_min >= sigma_max and other bad input.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "noisegraph/models.hpp"

namespace ng::diffusion {

/// Karras et al. 2022 ("EDM"), eq. 5: sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) -
/// smax^(1/rho)))^rho for i = 0..n-1, then 0. rho = 7 spends more steps at low noise.
NG_API at::Tensor karras_sigmas(int64_t n, double sigma_min, double sigma_max, double rho = 7.0);

/// Evenly spaced in log sigma from sigma_max to sigma_min (n values), then 0
/// (k-diffusion's get_sigmas_exponential).
NG_API at::Tensor exponential_sigmas(int64_t n, double sigma_min, double sigma_max);

/// Rectified-flow schedule: t_i = 1 - i/n for i = 0..n, each shifted by
/// t' = shift t / (1 + (shift - 1) t) (Esser et al. 2024, eq. 23). Starts at 1, ends at 0.
NG_API at::Tensor flow_sigmas(int64_t n, double shift = 1.0);

/// The model's training noise levels as a float64 [T] ascending table: the VP sigma table
/// of a DiscreteVPSampling; for FlowSampling T = 1000 levels shifted((i+1)/1000); for any
/// other ModelSampling, 1000 levels sigma_at() of evenly spaced timesteps between
/// timestep(sigma_min) and timestep(sigma_max).
NG_API at::Tensor sigma_table(const ModelSampling& sampling);

/// How n inference timesteps are picked from T training timesteps (Lin et al. 2023,
/// "Common diffusion noise schedules and sample steps are flawed", table 2):
///  - Linspace: round(linspace(0, T-1, n)), descending          (includes t = T-1 and 0)
///  - Leading:  (T / n) * i + offset for i = n-1..0 (integer division; DDIM, SD default)
///  - Trailing: round(T - i T / n) - 1 for i = 0..n-1          (starts at t = T-1)
enum class TimestepSpacing { Linspace, Leading, Trailing };
NG_API std::vector<std::string> timestep_spacing_names();  ///< "linspace", "leading", "trailing"
NG_API TimestepSpacing timestep_spacing_from_name(const std::string& name);

/// Uniformly spaced training timesteps mapped to sigmas through the model's table, then 0.
/// `steps_offset` is added to Leading timesteps (SD uses 1); clamped to T-1.
NG_API at::Tensor uniform_sigmas(const ModelSampling& sampling, int64_t n, TimestepSpacing spacing,
                                 int64_t steps_offset = 0);

/// ComfyUI's "simple": every (T/n)-th entry of the table counted from the top,
/// sigma_i = table[T - 1 - floor(i T / n)] for i = 0..n-1, then 0.
NG_API at::Tensor simple_sigmas(const ModelSampling& sampling, int64_t n);

/// "normal": n levels evenly spaced in (continuous) table index from the top (T-1) to the
/// bottom (0), then 0.
NG_API at::Tensor normal_sigmas(const ModelSampling& sampling, int64_t n);

/// "sgm_uniform" (Stability's generative-models repo): n + 1 levels evenly spaced in
/// table index from T-1 to 0, the last one dropped and replaced by 0, so the final step
/// jumps from a moderate noise level straight to 0.
NG_API at::Tensor sgm_uniform_sigmas(const ModelSampling& sampling, int64_t n);

/// Names accepted by scheduler_sigmas(), in a stable order (for enum parameters):
/// "normal", "karras", "exponential", "simple", "sgm_uniform", "flow", "linspace",
/// "leading", "trailing".
NG_API std::vector<std::string> scheduler_names();

/// A named schedule over the model's range (karras/exponential use sampling.sigma_min()
/// and sigma_max(); flow uses the model's shift when it is a FlowSampling), with an
/// img2img denoise strength in [0, 1]:
///
///   denoise == 1: the n-step schedule.
///   0 < denoise < 1: the last n steps of the schedule built for floor(n / denoise) steps,
///     i.e. n + 1 sigmas; exactly n steps run, starting at a lower noise level.
///   denoise == 0: the single value {0} (no step runs; the input comes back unchanged).
///
/// Example: n = 10, denoise = 0.5 builds a 20-step schedule and returns sigmas[10..20].
NG_API at::Tensor scheduler_sigmas(const std::string& name, const ModelSampling& sampling,
                                   int64_t n, double denoise = 1.0);

/// The last n + 1 sigmas of a schedule built for floor(n / denoise) steps by `full`, per
/// the convention above. `full(steps)` must return steps + 1 sigmas.
template <class F>
at::Tensor apply_denoise(F&& full, int64_t n, double denoise);

/// Checks the SIGMAS convention loosely: 1-D, at least one value, finite, >= 0 (ascending
/// schedules from flip_sigmas() are allowed). Throws ng::Error naming `what` otherwise.
NG_API void check_sigmas(const at::Tensor& sigmas, const std::string& what = "sigmas");

/// Splits at step `step`: first = sigmas[0..step], second = sigmas[step..] (the boundary
/// level appears in both, so sampling first then second equals sampling all).
/// Throws ng::Error unless 0 <= step < sigmas.size(0).
NG_API std::pair<at::Tensor, at::Tensor> split_sigmas(const at::Tensor& sigmas, int64_t step);
/// Reversed order (ascending; for inversion: running a deterministic sampler on it maps
/// an image back to noise). A leading 0 becomes 1e-4 so the first step is defined.
NG_API at::Tensor flip_sigmas(const at::Tensor& sigmas);
/// a followed by b; when a's last value equals b's first, it appears once.
NG_API at::Tensor concat_sigmas(const at::Tensor& a, const at::Tensor& b);

// ---- implementation of the template above ----
NG_API at::Tensor denoise_tail(const at::Tensor& full, int64_t n);
NG_API int64_t denoise_total_steps(int64_t n, double denoise);
template <class F>
at::Tensor apply_denoise(F&& full, int64_t n, double denoise) {
  const int64_t total = denoise_total_steps(n, denoise);
  if (total == 0) return denoise_tail(at::Tensor(), 0);
  return denoise_tail(full(total), n);
}

}  // namespace ng::diffusion
