// image.to_grey, image.to_rgb, image.invert, image.solid: per-pixel nodes and constants.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "image_ops.hpp"
#include "nodes.hpp"

namespace ng::image {
namespace {

NodeSpec to_grey_spec() {
  NodeSpec spec("image.to_grey", {1, 0});
  spec.display("To greyscale")
      .category("image/colour")
      .describe("One channel of BT.601 luma (0.299 R + 0.587 G + 0.114 B); grey images pass through.")
      .input("image", type::Image)
      .output("image", type::Image);
  spec.run([](NodeCall& call) { call.set("image", to_grey(call.tensor("image"))); });
  return spec;
}

NodeSpec to_rgb_spec() {
  NodeSpec spec("image.to_rgb", {1, 0});
  spec.display("To RGB")
      .category("image/colour")
      .describe("Three channels: a grey image is copied into R, G and B; RGB images pass through.")
      .input("image", type::Image)
      .output("image", type::Image);
  spec.run([](NodeCall& call) { call.set("image", to_rgb(call.tensor("image"))); });
  return spec;
}

NodeSpec invert_spec() {
  NodeSpec spec("image.invert", {1, 0});
  spec.display("Invert image")
      .category("image/colour")
      .describe("1 - value for every pixel and channel (a negative).")
      .input("image", type::Image)
      .output("image", type::Image);
  spec.run([](NodeCall& call) { call.set("image", invert(call.tensor("image"))); });
  return spec;
}

NodeSpec solid_spec() {
  NodeSpec spec("image.solid", {1, 0});
  spec.display("Solid image")
      .category("image")
      .describe("A batch of images of one flat value.")
      .output("image", type::Image)
      .param("width", 64).range(1, 16384).describe("pixels")
      .param("height", 64).range(1, 16384).describe("pixels")
      .param("channels", 3).range(1, 3).describe("1 (grey) or 3 (RGB)")
      .param("value", 0.0).range(0.0, 1.0).step(0.05).describe("every pixel's value (0 = black)")
      .param("batch", 1).range(1, 4096).describe("number of images");
  spec.run([](NodeCall& call) {
    call.set("image", solid(call.param_int("width"), call.param_int("height"), call.param_int("channels"),
                            call.param_float("value"), call.param_int("batch")));
  });
  return spec;
}

}  // namespace

void register_colour_nodes(Registrar& r) {
  r.add(to_grey_spec());
  r.add(to_rgb_spec());
  r.add(invert_spec());
  r.add(solid_spec());
}

}  // namespace ng::image
