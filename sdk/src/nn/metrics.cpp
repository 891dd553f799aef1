// Frechet distance of feature Gaussians.
#include "noisegraph/nn/metrics.hpp"

#include <ATen/ATen.h>

#include "noisegraph/error.hpp"

namespace ng::nn {

namespace {
// Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues
// are clamped to 0).
at::Tensor sqrt_psd(const at::Tensor& m) {
  auto [evals, evecs] = at::linalg_eigh(m);
  return at::matmul(evecs * evals.clamp_min(0).sqrt().unsqueeze(0), evecs.transpose(0, 1));
}
}  // namespace

double frechet_distance(const at::Tensor& a_in, const at::Tensor& b_in) {
  if (a_in.dim() != 2 || b_in.dim() != 2 || a_in.size(1) != b_in.size(1))
    throw Error("frechet_distance: expected feature matrices [N,F] of equal width");
  if (a_in.size(0) < 2 || b_in.size(0) < 2) throw Error("frechet_distance: needs at least 2 samples per set");
  auto a = a_in.to(at::kDouble), b = b_in.to(at::kDouble);
  auto mu_a = a.mean(0), mu_b = b.mean(0);
  auto ca = a - mu_a, cb = b - mu_b;
  auto sa = at::matmul(ca.transpose(0, 1), ca) / double(a.size(0) - 1);
  auto sb = at::matmul(cb.transpose(0, 1), cb) / double(b.size(0) - 1);
  auto root_a = sqrt_psd(sa);
  auto middle = at::matmul(at::matmul(root_a, sb), root_a);
  middle = (middle + middle.transpose(0, 1)) / 2.0;  // symmetric up to round-off
  auto tr_sqrt = at::linalg_eigvalsh(middle).clamp_min(0).sqrt().sum();
  return ((mu_a - mu_b).pow(2).sum() + sa.trace() + sb.trace() - 2.0 * tr_sqrt).item<double>();
}

}  // namespace ng::nn
