// The torch::nn building blocks: U-Net (Ho et al. 2020; Rombach et al. 2022 for the
// cross-attention conditioning), KL autoencoder, prompt embeddings, classifier.
#include "modules.hpp"

#include <cmath>

#include "noisegraph/error.hpp"

namespace ng::nn {

namespace nn = torch::nn;

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  auto freqs = torch::exp(-std::log(max_period) * torch::arange(half, torch::kFloat32) / double(half))
                   .to(t.device());
  auto args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
  auto emb = torch::cat({torch::cos(args), torch::sin(args)}, 1);
  if (dim % 2) emb = torch::cat({emb, torch::zeros({t.size(0), 1}, emb.options())}, 1);
  return emb;
}

namespace {

nn::Conv2d conv3(int64_t in, int64_t out, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

void zero_(nn::Module& m) {
  torch::NoGradGuard g;
  for (auto& p : m.parameters()) p.zero_();
}

// Strided conv (down) or nearest upsampling + conv (up).
struct ResampleImpl : nn::Module {
  ResampleImpl(int64_t ch, bool up_, int64_t out = 0) : up(up_) {
    conv = register_module("conv", conv3(ch, out > 0 ? out : ch, up ? 1 : 2));
  }
  at::Tensor forward(const at::Tensor& x) {
    if (up)
      return conv(torch::nn::functional::interpolate(
          x, torch::nn::functional::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
    return conv(x);
  }
  bool up;
  nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Resample);

at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                  const at::Tensor& key_bias) {
  // q [B,N,C], k,v [B,M,C] -> [B,N,C]; key_bias [B,M] added to the logits (or undefined)
  const auto B = q.size(0), N = q.size(1), M = k.size(1), C = q.size(2), d = C / heads;
  auto qh = q.view({B, N, heads, d}).transpose(1, 2);
  auto kh = k.view({B, M, heads, d}).transpose(1, 2);
  auto vh = v.view({B, M, heads, d}).transpose(1, 2);
  auto logits = torch::matmul(qh, kh.transpose(-1, -2)) / std::sqrt(double(d));
  if (key_bias.defined()) logits = logits + key_bias.view({B, 1, 1, M});
  auto out = torch::matmul(torch::softmax(logits, -1), vh);  // [B,h,N,d]
  return out.transpose(1, 2).reshape({B, N, C});
}

}  // namespace

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out, int64_t temb_dim, int64_t groups) {
  norm1 = register_module("norm1", nn::GroupNorm(groups, in));
  conv1 = register_module("conv1", conv3(in, out));
  norm2 = register_module("norm2", nn::GroupNorm(groups, out));
  conv2 = register_module("conv2", conv3(out, out));
  if (temb_dim > 0) temb_proj = register_module("temb_proj", nn::Linear(temb_dim, out));
  if (in != out) skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

at::Tensor ResBlockImpl::forward(const at::Tensor& x, const at::Tensor& temb) {
  auto h = conv1(torch::silu(norm1(x)));
  if (temb_proj && temb.defined()) h = h + temb_proj(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2(torch::silu(norm2(h)));
  return (skip ? skip(x) : x) + h;
}

AttentionBlockImpl::AttentionBlockImpl(int64_t channels, int64_t heads_, int64_t groups, int64_t context_dim)
    : heads(heads_) {
  norm = register_module("norm", nn::GroupNorm(groups, channels));
  qkv = register_module("qkv", nn::Linear(channels, 3 * channels));
  proj = register_module("proj", nn::Linear(channels, channels));
  zero_(*proj);
  if (context_dim > 0) {
    cross_norm = register_module("cross_norm", nn::LayerNorm(nn::LayerNormOptions({channels})));
    q = register_module("q", nn::Linear(channels, channels));
    k = register_module("k", nn::Linear(context_dim, channels));
    v = register_module("v", nn::Linear(context_dim, channels));
    cross_proj = register_module("cross_proj", nn::Linear(channels, channels));
    zero_(*cross_proj);
    null_token = register_parameter("null_token", torch::randn({1, context_dim}) * 0.02);
  }
}

at::Tensor AttentionBlockImpl::forward(const at::Tensor& x, const at::Tensor& context, const at::Tensor& mask) {
  const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  auto tokens = x.flatten(2).transpose(1, 2);  // [B,N,C]
  auto h = norm(x).flatten(2).transpose(1, 2);
  auto parts = qkv(h).chunk(3, -1);
  tokens = tokens + proj(attend(parts[0], parts[1], parts[2], heads, {}));
  if (q) {
    auto ctx = null_token.unsqueeze(0).expand({B, 1, null_token.size(1)});
    at::Tensor bias;
    if (context.defined() && context.size(1) > 0) {
      ctx = torch::cat({ctx, context.to(ctx.dtype())}, 1);
      auto keep = torch::cat({torch::ones({B, 1}, x.options()), mask.to(x.dtype())}, 1);
      bias = (1.0 - keep) * -1e9;
    }
    auto hq = q(cross_norm(tokens));
    tokens = tokens + cross_proj(attend(hq, k(ctx), v(ctx), heads, bias));
  }
  return tokens.transpose(1, 2).reshape({B, C, H, W});
}

UNetImpl::UNetImpl(UNetConfig c) : cfg(std::move(c)) {
  cfg.validate();
  const auto ch0 = cfg.channels[0], temb = cfg.time_embed_dim(), G = cfg.groups;
  time1 = register_module("time1", nn::Linear(ch0, temb));
  time2 = register_module("time2", nn::Linear(temb, temb));
  if (cfg.num_classes > 0) class_embed = register_module("class_embed", nn::Embedding(cfg.num_classes + 1, temb));
  conv_in = register_module("conv_in", conv3(cfg.in_channels, ch0));
  down = register_module("down", nn::ModuleList());
  mid = register_module("mid", nn::ModuleList());
  up = register_module("up", nn::ModuleList());
  auto wants_attention = [&](int64_t res) {
    for (auto r : cfg.attention_resolutions)
      if (r == res) return true;
    return false;
  };
  std::vector<int64_t> skip_ch{ch0};
  int64_t cur = ch0, res = cfg.sample_size;
  const auto levels = cfg.channels.size();
  for (size_t l = 0; l < levels; ++l) {
    for (int64_t r = 0; r < cfg.res_blocks; ++r) {
      down->push_back(ResBlock(cur, cfg.channels[l], temb, G));
      down_kind.push_back(0);
      cur = cfg.channels[l];
      if (wants_attention(res)) {
        down->push_back(AttentionBlock(cur, cfg.heads, G, cfg.context_dim));
        down_kind.push_back(1);
      }
      skip_ch.push_back(cur);
    }
    if (l + 1 < levels) {
      down->push_back(Resample(cur, false));
      down_kind.push_back(2);
      skip_ch.push_back(cur);
      res /= 2;
    }
  }
  mid->push_back(ResBlock(cur, cur, temb, G));
  mid->push_back(AttentionBlock(cur, cfg.heads, G, cfg.context_dim));
  mid->push_back(ResBlock(cur, cur, temb, G));
  for (size_t l = levels; l-- > 0;) {
    for (int64_t r = 0; r <= cfg.res_blocks; ++r) {
      up->push_back(ResBlock(cur + skip_ch.back(), cfg.channels[l], temb, G));
      skip_ch.pop_back();
      up_kind.push_back(0);
      cur = cfg.channels[l];
      if (wants_attention(res)) {
        up->push_back(AttentionBlock(cur, cfg.heads, G, cfg.context_dim));
        up_kind.push_back(1);
      }
    }
    if (l > 0) {
      up->push_back(Resample(cur, true));
      up_kind.push_back(2);
      res *= 2;
    }
  }
  norm_out = register_module("norm_out", nn::GroupNorm(G, cur));
  conv_out = register_module("conv_out", conv3(cur, cfg.network_out_channels()));
  zero_(*conv_out);
}

at::Tensor UNetImpl::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                             const at::Tensor& mask, const at::Tensor& class_ids) {
  const auto B = x.size(0);
  if (x.dim() != 4 || x.size(1) != cfg.in_channels)
    throw Error("U-Net expects input [B," + std::to_string(cfg.in_channels) + ",H,W], got " + std::to_string(x.dim()) +
                "-d tensor with " + std::to_string(x.dim() > 1 ? x.size(1) : 0) + " channels");
  const int64_t f = int64_t(1) << (cfg.channels.size() - 1);
  if (x.size(2) % f || x.size(3) % f)
    throw Error("U-Net input height and width must be multiples of " + std::to_string(f));
  auto temb = time2(torch::silu(time1(timestep_embedding(t.reshape({-1}).expand({B}), cfg.channels[0]))));
  if (class_embed) {
    at::Tensor ids = class_ids.defined() ? class_ids.to(torch::kLong) : torch::full({B}, -1, torch::kLong);
    if (ids.numel() != B) throw Error("class_ids must have one entry per batch row");
    if ((ids >= cfg.num_classes).any().item<bool>())
      throw Error("class id out of range (model has " + std::to_string(cfg.num_classes) + " classes)");
    ids = torch::where(ids < 0, torch::full_like(ids, cfg.num_classes), ids).to(x.device());
    temb = temb + class_embed(ids);
  }
  at::Tensor ctx, msk;
  if (cfg.context_dim > 0 && context.defined() && context.size(1) > 0) {
    if (context.dim() != 3 || context.size(0) != B || context.size(2) != cfg.context_dim)
      throw Error("context must be [B,T," + std::to_string(cfg.context_dim) + "]");
    ctx = context.to(x.dtype());
    msk = mask.defined() ? mask.to(x.dtype()) : torch::ones({B, ctx.size(1)}, x.options());
  }
  auto h = conv_in(x);
  std::vector<at::Tensor> skips{h};
  for (size_t i = 0; i < down->size(); ++i) {
    if (down_kind[i] == 0) h = down[i]->as<ResBlockImpl>()->forward(h, temb);
    else if (down_kind[i] == 1) h = down[i]->as<AttentionBlockImpl>()->forward(h, ctx, msk);
    else h = down[i]->as<ResampleImpl>()->forward(h);
    if (down_kind[i] == 1) skips.back() = h;  // attention refines the block it follows
    else skips.push_back(h);
  }
  h = mid[0]->as<ResBlockImpl>()->forward(h, temb);
  h = mid[1]->as<AttentionBlockImpl>()->forward(h, ctx, msk);
  h = mid[2]->as<ResBlockImpl>()->forward(h, temb);
  for (size_t i = 0; i < up->size(); ++i) {
    if (up_kind[i] == 0) {
      h = up[i]->as<ResBlockImpl>()->forward(torch::cat({h, skips.back()}, 1), temb);
      skips.pop_back();
    } else if (up_kind[i] == 1) {
      h = up[i]->as<AttentionBlockImpl>()->forward(h, ctx, msk);
    } else {
      h = up[i]->as<ResampleImpl>()->forward(h);
    }
  }
  return conv_out(torch::silu(norm_out(h)));
}

AutoencoderNetImpl::AutoencoderNetImpl(AutoencoderConfig c) : cfg(std::move(c)) {
  cfg.validate();
  const auto G = cfg.groups;
  const auto levels = cfg.channels.size();
  enc = register_module("enc", nn::ModuleList());
  dec = register_module("dec", nn::ModuleList());
  enc_in = register_module("enc_in", conv3(cfg.image_channels, cfg.channels[0]));
  int64_t cur = cfg.channels[0];
  for (size_t l = 0; l < levels; ++l) {
    for (int64_t r = 0; r < cfg.res_blocks; ++r) {
      enc->push_back(ResBlock(cur, cfg.channels[l], 0, G));
      enc_kind.push_back(0);
      cur = cfg.channels[l];
    }
    if (l + 1 < levels) {
      enc->push_back(Resample(cur, false));
      enc_kind.push_back(2);
    }
  }
  enc_norm = register_module("enc_norm", nn::GroupNorm(G, cur));
  enc_out = register_module("enc_out", conv3(cur, 2 * cfg.latent_channels));
  dec_in = register_module("dec_in", conv3(cfg.latent_channels, cur));
  for (size_t l = levels; l-- > 0;) {
    for (int64_t r = 0; r < cfg.res_blocks; ++r) {
      dec->push_back(ResBlock(cur, cfg.channels[l], 0, G));
      dec_kind.push_back(0);
      cur = cfg.channels[l];
    }
    if (l > 0) {
      // the upsampling conv also narrows to the next level's width: the full-resolution
      // convolutions are the expensive ones, so they run at the smaller width
      dec->push_back(Resample(cur, true, cfg.channels[l - 1]));
      dec_kind.push_back(2);
      cur = cfg.channels[l - 1];
    }
  }
  dec_norm = register_module("dec_norm", nn::GroupNorm(G, cur));
  dec_out = register_module("dec_out", conv3(cur, cfg.image_channels));
}

std::pair<at::Tensor, at::Tensor> AutoencoderNetImpl::encode(const at::Tensor& image01) {
  auto h = enc_in(image01 * 2.0 - 1.0);
  for (size_t i = 0; i < enc->size(); ++i)
    h = enc_kind[i] == 0 ? enc[i]->as<ResBlockImpl>()->forward(h, {}) : enc[i]->as<ResampleImpl>()->forward(h);
  auto moments = enc_out(torch::silu(enc_norm(h))).chunk(2, 1);
  return {moments[0], torch::clamp(moments[1], -30.0, 20.0)};
}

at::Tensor AutoencoderNetImpl::decode(const at::Tensor& z) {
  auto h = dec_in(z);
  for (size_t i = 0; i < dec->size(); ++i)
    h = dec_kind[i] == 0 ? dec[i]->as<ResBlockImpl>()->forward(h, {}) : dec[i]->as<ResampleImpl>()->forward(h);
  return dec_out(torch::silu(dec_norm(h)));
}

PromptNetImpl::PromptNetImpl(PromptConfig c) : cfg(std::move(c)) {
  cfg.validate();
  words = register_module("words", nn::Embedding(int64_t(cfg.vocabulary.size()), cfg.dim));
  positions = register_module("positions", nn::Embedding(cfg.max_tokens, cfg.dim));
  torch::NoGradGuard g;
  words->weight.normal_(0.0, 1.0);
  positions->weight.normal_(0.0, 0.1);
}

at::Tensor PromptNetImpl::forward(const at::Tensor& ids) {
  auto pos = torch::arange(ids.size(1), torch::kLong).to(ids.device());
  return words(ids) + positions(pos).unsqueeze(0);
}

ClassifierNetImpl::ClassifierNetImpl(ClassifierConfig c) : cfg(std::move(c)) {
  cfg.validate();
  const auto ch0 = cfg.channels[0], G = cfg.groups;
  const int64_t temb = cfg.time_conditioned ? 4 * ch0 : 0;
  if (temb) {
    time1 = register_module("time1", nn::Linear(ch0, temb));
    time2 = register_module("time2", nn::Linear(temb, temb));
  }
  conv_in = register_module("conv_in", conv3(cfg.in_channels, ch0));
  blocks = register_module("blocks", nn::ModuleList());
  int64_t cur = ch0;
  for (size_t l = 0; l < cfg.channels.size(); ++l) {
    for (int64_t r = 0; r < cfg.res_blocks; ++r) {
      blocks->push_back(ResBlock(cur, cfg.channels[l], temb, G));
      kind.push_back(0);
      cur = cfg.channels[l];
    }
    if (l + 1 < cfg.channels.size()) {
      blocks->push_back(Resample(cur, false));
      kind.push_back(2);
    }
  }
  norm_out = register_module("norm_out", nn::GroupNorm(G, cur));
  head = register_module("head", nn::Linear(cur, cfg.num_classes()));
}

at::Tensor ClassifierNetImpl::features(const at::Tensor& x, const at::Tensor& t) {
  at::Tensor temb;
  if (time1) {
    auto tt = t.defined() ? t.reshape({-1}).expand({x.size(0)}) : torch::zeros({x.size(0)}, x.options());
    temb = time2(torch::silu(time1(timestep_embedding(tt, cfg.channels[0]))));
  }
  auto h = conv_in(x);
  for (size_t i = 0; i < blocks->size(); ++i)
    h = kind[i] == 0 ? blocks[i]->as<ResBlockImpl>()->forward(h, temb) : blocks[i]->as<ResampleImpl>()->forward(h);
  return torch::silu(norm_out(h)).mean({2, 3});
}

std::vector<at::Tensor> ClassifierNetImpl::activations(const at::Tensor& x) {
  if (time1) throw Error("activations: only clean image classifiers (not time-conditioned) have them");
  std::vector<at::Tensor> out;
  auto h = conv_in(x);
  for (size_t i = 0; i < blocks->size(); ++i) {
    h = kind[i] == 0 ? blocks[i]->as<ResBlockImpl>()->forward(h, {}) : blocks[i]->as<ResampleImpl>()->forward(h);
    if (kind[i] == 0) out.push_back(h);
  }
  return out;
}

std::map<std::string, at::Tensor> state_dict(const torch::nn::Module& m, const std::string& prefix) {
  std::map<std::string, at::Tensor> out;
  for (const auto& p : m.named_parameters(true)) out[prefix + p.key()] = p.value();
  for (const auto& b : m.named_buffers(true)) out[prefix + b.key()] = b.value();
  return out;
}

void load_state_dict(torch::nn::Module& m, const std::map<std::string, at::Tensor>& tensors,
                     const std::string& prefix, const std::string& source) {
  torch::NoGradGuard g;
  size_t used = 0;
  auto copy = [&](const std::string& name, at::Tensor& dst) {
    auto it = tensors.find(prefix + name);
    if (it == tensors.end())
      throw Error(source + ": missing tensor '" + prefix + name + "' (file does not match its architecture config)");
    if (it->second.sizes() != dst.sizes())
      throw Error(source + ": tensor '" + prefix + name + "' has shape " + c10::str(it->second.sizes()) +
                  ", the architecture needs " + c10::str(dst.sizes()));
    dst.copy_(it->second);
    ++used;
  };
  for (auto& p : m.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : m.named_buffers(true)) copy(b.key(), b.value());
  size_t available = 0;
  for (const auto& kv : tensors)
    if (kv.first.compare(0, prefix.size(), prefix) == 0) ++available;
  if (available != used)
    throw Error(source + ": " + std::to_string(available - used) + " unexpected tensors under '" + prefix +
                "' (file does not match its architecture config)");
}

int64_t parameter_count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace ng::nn
