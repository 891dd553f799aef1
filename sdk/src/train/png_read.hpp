#pragma once
// Reading PNG training images without Qt (see png_read.cpp).
#include <cstdint>
#include <filesystem>
#include <vector>

namespace ng::train::detail {

struct GrayImage {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  ///< row-major, 8-bit grey
};

/// Decodes `path` to 8-bit grey (colour by BT.601 luminance, 16-bit by its high byte,
/// alpha ignored). Throws ng::Error naming the file for anything it cannot read.
GrayImage read_png_gray(const std::filesystem::path& path);

}  // namespace ng::train::detail
