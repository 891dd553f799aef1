#include "png_decode.hpp"

#include <ATen/ATen.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "noisegraph/error.hpp"

namespace ng::image {

namespace {

uint32_t be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// Channels per pixel of a colour type (palette: one index).
int samples_of(int colour_type) {
  switch (colour_type) {
    case 0: return 1;
    case 2: return 3;
    case 3: return 1;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
  }
}

bool depth_allowed(int colour_type, int depth) {
  switch (colour_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return false;
  }
}

// Inflates `z` into exactly `expected` bytes; anything shorter is a truncated file.
std::vector<unsigned char> inflate_exact(const std::string& z, std::size_t expected) {
  std::vector<unsigned char> out(expected);
  z_stream s{};
  if (inflateInit(&s) != Z_OK) throw Error("cannot start zlib");
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  s.avail_in = uInt(z.size());
  s.next_out = out.data();
  s.avail_out = uInt(expected);
  // Image data of up to a few GB does not fit one uInt: feed in steps.
  std::size_t in_left = z.size(), out_done = 0;
  int rc = Z_OK;
  while (true) {
    const uInt in_step = uInt(std::min<std::size_t>(in_left, 1u << 30));
    const uInt out_step = uInt(std::min<std::size_t>(expected - out_done, 1u << 30));
    s.avail_in = in_step;
    s.avail_out = out_step;
    rc = inflate(&s, Z_NO_FLUSH);
    in_left -= in_step - s.avail_in;
    out_done += out_step - s.avail_out;
    if (rc == Z_STREAM_END || rc != Z_OK) break;
    if (out_done == expected) {
      // All the pixels are there; the stream must end now (no hidden excess data).
      unsigned char extra;
      s.next_out = &extra;
      s.avail_out = 1;
      s.avail_in = uInt(std::min<std::size_t>(in_left, 1u << 30));
      rc = inflate(&s, Z_NO_FLUSH);
      if (rc == Z_OK && s.avail_out == 0) rc = Z_DATA_ERROR;
      break;
    }
    if (in_left == 0 && s.avail_in == 0) break;
  }
  inflateEnd(&s);
  if (rc == Z_DATA_ERROR) throw Error("corrupt or excess compressed image data");
  if (out_done < expected)
    throw Error("truncated image data (" + std::to_string(out_done) + " of " + std::to_string(expected) +
                " bytes)");
  if (rc != Z_STREAM_END && rc != Z_BUF_ERROR) throw Error("corrupt compressed image data");
  return out;
}

}  // namespace

bool is_png(const std::string& bytes) {
  static const unsigned char kSig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSig, 8) == 0;
}

