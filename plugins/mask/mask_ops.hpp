#pragma once
// Pure tensor maths behind the mask nodes: no Qt, no node plumbing. Depends only on ATen
// and ng::Error, so other plugins (inpainting, samplers) can reuse it as is.
//
// A MASK is float32 [B,1,H,W] in [0,1]: 1 = region to regenerate, 0 = keep. Functions
// accept [H,W] and [B,H,W] too and always return [B,1,H,W].
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace ng::mask {

/// Returns `t` as [B,1,H,W] float32, or throws ng::Error naming `what` when it is not a
/// mask (wrong rank, several channels, empty).
at::Tensor as_mask(const at::Tensor& t, const std::string& what);

enum class Channel { Luminance, Red, Green, Blue };
Channel parse_channel(const std::string& name);

/// One channel of an IMAGE [B,C,H,W] as a mask; luminance uses BT.601 weights. A grey
/// image gives its only channel whatever is asked.
at::Tensor from_image(const at::Tensor& image, Channel channel);

/// 1 where mask > threshold, else 0.
at::Tensor threshold(const at::Tensor& mask, double threshold);

at::Tensor invert(const at::Tensor& mask);

/// Grows the marked region by `pixels` (grey dilation with a square of side 2|pixels|+1,
/// i.e. a max filter); negative `pixels` shrinks it (erosion, min filter). The canvas
/// border neither adds nor removes coverage.
at::Tensor grow(const at::Tensor& mask, int64_t pixels);

/// Softens edges with a Gaussian blur of standard deviation radius/2, truncated at
/// `radius` pixels (so the fade spans about 2*radius pixels across an edge). Edge pixels
/// of the canvas are replicated, so a uniform mask stays uniform.
at::Tensor feather(const at::Tensor& mask, int64_t radius);

/// A width x height canvas, 1 inside the box [x, x+box_width) x [y, y+box_height)
/// (clipped to the canvas), 0 elsewhere.
at::Tensor rectangle(int64_t width, int64_t height, int64_t x, int64_t y, int64_t box_width,
                     int64_t box_height);

/// A width x height canvas, 1 at pixels whose centre lies inside the ellipse inscribed in
/// the box [x, x+box_width) x [y, y+box_height), 0 elsewhere.
at::Tensor ellipse(int64_t width, int64_t height, int64_t x, int64_t y, int64_t box_width,
                   int64_t box_height);

enum class Combine { Union, Intersect, Subtract };
Combine parse_combine(const std::string& name);

/// Union = max(a, b), intersect = min(a, b), subtract = clamp(a - b, 0, 1). The masks must
/// have the same size; a batch of 1 pairs with every mask of the other.
at::Tensor combine(const at::Tensor& a, const at::Tensor& b, Combine op);

/// The mask as a grey IMAGE (channels = 1) or the same value in R, G and B (channels = 3).
at::Tensor to_image(const at::Tensor& mask, int64_t channels);

/// Resizes a mask by area averaging: each output pixel is the mean of the input pixels it
/// covers (adaptive average pooling). This is how masks are brought to a latent's size:
/// for integer factors it is an exact box average, so a pixel-aligned binary mask stays
/// binary where blocks are uniform (a left-half mask becomes an exact left-half mask) and
/// partially covered blocks get their coverage fraction. Total coverage (mean) is kept
/// whenever the factors are integers.
at::Tensor resize_area(const at::Tensor& mask, int64_t height, int64_t width);

/// A width x height canvas filled with `value`.
at::Tensor solid(int64_t width, int64_t height, double value);

}  // namespace ng::mask
