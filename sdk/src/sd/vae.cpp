// The SD KL autoencoder: architecture from shapes, expected layout, encoder and decoder.
#include "noisegraph/sd/vae.hpp"

#include <algorithm>

#include "noisegraph/error.hpp"
#include "ops.hpp"

namespace ng::sd {

namespace {

std::string at_(const std::string& base, int64_t i) { return base + "." + std::to_string(i); }

void resnet_layout(Layout& l, const std::string& p, int64_t in, int64_t out) {
  ops::add_norm(l, p + ".norm1", in);
  ops::add_conv(l, p + ".conv1", out, in, 3);
  ops::add_norm(l, p + ".norm2", out);
  ops::add_conv(l, p + ".conv2", out, out, 3);
  if (in != out) ops::add_conv(l, p + ".nin_shortcut", out, in, 1);
}

void attn_layout(Layout& l, const std::string& p, int64_t c) {
  ops::add_norm(l, p + ".norm", c);
  for (const char* n : {".q", ".k", ".v", ".proj_out"}) ops::add_conv(l, p + n, c, c, 1);
}

// In-place activations and sums: at 512x512 each activation is 134 MB, and peak memory is
// what decides whether a decode fits (same arithmetic, so the same bits).
at::Tensor resnet(const Weights& w, const std::string& p, const at::Tensor& x) {
  at::Tensor h = ops::conv2d(w, p + ".conv1", ops::silu_(ops::group_norm(w, p + ".norm1", x, 1e-6)));
  h = ops::conv2d(w, p + ".conv2", ops::silu_(ops::group_norm(w, p + ".norm2", h, 1e-6)));
  return h.add_(w.count(p + ".nin_shortcut.weight") ? ops::conv2d(w, p + ".nin_shortcut", x) : x);
}

at::Tensor attn(const Weights& w, const std::string& p, const at::Tensor& x) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const at::Tensor h = ops::group_norm(w, p + ".norm", x, 1e-6);
  auto tokens = [&](const char* n) { return ops::conv2d(w, p + n, h).reshape({B, C, H * W}).transpose(1, 2); };
  const at::Tensor o = ops::attention(tokens(".q"), tokens(".k"), tokens(".v"), 1);
  return x + ops::conv2d(w, p + ".proj_out", o.transpose(1, 2).reshape({B, C, H, W}));
}

at::Tensor mid(const Weights& w, const std::string& p, at::Tensor h) {
  h = resnet(w, p + ".block_1", h);
  h = attn(w, p + ".attn_1", h);
  return resnet(w, p + ".block_2", h);
}

// Linear ramp weights [1,1,h,w] that fade over `overlap` cells at edges that touch another tile.
at::Tensor blend_mask(int64_t h, int64_t w, int64_t overlap, bool top, bool bottom, bool left, bool right,
                      const at::TensorOptions& opt) {
  auto ramp = [&](int64_t n, bool lo, bool hi) {
    at::Tensor r = at::ones({n}, opt);
    const int64_t o = std::min(overlap, n);
    if (o > 0) {
      const at::Tensor up = (at::arange(o, opt) + 1.0) / double(o + 1);
      if (lo) r.narrow(0, 0, o).mul_(up);
      if (hi) r.narrow(0, n - o, o).mul_(up.flip(0));
    }
    return r;
  };
  return (ramp(h, top, bottom).unsqueeze(1) * ramp(w, left, right).unsqueeze(0)).reshape({1, 1, h, w});
}

// Runs `fn` over overlapping tiles of x (tile/overlap in x's cells) and blends the results,
// whose spatial size is x's times `num / den`.
template <class Fn>
at::Tensor tiled(const at::Tensor& x, int64_t tile, int64_t overlap, int64_t num, int64_t den, Fn fn) {
  const int64_t H = x.size(2), W = x.size(3);
  if (H <= tile && W <= tile) return fn(x);
  const int64_t stride = std::max<int64_t>(1, tile - overlap);
  auto starts = [&](int64_t n) {
    std::vector<int64_t> s;
    for (int64_t p = 0;; p += stride) {
      if (p + tile >= n) {
        s.push_back(std::max<int64_t>(0, n - tile));
        break;
      }
      s.push_back(p);
    }
    return s;
  };
  at::Tensor out, weight_sum;
  const auto ys = starts(H), xs = starts(W);
  for (size_t iy = 0; iy < ys.size(); ++iy) {
    for (size_t ix = 0; ix < xs.size(); ++ix) {
      const int64_t h = std::min(tile, H - ys[iy]), w = std::min(tile, W - xs[ix]);
      at::Tensor t = fn(x.narrow(2, ys[iy], h).narrow(3, xs[ix], w));
      if (!out.defined()) {
        out = at::zeros({t.size(0), t.size(1), H * num / den, W * num / den}, t.options());
        weight_sum = at::zeros({1, 1, out.size(2), out.size(3)}, t.options());
      }
      const at::Tensor m = blend_mask(t.size(2), t.size(3), overlap * num / den, iy > 0, iy + 1 < ys.size(), ix > 0,
                                      ix + 1 < xs.size(), t.options());
      const int64_t oy = ys[iy] * num / den, ox = xs[ix] * num / den;
      out.narrow(2, oy, t.size(2)).narrow(3, ox, t.size(3)).add_(t * m);
      weight_sum.narrow(2, oy, t.size(2)).narrow(3, ox, t.size(3)).add_(m);
    }
  }
  return out / weight_sum;
}

}  // namespace

