#pragma once
// MultiDiffusion (Bar-Tal, Yariv, Lipman & Dekel 2023, "MultiDiffusion: Fusing Diffusion
// Paths for Controlled Image Generation"): a model trained on h x w samples denoises a
// larger canvas by denoising overlapping h x w windows and fusing their predictions.
//
// Each sampler step asks the fused denoiser for D(x, sigma) on the whole canvas. The
// paper's fusion (eq. 3-5) is the least-squares consensus of the per-window steps,
//   D(x)[p] = sum_i W_i[p] D(x_i)[p - o_i] / sum_i W_i[p],
// where x_i is window i cut out at offset o_i and W_i its weight map (1 inside the window
// for the paper's plain average). Because every sampler step is affine in D, fusing the
// x0 estimates is the same as fusing the per-window steps. Regional prompts (the paper's
// region-based variant, eq. 5 with W_i = window x region) come from the guider: an entry
// with an area predicts only inside it, and each of its rows is tiled here.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <noisegraph/models.hpp>

namespace ng::edit {

/// Window weights inside one window.
enum class WindowWeight {
  Uniform,  ///< 1 everywhere: the paper's plain average
  Feather,  ///< tent: rises linearly from the window's edge to its centre (softer seams)
};
WindowWeight parse_window_weight(const std::string& name);

/// Offsets of windows of length `tile` along a side of length `size`, `stride` apart:
/// 0, stride, 2 stride, ... and a last window flush with the end, so every position is
/// covered. size <= tile gives {0} (one window, clipped to the canvas). Throws for
/// tile < 1 or stride < 1 or stride > tile (gaps).
std::vector<int64_t> window_offsets(int64_t size, int64_t tile, int64_t stride);

/// Weight map of one tile_h x tile_w window, [1,1,tile_h,tile_w], every value > 0.
at::Tensor window_weight(int64_t tile_h, int64_t tile_w, WindowWeight kind);

/// sum_i W_i over an h x w canvas for the given layout, [1,1,h,w]. Tests use it to check
/// coverage; the denoiser divides by it.
at::Tensor weight_sum(int64_t h, int64_t w, int64_t tile_h, int64_t tile_w, int64_t stride_h, int64_t stride_w,
                      WindowWeight kind);

struct TileOptions {
  int64_t tile_h = 0, tile_w = 0;      ///< window size in sample cells; 0 = the model's native size
  int64_t stride_h = 0, stride_w = 0;  ///< distance between windows in cells; 0 = tile (no overlap)
  WindowWeight weight = WindowWeight::Uniform;
  int64_t max_batch = 64;              ///< rows per inner denoise call (windows x batch)
};

/// MODEL -> MODEL: D(x) fused from the inner model's predictions on windows. A canvas no
/// larger than one window goes straight to the inner model. Windows of one call are batched
/// (up to max_batch rows per inner call); every row keeps its own condition.
class MultiDiffusionDenoiser : public Denoiser {
 public:
  /// Throws ng::Error when the inner model does not report a [C,H,W] sample shape and no
  /// tile size is given, or when a stride exceeds its tile.
  MultiDiffusionDenoiser(std::shared_ptr<Denoiser> inner, TileOptions options);

  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) override;
  const ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }
  int64_t spatial_scale() const override { return inner_->spatial_scale(); }
  int64_t context_dim() const override { return inner_->context_dim(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  std::string describe() const override;

  const TileOptions& options() const { return options_; }

 private:
  std::shared_ptr<Denoiser> inner_;
  TileOptions options_;
};

/// `cond` with its rows repeated `times` times (row r of copy k is row r of cond).
DenoiserCondition repeat_condition(const DenoiserCondition& cond, int64_t times);

}  // namespace ng::edit
