#include "ops.hpp"

#include <algorithm>

namespace ng::sd::ops {

namespace {
at::Tensor optional_bias(const Weights& w, const std::string& prefix) {
  auto it = w.find(prefix + ".bias");
  return it == w.end() ? at::Tensor() : it->second;
}
}  // namespace

at::Tensor linear(const Weights& w, const std::string& prefix, const at::Tensor& x) {
  return at::linear(x, weight(w, prefix + ".weight"), optional_bias(w, prefix));
}

at::Tensor conv2d(const Weights& w, const std::string& prefix, const at::Tensor& x, int64_t stride, int64_t padding) {
  const auto& k = weight(w, prefix + ".weight");
  if (padding < 0) padding = k.size(2) / 2;
  const at::Tensor bias = optional_bias(w, prefix);
  // LibTorch's CPU convolution unfolds its input (im2col): C*kh*kw values per output pixel,
  // 1.2 GB for a 3x3 conv of 128 channels at 512x512. Large convolutions therefore run in
  // bands of output rows over an explicitly padded input: the same sums, a bounded buffer.
  const int64_t kh = k.size(2), kw = k.size(3);
  const int64_t h_out = (x.size(2) + 2 * padding - kh) / stride + 1, w_out = (x.size(3) + 2 * padding - kw) / stride + 1;
  const int64_t per_row = x.size(1) * kh * kw * w_out, budget = int64_t(32) << 20;  // 128 MB of float32
  if (kh * kw == 1 || per_row * h_out <= budget || !x.device().is_cpu() || h_out < 2)
    return at::conv2d(x, k, bias, {stride, stride}, {padding, padding});
  const at::Tensor xp = padding > 0 ? at::constant_pad_nd(x, {padding, padding, padding, padding}) : x;
  const int64_t rows = std::max<int64_t>(1, budget / per_row);
  std::vector<at::Tensor> bands;
  for (int64_t y0 = 0; y0 < h_out; y0 += rows) {
    const int64_t y1 = std::min(h_out, y0 + rows), in0 = y0 * stride, in1 = (y1 - 1) * stride + kh;
    bands.push_back(at::conv2d(xp.narrow(2, in0, in1 - in0), k, bias, at::IntArrayRef{stride, stride}, at::IntArrayRef{0, 0}));
  }
  return at::cat(bands, 2);
}

at::Tensor group_norm(const Weights& w, const std::string& prefix, const at::Tensor& x, double eps, int64_t groups) {
  return at::group_norm(x, groups, weight(w, prefix + ".weight"), weight(w, prefix + ".bias"), eps);
}

at::Tensor layer_norm(const Weights& w, const std::string& prefix, const at::Tensor& x, double eps) {
  return at::layer_norm(x, {x.size(-1)}, weight(w, prefix + ".weight"), weight(w, prefix + ".bias"), eps);
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                     const at::Tensor& key_mask, bool causal) {
  const int64_t B = q.size(0), Tq = q.size(1), Tk = k.size(1), C = q.size(2), d = C / heads;
  auto split = [&](const at::Tensor& t) {  // [B,T,H*d] -> [B*H,T,d]
    return t.reshape({B, t.size(1), heads, d}).permute({0, 2, 1, 3}).reshape({B * heads, t.size(1), d});
  };
  const at::Tensor qh = split(q), kh = split(k).transpose(1, 2), vh = split(v);
  at::Tensor bias;  // additive mask [B*H or 1, 1, Tk]
  if (key_mask.defined()) {
    bias = at::zeros({B, 1, 1, Tk}, q.options())
               .masked_fill((key_mask.to(q.device()) < 0.5).reshape({B, 1, 1, Tk}), -INFINITY)
               .expand({B, heads, 1, Tk})
               .reshape({B * heads, 1, Tk});
  }
  const double scale = 1.0 / std::sqrt(double(d));
  const int64_t budget = int64_t(16) << 20;  // score elements per slice (64 MB of float32)
  const int64_t slice = std::max<int64_t>(1, std::min(Tq, budget / std::max<int64_t>(1, B * heads * Tk)));
  at::Tensor out = at::empty({B * heads, Tq, d}, q.options());
  for (int64_t s = 0; s < Tq; s += slice) {
    const int64_t n = std::min(slice, Tq - s);
    at::Tensor scores = at::matmul(qh.narrow(1, s, n), kh).mul_(scale);
    if (bias.defined()) scores.add_(bias);
    if (causal) {
      const auto qi = at::arange(s, s + n, q.options().dtype(at::kLong)).unsqueeze(1);
      const auto ki = at::arange(Tk, q.options().dtype(at::kLong)).unsqueeze(0);
      scores.masked_fill_(ki > qi, -INFINITY);
    }
    out.narrow(1, s, n).copy_(at::matmul(at::softmax(scores, -1), vh));
  }
  return out.reshape({B, heads, Tq, d}).permute({0, 2, 1, 3}).reshape({B, Tq, C});
}

void add_conv(Layout& l, const std::string& prefix, int64_t out, int64_t in, int64_t k, bool bias) {
  l[prefix + ".weight"] = {out, in, k, k};
  if (bias) l[prefix + ".bias"] = {out};
}

void add_linear(Layout& l, const std::string& prefix, int64_t out, int64_t in, bool bias) {
  l[prefix + ".weight"] = {out, in};
  if (bias) l[prefix + ".bias"] = {out};
}

void add_norm(Layout& l, const std::string& prefix, int64_t channels) {
  l[prefix + ".weight"] = {channels};
  l[prefix + ".bias"] = {channels};
}

}  // namespace ng::sd::ops
