// PNG on libpng. libpng reports errors with longjmp, which skips C++ destructors; so each
// function that calls setjmp (the *_frame functions) holds only plain data and pointers,
// and every C++ object (buffers, strings, tensors) lives in a caller's frame, which the
// jump never leaves.
#include "noisegraph/io/png.hpp"

#include <ATen/ATen.h>
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "noisegraph/error.hpp"

namespace ng::io {
namespace {

struct Session {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const unsigned char* data = nullptr;  // reading: the file's bytes
  std::size_t size = 0, pos = 0;
  std::string* out = nullptr;  // writing: where the bytes go
  char message[256] = {};
};

void set_message(Session* s, const char* text) { std::snprintf(s->message, sizeof s->message, "%s", text); }

void on_error(png_structp png, png_const_charp text) {
  auto* s = static_cast<Session*>(png_get_error_ptr(png));
  if (!s->message[0] && s->out) {
    set_message(s, text);
  } else if (!s->message[0]) {
    // libpng's chunk errors read "IDAT: CRC error"; say what that means.
    const std::size_t n = std::strlen(text);
    if (n > 11 && std::strcmp(text + n - 11, ": CRC error") == 0)
      std::snprintf(s->message, sizeof s->message, "chunk %.*s has a bad CRC (corrupt file)", int(n - 11), text);
    else
      std::snprintf(s->message, sizeof s->message, "corrupt PNG (%s)", text);
  }
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // harmless oddities: decode anyway

void read_callback(png_structp png, png_bytep out, png_size_t n) {
  auto* s = static_cast<Session*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) {
    set_message(s, "truncated file (it ends before the image is complete)");
    png_longjmp(png, 1);
  }
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

void write_callback(png_structp png, png_bytep data, png_size_t n) {
  auto* s = static_cast<Session*>(png_get_io_ptr(png));
  bool ok = true;
  try {
    s->out->append(reinterpret_cast<const char*>(data), n);
  } catch (...) {  // no exception may unwind through libpng's C frames
    ok = false;
  }
  if (!ok) {
    set_message(s, "out of memory while encoding a PNG");
    png_longjmp(png, 1);
  }
}

void flush_callback(png_structp) {}

// Owns the libpng structures; destroyed in the caller's frame, after any jump.
struct ReadGuard {
  Session s;
  ~ReadGuard() { png_destroy_read_struct(&s.png, &s.info, nullptr); }
};
struct WriteGuard {
  Session s;
  ~WriteGuard() { png_destroy_write_struct(&s.png, &s.info); }
};

int read_header_frame(Session* s, PngHeader* h) {
  if (setjmp(png_jmpbuf(s->png))) return 1;
  png_read_info(s->png, s->info);
  png_uint_32 w = 0, ht = 0;
  int depth = 0, colour = 0, interlace = 0;
  png_get_IHDR(s->png, s->info, &w, &ht, &depth, &colour, &interlace, nullptr, nullptr);
  h->width = w;
  h->height = ht;
  h->bit_depth = depth;
  h->colour_type = colour;
  h->interlaced = interlace == PNG_INTERLACE_ADAM7;
  return 0;
}

// Reads every row into `rows` (or, when rows is null, through the one `scratch` row, to
// inflate and check the data without keeping it), then the chunks after the image data.
int read_body_frame(Session* s, png_bytepp rows, png_bytep scratch, png_uint_32 height, std::size_t row_bytes) {
  if (setjmp(png_jmpbuf(s->png))) return 1;
  png_set_packing(s->png);  // 1, 2 and 4-bit samples one per byte, not scaled
  const int passes = png_set_interlace_handling(s->png);
  png_read_update_info(s->png, s->info);
  if (png_get_rowbytes(s->png, s->info) != row_bytes) {
    set_message(s, "unexpected row size (internal error)");
    return 1;
  }
  for (int pass = 0; pass < passes; ++pass)
    for (png_uint_32 y = 0; y < height; ++y) png_read_row(s->png, rows ? rows[y] : scratch, nullptr);
  png_read_end(s->png, s->info);
  return 0;
}

std::string latin1_to_utf8(const char* text, std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::map<std::string, std::string> text_chunks(const Session& s) {
  std::map<std::string, std::string> out;
  png_textp text = nullptr;
  const int n = png_get_text(s.png, s.info, &text, nullptr);
  for (int i = 0; i < n; ++i) {
    const png_text& t = text[i];
    const bool utf8 = t.compression == PNG_ITXT_COMPRESSION_NONE || t.compression == PNG_ITXT_COMPRESSION_zTXt;
    const std::size_t len = utf8 ? t.itxt_length : t.text_length;
    const std::string key = latin1_to_utf8(t.key, std::strlen(t.key));
    out[key] = utf8 ? std::string(t.text ? t.text : "", t.text ? len : 0) : latin1_to_utf8(t.text ? t.text : "", len);
  }
  return out;
}

// Converts the unpacked samples to float planes: colour [C,H,W] and alpha [1,H,W].
void convert_pixels(const Session& s, const PngHeader& h, const std::vector<unsigned char>& raw,
                    std::size_t row_bytes, PngImage& img) {
  const int colour = h.colour_type, depth = h.bit_depth;
  const int samples = colour == 2 ? 3 : colour == 4 ? 2 : colour == 6 ? 4 : 1;
  const int64_t H = h.height, W = h.width, plane = H * W;
  const uint32_t max_value = (1u << depth) - 1;

  png_colorp palette = nullptr;
  int entries = 0;
  if (colour == PNG_COLOR_TYPE_PALETTE && !png_get_PLTE(s.png, s.info, &palette, &entries))
    throw Error("palette image without a PLTE chunk");
  png_bytep trans_alpha = nullptr;
  int num_trans = 0;
  png_color_16p trans_key = nullptr;
  const bool trns = png_get_tRNS(s.png, s.info, &trans_alpha, &num_trans, &trans_key) != 0 &&
                    (colour == 0 || colour == 2 || colour == 3);

  bool grey = colour == 0 || colour == 4;
  if (colour == 3) {
    grey = true;
    for (int i = 0; i < entries; ++i)
      if (palette[i].red != palette[i].green || palette[i].red != palette[i].blue) grey = false;
  }
  const bool has_alpha = colour == 4 || colour == 6 || trns;
  const int64_t C = grey ? 1 : 3;
  img.colour = at::empty({C, H, W}, at::kFloat);
  if (has_alpha) img.alpha = at::empty({1, H, W}, at::kFloat);
  float* out = img.colour.data_ptr<float>();
  float* aout = has_alpha ? img.alpha.data_ptr<float>() : nullptr;

  // value -> float for every level of this depth (k/255, k/65535, ...: one division each)
  std::vector<float> level(std::size_t(max_value) + 1);
  for (uint32_t k = 0; k <= max_value; ++k) level[k] = float(double(k) / double(max_value));
  const uint32_t key[3] = {trans_key ? (colour == 0 ? trans_key->gray : trans_key->red) & max_value : 0,
                           trans_key ? trans_key->green & max_value : 0u, trans_key ? trans_key->blue & max_value : 0u};

  for (int64_t y = 0; y < H; ++y) {
    const unsigned char* row = raw.data() + std::size_t(y) * row_bytes;
    auto sample = [&](int64_t x, int c) -> uint32_t {
      const std::size_t i = std::size_t(x) * samples + c;
      return depth == 16 ? (uint32_t(row[2 * i]) << 8) | row[2 * i + 1] : row[i];
    };
    for (int64_t x = 0; x < W; ++x) {
      const int64_t i = y * W + x;
      float a = 1.0f;
      if (colour == 3) {
        const uint32_t k = sample(x, 0);
        if (k >= uint32_t(entries))
          throw Error("pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") uses palette index " +
                      std::to_string(k) + ", but the palette has " + std::to_string(entries) + " entries");
        const png_color& p = palette[k];
        out[i] = float(p.red / 255.0);
        if (!grey) {
          out[plane + i] = float(p.green / 255.0);
          out[2 * plane + i] = float(p.blue / 255.0);
        }
        if (trns && int(k) < num_trans) a = float(trans_alpha[k] / 255.0);
      } else if (grey) {
        const uint32_t v = sample(x, 0);
        out[i] = level[v];
        if (colour == 4) a = level[sample(x, 1)];
        else if (trns && v == key[0]) a = 0.0f;
      } else {
        uint32_t v[3];
        for (int c = 0; c < 3; ++c) out[c * plane + i] = level[v[c] = sample(x, c)];
        if (colour == 6) a = level[sample(x, 3)];
        else if (trns && v[0] == key[0] && v[1] == key[1] && v[2] == key[2]) a = 0.0f;
      }
      if (aout) aout[i] = a;
    }
  }
}

// libpng checks a chunk's CRC only after inflating its data, so damage inside IDAT
// shows as a zlib error first. Checking every complete chunk up front names the real
// problem; a file that ends early is left to libpng ("truncated").
void check_crcs(std::string_view bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t pos = 8; pos + 12 <= bytes.size();) {
    const std::size_t len = (std::size_t(d[pos]) << 24) | (d[pos + 1] << 16) | (d[pos + 2] << 8) | d[pos + 3];
    if (len > bytes.size() - pos - 12) return;
    const unsigned char* c = d + pos + 8 + len;
    const uint32_t stored = (uint32_t(c[0]) << 24) | (c[1] << 16) | (c[2] << 8) | c[3];
    if (uint32_t(crc32(0, d + pos + 4, uInt(len + 4))) != stored)
      throw Error("chunk " + std::string(bytes.substr(pos + 4, 4)) + " has a bad CRC (corrupt file)");
    if (std::memcmp(d + pos + 4, "IEND", 4) == 0) return;
    pos += len + 12;
  }
}

}  // namespace

bool is_png(std::string_view bytes) {
  static const unsigned char kSignature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

PngImage decode_png(std::string_view bytes, const PngReadOptions& options) {
  if (!is_png(bytes)) throw Error(bytes.size() < 8 ? "not a PNG file (too short)" : "not a PNG file (no PNG signature)");
  check_crcs(bytes);
  ReadGuard g;
  Session& s = g.s;
  s.data = reinterpret_cast<const unsigned char*>(bytes.data());
  s.size = bytes.size();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
  if (s.png) s.info = png_create_info_struct(s.png);
  if (!s.png || !s.info) throw Error("cannot start libpng (out of memory)");
  png_set_read_fn(s.png, &s, read_callback);
  png_set_crc_action(s.png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);  // a bad CRC is damage
  png_set_user_limits(s.png, 0x7fffffff, 0x7fffffff);                  // max_pixels decides

  PngImage img;
  PngHeader& h = img.header;
  if (read_header_frame(&s, &h)) throw Error(s.message);
  if ((long double)h.width * h.height > (long double)options.max_pixels)
    throw Error("image is " + std::to_string(h.width) + " x " + std::to_string(h.height) + " = " +
                std::to_string(int64_t((long double)h.width * h.height / 1e6L)) + " megapixels; at most " +
                std::to_string(options.max_pixels / 1000000) + " megapixels are accepted");

  const int samples = h.colour_type == 2 ? 3 : h.colour_type == 4 ? 2 : h.colour_type == 6 ? 4 : 1;
  const std::size_t row_bytes = std::size_t(h.width) * samples * (h.bit_depth == 16 ? 2 : 1);
  std::vector<unsigned char> raw, scratch;
  std::vector<png_bytep> rows;
  if (options.pixels) {
    raw.resize(row_bytes * h.height);
    rows.resize(h.height);
    for (uint32_t y = 0; y < h.height; ++y) rows[y] = raw.data() + std::size_t(y) * row_bytes;
  } else {
    scratch.resize(row_bytes);
  }
  if (read_body_frame(&s, options.pixels ? rows.data() : nullptr, scratch.data(), h.height, row_bytes))
    throw Error(s.message);
  if (options.pixels) convert_pixels(s, h, raw, row_bytes, img);
  img.text = text_chunks(s);
  return img;
}

PngImage read_png(const std::filesystem::path& path, const PngReadOptions& options) {
  constexpr uintmax_t kMaxFileBytes = uintmax_t(2) << 30;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path.string() + ": " + (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path.string() + ": " + ec.message());
  if (size > kMaxFileBytes) throw Error(path.string() + ": larger than 2 GB, not read");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in || !in.read(bytes.data(), std::streamsize(size))) throw Error(path.string() + ": cannot read the file");
  try {
    return decode_png(bytes, options);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

namespace {

int write_frame(Session* s, const PngHeader* h, png_bytepp rows, png_textp text, int num_text) {
  if (setjmp(png_jmpbuf(s->png))) return 1;
  png_set_write_fn(s->png, s, write_callback, flush_callback);
  png_set_IHDR(s->png, s->info, h->width, h->height, 8, h->colour_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(s->png, 6);
  if (num_text > 0) png_set_text(s->png, s->info, text, num_text);
  png_write_info(s->png, s->info);
  png_write_image(s->png, rows);
  png_write_end(s->png, nullptr);
  return 0;
}

void check_key(const std::string& key) {
  bool ok = !key.empty() && key.size() <= 79 && key.front() != ' ' && key.back() != ' ' &&
            key.find("  ") == std::string::npos;
  for (char c : key) ok = ok && c >= 0x20 && c <= 0x7e;
  if (!ok)
    throw Error("PNG text key '" + key + "' is not 1 to 79 printable ASCII characters without leading, trailing "
                "or double spaces");
}

}  // namespace

std::string encode_png(const at::Tensor& image, const std::map<std::string, std::string>& text) {
  at::Tensor t = image;
  if (t.defined() && t.dim() == 4 && t.size(0) == 1) t = t[0];
  if (!t.defined() || t.dim() != 3 || t.size(0) < 1 || t.size(0) > 4 || !t.is_floating_point())
    throw Error("encode_png: expected a float image [C,H,W] with C = 1 to 4");
  const int64_t C = t.size(0), H = t.size(1), W = t.size(2);
  if (H < 1 || W < 1 || H > 0x7fffffff || W > 0x7fffffff)
    throw Error("encode_png: cannot store a " + std::to_string(W) + " x " + std::to_string(H) + " image");
  const at::Tensor bytes = at::nan_to_num(t.detach().to(at::kCPU, at::kFloat), 0.0, 1.0, 0.0)
                               .clamp(0.0, 1.0)
                               .mul(255.0)
                               .round()
                               .to(at::kByte)
                               .permute({1, 2, 0})
                               .contiguous();
  std::vector<png_bytep> rows(std::size_t(H), nullptr);
  for (int64_t y = 0; y < H; ++y) rows[std::size_t(y)] = bytes.data_ptr<uint8_t>() + y * W * C;

  // Qt's choice: printable ASCII (and newlines) as tEXt, anything else as UTF-8 iTXt;
  // compressed from 40 bytes on.
  std::vector<png_text> chunks;
  for (const auto& [key, value] : text) {
    check_key(key);
    bool plain = true;
    for (char c : value) plain = plain && ((c >= 0x20 && c <= 0x7e) || c == '\n');
    const bool compress = value.size() >= 40;
    png_text pt{};
    pt.key = const_cast<char*>(key.c_str());
    pt.text = const_cast<char*>(value.c_str());
    if (plain) {
      pt.compression = compress ? PNG_TEXT_COMPRESSION_zTXt : PNG_TEXT_COMPRESSION_NONE;
      pt.text_length = value.size();
    } else {
      pt.compression = compress ? PNG_ITXT_COMPRESSION_zTXt : PNG_ITXT_COMPRESSION_NONE;
      pt.itxt_length = value.size();
      pt.lang = const_cast<char*>("");
      pt.lang_key = const_cast<char*>("");
    }
    chunks.push_back(pt);
  }

  PngHeader h;
  h.width = uint32_t(W);
  h.height = uint32_t(H);
  h.colour_type = C == 1 ? PNG_COLOR_TYPE_GRAY : C == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA : C == 3 ? PNG_COLOR_TYPE_RGB
                                                                                             : PNG_COLOR_TYPE_RGBA;
  std::string out;
  WriteGuard g;
  Session& s = g.s;
  s.out = &out;
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
  if (s.png) s.info = png_create_info_struct(s.png);
  if (!s.png || !s.info) throw Error("cannot start libpng (out of memory)");
  if (write_frame(&s, &h, rows.data(), chunks.data(), int(chunks.size())))
    throw Error(std::string("cannot encode a PNG: ") + s.message);
  return out;
}

}  // namespace ng::io
