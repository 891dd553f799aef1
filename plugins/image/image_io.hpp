#pragma once
// Image files <-> IMAGE tensors, through Qt's image codecs (PNG built in, JPEG via Qt's
// imageformats plugin). The only file that converts between QImage and at::Tensor.
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <vector>

class QImage;

namespace ng::image {

/// PNG text chunk key under which image.save embeds the graph that made the image.
inline constexpr const char* kGraphTextKey = "noisegraph";

enum class ColourMode { Auto, Grey, Rgb };
ColourMode parse_colour_mode(const std::string& name);

struct LoadedImage {
  at::Tensor image;  ///< [1,C,H,W] float32 in [0,1]; 8-bit files give exactly k/255
  at::Tensor mask;   ///< [1,1,H,W] = 1 - alpha (transparent = regenerate); zeros without alpha
  bool has_alpha = false;
};

/// Decodes a PNG or JPEG (whatever QImageReader reads), applying EXIF orientation.
/// Auto mode gives 1 channel for greyscale files (grey PNG/JPEG, palette of greys) and
/// 3 otherwise. 16-bit PNGs keep 16-bit precision. Throws ng::Error naming the path when
/// the file is missing, not a file, or cannot be decoded.
LoadedImage load_image(const std::filesystem::path& path, ColourMode mode);

/// One image [C,H,W] (C = 1 or 3) as an 8-bit QImage (Grayscale8 or RGB888); values are
/// clamped to [0,1] and rounded, so k/255 maps back to exactly k.
QImage to_qimage(const at::Tensor& chw);

/// A QImage as [1,C,H,W] float32 in [0,1] (C = 1 or 3), plus its alpha as [1,1,H,W]
/// (undefined when the image has none).
struct Planes {
  at::Tensor colour, alpha;
};
Planes from_qimage(const QImage& image, ColourMode mode);

/// The graph YAML that image.save embedded in `png` ("" when there is none). Throws
/// ng::Error when the file cannot be read as an image. The editor can do the same with
/// QImage(path).text("noisegraph") (not QImageReader::text(), which folds newlines).
std::string read_embedded_graph(const std::filesystem::path& png);

}  // namespace ng::image
