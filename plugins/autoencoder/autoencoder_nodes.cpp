// autoencoder.load / .encode / .decode / .pixel
#include <noisegraph/models.hpp>
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::autoencoder {

namespace {

NodeSpec load_spec() {
  NodeSpec spec("autoencoder.load", {1, 0});
  spec.display("Load autoencoder")
      .category("loaders")
      .describe("Loads a KL autoencoder from a NoiseGraph .safetensors file. encode() returns "
                "latents already multiplied by the file's scaling factor.")
      .output("autoencoder", type::Autoencoder)
      .path_param("path", "fmnist-vae.safetensors")
      .describe("model file; relative paths resolve against the graph's folder, then the models folders");
  spec.run([](NodeCall& call) {
    auto ae = nn::load_autoencoder(call.param_path("path"), call.context().device());
    call.context().log(LogLevel::Info, ae->describe());
    call.set("autoencoder", ae);
  });
  return spec;
}

NodeSpec pixel_spec() {
  NodeSpec spec("autoencoder.pixel", {1, 0});
  spec.display("Pixel space")
      .category("loaders")
      .describe("The 'autoencoder' of pixel-space models: encode maps IMAGE [0,1] to [-1,1], decode "
                "maps back and clamps. Use it with fmnist-pixel-ddpm.")
      .output("autoencoder", type::Autoencoder)
      .param("channels", 1)
      .range(1, 4)
      .describe("image channels of the model");
  spec.run([](NodeCall& call) { call.set("autoencoder", make_pixel_space(call.param_int("channels"))); });
  return spec;
}

NodeSpec encode_spec() {
  NodeSpec spec("autoencoder.encode", {1, 0});
  spec.display("Encode image")
      .category("latent")
      .describe("IMAGE -> LATENT (posterior mean, scaled). Height and width must be multiples of the "
                "autoencoder's downscale factor.")
      .input("autoencoder", type::Autoencoder)
      .input("image", type::Image)
      .output("latent", type::Latent);
  spec.run([](NodeCall& call) {
    auto ae = call.object<Autoencoder>("autoencoder");
    Latent l;
    l.samples = ae->encode(call.tensor("image"));
    call.set("latent", l);
  });
  return spec;
}

NodeSpec decode_spec() {
  NodeSpec spec("autoencoder.decode", {1, 0});
  spec.display("Decode latent")
      .category("latent")
      .describe("LATENT -> IMAGE in [0,1].")
      .input("autoencoder", type::Autoencoder)
      .input("latent", type::Latent)
      .output("image", type::Image);
  spec.run([](NodeCall& call) {
    auto ae = call.object<Autoencoder>("autoencoder");
    call.set("image", ae->decode(call.latent("latent").samples));
  });
  return spec;
}

}  // namespace

void register_autoencoder_nodes(Registrar& r) {
  r.add(load_spec());
  r.add(pixel_spec());
  r.add(encode_spec());
  r.add(decode_spec());
}

}  // namespace ng::autoencoder
