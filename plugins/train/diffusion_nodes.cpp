// train.diffusion (eps / v) and train.flow (rectified flow): the same SDK function.
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::train_nodes {

namespace {

NodeSpec make_spec(bool flow) {
  // train.diffusion 1.1: learned_variance and vlb_weight; 1.2: min_snr_gamma (defaults keep
  // 1.0's behaviour).
  // train.flow 1.1: time_sampling.
  NodeSpec spec(flow ? "train.flow" : "train.diffusion", {1, flow ? 1 : 2});
  spec.display(flow ? "Train flow model" : "Train diffusion model")
      .category("training")
      .describe(flow ? "Trains a U-Net by rectified flow (x_t = (1-t) x0 + t eps, velocity loss) on "
                       "Fashion-MNIST, in the latent space of an autoencoder or in pixel space."
                     : "Trains a denoising U-Net (DDPM simple loss on eps or v) on Fashion-MNIST, in the "
                       "latent space of an autoencoder or in pixel space, with condition dropout for "
                       "classifier-free guidance and EMA weights.");
  add_common_params(spec, flow ? "fmnist-latent-flow.safetensors" : "fmnist-latent-unet.safetensors", 3000, 64,
                    5e-4);
  spec.path_param("autoencoder", "fmnist-vae.safetensors")
      .describe("autoencoder file for a latent model; empty = pixel space ([-1,1] images)")
      .enum_param("conditioning", {"prompt", "class", "none"}, "prompt")
      .describe("prompt: word embeddings via cross-attention; class: class embedding");
  if (!flow) {
    spec.enum_param("objective", {"eps", "v"}, "eps")
        .enum_param("schedule", {"linear", "scaled_linear", "cosine", "sigmoid"}, "scaled_linear")
        .param("timesteps", 1000)
        .range(2, 10000)
        .param("beta_start", 0.00085)
        .range(0.0, 1.0)
        .param("beta_end", 0.012)
        .range(0.0, 1.0)
        .param("learned_variance", false)
        .describe("also learn the reverse-process variance (Improved DDPM: 2C outputs, hybrid loss; eps only)")
        .param("vlb_weight", 0.001)
        .range(0.0, 1.0)
        .describe("weight of the variational-bound term in the hybrid loss (learned_variance)")
        .param("min_snr_gamma", 0.0)
        .range(0.0, 1000.0)
        .describe("Min-SNR-gamma loss weighting (Hang et al. 2023; 5 is typical); 0 = uniform");
  } else {
    spec.enum_param("time_sampling", {"uniform", "logit_normal"}, "uniform")
        .describe("how training draws t: uniform, or logit-normal (SD3: more steps on middle times)");
  }
  spec.param("channels", "48,96")
      .describe("U-Net widths per level; one 2x downsampling between levels")
      .param("res_blocks", 1)
      .range(1, 8)
      .param("attention_resolutions", "8,4")
      .describe("spatial sizes with (self + cross) attention")
      .param("heads", 4)
      .range(1, 64)
      .param("context_dim", 64)
      .range(0, 1024)
      .describe("prompt embedding width (prompt conditioning)")
      .param("cond_dropout", 0.1)
      .range(0.0, 1.0)
      .describe("fraction of unconditional rows (for CFG)");
  spec.run([flow](NodeCall& call) {
    train::DiffusionTrainConfig c;
    read_common_params(call, c);
    const std::string ae = call.param_string("autoencoder");
    if (!ae.empty()) c.autoencoder = call.param_path("autoencoder");
    c.conditioning = call.param_string("conditioning");
    c.objective = flow ? "flow" : call.param_string("objective");
    if (!flow) {
      c.schedule = call.param_string("schedule");
      c.timesteps = call.param_int("timesteps");
      c.beta_start = call.param_float("beta_start");
      c.beta_end = call.param_float("beta_end");
      c.arch.learned_variance = call.param_bool("learned_variance");
      c.vlb_weight = call.param_float("vlb_weight");
      c.min_snr_gamma = call.param_float("min_snr_gamma");
    } else {
      c.flow_time_sampling = call.param_string("time_sampling");
    }
    c.arch.channels = parse_ints(call.param_string("channels"), "channels");
    c.arch.res_blocks = call.param_int("res_blocks");
    c.arch.attention_resolutions = parse_ints(call.param_string("attention_resolutions"), "attention_resolutions");
    c.arch.heads = call.param_int("heads");
    c.cond_dropout = call.param_float("cond_dropout");
    if (c.autoencoder.empty()) {
      c.arch.in_channels = c.arch.out_channels = 1;
      c.arch.sample_size = 32;
    } else {
      // As many channels as the autoencoder's latents (4 for fmnist-vae, 8 for fmnist-vae8-*).
      c.arch.in_channels = c.arch.out_channels = nn::load_autoencoder(c.autoencoder)->latent_channels();
      c.arch.sample_size = 8;
      c.arch.spatial_scale = 4;
    }
    c.arch.context_dim = c.conditioning == "prompt" ? call.param_int("context_dim") : 0;
    c.arch.num_classes = c.conditioning == "class" ? 10 : 0;
    publish(call, train::train_diffusion(c, call.context()));
  });
  return spec;
}

}  // namespace

void register_diffusion_nodes(Registrar& r) {
  r.add(make_spec(false));
  r.add(make_spec(true));
}

}  // namespace ng::train_nodes
