// unet.load: a U-Net model file -> MODEL (the x0-denoiser samplers drive).
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::unet {

void register_load_node(Registrar& r) {
  NodeSpec spec("unet.load", {1, 0});
  spec.display("Load U-Net")
      .category("loaders")
      .describe("Loads a denoising U-Net from a NoiseGraph .safetensors file. The file's metadata "
                "describes the architecture, the prediction type (eps, v, x0 or flow) and the "
                "noise schedule, so the MODEL works with every sampler. A file of another kind "
                "(an autoencoder, a classifier) is refused.")
      .output("model", type::Model)
      .path_param("path", "fmnist-latent-unet.safetensors")
      .describe("model file; relative paths resolve against the graph's folder, then the models folders");
  spec.run([](NodeCall& call) {
    auto model = nn::load_denoiser(call.param_path("path"), call.context().device());
    call.context().log(LogLevel::Info, model->describe());
    call.set("model", model);
  });
  r.add(std::move(spec));
}

}  // namespace ng::unet
