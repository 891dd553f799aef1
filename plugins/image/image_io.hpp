#pragma once
// Image files <-> IMAGE tensors: PNG through the SDK's codec (noisegraph/io/png.hpp), JPEG
// through libjpeg-turbo (jpeg_decode.hpp). No Qt, so the headless CLI loads no GUI library.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ng::image {

/// Largest image image.load accepts: 256 megapixels (16384 x 16384). A float RGB image of
/// that size alone is 3 GB.
inline constexpr int64_t kMaxPixels = int64_t(1) << 28;

/// PNG text chunk key under which image.save embeds the graph that made the image.
inline constexpr const char* kGraphTextKey = "noisegraph";

enum class ColourMode { Auto, Grey, Rgb };
ColourMode parse_colour_mode(const std::string& name);

struct LoadedImage {
  at::Tensor image;  ///< [1,C,H,W] float32 in [0,1]; 8-bit files give exactly k/255
  at::Tensor mask;   ///< [1,1,H,W] = 1 - alpha (transparent = regenerate); zeros without alpha
  bool has_alpha = false;
};

/// Decodes a PNG (any colour type, depth and interlacing) or a JPEG (EXIF orientation
/// applied). Auto mode gives 1 channel for greyscale files (grey PNG/JPEG, palette of
/// greys) and 3 otherwise. 16-bit PNGs keep 16-bit precision. Throws ng::Error naming the
/// path when the file is missing, not a regular file, larger than kMaxPixels, or cannot
/// be decoded.
LoadedImage load_image(const std::filesystem::path& path, ColourMode mode);

/// The graph YAML that image.save embedded in `png` ("" when there is none). Throws
/// ng::Error when the file cannot be read as a PNG. The editor reads it the same way,
/// with ng::io::read_png (the pixels are checked but not kept).
std::string read_embedded_graph(const std::filesystem::path& png);

}  // namespace ng::image
