#pragma once
/// @file sd/checkpoint.hpp
/// Loading Stable Diffusion 1.x and 2.x checkpoints as ordinary NoiseGraph models: a
/// MODEL (the U-Net under its discrete "scaled_linear" VP schedule, eps or v prediction),
/// a PROMPT_ENCODER (CLIP tokenizer + text transformer) and an AUTOENCODER (the KL VAE,
/// latent scale 0.18215), so every sampler, scheduler, guider and editing node works on them.
///
/// Accepted sources:
///  - a single `.safetensors` file with the original latent-diffusion names
///    (`model.diffusion_model.*`, `first_stage_model.*`, `cond_stage_model.transformer.*` for
///    SD 1.x, `cond_stage_model.model.*` (OpenCLIP) for SD 2.x), with or without
///    `model_ema.*` keys (ignored: the `model.diffusion_model.*` weights are used) and the
///    12 schedule buffers (ignored: the schedule is recomputed in float64); F32, F16 or BF16;
///  - a diffusers folder (`model_index.json`, `unet/`, `vae/`, `text_encoder/`,
///    `tokenizer/vocab.json` + `merges.txt`, `scheduler/scheduler_config.json`).
/// `.ckpt` pickles are refused (never unpickled); SDXL, SD3 and Flux files are recognised
/// and refused by name.
///
/// The architecture comes from the tensors' shapes. The family decides what shapes cannot
/// show: SD 1.x (768-wide CLIP ViT-L/14): 8 heads in the U-Net, QuickGELU, pads prompts with
/// the end token, last CLIP layer; SD 2.x (1024-wide OpenCLIP ViT-H/14): 64 channels per
/// head, GELU, pads with 0, penultimate CLIP layer. SD 2.x files do not say whether they
/// predict eps or v: a `v_pred` key decides, else the spread of one late layer-norm bias
/// (v models have std > 0.09 there; a heuristic, override with `prediction`).
///
/// Files are memory-mapped and converted to float32 tensor by tensor, checked for
/// non-finite values, and compared with the layout the inferred architecture needs before
/// any weight is read: missing, unexpected and mis-shaped keys are listed in the error.
#include <c10/core/Device.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "noisegraph/models.hpp"
#include "noisegraph/sd/clip_text.hpp"
#include "noisegraph/sd/clip_tokenizer.hpp"
#include "noisegraph/sd/unet.hpp"
#include "noisegraph/sd/vae.hpp"

namespace ng::sd {

/// What the user may override; 0 / "auto" / empty = read from the checkpoint or the family.
struct NG_API CheckpointOptions {
  /// "auto" (from the text encoder: OpenCLIP names or 1024 wide = SD 2.x), "sd1" or "sd2":
  /// which conventions apply where shapes are silent (heads, GELU, padding, CLIP layer).
  std::string family = "auto";
  std::string prediction = "auto";  ///< "auto", "eps" or "v"
  int64_t clip_skip = 0;            ///< 1 = last CLIP layer, 2 = penultimate, ...; 0 = family default
  int64_t unet_heads = 0;           ///< U-Net attention heads (SD 1.x style); 0 = family default
  int64_t unet_head_channels = 0;   ///< channels per head (SD 2.x style); 0 = family default
  int64_t clip_heads = 0;           ///< CLIP attention heads; 0 = width / 64
  std::filesystem::path vocab;      ///< CLIP merges (.txt.gz) for single files
  /// VAE tiling: latents larger than this many cells on a side (1.5x, to avoid tiling a
  /// 512 image with 64-cell tiles) are encoded and decoded in overlapping tiles; 0 = never.
  int64_t vae_tile = 64;
  c10::Device device = c10::Device(c10::kCPU);
};

/// What a checkpoint holds, from its header alone (no weight is read).
struct NG_API CheckpointInfo {
  std::string source;        ///< the file or folder
  std::string format;        ///< "single file" or "diffusers folder"
  std::string family;        ///< "SD 1.x" or "SD 2.x"
  std::string prediction;    ///< "eps" or "v" (after options)
  std::string prediction_from;  ///< why: "family default", "v_pred key", "heuristic", "scheduler_config", "option"
  int64_t clip_skip = 1;
  int64_t pad_id = ClipTokenizer::kEos;
  UNetConfig unet;
  VaeConfig vae;
  ClipTextConfig clip;
  int64_t parameters = 0;    ///< all weights used
  std::vector<std::string> ignored;  ///< groups of keys present and not used, with counts ("model_ema.*: 688 keys")
  /// "SD 1.x, eps, 1.07B params (U-Net 860M, VAE 84M, CLIP 123M), single file".
  std::string describe() const;
};

/// A loaded checkpoint: the three models, and the networks behind them for tools.
struct NG_API Checkpoint {
  CheckpointInfo info;
  std::shared_ptr<Denoiser> model;
  std::shared_ptr<PromptEncoder> text_encoder;
  std::shared_ptr<Autoencoder> autoencoder;
  std::shared_ptr<const UNet> unet;
  std::shared_ptr<const Vae> vae;
  std::shared_ptr<const ClipTextModel> clip;
  std::shared_ptr<const ClipTokenizer> tokenizer;
};

/// Reads the header(s) and returns what the checkpoint is; throws ng::Error naming the
/// path for every problem listed in the file comment.
NG_API CheckpointInfo inspect_checkpoint(const std::filesystem::path& path, const CheckpointOptions& options = {});

/// Loads the checkpoint. Throws ng::Error (one line, naming the path) on any problem.
NG_API Checkpoint load_checkpoint(const std::filesystem::path& path, const CheckpointOptions& options = {});

/// The SD latent scale of the KL autoencoder (SD 1.x and 2.x).
inline constexpr double kLatentScale = 0.18215;

/// The "scaled_linear" schedule: betas = linspace(sqrt(start), sqrt(end), T)^2; returns
/// alphas_cumprod [T] in float64.
NG_API at::Tensor scaled_linear_alphas_cumprod(int64_t timesteps = 1000, double beta_start = 0.00085,
                                               double beta_end = 0.012);

}  // namespace ng::sd
