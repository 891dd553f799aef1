#pragma once
/// @file metrics.hpp
/// Sample-quality metrics computed on classifier features.
#include <ATen/core/Tensor.h>

#include "noisegraph/export.hpp"

namespace ng::nn {

/// Frechet distance between Gaussians fitted to two feature sets [N,F] and [M,F]
/// (the FID formula of Heusel et al. 2017, eq. 6, on any feature extractor):
///   |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2).
/// Computed in float64 with symmetric eigendecompositions. Needs N, M >= 2; throws
/// ng::Error otherwise or when the widths differ.
NG_API double frechet_distance(const at::Tensor& features_a, const at::Tensor& features_b);

}  // namespace ng::nn
