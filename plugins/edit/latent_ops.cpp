// Noise-mask downscaling and feathered latent pasting (latent_ops.hpp).
#include "latent_ops.hpp"

#include <ATen/ATen.h>

#include <algorithm>

#include <noisegraph/error.hpp>

namespace ng::edit {
namespace {

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

at::Tensor as_mask4(const at::Tensor& m, const char* what) {
  if (!m.defined()) throw Error(std::string(what) + ": no mask given");
  auto t = m;
  if (t.dim() == 2) t = t.unsqueeze(0).unsqueeze(0);
  else if (t.dim() == 3) t = t.unsqueeze(1);
  if (t.dim() != 4 || t.size(1) != 1 || t.numel() == 0)
    throw Error(std::string(what) + ": expected a MASK [B,1,H,W], found " + shape_of(m));
  return t.to(at::kFloat);
}

}  // namespace

MaskDownscale parse_mask_downscale(const std::string& name) {
  if (name == "area") return MaskDownscale::Area;
  if (name == "max") return MaskDownscale::Max;
  throw Error("mask downscale must be 'area' or 'max', found '" + name + "'");
}

at::Tensor latent_noise_mask(const at::Tensor& mask, int64_t batch, int64_t h, int64_t w, MaskDownscale mode) {
  auto m = as_mask4(mask, "noise mask");
  if (m.size(0) != 1 && m.size(0) != batch)
    throw Error("noise mask: the mask has batch " + std::to_string(m.size(0)) + " but the latent has " +
                std::to_string(batch) + " (use one mask for all, or one per latent)");
  if (h < 1 || w < 1) throw Error("noise mask: latent grid must be at least 1x1");
  if (m.size(2) != h || m.size(3) != w) {
    m = m.contiguous();
    m = mode == MaskDownscale::Area ? at::adaptive_avg_pool2d(m, {h, w}) : std::get<0>(at::adaptive_max_pool2d(m, {h, w}));
  }
  return m.clamp(0.0, 1.0).contiguous();
}

at::Tensor paste_weight(int64_t h, int64_t w, int64_t feather, bool left, bool top, bool right, bool bottom) {
  if (h < 1 || w < 1) throw Error("paste weight: size must be at least 1x1");
  if (feather < 0) throw Error("latent composite: feather must be >= 0, found " + std::to_string(feather));
  auto ramp = [&](int64_t n, bool start, bool end) {
    // Distance to the nearest feathered end, in cells (0 = the outermost row).
    auto idx = at::arange(n, at::kFloat);
    auto d = at::full({n}, 1e9f, at::kFloat);
    if (start) d = at::minimum(d, idx);
    if (end) d = at::minimum(d, float(n - 1) - idx);
    return ((d + 1.0) / double(feather + 1)).clamp_max(1.0);
  };
  if (feather == 0) return at::ones({1, 1, h, w});
  auto rows = ramp(h, top, bottom).view({1, 1, h, 1});
  auto cols = ramp(w, left, right).view({1, 1, 1, w});
  return at::minimum(rows, cols).contiguous();
}

at::Tensor composite_latent(const at::Tensor& destination, const at::Tensor& source, int64_t x, int64_t y,
                            int64_t feather, const at::Tensor& mask) {
  if (!destination.defined() || destination.dim() != 4)
    throw Error("latent composite: destination must be a latent [B,C,h,w]");
  if (!source.defined() || source.dim() != 4) throw Error("latent composite: source must be a latent [B,C,h,w]");
  if (destination.size(1) != source.size(1))
    throw Error("latent composite: destination has " + std::to_string(destination.size(1)) +
                " channels but source has " + std::to_string(source.size(1)) + " (latents of different models?)");
  const int64_t bd = destination.size(0), bs = source.size(0);
  if (bd != bs && bd != 1 && bs != 1)
    throw Error("latent composite: batches " + std::to_string(bd) + " and " + std::to_string(bs) +
                " do not pair (equal, or one of them 1)");
  const int64_t B = std::max(bd, bs), H = destination.size(2), W = destination.size(3);
  const int64_t h = source.size(2), w = source.size(3);
  auto out = destination.to(at::kFloat).expand({B, -1, -1, -1}).clone();

  // Clipped rectangle in destination cells and the matching source cells.
  const int64_t x0 = std::max<int64_t>(x, 0), y0 = std::max<int64_t>(y, 0);
  const int64_t x1 = std::min<int64_t>(x + w, W), y1 = std::min<int64_t>(y + h, H);
  if (x1 <= x0 || y1 <= y0) return out;

  // Feather only the sides that lie inside the destination.
  auto a = paste_weight(h, w, feather, x > 0, y > 0, x + w < W, y + h < H);
  if (mask.defined()) {
    auto m = as_mask4(mask, "latent composite");
    if (m.size(0) != 1 && m.size(0) != B)
      throw Error("latent composite: mask batch " + std::to_string(m.size(0)) + " does not pair with " + std::to_string(B));
    a = a * latent_noise_mask(m, m.size(0), h, w, MaskDownscale::Area);
  }
  auto src = source.to(at::kFloat).expand({B, -1, -1, -1}).slice(2, y0 - y, y1 - y).slice(3, x0 - x, x1 - x);
  auto wgt = a.slice(2, y0 - y, y1 - y).slice(3, x0 - x, x1 - x);
  auto region = out.slice(2, y0, y1).slice(3, x0, x1);
  region.copy_(region * (1.0 - wgt) + src * wgt);
  return out;
}

}  // namespace ng::edit