bool decode_png(const std::string& bytes, DecodedPng& result) {
  if (!is_png(bytes)) throw Error("not a PNG file");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  uint32_t width = 0, height = 0;
  int depth = 0, colour = -1, interlace = 0;
  std::string idat, palette, trns;
  bool ended = false, seen_ihdr = false;
  for (std::size_t pos = 8; !ended;) {
    if (pos + 12 > bytes.size()) throw Error("truncated file (no IEND chunk)");
    const uint32_t len = be32(data + pos);
    if (len > bytes.size() - pos - 12) throw Error("truncated file (a chunk runs past the end)");
    const std::string type(bytes, pos + 4, 4);
    const unsigned char* body = data + pos + 8;
    if (uint32_t(crc32(crc32(0, data + pos + 4, 4), body, len)) != be32(body + len))
      throw Error("chunk " + type + " has a bad CRC (corrupt file)");
    if (!seen_ihdr && type != "IHDR") throw Error("the first chunk is not IHDR");
    if (type == "IHDR") {
      if (len != 13 || seen_ihdr) throw Error("bad IHDR chunk");
      seen_ihdr = true;
      width = be32(body);
      height = be32(body + 4);
      depth = body[8];
      colour = body[9];
      interlace = body[12];
      if (body[10] != 0 || body[11] != 0 || interlace > 1) throw Error("unknown compression, filter or interlace method");
      if (!depth_allowed(colour, depth))
        throw Error("colour type " + std::to_string(colour) + " with bit depth " + std::to_string(depth) +
                    " is not a valid PNG combination");
      if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) throw Error("bad image size");
      const long double pixels = (long double)width * height;
      if (pixels > (long double)kMaxPixels)
        throw Error("image is " + std::to_string(width) + " x " + std::to_string(height) + " = " +
                    std::to_string(int64_t(pixels / 1e6L)) + " megapixels; image.load accepts at most " +
                    std::to_string(kMaxPixels / 1000000) + " megapixels");
    } else if (type == "PLTE") {
      if (len % 3 != 0 || len == 0 || len > 768) throw Error("bad PLTE chunk");
      palette.assign(reinterpret_cast<const char*>(body), len);
    } else if (type == "tRNS") {
      trns.assign(reinterpret_cast<const char*>(body), len);
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(body), len);
    } else if (type == "IEND") {
      ended = true;
    }
    pos += std::size_t(len) + 12;
  }
  if (interlace == 1) return false;  // Adam7: Qt decodes it
  if (colour == 3 && palette.empty()) throw Error("palette image without a PLTE chunk");
  if (idat.empty()) throw Error("no image data (IDAT)");

  const int samples = samples_of(colour);
  const std::size_t bits_per_pixel = std::size_t(samples) * std::size_t(depth);
  const std::size_t row_bytes = (std::size_t(width) * bits_per_pixel + 7) / 8;
  const std::size_t bpp = std::max<std::size_t>(1, bits_per_pixel / 8);
  std::vector<unsigned char> raw = inflate_exact(idat, std::size_t(height) * (row_bytes + 1));

  // Undo the per-row filters in place; row y's bytes start at y * (row_bytes + 1) + 1.
  std::vector<unsigned char> prev(row_bytes, 0);
  for (uint32_t y = 0; y < height; ++y) {
    unsigned char* row = raw.data() + std::size_t(y) * (row_bytes + 1);
    const int filter = row[0];
    unsigned char* cur = row + 1;
    for (std::size_t i = 0; i < row_bytes; ++i) {
      const int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      switch (filter) {
        case 0: break;
        case 1: cur[i] = uint8_t(cur[i] + a); break;
        case 2: cur[i] = uint8_t(cur[i] + b); break;
        case 3: cur[i] = uint8_t(cur[i] + ((a + b) >> 1)); break;
        case 4: cur[i] = uint8_t(cur[i] + paeth(a, b, c)); break;
        default: throw Error("row " + std::to_string(y) + " has an unknown filter type " + std::to_string(filter));
      }
    }
    std::memcpy(prev.data(), cur, row_bytes);
  }

  // Sample (channel `s` of pixel x in row y) as an integer of `depth` bits.
  auto sample = [&](uint32_t y, uint32_t x, int s) -> uint32_t {
    const unsigned char* row = raw.data() + std::size_t(y) * (row_bytes + 1) + 1;
    if (depth == 8) return row[std::size_t(x) * samples + s];
    if (depth == 16) {
      const unsigned char* p = row + (std::size_t(x) * samples + s) * 2;
      return (uint32_t(p[0]) << 8) | p[1];
    }
    const std::size_t bit = std::size_t(x) * depth;  // samples == 1 for depths below 8
    return (row[bit / 8] >> (8 - depth - bit % 8)) & ((1u << depth) - 1);
  };

  const int64_t H = height, W = width;
  const double max_value = double((1u << depth) - 1);
  const std::size_t entries = palette.size() / 3;
  bool grey_file = colour == 0 || colour == 4;
  if (colour == 3) {
    grey_file = true;
    for (std::size_t i = 0; i < entries; ++i)
      if (palette[3 * i] != palette[3 * i + 1] || palette[3 * i] != palette[3 * i + 2]) grey_file = false;
  }
  const bool has_alpha = colour == 4 || colour == 6 || !trns.empty();
  if (!trns.empty()) {
    if (colour == 0 && trns.size() != 2) throw Error("bad tRNS chunk for a grey image");
    if (colour == 2 && trns.size() != 6) throw Error("bad tRNS chunk for an RGB image");
    if (colour == 3 && trns.size() > entries) throw Error("tRNS has more entries than the palette");
    if (colour == 4 || colour == 6) throw Error("tRNS is not allowed in images with an alpha channel");
  }
  const int C = grey_file ? 1 : 3;
  at::Tensor colour_t = at::empty({1, C, H, W}, at::kFloat);
  at::Tensor alpha_t = has_alpha ? at::empty({1, 1, H, W}, at::kFloat) : at::Tensor();
  float* out = colour_t.data_ptr<float>();
  float* aout = has_alpha ? alpha_t.data_ptr<float>() : nullptr;
  const int64_t plane = H * W;
  const auto* pal = reinterpret_cast<const unsigned char*>(palette.data());
  const auto* tr = reinterpret_cast<const unsigned char*>(trns.data());
  const uint32_t key0 = trns.size() >= 2 ? (uint32_t(tr[0]) << 8 | tr[1]) : 0;
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      const int64_t i = int64_t(y) * W + x;
      float a = 1.0f;
      switch (colour) {
        case 0: {
          const uint32_t v = sample(y, x, 0);
          out[i] = float(v / max_value);
          if (!trns.empty()) a = v == (key0 & ((1u << depth) - 1)) ? 0.0f : 1.0f;
          break;
        }
        case 4:
          out[i] = float(sample(y, x, 0) / max_value);
          a = float(sample(y, x, 1) / max_value);
          break;
        case 2: case 6: {
          uint32_t v[3];
          for (int s = 0; s < 3; ++s) {
            v[s] = sample(y, x, s);
            out[s * plane + i] = float(v[s] / max_value);
          }
          if (colour == 6) a = float(sample(y, x, 3) / max_value);
          else if (!trns.empty()) {
            bool match = true;
            for (int s = 0; s < 3; ++s) match &= v[s] == ((uint32_t(tr[2 * s]) << 8 | tr[2 * s + 1]) & ((1u << depth) - 1));
            a = match ? 0.0f : 1.0f;
          }
          break;
        }
        case 3: {
          const uint32_t k = sample(y, x, 0);
          if (k >= entries)
            throw Error("pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") uses palette index " +
                        std::to_string(k) + ", but the palette has " + std::to_string(entries) + " entries");
          for (int s = 0; s < C; ++s) out[s * plane + i] = float(pal[3 * k + s] / 255.0);
          if (k < trns.size()) a = float(tr[k] / 255.0);
          break;
        }
      }
      if (aout) aout[i] = a;
    }
  }
  result.colour = colour_t;
  result.alpha = alpha_t;
  result.grey = grey_file;
  return true;
}

}  // namespace ng::image
