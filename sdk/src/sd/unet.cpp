// The SD U-Net: architecture from shapes, the expected layout, and the forward pass.
#include "noisegraph/sd/unet.hpp"

#include <cmath>

#include "noisegraph/error.hpp"
#include "ops.hpp"

namespace ng::sd {

namespace {

std::string idx(const std::string& base, int64_t i) { return base + "." + std::to_string(i); }

int64_t count_blocks(const Layout& l, const std::string& prefix, const std::string& suffix) {
  int64_t n = 0;
  while (has(l, prefix + "." + std::to_string(n) + "." + suffix)) ++n;
  return n;
}

const Shape& shape_of(const Layout& l, const std::string& name, const std::string& source) {
  auto it = l.find(name);
  if (it == l.end()) throw Error(source + ": not a Stable Diffusion U-Net (no tensor '" + name + "')");
  return it->second;
}

// --- layout -----------------------------------------------------------------------------

void res_layout(Layout& l, const std::string& p, int64_t in, int64_t out, int64_t temb) {
  ops::add_norm(l, p + ".in_layers.0", in);
  ops::add_conv(l, p + ".in_layers.2", out, in, 3);
  ops::add_linear(l, p + ".emb_layers.1", out, temb);
  ops::add_norm(l, p + ".out_layers.0", out);
  ops::add_conv(l, p + ".out_layers.3", out, out, 3);
  if (in != out) ops::add_conv(l, p + ".skip_connection", out, in, 1);
}

void transformer_layout(Layout& l, const std::string& p, int64_t c, int64_t depth, const UNetConfig& cfg) {
  ops::add_norm(l, p + ".norm", c);
  for (const char* io : {".proj_in", ".proj_out"}) {
    if (cfg.linear_proj) ops::add_linear(l, p + io, c, c);
    else ops::add_conv(l, p + io, c, c, 1);
  }
  for (int64_t d = 0; d < depth; ++d) {
    const std::string b = idx(p + ".transformer_blocks", d);
    for (const char* a : {".attn1", ".attn2"}) {
      const int64_t kv_in = std::string(a) == ".attn1" ? c : cfg.context_dim;
      ops::add_linear(l, b + a + ".to_q", c, c, false);
      ops::add_linear(l, b + a + ".to_k", c, kv_in, false);
      ops::add_linear(l, b + a + ".to_v", c, kv_in, false);
      ops::add_linear(l, b + a + ".to_out.0", c, c);
    }
    for (const char* n : {".norm1", ".norm2", ".norm3"}) ops::add_norm(l, b + n, c);
    ops::add_linear(l, b + ".ff.net.0.proj", 8 * c, c);
    ops::add_linear(l, b + ".ff.net.2", c, 4 * c);
  }
}

// --- forward ----------------------------------------------------------------------------

at::Tensor res_block(const Weights& w, const std::string& p, const at::Tensor& x, const at::Tensor& emb) {
  // In-place activations and sums keep peak memory down (same arithmetic, same bits).
  at::Tensor h = ops::conv2d(w, p + ".in_layers.2", ops::silu_(ops::group_norm(w, p + ".in_layers.0", x, 1e-5)));
  h.add_(ops::linear(w, p + ".emb_layers.1", at::silu(emb)).unsqueeze(-1).unsqueeze(-1));
  h = ops::conv2d(w, p + ".out_layers.3", ops::silu_(ops::group_norm(w, p + ".out_layers.0", h, 1e-5)));
  return h.add_(w.count(p + ".skip_connection.weight") ? ops::conv2d(w, p + ".skip_connection", x) : x);
}

at::Tensor cross_or_self(const Weights& w, const std::string& p, const at::Tensor& x, const at::Tensor& ctx,
                         const at::Tensor& mask, int64_t heads) {
  const at::Tensor q = ops::linear(w, p + ".to_q", x);
  const at::Tensor k = ops::linear(w, p + ".to_k", ctx), v = ops::linear(w, p + ".to_v", ctx);
  return ops::linear(w, p + ".to_out.0", ops::attention(q, k, v, heads, mask));
}

at::Tensor spatial_transformer(const Weights& w, const std::string& p, const at::Tensor& x, const at::Tensor& ctx,
                               const at::Tensor& mask, int64_t depth, const UNetConfig& cfg) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), heads = cfg.heads_for(C);
  at::Tensor h = ops::group_norm(w, p + ".norm", x, 1e-6);
  auto to_tokens = [&](const at::Tensor& t) { return t.reshape({B, C, H * W}).transpose(1, 2); };
  h = cfg.linear_proj ? ops::linear(w, p + ".proj_in", to_tokens(h)) : to_tokens(ops::conv2d(w, p + ".proj_in", h));
  for (int64_t d = 0; d < depth; ++d) {
    const std::string b = idx(p + ".transformer_blocks", d);
    const at::Tensor n1 = ops::layer_norm(w, b + ".norm1", h);
    h = h + cross_or_self(w, b + ".attn1", n1, n1, {}, heads);
    h = h + cross_or_self(w, b + ".attn2", ops::layer_norm(w, b + ".norm2", h), ctx, mask, heads);
    const auto proj = ops::linear(w, b + ".ff.net.0.proj", ops::layer_norm(w, b + ".norm3", h)).chunk(2, -1);
    h = h + ops::linear(w, b + ".ff.net.2", proj[0] * at::gelu(proj[1]));
  }
  at::Tensor out;
  if (cfg.linear_proj) {
    out = ops::linear(w, p + ".proj_out", h).transpose(1, 2).reshape({B, C, H, W});
  } else {
    out = ops::conv2d(w, p + ".proj_out", h.transpose(1, 2).reshape({B, C, H, W}));
  }
  return out + x;
}

