#pragma once
// Private: the SD networks behind NoiseGraph's model interfaces (Denoiser, PromptEncoder,
// Autoencoder).
#include <memory>

#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/models.hpp"
#include "noisegraph/sd/clip_text.hpp"
#include "noisegraph/sd/clip_tokenizer.hpp"
#include "noisegraph/sd/unet.hpp"
#include "noisegraph/sd/vae.hpp"

namespace ng::sd {

/// MODEL over the U-Net. Rows whose condition has no tokens (an all-zero mask) are given
/// `empty_context` [T,D], the text encoder's encoding of the empty prompt: that is the
/// unconditional input SD was trained with.
std::shared_ptr<Denoiser> make_denoiser(std::shared_ptr<const UNet> unet,
                                        std::shared_ptr<diffusion::DiscreteVPSampling> sampling,
                                        at::Tensor empty_context, std::string description);

/// PROMPT_ENCODER: weighted 75-token chunks, each encoded separately and concatenated.
/// Weights w != 1 scale each token's distance from the empty prompt's encoding at the
/// same position: z' = z_empty + w (z - z_empty) (ComfyUI's rule).
std::shared_ptr<PromptEncoder> make_text_encoder(std::shared_ptr<const ClipTextModel> clip,
                                                 std::shared_ptr<const ClipTokenizer> tokenizer, int64_t pad_id,
                                                 int64_t clip_skip, std::string description);

/// AUTOENCODER: images in [0,1] (grey images are repeated to RGB), latents scaled by
/// `scale`; tiled above `tile` * 1.5 latent cells on a side (tile 0 = never).
std::shared_ptr<Autoencoder> make_autoencoder(std::shared_ptr<const Vae> vae, double scale, int64_t tile,
                                              std::string description);

}  // namespace ng::sd
