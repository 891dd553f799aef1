#include "tensor_image.hpp"

#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>

namespace ng::editor {

int64_t grid_columns(int64_t batch) {
  if (batch <= 1) return 1;
  return int64_t(std::ceil(std::sqrt(double(batch)) - 1e-9));
}

QImage tensor_to_image(const at::Tensor& image) {
  if (!image.defined() || (image.dim() != 3 && image.dim() != 4)) return {};
  at::Tensor t = image.dim() == 3 ? image.unsqueeze(0) : image;
  t = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
  const int64_t batch = t.size(0), channels = t.size(1), h = t.size(2), w = t.size(3);
  if (batch <= 0 || channels <= 0 || h <= 0 || w <= 0) return {};
  // A batch is a near-square grid (64 images: 8x8), not a strip that fitting shrinks to
  // nothing.
  const int64_t columns = grid_columns(batch), rows = (batch + columns - 1) / columns;
  const int gap = batch > 1 ? std::max<int>(2, int(w / 16)) : 0;
  const int64_t total_w = columns * w + (columns - 1) * gap, total_h = rows * h + (rows - 1) * gap;
  if (total_w > 16384 || total_h > 16384) return {};
  QImage out(int(total_w), int(total_h), QImage::Format_RGB32);
  out.fill(QColor(0x1b, 0x1d, 0x21));
  const float* data = t.data_ptr<float>();
  auto to_byte = [](float v) {
    if (!std::isfinite(v)) v = 0.f;
    return int(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
  };
  for (int64_t b = 0; b < batch; ++b) {
    const float* img = data + b * channels * h * w;
    const int x0 = int((b % columns) * (w + gap)), y0 = int((b / columns) * (h + gap));
    for (int64_t y = 0; y < h; ++y) {
      auto* line = reinterpret_cast<QRgb*>(out.scanLine(int(y0 + y)));
      for (int64_t x = 0; x < w; ++x) {
        const int64_t i = y * w + x;
        int r = to_byte(img[i]), g = r, bl = r;
        if (channels >= 3) {
          g = to_byte(img[h * w + i]);
          bl = to_byte(img[2 * h * w + i]);
        }
        line[x0 + x] = qRgb(r, g, bl);
      }
    }
  }
  return out;
}

}  // namespace ng::editor
