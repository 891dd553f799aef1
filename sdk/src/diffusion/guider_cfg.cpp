// Classifier-free guidance with optional rescale and sigma interval (guider.hpp).
#include <ATen/ATen.h>

#include <sstream>

#include "cond_rows.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

// Guidance rescale (Lin et al. 2023, eq. 15-16) in the VP-normalised velocity
// v = a eps - b x0 with a = alpha/n, b = std/n, n = sqrt(alpha^2 + std^2), x_vp = x/n.
// The map x0 -> v is affine, so v_cfg is the velocity of the guided x0.
at::Tensor rescale_guidance(const at::Tensor& x, const at::Tensor& s, const NoiseFrame& frame,
                            const at::Tensor& d_cfg, const at::Tensor& d_cond, double phi) {
  const auto sb = broadcast_sigma(s, x.dim());
  const auto alpha = frame.flow ? 1.0 - sb : at::ones_like(sb);
  const auto norm = (alpha * alpha + sb * sb).sqrt();
  const auto a = alpha / norm, b = sb / norm;
  auto velocity = [&](const at::Tensor& d) { return a * (x - alpha * d) / sb - b * d; };
  const auto v_cfg = velocity(d_cfg), v_cond = velocity(d_cond);
  std::vector<int64_t> dims;
  for (int64_t i = 1; i < x.dim(); ++i) dims.push_back(i);
  const auto ratio = v_cond.std(dims, true, true) / v_cfg.std(dims, true, true).clamp_min(1e-12);
  const auto v = phi * (v_cfg * ratio) + (1.0 - phi) * v_cfg;
  // Invert v = a eps - b x0 with x/n = a x0 + b eps (a^2 + b^2 = 1): x0 = a x/n - b v.
  return a * (x / norm) - b * v;
}

}  // namespace

CFGGuider::CFGGuider(std::shared_ptr<Denoiser> model, Conditioning positive, Conditioning negative,
                     CFGOptions options)
    : Guider(std::move(model)), positive_(std::move(positive)), negative_(std::move(negative)),
      options_(options) {
  if (!std::isfinite(options_.cfg)) throw Error("cfg: guidance scale must be finite");
  if (!(options_.rescale >= 0.0 && options_.rescale <= 1.0))
    throw Error("cfg: rescale must lie in [0, 1], got " + std::to_string(options_.rescale));
  if (!(options_.sigma_low <= options_.sigma_high))
    throw Error("cfg: sigma interval is empty (sigma_low > sigma_high)");
}

at::Tensor CFGGuider::predict(const at::Tensor& x_all, const at::Tensor& sigma, const GuideStep&) {
  return detail::predict_by_row(x_all, detail::sigma_rows(sigma, x_all), {&positive_, &negative_},
                                [&](const at::Tensor& x, const at::Tensor& s, const std::vector<const Conditioning*>& lists) {
    const Conditioning &positive = *lists[0], &negative = *lists[1];
    const double s0 = s[0].item<double>();
    const bool guide = options_.cfg != 1.0 && s0 >= options_.sigma_low && s0 <= options_.sigma_high;
    const double frac = detail::fraction_if_needed(sampling(), s, {&positive, &negative});

    detail::RowBatch batch;
    auto pos = detail::make_branch(positive, frac, batch, false, "cfg positive");
    detail::Branch neg;
    if (guide) neg = detail::make_branch(negative, frac, batch, false, "cfg negative");
    // The unconditional row backs the negative side when it does not cover everything, and
    // the positive side when there is no guidance (where D_u is not otherwise computed).
    int uncond = -1;
    if ((guide && neg.needs_fallback()) || (!guide && pos.needs_fallback())) uncond = batch.add(nullptr);
    if (!guide && pos.needs_fallback()) pos.fallback_row = uncond;

    const auto d = batch.run(*model_, x, s);
    const int64_t scale = model_->spatial_scale();
    const auto d_un = uncond >= 0 ? d[size_t(uncond)] : at::Tensor();
    if (!guide) return detail::blend(pos, d, d_un, x, scale);

    const auto d_neg = detail::blend(neg, d, d_un, x, scale);
    const auto d_pos = detail::blend(pos, d, d_neg, x, scale);
    auto out = d_neg + options_.cfg * (d_pos - d_neg);
    if (options_.rescale > 0.0 && s0 > 0.0)
      out = rescale_guidance(x, s, NoiseFrame::of(sampling()), out, d_pos, options_.rescale);
    return out;
  });
}

std::string CFGGuider::describe() const {
  std::ostringstream o;
  o << "CFG " << options_.cfg;
  if (options_.rescale > 0) o << ", rescale " << options_.rescale;
  return o.str();
}

}  // namespace ng::diffusion