std::string VaeConfig::describe() const {
  std::string m = "[";
  for (size_t i = 0; i < ch_mult.size(); ++i) m += (i ? "," : "") + std::to_string(ch_mult[i]);
  return std::to_string(ch) + " ch, mult " + m + "], " + std::to_string(num_res_blocks) + " res blocks, latent " +
         std::to_string(embed_dim) + " ch, 1/" + std::to_string(downscale());
}

VaeConfig infer_vae_config(const Layout& l, const std::string& source) {
  auto need = [&](const std::string& name) -> const Shape& {
    auto it = l.find(name);
    if (it == l.end()) throw Error(source + ": not an SD autoencoder (no tensor '" + name + "')");
    return it->second;
  };
  VaeConfig cfg;
  const Shape& conv_in = need("encoder.conv_in.weight");
  cfg.ch = conv_in.at(0);
  cfg.in_channels = conv_in.at(1);
  cfg.out_channels = need("decoder.conv_out.weight").at(0);
  cfg.z_channels = need("decoder.conv_in.weight").at(1);
  cfg.embed_dim = need("post_quant_conv.weight").at(1);
  while (has(l, at_("encoder.down", int64_t(cfg.ch_mult.size())) + ".block.0.conv1.weight")) {
    const std::string p = at_("encoder.down", int64_t(cfg.ch_mult.size()));
    const int64_t width = l.at(p + ".block.0.conv1.weight").at(0);
    if (width % cfg.ch != 0) throw Error(source + ": autoencoder level width is not a multiple of " + std::to_string(cfg.ch));
    cfg.ch_mult.push_back(width / cfg.ch);
    cfg.attention.push_back(has(l, p + ".attn.0.q.weight"));
  }
  if (cfg.ch_mult.empty()) throw Error(source + ": not an SD autoencoder (no encoder.down.0 blocks)");
  while (has(l, at_("encoder.down.0.block", cfg.num_res_blocks) + ".conv1.weight")) ++cfg.num_res_blocks;
  cfg.num_res_blocks = std::max<int64_t>(cfg.num_res_blocks, 1);
  if (cfg.ch_mult.size() > 8) throw Error(source + ": autoencoder with more than 8 levels is not supported");
  return cfg;
}

