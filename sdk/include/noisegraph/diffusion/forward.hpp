#pragma once
/// @file diffusion/forward.hpp
/// The forward (noising) process of a VP diffusion model, q(x_t | x_0)
/// (Ho et al. 2020, eq. 4), and the training targets derived from it.
///
/// Shapes: x0 and noise are [B,...]; per-row quantities (t, sigma) are [B] or 0-dim and are
/// broadcast over the trailing dimensions. Results have x0's dtype and device.
#include <ATen/core/Tensor.h>

#include "noisegraph/export.hpp"

namespace ng::diffusion {

/// x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, with abar_t = alphas_cumprod[t].
/// `t` holds integer indices into `alphas_cumprod` (any integer dtype, [B] or 0-dim).
/// Throws ng::Error when an index is outside [0, T-1].
NG_API at::Tensor q_sample(const at::Tensor& x0, const at::Tensor& alphas_cumprod,
                           const at::Tensor& t, const at::Tensor& noise);

/// The same sample addressed by noise level: abar = 1 / (1 + sigma^2), so
/// x_t = (x0 + sigma noise) / sqrt(1 + sigma^2). Works for any sigma >= 0, also between
/// table entries.
NG_API at::Tensor q_sample_sigma(const at::Tensor& x0, const at::Tensor& sigma,
                                 const at::Tensor& noise);

/// Velocity target of v-prediction (Salimans & Ho 2022, sec. 4):
/// v = sqrt(abar_t) noise - sqrt(1 - abar_t) x0.
NG_API at::Tensor v_target(const at::Tensor& x0, const at::Tensor& alphas_cumprod,
                           const at::Tensor& t, const at::Tensor& noise);

/// Rectified-flow sample and target: x_t = (1 - t) x0 + t noise, v = noise - x0, t in [0,1].
NG_API at::Tensor flow_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise);

}  // namespace ng::diffusion