bool all_ones(const at::Tensor& mask) { return !mask.defined() || (mask > 0.5).all().item<bool>(); }

}  // namespace

int64_t UNetConfig::heads_for(int64_t channels) const {
  if (num_heads > 0) return num_heads;
  if (head_channels <= 0 || channels % head_channels != 0)
    throw Error("U-Net: " + std::to_string(channels) + " channels cannot be split into heads of " +
                std::to_string(head_channels));
  return channels / head_channels;
}

std::string UNetConfig::describe() const {
  auto list = [](const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
  };
  return std::to_string(model_channels) + " ch, mult " + list(channel_mult) + ", " + std::to_string(num_res_blocks) +
         " res blocks, attention depth " + list(transformer_depth) + ", context " + std::to_string(context_dim) +
         ", " + (num_heads > 0 ? std::to_string(num_heads) + " heads" : std::to_string(head_channels) + " ch/head") +
         (linear_proj ? ", linear proj" : "");
}

UNetConfig infer_unet_config(const Layout& l, const std::string& source) {
  UNetConfig cfg;
  const Shape& conv_in = shape_of(l, "input_blocks.0.0.weight", source);
  if (conv_in.size() != 4) throw Error(source + ": U-Net input conv is not 4-D");
  cfg.model_channels = conv_in[0];
  cfg.in_channels = conv_in[1];
  cfg.out_channels = shape_of(l, "out.2.weight", source).at(0);
  cfg.context_dim = 0;
  for (const auto& [name, shape] : l) {
    const std::string tail = ".attn2.to_k.weight";
    if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0) {
      cfg.context_dim = shape.at(1);
      break;
    }
    const std::string proj = ".proj_in.weight";
    if (name.size() > proj.size() && name.compare(name.size() - proj.size(), proj.size(), proj) == 0)
      cfg.linear_proj = shape.size() == 2;
  }
  if (cfg.context_dim == 0) throw Error(source + ": U-Net has no cross-attention (not an SD text-to-image U-Net)");
  // Walk the input blocks: ResBlocks (+ transformer) grouped into levels by Downsamples.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> levels(1);  // (channels, depth) per res block
  for (int64_t i = 1; has(l, idx("input_blocks", i) + ".0.op.weight") ||
                      has(l, idx("input_blocks", i) + ".0.out_layers.3.weight");
       ++i) {
    const std::string p = idx("input_blocks", i);
    if (has(l, p + ".0.op.weight")) {
      levels.emplace_back();
      continue;
    }
    const int64_t ch = l.at(p + ".0.out_layers.3.weight").at(0);
    levels.back().emplace_back(ch, count_blocks(l, p + ".1.transformer_blocks", "norm1.weight"));
  }
  if (levels.front().empty()) throw Error(source + ": U-Net has no residual blocks after its input conv");
  cfg.num_res_blocks = int64_t(levels.front().size());
  for (size_t lv = 0; lv < levels.size(); ++lv) {
    const auto& blocks = levels[lv];
    if (int64_t(blocks.size()) != cfg.num_res_blocks)
      throw Error(source + ": U-Net level " + std::to_string(lv) + " has " + std::to_string(blocks.size()) +
                  " residual blocks, level 0 has " + std::to_string(cfg.num_res_blocks) + " (not supported)");
    if (blocks[0].first % cfg.model_channels != 0)
      throw Error(source + ": U-Net level width " + std::to_string(blocks[0].first) + " is not a multiple of " +
                  std::to_string(cfg.model_channels));
    cfg.channel_mult.push_back(blocks[0].first / cfg.model_channels);
    cfg.transformer_depth.push_back(blocks[0].second);
  }
  cfg.middle_depth = count_blocks(l, "middle_block.1.transformer_blocks", "norm1.weight");
  return cfg;
}

