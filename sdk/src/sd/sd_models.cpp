// SD networks as NoiseGraph models.
#include "sd_models.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>

#include "noisegraph/error.hpp"

namespace ng::sd {

namespace {

class SdDenoiser final : public Denoiser {
 public:
  SdDenoiser(std::shared_ptr<const UNet> unet, std::shared_ptr<diffusion::DiscreteVPSampling> sampling,
             at::Tensor empty, std::string description)
      : unet_(std::move(unet)), sampling_(std::move(sampling)), empty_(std::move(empty)), desc_(std::move(description)) {}

  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) override {
    c10::AutoGradMode no_grad(false);
    const auto& cfg = unet_->config();
    if (x.dim() != 4 || x.size(1) != cfg.in_channels)
      throw Error("SD U-Net expects latents [B," + std::to_string(cfg.in_channels) + ",h,w], got " +
                  std::to_string(x.dim()) + "-D input with " + std::to_string(x.dim() > 1 ? x.size(1) : 0) + " channels");
    const int64_t B = x.size(0);
    at::Tensor ctx, mask;
    if (cond.context.defined()) {
      if (cond.context.size(2) != cfg.context_dim)
        throw Error("prompt embeddings are " + std::to_string(cond.context.size(2)) + " wide, this SD U-Net expects " +
                    std::to_string(cfg.context_dim) + ": encode prompts with this checkpoint's text encoder");
      ctx = cond.context.to(at::kFloat);
      mask = cond.context_mask.defined() ? cond.context_mask.to(at::kFloat) : at::ones({B, ctx.size(1)});
      if (ctx.size(1) < empty_.size(0)) {  // room for the empty prompt in unconditional rows
        const int64_t pad = empty_.size(0) - ctx.size(1);
        ctx = at::cat({ctx, at::zeros({B, pad, ctx.size(2)}, ctx.options())}, 1);
        mask = at::cat({mask, at::zeros({B, pad}, mask.options())}, 1);
      }
      const at::Tensor uncond_rows = (mask.sum(1) == 0);
      if (uncond_rows.any().item<bool>()) {
        ctx = ctx.clone();
        mask = mask.clone();
        for (int64_t b = 0; b < B; ++b) {
          if (!uncond_rows[b].item<bool>()) continue;
          ctx[b].narrow(0, 0, empty_.size(0)).copy_(empty_);
          mask[b].narrow(0, 0, empty_.size(0)).fill_(1.0);
        }
      }
    } else {
      ctx = empty_.unsqueeze(0).expand({B, empty_.size(0), empty_.size(1)});
    }
    at::Tensor t = sampling_->timestep(sigma.to(at::kFloat)).to(at::kDouble);
    // Discrete models were trained at integer timesteps; remove float32 rounding noise of
    // sigma (up to ~3e-5 in t near t = 999) so a schedule built from table entries feeds
    // exact integers, as the original code does.
    const at::Tensor nearest = at::round(t);
    t = at::where((t - nearest).abs() < 1e-3, nearest, t);
    const at::Tensor x_in = sampling_->scale_input(sigma, x);
    const at::Tensor out = unet_->forward(x_in, t.reshape({-1}).expand({B}), ctx, mask).to(x.device()).to(x.scalar_type());
    return sampling_->denoised(sigma, out, x);
  }

  const ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override { return {unet_->config().in_channels, 64, 64}; }
  int64_t spatial_scale() const override { return 8; }
  int64_t context_dim() const override { return unet_->config().context_dim; }
  std::string describe() const override { return desc_; }

 private:
  std::shared_ptr<const UNet> unet_;
  std::shared_ptr<diffusion::DiscreteVPSampling> sampling_;
  at::Tensor empty_;
  std::string desc_;
};

class SdTextEncoder final : public PromptEncoder {
 public:
  SdTextEncoder(std::shared_ptr<const ClipTextModel> clip, std::shared_ptr<const ClipTokenizer> tok, int64_t pad_id,
                int64_t skip, std::string description)
      : clip_(std::move(clip)), tok_(std::move(tok)), pad_(pad_id), skip_(skip), desc_(std::move(description)) {
    c10::AutoGradMode no_grad(false);
    empty_ = run(tok_->tokenize_weighted("", pad_)[0].ids);
  }

