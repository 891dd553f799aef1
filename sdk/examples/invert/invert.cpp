// invert.image: a complete NoiseGraph plugin in one file.
#include <ATen/ATen.h>
#include <noisegraph/plugin.hpp>

static void register_nodes(ng::Registrar& registrar) {
  ng::NodeSpec spec("invert.image", {1, 0});
  spec.display("Invert image").category("image")
      .describe("Turns light into dark: 1 - image, blended with the input by `amount`.")
      .input("image", ng::type::Image).describe("values in [0, 1]")
      .output("image", ng::type::Image)
      .param("amount", 1.0).range(0.0, 1.0).step(0.05).describe("0 = unchanged, 1 = fully inverted");
  spec.run([](ng::NodeCall& call) {
    const at::Tensor image = call.tensor("image");
    const double amount = call.param_float("amount");
    call.set("image", image * (1.0 - amount) + (1.0 - image) * amount);
  });
  registrar.add(std::move(spec));
}

NOISEGRAPH_PLUGIN(register_nodes)
