#pragma once
// JPEG decoding for image.load, on libjpeg-turbo (PNG goes through the SDK's io/png.hpp).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string_view>

namespace ng::image {

/// True when `bytes` start with a JPEG start-of-image marker followed by another marker.
bool is_jpeg(std::string_view bytes);

/// Decodes a baseline or progressive 8-bit JPEG to [C,H,W] float32 in [0,1]: C = 1 for
/// greyscale files, 3 otherwise (YCbCr and RGB as RGB, CMYK/YCCK converted to RGB), with
/// the EXIF orientation applied (a portrait photo comes out upright). Throws ng::Error
/// (one line, without the file name) for a truncated file, corrupt data, more than
/// `max_pixels` pixels (checked from the header) or an unsupported kind (12-bit, arithmetic
/// coding where unsupported).
at::Tensor decode_jpeg(std::string_view bytes, int64_t max_pixels);

}  // namespace ng::image
