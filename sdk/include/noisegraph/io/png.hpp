#pragma once
/// @file png.hpp
/// Reading and writing PNG files (ISO/IEC 15948) without Qt, on libpng.
///
/// Decoding accepts every valid PNG: grey, grey + alpha, palette (with tRNS transparency),
/// RGB and RGBA; bit depths 1, 2, 4, 8 and 16; interlaced (Adam7) or not. Pixels come out
/// as float32 in [0,1] at the file's own precision (an 8-bit value k is exactly k/255, a
/// 16-bit value k exactly k/65535, a 2-bit grey level k exactly k/3), with transparency
/// as a separate alpha plane. The colour of transparent pixels is kept (never multiplied
/// by alpha). The text chunks (tEXt, zTXt, iTXt) come out as UTF-8 key -> value.
///
/// The decoder is meant for untrusted files. It throws ng::Error, one line and without
/// the file name (callers add where the bytes came from), for: data that is not a PNG, a
/// file that ends early ("truncated"), a chunk whose CRC does not match, corrupt
/// compressed data, a palette index past the end of the palette, an invalid header, and
/// images above PngReadOptions::max_pixels (checked from the header, before any pixel is
/// inflated). Harmless oddities that libpng only warns about (an incorrect sRGB profile,
/// trailing bytes after the image data) do not stop a decode.
///
/// Encoding writes 8-bit grey, grey + alpha, RGB or RGBA with any text chunks, at zlib
/// level 6 with libpng's adaptive row filters; the same tensor always gives the same bytes.
///
/// Example, a plugin node that reads a PNG and its embedded text:
/// @code
///   ng::io::PngImage png = ng::io::read_png(path);         // throws ng::Error on bad files
///   at::Tensor image = png.colour.unsqueeze(0);            // IMAGE [1,C,H,W]
///   std::string note = png.text.count("comment") ? png.text.at("comment") : "";
///   std::string bytes = ng::io::encode_png(image[0], {{"comment", "made by my node"}});
///   ng::io::write_file_atomic(out_path, bytes);            // see atomic_write.hpp
/// @endcode
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "noisegraph/export.hpp"

namespace ng::io {

/// What a PNG header says (IHDR), before any conversion.
struct PngHeader {
  uint32_t width = 0, height = 0;
  int bit_depth = 0;    ///< 1, 2, 4, 8 or 16 bits per sample (palette: per index)
  int colour_type = 0;  ///< 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA (PNG's numbers)
  bool interlaced = false;  ///< Adam7
};

/// A decoded PNG.
struct PngImage {
  PngHeader header;
  /// [C,H,W] float32 in [0,1]. C = 1 for grey files (colour types 0 and 4, and palettes
  /// whose entries are all grey), C = 3 otherwise. Add the batch dimension for an IMAGE
  /// with `colour.unsqueeze(0)`.
  at::Tensor colour;
  /// [1,H,W] float32 in [0,1], 1 = opaque: the alpha channel (types 4 and 6) or the tRNS
  /// chunk (palette alphas, or 0 where a grey/RGB pixel equals the tRNS key colour).
  /// Undefined when the file has no transparency. Empty as well when pixels were not read.
  at::Tensor alpha;
  /// Text chunks, key -> value in UTF-8 (tEXt/zTXt are Latin-1 in the file and are
  /// converted; iTXt is UTF-8 already). When a key appears twice, the later chunk wins.
  std::map<std::string, std::string> text;
  /// True when the file is greyscale (colour.size(0) == 1).
  bool grey() const { return colour.defined() && colour.size(0) == 1; }
};

struct PngReadOptions {
  /// Largest width x height accepted; larger files are refused from their header. The
  /// default is 256 megapixels (16384 x 16384); a float RGB image of that size is 3 GB.
  int64_t max_pixels = int64_t(1) << 28;
  /// False: read the header and the text chunks only (colour and alpha stay undefined).
  /// The pixel data is still inflated and CRC-checked, so a damaged file is refused.
  bool pixels = true;
};

/// True when `bytes` start with the 8-byte PNG signature.
NG_API bool is_png(std::string_view bytes);

/// Decodes a whole PNG file held in memory. Throws ng::Error as described above.
NG_API PngImage decode_png(std::string_view bytes, const PngReadOptions& options = {});

/// Reads and decodes the file at `path`. Errors name the file:
/// "<path>: truncated file (...)". Files over 2 GB are refused before reading.
NG_API PngImage read_png(const std::filesystem::path& path, const PngReadOptions& options = {});

/// Encodes `image` as an 8-bit PNG. `image` is [C,H,W] (or [1,C,H,W]) of any floating
/// type with C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); values are clamped to
/// [0,1] and rounded to k/255 (NaN becomes 0), so a decoded 8-bit file encodes back to
/// the same pixels. Each `text` entry becomes one chunk: keys are 1 to 79 printable ASCII
/// characters (no leading, trailing or double spaces); values that are printable ASCII
/// plus newlines are stored as tEXt, other values (UTF-8) as iTXt; values of 40 bytes or
/// more are compressed (zTXt, or compressed iTXt). This is the choice Qt's PNG writer
/// makes, so files written before the SDK had its own codec and after it look the same
/// to readers. Throws ng::Error for a wrong shape, a bad key or an image larger than
/// 2^31-1 pixels on a side.
NG_API std::string encode_png(const at::Tensor& image, const std::map<std::string, std::string>& text = {});

}  // namespace ng::io
