#include <ATen/ATen.h>
#include <noisegraph/node.hpp>

#include "nodes.hpp"

void register_image_nodes(ng::Registrar& r) {
  ng::NodeSpec image("testing.image", {1, 0});
  image.display("Flat image").category("testing").describe("An RGB image filled with one grey value.")
      .output("image", ng::type::Image)
      .param("width", 8).range(1, 4096)
      .param("height", 8).range(1, 4096)
      .param("value", 0.5).range(0.0, 1.0);
  image.run([](ng::NodeCall& call) {
    call.set("image", at::full({1, 3, call.param_int("height"), call.param_int("width")}, call.param_float("value"),
                               at::kFloat));
  });
  r.add(std::move(image));

  ng::NodeSpec mean("testing.image_mean", {1, 0});
  mean.display("Image mean").category("testing").describe("Mean of all pixel values.")
      .input("image", ng::type::Image)
      .output("mean", ng::type::Float);
  mean.run([](ng::NodeCall& call) { call.set("mean", call.tensor("image").mean().item<double>()); });
  r.add(std::move(mean));
}
