// A small PNG reader (ISO/IEC 15948) for training data: 8- and 16-bit grey, grey+alpha,
// RGB, RGBA and 8-bit palette images, non-interlaced, converted to 8-bit grey. The SDK
// has no Qt, so it cannot use QImage; zlib does the inflating and the CRC checks.
#include "png_read.hpp"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "noisegraph/error.hpp"

namespace ng::train::detail {

namespace {

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

uint8_t luminance(int r, int g, int b) {  // ITU-R BT.601 weights, as image.to_grayscale
  return uint8_t(std::lround(0.299 * r + 0.587 * g + 0.114 * b));
}

}  // namespace

GrayImage read_png_gray(const std::filesystem::path& path) {
  auto fail = [&](const std::string& why) { return Error(path.string() + ": " + why); };
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot open the file");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  static const unsigned char kSignature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  if (bytes.size() < 8 || std::memcmp(data, kSignature, 8) != 0) throw fail("not a PNG file");

  uint32_t width = 0, height = 0;
  int depth = 0, color = -1;
  std::string idat, palette;
  bool ended = false;
  for (size_t pos = 8; !ended;) {
    if (pos + 12 > bytes.size()) throw fail("truncated (no IEND chunk)");
    const uint32_t len = be32(data + pos);
    if (len > bytes.size() - pos - 12) throw fail("truncated chunk");
    const std::string type(bytes, pos + 4, 4);
    const unsigned char* body = data + pos + 8;
    if (uint32_t(crc32(crc32(0, data + pos + 4, 4), body, len)) != be32(body + len))
      throw fail("chunk " + type + " has a bad CRC (corrupt file)");
    if (type == "IHDR") {
      if (len != 13) throw fail("bad IHDR chunk");
      width = be32(body);
      height = be32(body + 4);
      depth = body[8];
      color = body[9];
      if (body[10] != 0 || body[11] != 0) throw fail("unknown compression or filter method");
      if (body[12] != 0) throw fail("interlaced PNGs are not supported; save it without interlacing");
    } else if (type == "PLTE") {
      palette.assign(reinterpret_cast<const char*>(body), len);
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(body), len);
    } else if (type == "IEND") {
      ended = true;
    }
    pos += 12 + size_t(len);
  }
  if (width == 0 || height == 0) throw fail("missing or empty IHDR chunk");
  if (width > 4096 || height > 4096) throw fail("larger than 4096x4096");
  int channels = 0;
  switch (color) {
    case 0: channels = 1; break;  // grey
    case 2: channels = 3; break;  // RGB
    case 3: channels = 1; break;  // palette
    case 4: channels = 2; break;  // grey + alpha
    case 6: channels = 4; break;  // RGBA
    default: throw fail("unknown colour type " + std::to_string(color));
  }
  if (!(depth == 8 || (depth == 16 && color != 3)))
    throw fail("bit depth " + std::to_string(depth) + " is not supported (8 or 16 bits per sample)");
  if (color == 3 && palette.empty()) throw fail("palette image without a PLTE chunk");

  const size_t bpp = size_t(channels) * size_t(depth / 8);  // bytes per pixel
  const size_t stride = size_t(width) * bpp;
  std::vector<unsigned char> raw(size_t(height) * (stride + 1));
  uLongf raw_len = uLongf(raw.size());
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), uLong(idat.size())) != Z_OK ||
      raw_len != raw.size())
    throw fail("image data does not inflate to " + std::to_string(width) + "x" + std::to_string(height) + " pixels");

  // Undo the per-row filters in place (sec. 9.2); `prev` is the row above, 0 for row 0.
  std::vector<unsigned char> zero(stride, 0);
  for (size_t y = 0; y < height; ++y) {
    unsigned char* row = raw.data() + y * (stride + 1);
    const int filter = row[0];
    unsigned char* cur = row + 1;
    const unsigned char* prev = y ? raw.data() + (y - 1) * (stride + 1) + 1 : zero.data();
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      switch (filter) {
        case 0: break;
        case 1: cur[i] = uint8_t(cur[i] + a); break;
        case 2: cur[i] = uint8_t(cur[i] + b); break;
        case 3: cur[i] = uint8_t(cur[i] + (a + b) / 2); break;
        case 4: cur[i] = uint8_t(cur[i] + paeth(a, b, c)); break;
        default: throw fail("row " + std::to_string(y) + " has unknown filter type " + std::to_string(filter));
      }
    }
  }

  GrayImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(size_t(width) * height);
  const size_t step = size_t(depth / 8);  // 16-bit samples: the high byte comes first
  for (size_t y = 0; y < height; ++y) {
    const unsigned char* row = raw.data() + y * (stride + 1) + 1;
    for (size_t x = 0; x < width; ++x) {
      const unsigned char* p = row + x * bpp;
      uint8_t v = 0;
      if (color == 3) {
        const size_t k = size_t(p[0]) * 3;
        if (k + 2 >= palette.size()) throw fail("palette index " + std::to_string(p[0]) + " out of range");
        v = luminance(uint8_t(palette[k]), uint8_t(palette[k + 1]), uint8_t(palette[k + 2]));
      } else if (color == 2 || color == 6) {
        v = luminance(p[0], p[step], p[2 * step]);
      } else {
        v = p[0];  // grey (alpha, if any, is ignored)
      }
      out.pixels[y * width + x] = v;
    }
  }
  return out;
}

}  // namespace ng::train::detail