Layout vae_layout(const VaeConfig& cfg) {
  Layout l;
  const int64_t levels = int64_t(cfg.ch_mult.size());
  ops::add_conv(l, "encoder.conv_in", cfg.ch, cfg.in_channels, 3);
  int64_t c = cfg.ch;
  for (int64_t i = 0; i < levels; ++i) {
    const int64_t out = cfg.ch * cfg.ch_mult[size_t(i)];
    for (int64_t j = 0; j < cfg.num_res_blocks; ++j) {
      resnet_layout(l, at_(at_("encoder.down", i) + ".block", j), c, out);
      c = out;
      if (cfg.attention[size_t(i)]) attn_layout(l, at_(at_("encoder.down", i) + ".attn", j), c);
    }
    if (i + 1 < levels) ops::add_conv(l, at_("encoder.down", i) + ".downsample.conv", c, c, 3);
  }
  for (const char* part : {"encoder", "decoder"}) {
    const std::string p = std::string(part) + ".mid";
    const int64_t mc = cfg.ch * cfg.ch_mult.back();
    resnet_layout(l, p + ".block_1", mc, mc);
    attn_layout(l, p + ".attn_1", mc);
    resnet_layout(l, p + ".block_2", mc, mc);
  }
  ops::add_norm(l, "encoder.norm_out", c);
  ops::add_conv(l, "encoder.conv_out", 2 * cfg.z_channels, c, 3);
  ops::add_conv(l, "quant_conv", 2 * cfg.embed_dim, 2 * cfg.z_channels, 1);
  ops::add_conv(l, "post_quant_conv", cfg.z_channels, cfg.embed_dim, 1);
  c = cfg.ch * cfg.ch_mult.back();
  ops::add_conv(l, "decoder.conv_in", c, cfg.z_channels, 3);
  for (int64_t i = levels - 1; i >= 0; --i) {
    const int64_t out = cfg.ch * cfg.ch_mult[size_t(i)];
    for (int64_t j = 0; j <= cfg.num_res_blocks; ++j) {
      resnet_layout(l, at_(at_("decoder.up", i) + ".block", j), c, out);
      c = out;
      if (cfg.attention[size_t(i)]) attn_layout(l, at_(at_("decoder.up", i) + ".attn", j), c);
    }
    if (i > 0) ops::add_conv(l, at_("decoder.up", i) + ".upsample.conv", c, c, 3);
  }
  ops::add_norm(l, "decoder.norm_out", c);
  ops::add_conv(l, "decoder.conv_out", cfg.out_channels, c, 3);
  return l;
}

Vae::Vae(VaeConfig cfg, Weights weights) : cfg_(std::move(cfg)), w_(std::move(weights)) {}

at::Tensor Vae::encode_moments(const at::Tensor& image) const {
  const auto& w = w_;
  const auto opt = weight(w, "quant_conv.weight").options();
  const int64_t levels = int64_t(cfg_.ch_mult.size());
  at::Tensor h = ops::conv2d(w, "encoder.conv_in", image.to(opt));
  for (int64_t i = 0; i < levels; ++i) {
    for (int64_t j = 0; j < cfg_.num_res_blocks; ++j) {
      h = resnet(w, at_(at_("encoder.down", i) + ".block", j), h);
      if (cfg_.attention[size_t(i)]) h = attn(w, at_(at_("encoder.down", i) + ".attn", j), h);
    }
    if (i + 1 < levels)  // asymmetric padding of the original: right and bottom only
      h = ops::conv2d(w, at_("encoder.down", i) + ".downsample.conv", at::constant_pad_nd(h, {0, 1, 0, 1}), 2, 0);
  }
  h = mid(w, "encoder.mid", h);
  h = ops::conv2d(w, "encoder.conv_out", at::silu(ops::group_norm(w, "encoder.norm_out", h, 1e-6)));
  return ops::conv2d(w, "quant_conv", h);
}

at::Tensor Vae::decode(const at::Tensor& z) const {
  const auto& w = w_;
  const auto opt = weight(w, "post_quant_conv.weight").options();
  at::Tensor h = ops::conv2d(w, "post_quant_conv", z.to(opt));
  h = mid(w, "decoder.mid", ops::conv2d(w, "decoder.conv_in", h));
  for (int64_t i = int64_t(cfg_.ch_mult.size()) - 1; i >= 0; --i) {
    for (int64_t j = 0; j <= cfg_.num_res_blocks; ++j) {
      h = resnet(w, at_(at_("decoder.up", i) + ".block", j), h);
      if (cfg_.attention[size_t(i)]) h = attn(w, at_(at_("decoder.up", i) + ".attn", j), h);
    }
    if (i > 0) {
      at::Tensor up = at::upsample_nearest2d(h, {h.size(2) * 2, h.size(3) * 2});
      h.reset();  // free the smaller map before the convolution allocates its output
      h = ops::conv2d(w, at_("decoder.up", i) + ".upsample.conv", up);
    }
  }
  return ops::conv2d(w, "decoder.conv_out", ops::silu_(ops::group_norm(w, "decoder.norm_out", h, 1e-6)));
}

at::Tensor Vae::decode_tiled(const at::Tensor& z, int64_t tile, int64_t overlap) const {
  return tiled(z, tile, overlap, cfg_.downscale(), 1, [&](const at::Tensor& t) { return decode(t); });
}

at::Tensor Vae::encode_moments_tiled(const at::Tensor& image, int64_t tile, int64_t overlap) const {
  const int64_t f = cfg_.downscale();
  tile = std::max(f, tile / f * f);
  overlap = overlap / f * f;
  return tiled(image, tile, overlap, 1, f, [&](const at::Tensor& t) { return encode_moments(t); });
}

}  // namespace ng::sd
