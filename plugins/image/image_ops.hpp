#pragma once
// Pure tensor maths behind the image nodes: no Qt, no node plumbing. Every function takes
// and returns IMAGE tensors (float32 [B,C,H,W], values in [0,1], C = 1 or 3) and throws
// ng::Error with a readable message on bad input.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace ng::image {

/// Throws unless `t` is an IMAGE: float32, 4-D, 1 or 3 channels, non-empty. `what` names
/// the input in the message ("input 'image'").
void check_image(const at::Tensor& t, const std::string& what);

/// A grey image repeated to 3 channels, or the image itself when it already has `channels`.
at::Tensor with_channels(const at::Tensor& image, int64_t channels);

/// Sizes a batch of 1 up to `batch` (a view), or throws unless it already has `batch`.
at::Tensor with_batch(const at::Tensor& t, int64_t batch, const std::string& what);

enum class ResizeMode { Nearest, Bilinear, Bicubic, Area };
ResizeMode parse_resize_mode(const std::string& name);

/// Output size of image.resize. Both `width` and `height` 0: scale by `scale`. One of
/// them 0: that side follows the aspect ratio. Then both sides round to the nearest
/// multiple of `multiple_of` (at least one multiple). Sizes are at least 1.
struct Size {
  int64_t height = 0, width = 0;
};
Size resize_target(int64_t height, int64_t width, int64_t new_width, int64_t new_height,
                   double scale, int64_t multiple_of);

/// Resamples to height x width. Nearest samples pixel centres (no half-pixel shift).
/// Bilinear and bicubic use half-pixel centres (align_corners = false) and are
/// antialiased when shrinking; bicubic is clamped to [0,1]. Area averages the source
/// pixels each output pixel covers (exact box average for integer factors).
at::Tensor resize(const at::Tensor& image, int64_t height, int64_t width, ResizeMode mode);

/// The rectangle [x, x+width) x [y, y+height); width or height 0 means "to the edge".
/// Throws when the rectangle leaves the image.
at::Tensor crop(const at::Tensor& image, int64_t x, int64_t y, int64_t width, int64_t height);

/// Adds borders filled with `fill`. The mask is 1 on the new borders and 0 on the
/// original pixels, except within `feather` pixels of a padded side, where it falls
/// linearly: 1 - (d+1)/(feather+1) for a pixel d pixels inside the original image.
struct Padded {
  at::Tensor image;  ///< [B,C,H+top+bottom,W+left+right]
  at::Tensor mask;   ///< [1,1,H+top+bottom,W+left+right]
};
Padded pad(const at::Tensor& image, int64_t left, int64_t top, int64_t right, int64_t bottom,
           double fill, int64_t feather);

/// a * (1 - factor) + b * factor. Sizes must match; a grey image is promoted to RGB
/// when the other is RGB; a batch of 1 pairs with every image of the other batch.
at::Tensor blend(const at::Tensor& a, const at::Tensor& b, double factor);

/// Pastes `source` into `destination` with its top-left corner at (x, y); parts outside
/// the destination are clipped. With a mask ([B|1,1,h,w], resized bilinearly to the
/// source size when it differs) the result is destination * (1 - mask) + source * mask.
at::Tensor composite(const at::Tensor& destination, const at::Tensor& source, int64_t x,
                     int64_t y, const at::Tensor& mask);

/// a's images followed by b's. b is promoted to a's channel count (or the other way
/// round) and resized bilinearly to a's size when they differ.
at::Tensor join_batches(const at::Tensor& a, const at::Tensor& b);

/// `count` images starting at `index` (negative index counts from the end).
at::Tensor select(const at::Tensor& images, int64_t index, int64_t count);

/// Luma with ITU-R BT.601 weights (0.299 R + 0.587 G + 0.114 B), like PIL's "L".
at::Tensor to_grey(const at::Tensor& image);
at::Tensor to_rgb(const at::Tensor& image);
at::Tensor invert(const at::Tensor& image);
at::Tensor solid(int64_t width, int64_t height, int64_t channels, double value, int64_t batch);

/// Tiles a batch row by row into one image. columns 0 = ceil(sqrt(B)). `padding` pixels
/// of `background` separate the tiles (not around the outside); empty cells are background.
at::Tensor grid(const at::Tensor& images, int64_t columns, int64_t padding, double background);

}  // namespace ng::image
