// MultiDiffusion window layout and the fused denoiser (multidiffusion.hpp).
#include "multidiffusion.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <sstream>

#include <noisegraph/error.hpp>

namespace ng::edit {
namespace {

// 1-D tent: min(i + 1, n - i), normalised to a peak of 1; > 0 everywhere.
at::Tensor tent(int64_t n) {
  auto i = at::arange(n, at::kFloat);
  auto t = at::minimum(i + 1.0, float(n) - i);
  return t / t.max();
}

struct Layout {
  int64_t th, tw;
  std::vector<int64_t> ys, xs;
};

Layout layout(int64_t h, int64_t w, int64_t tile_h, int64_t tile_w, int64_t stride_h, int64_t stride_w) {
  Layout l;
  l.th = std::min(tile_h, h);
  l.tw = std::min(tile_w, w);
  l.ys = window_offsets(h, tile_h, stride_h);
  l.xs = window_offsets(w, tile_w, stride_w);
  return l;
}

}  // namespace

WindowWeight parse_window_weight(const std::string& name) {
  if (name == "uniform") return WindowWeight::Uniform;
  if (name == "feather") return WindowWeight::Feather;
  throw Error("window weight must be 'uniform' or 'feather', found '" + name + "'");
}

std::vector<int64_t> window_offsets(int64_t size, int64_t tile, int64_t stride) {
  if (tile < 1 || stride < 1)
    throw Error("multidiffusion: tile and stride must be at least 1 cell (tile " + std::to_string(tile) +
                ", stride " + std::to_string(stride) + ")");
  if (stride > tile)
    throw Error("multidiffusion: stride " + std::to_string(stride) + " exceeds the tile " + std::to_string(tile) +
                ", which would leave gaps (overlap must be >= 0)");
  if (size < 1) throw Error("multidiffusion: canvas side must be at least 1 cell");
  std::vector<int64_t> out;
  if (size <= tile) return {0};
  for (int64_t o = 0; o + tile < size; o += stride) out.push_back(o);
  out.push_back(size - tile);  // flush with the end; never a duplicate since o + tile < size above
  return out;
}

at::Tensor window_weight(int64_t tile_h, int64_t tile_w, WindowWeight kind) {
  if (tile_h < 1 || tile_w < 1) throw Error("multidiffusion: window must be at least 1x1");
  if (kind == WindowWeight::Uniform) return at::ones({1, 1, tile_h, tile_w});
  return (tent(tile_h).view({tile_h, 1}) * tent(tile_w).view({1, tile_w})).view({1, 1, tile_h, tile_w});
}

at::Tensor weight_sum(int64_t h, int64_t w, int64_t tile_h, int64_t tile_w, int64_t stride_h, int64_t stride_w,
                      WindowWeight kind) {
  const auto l = layout(h, w, tile_h, tile_w, stride_h, stride_w);
  const auto wt = window_weight(l.th, l.tw, kind);
  auto sum = at::zeros({1, 1, h, w});
  for (auto y : l.ys)
    for (auto x : l.xs) sum.slice(2, y, y + l.th).slice(3, x, x + l.tw).add_(wt);
  return sum;
}

DenoiserCondition repeat_condition(const DenoiserCondition& c, int64_t times) {
  auto rep = [times](const at::Tensor& t) -> at::Tensor {
    if (!t.defined() || times == 1) return t;
    std::vector<int64_t> reps(size_t(t.dim()), 1);
    reps[0] = times;
    return t.repeat(reps);
  };
  DenoiserCondition out;
  out.context = rep(c.context);
  out.context_mask = rep(c.context_mask);
  out.class_ids = rep(c.class_ids);
  return out;
}

MultiDiffusionDenoiser::MultiDiffusionDenoiser(std::shared_ptr<Denoiser> inner, TileOptions o)
    : inner_(std::move(inner)), options_(o) {
  if (!inner_) throw Error("multidiffusion: no model given");
  if (options_.tile_h == 0 || options_.tile_w == 0) {
    const auto shape = inner_->sample_shape();
    if (shape.size() != 3)
      throw Error("multidiffusion: the model does not report its native [C,H,W] size; give the tile size");
    if (options_.tile_h == 0) options_.tile_h = shape[1];
    if (options_.tile_w == 0) options_.tile_w = shape[2];
  }
  if (options_.stride_h == 0) options_.stride_h = options_.tile_h;
  if (options_.stride_w == 0) options_.stride_w = options_.tile_w;
  if (options_.max_batch < 1) options_.max_batch = 1;
  window_offsets(options_.tile_h + 1, options_.tile_h, options_.stride_h);  // validates
  window_offsets(options_.tile_w + 1, options_.tile_w, options_.stride_w);
}

at::Tensor MultiDiffusionDenoiser::denoise(const at::Tensor& x, const at::Tensor& sigma,
                                           const DenoiserCondition& cond) {
  if (!x.defined() || x.dim() != 4) throw Error("multidiffusion: expected samples [B,C,H,W]");
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  if (H <= options_.tile_h && W <= options_.tile_w) return inner_->denoise(x, sigma, cond);

  const auto l = layout(H, W, options_.tile_h, options_.tile_w, options_.stride_h, options_.stride_w);
  const auto wt = window_weight(l.th, l.tw, options_.weight).to(x.options());
  const auto s = sigma.dim() == 0 ? sigma.expand({B}).contiguous() : sigma;
  if (s.dim() != 1 || s.size(0) != B)
    throw Error("multidiffusion: sigma must be a scalar or [" + std::to_string(B) + "]");

  std::vector<std::pair<int64_t, int64_t>> windows;
  for (auto y : l.ys)
    for (auto xo : l.xs) windows.emplace_back(y, xo);
  const auto per_call = std::max<int64_t>(1, options_.max_batch / std::max<int64_t>(B, 1));

  auto num = at::zeros_like(x);
  auto den = at::zeros({1, 1, H, W}, x.options());
  for (size_t first = 0; first < windows.size(); first += size_t(per_call)) {
    const auto n = int64_t(std::min(windows.size() - first, size_t(per_call)));
    std::vector<at::Tensor> crops;
    for (int64_t k = 0; k < n; ++k) {
      const auto [y, xo] = windows[first + size_t(k)];
      crops.push_back(x.slice(2, y, y + l.th).slice(3, xo, xo + l.tw));
    }
    const auto batch = n == 1 ? crops[0].contiguous() : at::cat(crops);
    const auto d = inner_->denoise(batch, n == 1 ? s : s.repeat({n}), repeat_condition(cond, n));
    if (!d.defined() || d.sizes() != batch.sizes())
      throw Error("multidiffusion: the inner model returned a prediction of the wrong shape");
    const auto parts = d.chunk(n, 0);
    for (int64_t k = 0; k < n; ++k) {
      const auto [y, xo] = windows[first + size_t(k)];
      num.slice(2, y, y + l.th).slice(3, xo, xo + l.tw).add_(parts[size_t(k)] * wt);
      den.slice(2, y, y + l.th).slice(3, xo, xo + l.tw).add_(wt);
    }
  }
  return num / den;
}

std::string MultiDiffusionDenoiser::describe() const {
  std::ostringstream o;
  o << "MultiDiffusion " << options_.tile_w << "x" << options_.tile_h << " windows, stride " << options_.stride_w
    << "x" << options_.stride_h << (options_.weight == WindowWeight::Feather ? ", feathered" : "") << " over "
    << inner_->describe();
  return o.str();
}

}  // namespace ng::edit
