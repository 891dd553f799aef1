#pragma once
/// @file diffusion/schedule.hpp
/// Training-time noise schedules of discrete-time diffusion models (DDPM, Ho et al. 2020).
///
/// The forward process adds Gaussian noise in T small steps,
///   q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),
/// so that in closed form (Ho et al. 2020, eq. 4)
///   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s<=t} (1 - beta_s).
/// Samplers work in "sigma space" (Karras et al. 2022): x_t / sqrt(abar_t) = x_0 + sigma_t eps
/// with sigma_t = sqrt((1 - abar_t) / abar_t). vp_sigmas() converts.
///
/// Index convention: tensors have T entries, index i is the i-th noising step (i = 0 is the
/// least noisy, "t = 1" in the DDPM paper). All schedule maths is done in float64; every
/// function here returns float64 tensors on the CPU (convert with .to(at::kFloat) where a
/// float32 SIGMAS value is wanted).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::diffusion {

/// Names accepted by make_betas(), in a stable order (for enum parameters).
NG_API std::vector<std::string> beta_schedule_names();

/// The betas of a named schedule, float64 [T]:
///  - "linear":        beta_i = linspace(beta_start, beta_end, T)           (Ho et al. 2020, sec. 4;
///                     they use 1e-4 .. 0.02 with T = 1000)
///  - "scaled_linear": beta_i = linspace(sqrt(beta_start), sqrt(beta_end), T)^2
///                     (Latent Diffusion / Stable Diffusion, Rombach et al. 2022)
///  - "cosine":        abar(t) = f(t) / f(0), f(t) = cos^2(pi/2 * (t/T + s) / (1 + s)), s = 0.008,
///                     beta_i = min(1 - abar((i+1)/T..) / abar(i/T..), 0.999)
///                     (Nichol & Dhariwal 2021, eq. 17; beta_start/beta_end are ignored)
///  - "sigmoid":       beta_i = beta_start + (beta_end - beta_start) * sigmoid(linspace(-6, 6, T))
///                     (Xu et al. 2022, GeoDiff)
/// Throws ng::Error for an unknown kind, T < 2, or betas outside (0, 1).
NG_API at::Tensor make_betas(const std::string& kind, int64_t T, double beta_start = 0.00085,
                             double beta_end = 0.012);

/// Betas given explicitly (e.g. read from a checkpoint). Throws ng::Error when the list has
/// fewer than 2 entries or a value outside (0, 1).
NG_API at::Tensor make_betas_from_list(const std::vector<double>& betas);

/// abar_i = prod_{j<=i} (1 - beta_j), float64 [T], strictly decreasing in (0, 1).
NG_API at::Tensor alphas_cumprod(const at::Tensor& betas);

/// sigma_i = sqrt((1 - abar_i) / abar_i), float64 [T], increasing. Noise level of the
/// sigma-space sample x_t / sqrt(abar_t) = x_0 + sigma_t eps.
NG_API at::Tensor vp_sigmas(const at::Tensor& alphas_cumprod);

}  // namespace ng::diffusion
