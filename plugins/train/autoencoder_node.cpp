// train.autoencoder
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::train_nodes {

void register_autoencoder_node(Registrar& r) {
  NodeSpec spec("train.autoencoder", {1, 3});
  spec.display("Train autoencoder")
      .category("training")
      .describe("Trains a KL autoencoder on Fashion-MNIST (32x32 images): MSE reconstruction plus a "
                "small KL term, optionally plus a perceptual term in a frozen image classifier's "
                "activations and an adversarial term from a PatchGAN discriminator trained alongside. Measures the latent scaling factor and test PSNR at the end.");
  add_common_params(spec, "fmnist-vae.safetensors", 1500, 32, 1.5e-3);
  spec.param("channels", "16,32,64")
      .describe("widths per level; one 2x downsampling between levels")
      .param("latent_channels", 4)
      .range(1, 64)
      .param("kl_weight", 1e-6)
      .range(0.0, 1.0)
      .path_param("perceptual_model", "")
      .describe("clean image classifier file for the perceptual term (use one you do not evaluate with)")
      .param("perceptual_weight", 0.0)
      .range(0.0, 100.0)
      .describe("weight of the perceptual distance (LPIPS-style, channel-normalised activations); 0 = off")
      .path_param("finetune_decoder_of", "")
      .describe("an autoencoder file: train only its decoder, keeping its encoder, latent space and "
                "scaling factor (its latent models keep working); channels and latent_channels are then ignored")
      .param("adversarial_weight", 0.0)
      .range(0.0, 10.0)
      .describe("weight of the adversarial term (hinge loss against a PatchGAN discriminator, scaled by "
                "VQGAN's adaptive weight); 0 = off")
      .param("adversarial_start", 0)
      .range(0, 10000000)
      .describe("step from which the decoder sees the adversarial term (the discriminator trains from step 0)");
  spec.run([](NodeCall& call) {
    train::AutoencoderTrainConfig c;
    read_common_params(call, c);
    c.arch.channels = parse_ints(call.param_string("channels"), "channels");
    c.arch.latent_channels = call.param_int("latent_channels");
    c.kl_weight = call.param_float("kl_weight");
    c.perceptual_weight = call.param_float("perceptual_weight");
    if (!call.param_string("perceptual_model").empty()) c.perceptual_model = call.param_path("perceptual_model");
    if (!call.param_string("finetune_decoder_of").empty()) c.finetune_decoder_of = call.param_path("finetune_decoder_of");
    c.adversarial_weight = call.param_float("adversarial_weight");
    c.adversarial_start = call.param_int("adversarial_start");
    publish(call, train::train_autoencoder(c, call.context()));
  });
  r.add(std::move(spec));
}

}  // namespace ng::train_nodes
