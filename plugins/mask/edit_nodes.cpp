// mask.threshold, mask.invert, mask.grow, mask.feather, mask.combine, mask.resize.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "mask_ops.hpp"
#include "nodes.hpp"

namespace ng::mask {
namespace {

NodeSpec threshold_spec() {
  NodeSpec spec("mask.threshold", {1, 0});
  spec.display("Threshold mask")
      .category("mask")
      .describe("Makes a mask binary: 1 where it is above the threshold, else 0.")
      .input("mask", type::Mask)
      .output("mask", type::Mask)
      .param("threshold", 0.5).range(0.0, 1.0).step(0.05).describe("values strictly above it become 1");
  spec.run([](NodeCall& call) { call.set("mask", threshold(call.tensor("mask"), call.param_float("threshold"))); });
  return spec;
}

NodeSpec invert_spec() {
  NodeSpec spec("mask.invert", {1, 0});
  spec.display("Invert mask")
      .category("mask")
      .describe("1 - mask: swaps the regions to regenerate and to keep.")
      .input("mask", type::Mask)
      .output("mask", type::Mask);
  spec.run([](NodeCall& call) { call.set("mask", invert(call.tensor("mask"))); });
  return spec;
}

NodeSpec grow_spec() {
  NodeSpec spec("mask.grow", {1, 0});
  spec.display("Grow mask")
      .category("mask")
      .describe("Grows the marked region by N pixels in every direction, including diagonals "
                "(square max filter); a negative N shrinks it (min filter).")
      .input("mask", type::Mask)
      .output("mask", type::Mask)
      .param("pixels", 4).range(-1024, 1024).describe("pixels to grow by; negative = shrink");
  spec.run([](NodeCall& call) { call.set("mask", grow(call.tensor("mask"), call.param_int("pixels"))); });
  return spec;
}

NodeSpec feather_spec() {
  NodeSpec spec("mask.feather", {1, 0});
  spec.display("Feather mask")
      .category("mask")
      .describe("Softens the mask's edges with a Gaussian blur (sigma = radius / 2); the canvas "
                "border is extended, so it does not fade.")
      .input("mask", type::Mask)
      .output("mask", type::Mask)
      .param("radius", 4).range(0, 1024).describe("blur reach in pixels; 0 = unchanged");
  spec.run([](NodeCall& call) { call.set("mask", feather(call.tensor("mask"), call.param_int("radius"))); });
  return spec;
}

NodeSpec combine_spec() {
  NodeSpec spec("mask.combine", {1, 0});
  spec.display("Combine masks")
      .category("mask")
      .describe("union = max(a, b); intersect = min(a, b); subtract = a - b clamped to [0, 1].")
      .input("a", type::Mask)
      .input("b", type::Mask)
      .output("mask", type::Mask)
      .enum_param("operation", {"union", "intersect", "subtract"}, "union")
      .describe("how a and b combine");
  spec.run([](NodeCall& call) {
    call.set("mask", combine(call.tensor("a"), call.tensor("b"), parse_combine(call.param_string("operation"))));
  });
  return spec;
}

NodeSpec resize_spec() {
  NodeSpec spec("mask.resize", {1, 0});
  spec.display("Resize mask")
      .category("mask")
      .describe("Resizes by area averaging, as masks are brought to a latent's size: each new "
                "pixel is the mean of the pixels it covers.")
      .input("mask", type::Mask)
      .output("mask", type::Mask)
      .param("width", 64).range(1, 16384).describe("new width in pixels")
      .param("height", 64).range(1, 16384).describe("new height in pixels");
  spec.run([](NodeCall& call) {
    call.set("mask", resize_area(call.tensor("mask"), call.param_int("height"), call.param_int("width")));
  });
  return spec;
}

}  // namespace

void register_edit_nodes(Registrar& r) {
  r.add(threshold_spec());
  r.add(invert_spec());
  r.add(grow_spec());
  r.add(feather_spec());
  r.add(combine_spec());
  r.add(resize_spec());
}

}  // namespace ng::mask