Layout unet_layout(const UNetConfig& cfg) {
  Layout l;
  const int64_t mc = cfg.model_channels, temb = 4 * mc, levels = int64_t(cfg.channel_mult.size());
  ops::add_linear(l, "time_embed.0", temb, mc);
  ops::add_linear(l, "time_embed.2", temb, temb);
  ops::add_conv(l, "input_blocks.0.0", mc, cfg.in_channels, 3);
  std::vector<int64_t> skips{mc};
  int64_t ch = mc, i = 1;
  for (int64_t lv = 0; lv < levels; ++lv) {
    const int64_t out = cfg.channel_mult[size_t(lv)] * mc;
    for (int64_t r = 0; r < cfg.num_res_blocks; ++r, ++i) {
      res_layout(l, idx("input_blocks", i) + ".0", ch, out, temb);
      ch = out;
      if (cfg.transformer_depth[size_t(lv)] > 0)
        transformer_layout(l, idx("input_blocks", i) + ".1", ch, cfg.transformer_depth[size_t(lv)], cfg);
      skips.push_back(ch);
    }
    if (lv + 1 < levels) {
      ops::add_conv(l, idx("input_blocks", i) + ".0.op", ch, ch, 3);
      skips.push_back(ch);
      ++i;
    }
  }
  res_layout(l, "middle_block.0", ch, ch, temb);
  if (cfg.middle_depth > 0) {
    transformer_layout(l, "middle_block.1", ch, cfg.middle_depth, cfg);
    res_layout(l, "middle_block.2", ch, ch, temb);
  } else {
    res_layout(l, "middle_block.1", ch, ch, temb);
  }
  int64_t o = 0;
  for (int64_t lv = levels - 1; lv >= 0; --lv) {
    const int64_t out = cfg.channel_mult[size_t(lv)] * mc;
    for (int64_t r = 0; r <= cfg.num_res_blocks; ++r, ++o) {
      const std::string p = idx("output_blocks", o);
      res_layout(l, p + ".0", ch + skips.back(), out, temb);
      skips.pop_back();
      ch = out;
      int64_t sub = 1;
      if (cfg.transformer_depth[size_t(lv)] > 0) transformer_layout(l, idx(p, sub++), ch, cfg.transformer_depth[size_t(lv)], cfg);
      if (lv > 0 && r == cfg.num_res_blocks) ops::add_conv(l, idx(p, sub) + ".conv", ch, ch, 3);
    }
  }
  ops::add_norm(l, "out.0", mc);
  ops::add_conv(l, "out.2", cfg.out_channels, mc, 3);
  return l;
}

