#pragma once
// Pure tensor maths behind edit.set_noise_mask and edit.latent_composite: no node plumbing,
// ATen only, so tests call it directly. Throws ng::Error with a readable message on bad input.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace ng::edit {

/// How a pixel MASK becomes a latent noise mask.
enum class MaskDownscale {
  Area,  ///< each cell gets the fraction of its pixels that are marked (area average)
  Max,   ///< a cell with any marked pixel is regenerated fully (max pooling)
};
MaskDownscale parse_mask_downscale(const std::string& name);

/// A MASK [B|1,1,H,W] (or [H,W], [B,H,W]) brought to a latent's h x w grid, [B|1,1,h,w] in
/// [0,1]. Area: adaptive average pooling, so for integer factors a pixel-aligned binary mask
/// stays binary where blocks are uniform, partly covered cells get their coverage fraction
/// and the mean is kept (the same rule as mask::resize_area). Max: adaptive max pooling.
/// A mask already h x w is returned unchanged (clamped to [0,1]). Throws when the mask's
/// batch is neither 1 nor `batch`.
at::Tensor latent_noise_mask(const at::Tensor& mask, int64_t batch, int64_t h, int64_t w,
                             MaskDownscale mode);

/// Weight of the source in a feathered paste, [1,1,h,w]: 1 inside, falling linearly to
/// 1/(feather+1) on the outermost row/column of each side listed as feathered (a side
/// flush with the destination's edge is not feathered, so nothing fades into nothing).
/// Row d (0 = outermost) of a feathered side gets min(1, (d+1)/(feather+1)).
at::Tensor paste_weight(int64_t h, int64_t w, int64_t feather, bool left, bool top, bool right,
                        bool bottom);

/// Pastes `source` [Bs,C,h,w] into `destination` [Bd,C,H,W] with its top-left cell at (x, y)
/// (may be negative or overhang: the part outside the destination is clipped).
/// result = destination * (1 - a) + source * a inside the pasted rectangle, with
/// a = paste_weight(...) (times `mask` [1|B,1,h,w] resized by area to the source size, when
/// defined). Batches pair as equal or 1 with any; the result has the larger batch. Channel
/// counts must match. A source entirely outside returns the destination unchanged.
at::Tensor composite_latent(const at::Tensor& destination, const at::Tensor& source, int64_t x,
                            int64_t y, int64_t feather, const at::Tensor& mask = {});

}  // namespace ng::edit
