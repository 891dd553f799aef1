#include "mask_ops.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "noisegraph/error.hpp"

namespace ng::mask {
namespace {

std::string shape_text(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

at::TensorOptions float_options() { return at::TensorOptions().dtype(at::kFloat); }

void check_canvas(int64_t width, int64_t height) {
  if (width < 1 || height < 1)
    throw Error("mask canvas must be at least 1x1, found " + std::to_string(width) + "x" +
                std::to_string(height));
}

}  // namespace

at::Tensor as_mask(const at::Tensor& t, const std::string& what) {
  if (!t.defined()) throw Error(what + ": no mask (undefined tensor)");
  at::Tensor m = t;
  if (m.dim() == 2) m = m.unsqueeze(0).unsqueeze(0);
  else if (m.dim() == 3) m = m.unsqueeze(1);
  if (m.dim() != 4 || m.size(1) != 1)
    throw Error(what + ": expected a MASK [B,1,H,W], found " + shape_text(t));
  if (m.numel() == 0) throw Error(what + ": empty mask " + shape_text(t));
  // Integer masks are refused: 0/255 bytes would silently become 0/255 floats.
  if (!at::isFloatingType(m.scalar_type()) && m.scalar_type() != at::kBool)
    throw Error(what + ": expected float mask values in [0,1], found " + std::string(c10::toString(m.scalar_type())));
  return m.to(at::kFloat);
}

Channel parse_channel(const std::string& name) {
  if (name == "luminance") return Channel::Luminance;
  if (name == "red") return Channel::Red;
  if (name == "green") return Channel::Green;
  if (name == "blue") return Channel::Blue;
  throw Error("unknown channel '" + name + "' (expected luminance, red, green or blue)");
}

at::Tensor from_image(const at::Tensor& image, Channel channel) {
  if (!image.defined() || image.dim() != 4 || (image.size(1) != 1 && image.size(1) != 3))
    throw Error("from_image: expected an IMAGE [B,C,H,W] with C = 1 or 3, found " +
                (image.defined() ? shape_text(image) : std::string("nothing")));
  const auto img = image.to(at::kFloat);
  if (img.size(1) == 1) return img.contiguous();
  switch (channel) {
    case Channel::Red: return img.narrow(1, 0, 1).contiguous();
    case Channel::Green: return img.narrow(1, 1, 1).contiguous();
    case Channel::Blue: return img.narrow(1, 2, 1).contiguous();
    case Channel::Luminance: {
      auto w = at::tensor({0.299f, 0.587f, 0.114f}, float_options()).view({1, 3, 1, 1});
      return (img * w).sum(1, /*keepdim=*/true).clamp(0.0, 1.0);
    }
  }
  throw Error("from_image: unknown channel");
}

at::Tensor threshold(const at::Tensor& mask, double threshold) {
  return at::gt(as_mask(mask, "threshold"), threshold).to(at::kFloat);
}

at::Tensor invert(const at::Tensor& mask) { return 1.0 - as_mask(mask, "invert"); }

at::Tensor grow(const at::Tensor& mask, int64_t pixels) {
  auto m = as_mask(mask, "grow").contiguous();
  if (pixels == 0) return m;
  const int64_t r = std::abs(pixels), k = 2 * r + 1;
  // max_pool2d pads with -inf, so pixels beyond the canvas never win the max (or, for
  // erosion on the negated mask, the min).
  if (pixels > 0) return at::max_pool2d(m, {k, k}, {1, 1}, {r, r});
  return -at::max_pool2d(-m, {k, k}, {1, 1}, {r, r});
}

at::Tensor feather(const at::Tensor& mask, int64_t radius) {
  auto m = as_mask(mask, "feather").contiguous();
  if (radius < 0) throw Error("feather: radius must be >= 0, found " + std::to_string(radius));
  if (radius == 0) return m;
  const double sigma = radius / 2.0;
  std::vector<float> taps;
  double total = 0;
  for (int64_t i = -radius; i <= radius; ++i) {
    taps.push_back(float(std::exp(-double(i * i) / (2 * sigma * sigma))));
    total += taps.back();
  }
  for (auto& t : taps) t = float(t / total);
  const int64_t k = int64_t(taps.size());
  auto kernel = at::tensor(taps, float_options());
  // Separable: blur rows, then columns, each after replicating the edge pixels.
  auto x = at::conv2d(at::replication_pad2d(m, {radius, radius, 0, 0}), kernel.view({1, 1, 1, k}));
  x = at::conv2d(at::replication_pad2d(x, {0, 0, radius, radius}), kernel.view({1, 1, k, 1}));
  return x.clamp(0.0, 1.0);
}

at::Tensor rectangle(int64_t width, int64_t height, int64_t x, int64_t y, int64_t box_width,
                     int64_t box_height) {
  check_canvas(width, height);
  if (box_width < 0 || box_height < 0) throw Error("rectangle: box size must be >= 0");
  auto out = at::zeros({1, 1, height, width}, float_options());
  const int64_t x0 = std::clamp<int64_t>(x, 0, width), x1 = std::clamp<int64_t>(x + box_width, 0, width);
  const int64_t y0 = std::clamp<int64_t>(y, 0, height), y1 = std::clamp<int64_t>(y + box_height, 0, height);
  if (x1 > x0 && y1 > y0) out.narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0).fill_(1.0);
  return out;
}

at::Tensor ellipse(int64_t width, int64_t height, int64_t x, int64_t y, int64_t box_width,
                   int64_t box_height) {
  check_canvas(width, height);
  if (box_width < 0 || box_height < 0) throw Error("ellipse: box size must be >= 0");
  if (box_width == 0 || box_height == 0) return at::zeros({1, 1, height, width}, float_options());
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const double rx = box_width / 2.0, ry = box_height / 2.0;
  auto u = (at::arange(width, opts) + 0.5 - (x + rx)) / rx;   // pixel centres, box-normalised
  auto v = (at::arange(height, opts) + 0.5 - (y + ry)) / ry;
  auto inside = at::le(v.square().unsqueeze(1) + u.square().unsqueeze(0), 1.0);
  return inside.to(at::kFloat).view({1, 1, height, width});
}

Combine parse_combine(const std::string& name) {
  if (name == "union") return Combine::Union;
  if (name == "intersect") return Combine::Intersect;
  if (name == "subtract") return Combine::Subtract;
  throw Error("unknown operation '" + name + "' (expected union, intersect or subtract)");
}

at::Tensor combine(const at::Tensor& a, const at::Tensor& b, Combine op) {
  auto x = as_mask(a, "combine: input 'a'");
  auto y = as_mask(b, "combine: input 'b'");
  if (x.size(2) != y.size(2) || x.size(3) != y.size(3))
    throw Error("combine: mask sizes differ (" + std::to_string(x.size(3)) + "x" + std::to_string(x.size(2)) +
                " and " + std::to_string(y.size(3)) + "x" + std::to_string(y.size(2)) +
                "); resize one of them first (mask.resize)");
  if (x.size(0) != y.size(0) && x.size(0) != 1 && y.size(0) != 1)
    throw Error("combine: batches of " + std::to_string(x.size(0)) + " and " + std::to_string(y.size(0)) +
                " do not pair (they must be equal or one of them 1)");
  switch (op) {
    case Combine::Union: return at::maximum(x, y);
    case Combine::Intersect: return at::minimum(x, y);
    case Combine::Subtract: return (x - y).clamp(0.0, 1.0);
  }
  throw Error("combine: unknown operation");
}

at::Tensor to_image(const at::Tensor& mask, int64_t channels) {
  auto m = as_mask(mask, "to_image").clamp(0.0, 1.0);
  if (channels == 1) return m.contiguous();
  if (channels == 3) return m.expand({-1, 3, -1, -1}).contiguous();
  throw Error("to_image: channels must be 1 or 3, found " + std::to_string(channels));
}

at::Tensor resize_area(const at::Tensor& mask, int64_t height, int64_t width) {
  auto m = as_mask(mask, "resize");
  if (height < 1 || width < 1)
    throw Error("resize: target size must be at least 1x1, found " + std::to_string(width) + "x" +
                std::to_string(height));
  if (m.size(2) == height && m.size(3) == width) return m;
  return at::adaptive_avg_pool2d(m.contiguous(), {height, width});
}

at::Tensor solid(int64_t width, int64_t height, double value) {
  check_canvas(width, height);
  return at::full({1, 1, height, width}, value, float_options());
}

}  // namespace ng::mask
