// classifier.load: a classifier file -> CLASSIFIER (classifier guidance, evaluation).
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

namespace ng::classifier {

void register_load_node(Registrar& r) {
  NodeSpec spec("classifier.load", {1, 0});
  spec.display("Load classifier")
      .category("loaders")
      .describe("Loads a classifier from a NoiseGraph .safetensors file: a noise-aware latent "
                "classifier (for classifier guidance; it reads latents in the sigma space of the "
                "diffusion schedule stored in the file) or a clean image classifier (for "
                "evaluation).")
      .output("classifier", type::Classifier)
      .path_param("path", "fmnist-latent-classifier.safetensors")
      .describe("model file; relative paths resolve against the graph's folder, then the models folders");
  spec.run([](NodeCall& call) {
    auto c = nn::load_classifier(call.param_path("path"), call.context().device());
    call.context().log(LogLevel::Info, c->describe());
    call.set("classifier", c);
  });
  r.add(std::move(spec));
}

}  // namespace ng::classifier
