// train.classifier: clean image classifier (evaluation) or noise-aware latent classifier
// (classifier guidance).
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::train_nodes {

void register_classifier_node(Registrar& r) {
  NodeSpec spec("train.classifier", {1, 0});
  spec.display("Train classifier")
      .category("training")
      .describe("Trains a Fashion-MNIST classifier: on clean 32x32 images (for evaluation) or, with "
                "an autoencoder and 'noisy', on noised latents at random timesteps of a VP schedule "
                "(for classifier guidance). Reports test accuracy.");
  add_common_params(spec, "fmnist-eval-classifier.safetensors", 3000, 64, 1e-3);
  spec.path_param("autoencoder", "")
      .describe("autoencoder file: train on its latents; empty = on images")
      .param("noisy", false)
      .describe("noise-aware (time-conditioned) classifier; needs an autoencoder")
      .enum_param("schedule", {"linear", "scaled_linear", "cosine", "sigmoid"}, "scaled_linear")
      .param("timesteps", 1000)
      .range(2, 10000)
      .param("beta_start", 0.00085)
      .range(0.0, 1.0)
      .param("beta_end", 0.012)
      .range(0.0, 1.0)
      .param("channels", "16,32,64")
      .describe("widths per level; one 2x downsampling between levels");
  spec.run([](NodeCall& call) {
    train::ClassifierTrainConfig c;
    read_common_params(call, c);
    const std::string ae = call.param_string("autoencoder");
    if (!ae.empty()) c.autoencoder = call.param_path("autoencoder");
    c.noisy = call.param_bool("noisy");
    c.schedule = call.param_string("schedule");
    c.timesteps = call.param_int("timesteps");
    c.beta_start = call.param_float("beta_start");
    c.beta_end = call.param_float("beta_end");
    c.arch.channels = parse_ints(call.param_string("channels"), "channels");
    if (c.autoencoder.empty()) {
      c.arch.in_channels = 1;
      c.arch.input_size = 32;
    } else {
      c.arch.in_channels = nn::load_autoencoder(c.autoencoder)->latent_channels();
      c.arch.input_size = 8;
    }
    publish(call, train::train_classifier(c, call.context()));
  });
  r.add(std::move(spec));
}

}  // namespace ng::train_nodes
