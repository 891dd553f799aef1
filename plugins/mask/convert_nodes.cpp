// mask.from_image, mask.to_image: between MASK and IMAGE.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "mask_ops.hpp"
#include "nodes.hpp"

namespace ng::mask {
namespace {

NodeSpec from_image_spec() {
  NodeSpec spec("mask.from_image", {1, 0});
  spec.display("Mask from image")
      .category("mask")
      .describe("Uses one channel of an image as a mask (white = regenerate). A grey image gives "
                "its only channel.")
      .input("image", type::Image)
      .output("mask", type::Mask)
      .enum_param("channel", {"luminance", "red", "green", "blue"}, "luminance")
      .describe("luminance = 0.299 R + 0.587 G + 0.114 B");
  spec.run([](NodeCall& call) {
    call.set("mask", from_image(call.tensor("image"), parse_channel(call.param_string("channel"))));
  });
  return spec;
}

NodeSpec to_image_spec() {
  NodeSpec spec("mask.to_image", {1, 0});
  spec.display("Mask to image")
      .category("mask")
      .describe("Shows a mask as an image: white = regenerate, black = keep.")
      .input("mask", type::Mask)
      .output("image", type::Image)
      .enum_param("channels", {"grey", "rgb"}, "grey")
      .describe("grey: 1 channel; rgb: the mask in R, G and B");
  spec.run([](NodeCall& call) {
    call.set("image", to_image(call.tensor("mask"), call.param_string("channels") == "rgb" ? 3 : 1));
  });
  return spec;
}

}  // namespace

void register_convert_nodes(Registrar& r) {
  r.add(from_image_spec());
  r.add(to_image_spec());
}

}  // namespace ng::mask