UNet::UNet(UNetConfig cfg, Weights weights) : cfg_(std::move(cfg)), w_(std::move(weights)) {}

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim) {
  const int64_t half = dim / 2;
  // float32, in the original's order of operations, so the embedding matches it bit for bit.
  const auto opt = t.options().dtype(at::kFloat);
  const auto freqs = at::exp(at::arange(half, opt) * (-std::log(10000.0)) / double(half));
  const auto args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor emb = at::cat({at::cos(args), at::sin(args)}, 1);
  if (dim % 2) emb = at::cat({emb, at::zeros({t.size(0), 1}, emb.options())}, 1);
  return emb;
}

at::Tensor UNet::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                         const at::Tensor& context_mask) const {
  const auto& w = w_;
  const int64_t levels = int64_t(cfg_.channel_mult.size());
  const at::Tensor dtype_ref = weight(w, "out.2.weight");
  const at::Tensor mask = all_ones(context_mask) ? at::Tensor() : context_mask;
  const at::Tensor ctx = context.to(dtype_ref.options());
  at::Tensor emb = timestep_embedding(t.to(x.device()).reshape({-1}).expand({x.size(0)}), cfg_.model_channels)
                       .to(dtype_ref.options());
  emb = ops::linear(w, "time_embed.2", at::silu(ops::linear(w, "time_embed.0", emb)));

  at::Tensor h = ops::conv2d(w, "input_blocks.0.0", x.to(dtype_ref.options()));
  std::vector<at::Tensor> skips{h};
  int64_t i = 1;
  for (int64_t lv = 0; lv < levels; ++lv) {
    const int64_t depth = cfg_.transformer_depth[size_t(lv)];
    for (int64_t r = 0; r < cfg_.num_res_blocks; ++r, ++i) {
      h = res_block(w, idx("input_blocks", i) + ".0", h, emb);
      if (depth > 0) h = spatial_transformer(w, idx("input_blocks", i) + ".1", h, ctx, mask, depth, cfg_);
      skips.push_back(h);
    }
    if (lv + 1 < levels) {
      h = ops::conv2d(w, idx("input_blocks", i) + ".0.op", h, 2, 1);
      skips.push_back(h);
      ++i;
    }
  }
  h = res_block(w, "middle_block.0", h, emb);
  if (cfg_.middle_depth > 0) {
    h = spatial_transformer(w, "middle_block.1", h, ctx, mask, cfg_.middle_depth, cfg_);
    h = res_block(w, "middle_block.2", h, emb);
  } else {
    h = res_block(w, "middle_block.1", h, emb);
  }
  int64_t o = 0;
  for (int64_t lv = levels - 1; lv >= 0; --lv) {
    const int64_t depth = cfg_.transformer_depth[size_t(lv)];
    for (int64_t r = 0; r <= cfg_.num_res_blocks; ++r, ++o) {
      const std::string p = idx("output_blocks", o);
      h = res_block(w, p + ".0", at::cat({h, skips.back()}, 1), emb);
      skips.pop_back();
      int64_t sub = 1;
      if (depth > 0) h = spatial_transformer(w, idx(p, sub++), h, ctx, mask, depth, cfg_);
      if (lv > 0 && r == cfg_.num_res_blocks) {
        // Nearest-neighbour upsampling to the size of the skip it will be joined with, so
        // odd latent sizes (e.g. 25 -> 13 -> 25) line up as in the original.
        const auto& next = skips.back();
        h = at::upsample_nearest2d(h, {next.size(2), next.size(3)});
        h = ops::conv2d(w, idx(p, sub) + ".conv", h);
      }
    }
  }
  return ops::conv2d(w, "out.2", at::silu(ops::group_norm(w, "out.0", h, 1e-5)));
}

}  // namespace ng::sd
