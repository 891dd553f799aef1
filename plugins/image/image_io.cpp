#include "image_io.hpp"

#include <ATen/ATen.h>

#include <cstdint>
#include <fstream>

#include "image_ops.hpp"
#include "jpeg_decode.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/png.hpp"

namespace ng::image {
namespace {

// Absolute in messages, so the user sees where the file was looked for.
std::string quoted(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return "'" + (ec ? p : abs.lexically_normal()).string() + "'";
}

// The file's bytes; image files over 2 GB are refused before reading (the largest image
// accepted, 256 MP of 16-bit RGBA, compresses to less).
std::string read_bounded(const std::filesystem::path& path) {
  constexpr uintmax_t kMaxFileBytes = uintmax_t(2) << 30;
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error("cannot read image " + quoted(path) + ": " + ec.message());
  if (size > kMaxFileBytes)
    throw Error("image file " + quoted(path) + " is " + std::to_string(size >> 20) + " MB; the limit is " +
                std::to_string(kMaxFileBytes >> 20) + " MB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open image " + quoted(path));
  std::string bytes(size, '\0');
  in.read(bytes.data(), std::streamsize(size));
  bytes.resize(std::size_t(in.gcount()));
  return bytes;
}

// A complete JPEG ends with the end-of-image marker FF D9 (some writers pad after it with
// zeros or a newline). libjpeg decodes a truncated file "successfully", filling the
// missing rows with grey, so this is checked first.
bool jpeg_is_complete(const std::string& b) {
  std::size_t end = b.size();
  while (end > 2 && b.size() - end < 4096 && (b[end - 1] == '\0' || b[end - 1] == '\n' || b[end - 1] == '\r' ||
                                               b[end - 1] == ' '))
    --end;
  return end >= 4 && uint8_t(b[end - 2]) == 0xFF && uint8_t(b[end - 1]) == 0xD9;
}

}  // namespace

ColourMode parse_colour_mode(const std::string& name) {
  if (name == "auto") return ColourMode::Auto;
  if (name == "grey") return ColourMode::Grey;
  if (name == "rgb") return ColourMode::Rgb;
  throw Error("unknown colour mode '" + name + "' (expected auto, grey or rgb)");
}

LoadedImage load_image(const std::filesystem::path& path, ColourMode mode) {
  if (path.empty()) throw Error("no image file given (the path is empty)");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error("image file not found: " + quoted(path));
  if (std::filesystem::is_directory(path, ec))
    throw Error(quoted(path) + " is a folder, expected an image file");
  // Reading a FIFO blocks forever and a device never ends: regular files only.
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(quoted(path) + " is not a regular file (a FIFO, device or socket cannot be an image)");

  const std::string bytes = read_bounded(path);

  at::Tensor colour, alpha;  // [C,H,W], [1,H,W]
  if (ng::io::is_png(bytes)) {
    try {
      ng::io::PngImage png = ng::io::decode_png(bytes, {kMaxPixels, true});
      colour = png.colour;
      alpha = png.alpha;
    } catch (const Error& e) {
      throw Error("cannot decode image " + quoted(path) + " (PNG): " + e.what());
    }
  } else if (is_jpeg(bytes)) {
    if (!jpeg_is_complete(bytes))
      throw Error("cannot decode image " + quoted(path) +
                  ": truncated JPEG (no end-of-image marker); the missing part would be invented");
    try {
      colour = decode_jpeg(bytes, kMaxPixels);
    } catch (const Error& e) {
      throw Error("cannot decode image " + quoted(path) + " (JPEG): " + e.what());
    }
  } else {
    throw Error("cannot decode image " + quoted(path) + ": not a PNG or JPEG file");
  }
  colour = colour.unsqueeze(0);
  if (mode == ColourMode::Grey) colour = to_grey(colour);
  else if (mode == ColourMode::Rgb) colour = with_channels(colour, 3);  // auto: as the file is

  LoadedImage out;
  out.image = colour.contiguous();
  out.has_alpha = alpha.defined();
  out.mask = out.has_alpha ? (1.0 - alpha.unsqueeze(0)).contiguous()
                           : at::zeros({1, 1, out.image.size(2), out.image.size(3)}, at::kFloat);
  return out;
}

std::string read_embedded_graph(const std::filesystem::path& png) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(png, ec))
    throw Error("cannot read image " + quoted(png) + ": not a regular file");
  const std::string bytes = read_bounded(png);
  try {
    const auto text = ng::io::decode_png(bytes, {kMaxPixels, false}).text;
    const auto it = text.find(kGraphTextKey);
    return it == text.end() ? std::string() : it->second;
  } catch (const Error& e) {
    throw Error("cannot read image " + quoted(png) + ": " + e.what());
  }
}

}  // namespace ng::image