  ConditioningEntry encode(const std::string& text, std::vector<std::string>* /*unknown_words*/) override {
    c10::AutoGradMode no_grad(false);
    std::vector<at::Tensor> parts;
    for (const auto& chunk : tok_->tokenize_weighted(text, pad_)) {
      at::Tensor z = run(chunk.ids);
      const at::Tensor w = at::tensor(chunk.weights).to(at::kFloat).unsqueeze(1);
      if ((w != 1.0).any().item<bool>()) z = empty_ + (z - empty_) * w;
      parts.push_back(z);
    }
    ConditioningEntry e;
    e.text = text;
    e.tokens = at::cat(parts, 0).contiguous();
    e.token_mask = at::ones({e.tokens.size(0)});
    return e;
  }

  int64_t embedding_dim() const override { return clip_->config().width; }
  std::string describe() const override { return desc_; }

 private:
  at::Tensor run(const std::vector<int64_t>& ids) const {
    return clip_->encode(at::tensor(ids).to(at::kLong).unsqueeze(0), skip_)[0].to(at::kCPU).to(at::kFloat);
  }
  std::shared_ptr<const ClipTextModel> clip_;
  std::shared_ptr<const ClipTokenizer> tok_;
  int64_t pad_, skip_;
  std::string desc_;
  at::Tensor empty_;
};

class SdAutoencoder final : public Autoencoder {
 public:
  SdAutoencoder(std::shared_ptr<const Vae> vae, double scale, int64_t tile, std::string description)
      : vae_(std::move(vae)), scale_(scale), tile_(tile), desc_(std::move(description)) {}

  at::Tensor encode(const at::Tensor& image) override {
    c10::AutoGradMode no_grad(false);
    at::Tensor x = image.to(at::kFloat);
    if (x.dim() != 4) throw Error("SD autoencoder: images must be [B,C,H,W]");
    if (x.size(1) == 1) x = x.repeat({1, 3, 1, 1});
    const int64_t f = vae_->config().downscale();
    if (x.size(2) % f || x.size(3) % f)
      throw Error("SD autoencoder: image size " + std::to_string(x.size(3)) + "x" + std::to_string(x.size(2)) +
                  " is not a multiple of " + std::to_string(f));
    x = x * 2.0 - 1.0;
    const bool big = tile_ > 0 && std::max(x.size(2), x.size(3)) / f > tile_ * 3 / 2;
    const at::Tensor m = big ? vae_->encode_moments_tiled(x, tile_ * f, tile_ * f / 4) : vae_->encode_moments(x);
    return (m.narrow(1, 0, vae_->config().embed_dim) * scale_).to(image.device());
  }

  at::Tensor decode(const at::Tensor& latent) override {
    c10::AutoGradMode no_grad(false);
    const at::Tensor z = latent.to(at::kFloat) / scale_;
    const bool big = tile_ > 0 && std::max(z.size(2), z.size(3)) > tile_ * 3 / 2;
    const at::Tensor x = big ? vae_->decode_tiled(z, tile_, tile_ / 4) : vae_->decode(z);
    return ((x + 1.0) * 0.5).clamp(0.0, 1.0).to(latent.device());
  }

  int64_t image_channels() const override { return vae_->config().out_channels; }
  int64_t latent_channels() const override { return vae_->config().embed_dim; }
  int64_t downscale() const override { return vae_->config().downscale(); }
  std::string describe() const override { return desc_; }

 private:
  std::shared_ptr<const Vae> vae_;
  double scale_;
  int64_t tile_;
  std::string desc_;
};

}  // namespace

std::shared_ptr<Denoiser> make_denoiser(std::shared_ptr<const UNet> unet,
                                        std::shared_ptr<diffusion::DiscreteVPSampling> sampling,
                                        at::Tensor empty_context, std::string description) {
  return std::make_shared<SdDenoiser>(std::move(unet), std::move(sampling), std::move(empty_context),
                                      std::move(description));
}

std::shared_ptr<PromptEncoder> make_text_encoder(std::shared_ptr<const ClipTextModel> clip,
                                                 std::shared_ptr<const ClipTokenizer> tokenizer, int64_t pad_id,
                                                 int64_t clip_skip, std::string description) {
  return std::make_shared<SdTextEncoder>(std::move(clip), std::move(tokenizer), pad_id, clip_skip,
                                         std::move(description));
}

std::shared_ptr<Autoencoder> make_autoencoder(std::shared_ptr<const Vae> vae, double scale, int64_t tile,
                                              std::string description) {
  return std::make_shared<SdAutoencoder>(std::move(vae), scale, tile, std::move(description));
}

}  // namespace ng::sd
