// libjpeg reports errors by longjmp, which skips C++ destructors; the functions that call
// setjmp (*_frame) therefore hold only plain data, and buffers and tensors live in
// decode_jpeg's frame, which the jump never leaves.
#include "jpeg_decode.hpp"

#include <ATen/ATen.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "noisegraph/error.hpp"

namespace ng::image {
namespace {

struct Session {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  std::jmp_buf jump{};
  bool created = false;
  char message[JMSG_LENGTH_MAX + 64] = {};
};

void on_error(j_common_ptr c) {
  auto* s = reinterpret_cast<Session*>(c->client_data);
  char text[JMSG_LENGTH_MAX] = {};
  c->err->format_message(c, text);
  std::snprintf(s->message, sizeof s->message, "corrupt JPEG (%s)", text);
  std::longjmp(s->jump, 1);
}

// Warnings are ignored, except running out of data: libjpeg would fill the rest of the
// picture with grey, inventing pixels.
void on_message(j_common_ptr c, int level) {
  if (level >= 0 || c->err->msg_code != JWRN_JPEG_EOF) return;
  auto* s = reinterpret_cast<Session*>(c->client_data);
  std::snprintf(s->message, sizeof s->message, "truncated JPEG (the data ends early)");
  std::longjmp(s->jump, 1);
}

int header_frame(Session* s, const unsigned char* data, unsigned long size) {
  if (setjmp(s->jump)) return 1;
  jpeg_create_decompress(&s->cinfo);
  s->created = true;
  jpeg_mem_src(&s->cinfo, data, size);
  jpeg_save_markers(&s->cinfo, JPEG_APP0 + 1, 0xFFFF);  // EXIF
  jpeg_read_header(&s->cinfo, TRUE);
  const J_COLOR_SPACE in = s->cinfo.jpeg_color_space;
  s->cinfo.out_color_space = in == JCS_GRAYSCALE ? JCS_GRAYSCALE : (in == JCS_CMYK || in == JCS_YCCK) ? JCS_CMYK : JCS_RGB;
  return 0;
}

int pixels_frame(Session* s, unsigned char* out, std::size_t row_bytes) {
  if (setjmp(s->jump)) return 1;
  jpeg_start_decompress(&s->cinfo);
  if (std::size_t(s->cinfo.output_width) * std::size_t(s->cinfo.output_components) != row_bytes) {
    std::snprintf(s->message, sizeof s->message, "unexpected JPEG row size");
    return 1;
  }
  while (s->cinfo.output_scanline < s->cinfo.output_height) {
    JSAMPROW row = out + std::size_t(s->cinfo.output_scanline) * row_bytes;
    jpeg_read_scanlines(&s->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&s->cinfo);
  return 0;
}

uint32_t read_u(const unsigned char* p, int n, bool little) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint32_t(p[i]) << (8 * (little ? i : n - 1 - i));
  return v;
}

// The EXIF orientation tag (0x0112 in IFD0): 1..8, or 1 when absent or unreadable.
int exif_orientation(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    const unsigned char* t = m->data + 6;  // the TIFF header
    const std::size_t n = m->data_length - 6;
    const bool little = t[0] == 'I' && t[1] == 'I';
    if (!little && !(t[0] == 'M' && t[1] == 'M')) return 1;
    const uint32_t ifd = read_u(t + 4, 4, little);
    if (ifd > n || n - ifd < 2) return 1;
    const uint32_t count = read_u(t + ifd, 2, little);
    for (uint32_t i = 0; i < count; ++i) {
      const std::size_t e = ifd + 2 + std::size_t(i) * 12;
      if (e + 12 > n) return 1;
      if (read_u(t + e, 2, little) == 0x0112 && read_u(t + e + 2, 2, little) == 3) {
        const uint32_t v = read_u(t + e + 8, 2, little);
        return v >= 1 && v <= 8 ? int(v) : 1;
      }
    }
  }
  return 1;
}

// [C,H,W] turned upright for EXIF orientation `o` (the TIFF 6.0 meaning of each value).
at::Tensor upright(const at::Tensor& x, int o) {
  switch (o) {
    case 2: return x.flip({2});                        // mirrored
    case 3: return x.flip({1, 2});                     // rotated 180
    case 4: return x.flip({1});                        // flipped
    case 5: return x.transpose(1, 2);                  // transposed
    case 6: return x.transpose(1, 2).flip({2});        // rotated 90 clockwise to view
    case 7: return x.transpose(1, 2).flip({1, 2});     // transversed
    case 8: return x.transpose(1, 2).flip({1});        // rotated 90 anticlockwise to view
    default: return x;
  }
}

struct Guard {
  Session s;
  ~Guard() {
    if (s.created) jpeg_destroy_decompress(&s.cinfo);
  }
};

}  // namespace

bool is_jpeg(std::string_view b) {
  return b.size() >= 3 && uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xD8 && uint8_t(b[2]) == 0xFF;
}

at::Tensor decode_jpeg(std::string_view bytes, int64_t max_pixels) {
  if (!is_jpeg(bytes)) throw Error("not a JPEG file");
  Guard g;
  Session& s = g.s;
  s.cinfo.err = jpeg_std_error(&s.err);
  s.err.error_exit = on_error;
  s.err.emit_message = on_message;
  s.cinfo.client_data = &s;
  if (header_frame(&s, reinterpret_cast<const unsigned char*>(bytes.data()), (unsigned long)bytes.size()))
    throw Error(s.message);
  const int orientation = exif_orientation(s.cinfo);  // the saved markers are freed by finish
  const int64_t h = s.cinfo.image_height, w = s.cinfo.image_width;
  if ((long double)h * w > (long double)max_pixels)
    throw Error("image is " + std::to_string(w) + " x " + std::to_string(h) + "; at most " +
                std::to_string(max_pixels / 1000000) + " megapixels are accepted");
  const bool cmyk = s.cinfo.out_color_space == JCS_CMYK;
  const int64_t k = s.cinfo.out_color_space == JCS_GRAYSCALE ? 1 : cmyk ? 4 : 3;
  at::Tensor hwk = at::empty({h, w, k}, at::kByte);
  if (pixels_frame(&s, hwk.data_ptr<uint8_t>(), std::size_t(w * k))) throw Error(s.message);
  at::Tensor chw = hwk.permute({2, 0, 1}).to(at::kFloat).div_(255.0);
  if (cmyk) {
    // Adobe writes CMYK inverted (255 = no ink), as nearly every CMYK JPEG has it.
    at::Tensor light = s.cinfo.saw_Adobe_marker ? chw : 1.0 - chw;
    chw = light.narrow(0, 0, 3) * light.narrow(0, 3, 1);
  }
  return upright(chw, orientation).contiguous();
}

}  // namespace ng::image
