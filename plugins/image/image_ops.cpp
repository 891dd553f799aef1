#include "image_ops.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "noisegraph/error.hpp"

namespace ng::image {
namespace {

std::string size_text(const at::Tensor& t) {
  return std::to_string(t.size(3)) + "x" + std::to_string(t.size(2));
}

std::string shape_text(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

int64_t round_to_int(double v) { return static_cast<int64_t>(std::llround(v)); }

void check_same_size(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  if (a.size(2) != b.size(2) || a.size(3) != b.size(3))
    throw Error(what + ": image sizes differ (" + size_text(a) + " and " + size_text(b) +
                "); resize one of them first (image.resize)");
}

}  // namespace

void check_image(const at::Tensor& t, const std::string& what) {
  if (!t.defined()) throw Error(what + ": no image (undefined tensor)");
  if (t.dim() != 4)
    throw Error(what + ": expected an IMAGE [B,C,H,W], found a " + std::to_string(t.dim()) +
                "-D tensor " + shape_text(t));
  if (t.scalar_type() != at::kFloat)
    throw Error(what + ": expected float32 pixels, found " + std::string(c10::toString(t.scalar_type())));
  if (t.size(1) != 1 && t.size(1) != 3)
    throw Error(what + ": expected 1 (grey) or 3 (RGB) channels, found " + std::to_string(t.size(1)));
  if (t.numel() == 0) throw Error(what + ": empty image " + shape_text(t));
}

at::Tensor with_channels(const at::Tensor& image, int64_t channels) {
  if (image.size(1) == channels) return image;
  if (image.size(1) == 1 && channels == 3) return image.expand({-1, 3, -1, -1}).contiguous();
  throw Error("cannot convert a " + std::to_string(image.size(1)) + "-channel image to " +
              std::to_string(channels) + " channels");
}

at::Tensor with_batch(const at::Tensor& t, int64_t batch, const std::string& what) {
  if (t.size(0) == batch) return t;
  if (t.size(0) == 1) return t.expand({batch, -1, -1, -1});
  throw Error(what + ": batch of " + std::to_string(t.size(0)) + " does not pair with a batch of " +
              std::to_string(batch) + " (batches must be equal or one of them 1)");
}

ResizeMode parse_resize_mode(const std::string& name) {
  if (name == "nearest") return ResizeMode::Nearest;
  if (name == "bilinear") return ResizeMode::Bilinear;
  if (name == "bicubic") return ResizeMode::Bicubic;
  if (name == "area") return ResizeMode::Area;
  throw Error("unknown resize mode '" + name + "' (expected nearest, bilinear, bicubic or area)");
}

Size resize_target(int64_t height, int64_t width, int64_t new_width, int64_t new_height,
                   double scale, int64_t multiple_of) {
  if (new_width < 0 || new_height < 0) throw Error("resize: width and height must be >= 0");
  double h = 0, w = 0;
  if (new_width == 0 && new_height == 0) {
    if (!(scale > 0)) throw Error("resize: scale must be > 0, found " + std::to_string(scale));
    h = height * scale;
    w = width * scale;
  } else if (new_height == 0) {
    w = double(new_width);
    h = double(height) * new_width / width;
  } else if (new_width == 0) {
    h = double(new_height);
    w = double(width) * new_height / height;
  } else {
    h = double(new_height);
    w = double(new_width);
  }
  const int64_t m = std::max<int64_t>(multiple_of, 1);
  Size out;
  out.height = std::max<int64_t>(round_to_int(h / m), 1) * m;
  out.width = std::max<int64_t>(round_to_int(w / m), 1) * m;
  return out;
}

at::Tensor resize(const at::Tensor& image, int64_t height, int64_t width, ResizeMode mode) {
  check_image(image, "resize");
  if (height < 1 || width < 1)
    throw Error("resize: target size must be at least 1x1, found " + std::to_string(width) + "x" +
                std::to_string(height));
  if (image.size(2) == height && image.size(3) == width) return image;
  const bool shrinking = height < image.size(2) || width < image.size(3);
  const at::Tensor src = image.contiguous();
  switch (mode) {
    case ResizeMode::Nearest:
      return at::_upsample_nearest_exact2d(src, {height, width});
    case ResizeMode::Bilinear:
      return shrinking ? at::_upsample_bilinear2d_aa(src, {height, width}, false)
                       : at::upsample_bilinear2d(src, {height, width}, false);
    case ResizeMode::Bicubic: {
      auto out = shrinking ? at::_upsample_bicubic2d_aa(src, {height, width}, false)
                           : at::upsample_bicubic2d(src, {height, width}, false);
      return out.clamp(0.0, 1.0);  // cubic kernels overshoot at edges
    }
    case ResizeMode::Area:
      return at::adaptive_avg_pool2d(src, {height, width});
  }
  throw Error("resize: unknown mode");
}

at::Tensor crop(const at::Tensor& image, int64_t x, int64_t y, int64_t width, int64_t height) {
  check_image(image, "crop");
  const int64_t H = image.size(2), W = image.size(3);
  if (x < 0 || y < 0 || x >= W || y >= H)
    throw Error("crop: corner (" + std::to_string(x) + "," + std::to_string(y) +
                ") is outside the " + size_text(image) + " image");
  if (width < 0 || height < 0) throw Error("crop: width and height must be >= 0 (0 = to the edge)");
  if (width == 0) width = W - x;
  if (height == 0) height = H - y;
  if (x + width > W || y + height > H)
    throw Error("crop: rectangle " + std::to_string(width) + "x" + std::to_string(height) + " at (" +
                std::to_string(x) + "," + std::to_string(y) + ") leaves the " + size_text(image) +
                " image");
  return image.narrow(2, y, height).narrow(3, x, width).contiguous();
}

Padded pad(const at::Tensor& image, int64_t left, int64_t top, int64_t right, int64_t bottom,
           double fill, int64_t feather) {
  check_image(image, "pad");
  if (left < 0 || top < 0 || right < 0 || bottom < 0)
    throw Error("pad: borders must be >= 0 (use image.crop to remove pixels)");
  if (feather < 0) throw Error("pad: feather must be >= 0");
  const int64_t H = image.size(2), W = image.size(3);
  Padded out;
  out.image = at::constant_pad_nd(image, {left, right, top, bottom}, fill);

  // Distance of each original pixel to the nearest padded side; +inf when no side is padded.
  const auto opts = image.options();
  const double inf = std::numeric_limits<double>::infinity();
  auto rows = at::full({H, 1}, inf, opts);
  auto cols = at::full({1, W}, inf, opts);
  auto i = at::arange(H, opts).unsqueeze(1);
  auto j = at::arange(W, opts).unsqueeze(0);
  if (top > 0) rows = at::minimum(rows, i);
  if (bottom > 0) rows = at::minimum(rows, (H - 1) - i);
  if (left > 0) cols = at::minimum(cols, j);
  if (right > 0) cols = at::minimum(cols, (W - 1) - j);
  at::Tensor inner = at::zeros({H, W}, opts);
  if (feather > 0) {
    auto d = at::minimum(rows, cols);
    inner = (1.0 - (d + 1.0) / double(feather + 1)).clamp(0.0, 1.0);
  }
  out.mask = at::constant_pad_nd(inner.view({1, 1, H, W}), {left, right, top, bottom}, 1.0);
  return out;
}

at::Tensor blend(const at::Tensor& a, const at::Tensor& b, double factor) {
  check_image(a, "blend: input 'a'");
  check_image(b, "blend: input 'b'");
  check_same_size(a, b, "blend");
  const int64_t c = std::max(a.size(1), b.size(1));
  const int64_t n = std::max(a.size(0), b.size(0));
  auto x = with_batch(with_channels(a, c), n, "blend");
  auto y = with_batch(with_channels(b, c), n, "blend");
  return (x * (1.0 - factor) + y * factor).contiguous();
}

at::Tensor composite(const at::Tensor& destination, const at::Tensor& source, int64_t x,
                     int64_t y, const at::Tensor& mask) {
  check_image(destination, "composite: input 'destination'");
  check_image(source, "composite: input 'source'");
  const int64_t c = std::max(destination.size(1), source.size(1));
  int64_t n = std::max(destination.size(0), source.size(0));
  at::Tensor m;
  if (mask.defined()) {
    if (mask.dim() != 4 || mask.size(1) != 1 || mask.scalar_type() != at::kFloat || mask.numel() == 0)
      throw Error("composite: expected a MASK [B,1,H,W] float32, found " + shape_text(mask));
    m = mask;
    if (m.size(2) != source.size(2) || m.size(3) != source.size(3))
      m = at::upsample_bilinear2d(m.contiguous(), {source.size(2), source.size(3)}, false);
    n = std::max(n, m.size(0));
    m = with_batch(m, n, "composite: mask");
  }
  auto out = with_batch(with_channels(destination, c), n, "composite: destination").clone();
  auto src = with_batch(with_channels(source, c), n, "composite: source");

  const int64_t H = out.size(2), W = out.size(3), h = src.size(2), w = src.size(3);
  const int64_t x0 = std::max<int64_t>(x, 0), y0 = std::max<int64_t>(y, 0);
  const int64_t x1 = std::min(x + w, W), y1 = std::min(y + h, H);
  if (x1 <= x0 || y1 <= y0) return out;  // source lies entirely outside
  auto region = out.narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0);
  auto patch = src.narrow(2, y0 - y, y1 - y0).narrow(3, x0 - x, x1 - x0);
  if (m.defined()) {
    auto mp = m.narrow(2, y0 - y, y1 - y0).narrow(3, x0 - x, x1 - x0);
    region.copy_(region * (1.0 - mp) + patch * mp);
  } else {
    region.copy_(patch);
  }
  return out;
}

at::Tensor join_batches(const at::Tensor& a, const at::Tensor& b) {
  check_image(a, "batch: input 'a'");
  check_image(b, "batch: input 'b'");
  const int64_t c = std::max(a.size(1), b.size(1));
  auto second = with_channels(b, c);
  if (second.size(2) != a.size(2) || second.size(3) != a.size(3))
    second = resize(second, a.size(2), a.size(3), ResizeMode::Bilinear);
  return at::cat({with_channels(a, c), second}, 0);
}

at::Tensor select(const at::Tensor& images, int64_t index, int64_t count) {
  check_image(images, "select");
  const int64_t n = images.size(0);
  const int64_t first = index < 0 ? index + n : index;
  if (first < 0 || first >= n)
    throw Error("select: index " + std::to_string(index) + " is outside a batch of " + std::to_string(n));
  if (count < 1) throw Error("select: count must be >= 1");
  return images.narrow(0, first, std::min(count, n - first)).contiguous();
}

at::Tensor to_grey(const at::Tensor& image) {
  check_image(image, "to_grey");
  if (image.size(1) == 1) return image;
  auto weights = at::tensor({0.299f, 0.587f, 0.114f}, image.options()).view({1, 3, 1, 1});
  return (image * weights).sum(1, /*keepdim=*/true).clamp(0.0, 1.0);
}

at::Tensor to_rgb(const at::Tensor& image) {
  check_image(image, "to_rgb");
  return with_channels(image, 3);
}

at::Tensor invert(const at::Tensor& image) {
  check_image(image, "invert");
  return 1.0 - image;
}

at::Tensor solid(int64_t width, int64_t height, int64_t channels, double value, int64_t batch) {
  if (width < 1 || height < 1 || batch < 1) throw Error("solid: width, height and batch must be >= 1");
  if (channels != 1 && channels != 3) throw Error("solid: channels must be 1 or 3, found " + std::to_string(channels));
  return at::full({batch, channels, height, width}, value, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor grid(const at::Tensor& images, int64_t columns, int64_t padding, double background) {
  check_image(images, "grid");
  if (columns < 0 || padding < 0) throw Error("grid: columns and padding must be >= 0");
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t cols =
      columns > 0 ? std::min(columns, n) : int64_t(std::ceil(std::sqrt(double(n)) - 1e-9));
  const int64_t rows = (n + cols - 1) / cols;
  auto out = at::full({1, c, rows * h + (rows - 1) * padding, cols * w + (cols - 1) * padding},
                      background, images.options());
  for (int64_t k = 0; k < n; ++k) {
    const int64_t r = k / cols, q = k % cols;
    out[0].narrow(1, r * (h + padding), h).narrow(2, q * (w + padding), w).copy_(images[k]);
  }
  return out;
}

}  // namespace ng::image
