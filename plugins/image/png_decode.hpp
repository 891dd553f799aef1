#pragma once
// A strict PNG decoder (ISO/IEC 15948) for image.load, so that what a file says is what
// the node gets: every colour type and bit depth (1/2/4-bit grey and palettes included),
// tRNS transparency without losing the colour of transparent pixels, CRC-checked chunks,
// and refusals instead of invented pixels for truncated data or palette indices past the
// palette. Interlaced (Adam7) files are left to Qt (decode_png returns false for them).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace ng::image {

/// Largest image image.load accepts: 256 megapixels (16384 x 16384). A float RGB image of
/// that size alone is 3 GB.
inline constexpr int64_t kMaxPixels = int64_t(1) << 28;

struct DecodedPng {
  at::Tensor colour;   ///< [1,C,H,W] float32 in [0,1]; C = 1 for grey files, else 3
  at::Tensor alpha;    ///< [1,1,H,W] float32, undefined when the file has no transparency
  bool grey = false;   ///< the file is greyscale (grey colour types or a palette of greys)
};

/// True when `bytes` start with the PNG signature.
bool is_png(const std::string& bytes);

/// Decodes a non-interlaced PNG held in `bytes`. Returns false (leaving `out` alone) for an
/// interlaced file; throws ng::Error (message without the file name) for anything
/// malformed: bad CRC, missing IEND, truncated or excess image data, a palette index past
/// the palette, unsupported bit depth, or more than kMaxPixels pixels.
bool decode_png(const std::string& bytes, DecodedPng& out);

}  // namespace ng::image
