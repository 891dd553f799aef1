// mask.rectangle, mask.ellipse, mask.solid: masks drawn from parameters.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "mask_ops.hpp"
#include "nodes.hpp"

namespace ng::mask {
namespace {

constexpr double kMaxSide = 16384;

// Canvas and box parameters shared by the shape nodes.
void add_box_params(NodeSpec& spec) {
  spec.param("width", 64).range(1, kMaxSide).describe("canvas width in pixels")
      .param("height", 64).range(1, kMaxSide).describe("canvas height in pixels")
      .param("x", 0).range(-kMaxSide, kMaxSide).describe("box left edge")
      .param("y", 0).range(-kMaxSide, kMaxSide).describe("box top edge")
      .param("box_width", 32).range(0, kMaxSide).describe("box width in pixels")
      .param("box_height", 32).range(0, kMaxSide).describe("box height in pixels");
}

NodeSpec rectangle_spec() {
  NodeSpec spec("mask.rectangle", {1, 0});
  spec.display("Rectangle mask")
      .category("mask")
      .describe("1 inside the box (clipped to the canvas), 0 elsewhere.")
      .output("mask", type::Mask);
  add_box_params(spec);
  spec.run([](NodeCall& call) {
    call.set("mask", rectangle(call.param_int("width"), call.param_int("height"), call.param_int("x"),
                               call.param_int("y"), call.param_int("box_width"), call.param_int("box_height")));
  });
  return spec;
}

NodeSpec ellipse_spec() {
  NodeSpec spec("mask.ellipse", {1, 0});
  spec.display("Ellipse mask")
      .category("mask")
      .describe("1 at pixels whose centre lies inside the ellipse inscribed in the box, 0 elsewhere "
                "(hard edge; soften it with mask.feather).")
      .output("mask", type::Mask);
  add_box_params(spec);
  spec.run([](NodeCall& call) {
    call.set("mask", ellipse(call.param_int("width"), call.param_int("height"), call.param_int("x"),
                             call.param_int("y"), call.param_int("box_width"), call.param_int("box_height")));
  });
  return spec;
}

NodeSpec solid_spec() {
  NodeSpec spec("mask.solid", {1, 0});
  spec.display("Solid mask")
      .category("mask")
      .describe("A mask of one value everywhere (1 = regenerate everything).")
      .output("mask", type::Mask)
      .param("width", 64).range(1, kMaxSide).describe("canvas width in pixels")
      .param("height", 64).range(1, kMaxSide).describe("canvas height in pixels")
      .param("value", 1.0).range(0.0, 1.0).step(0.05).describe("every pixel's value");
  spec.run([](NodeCall& call) {
    call.set("mask", solid(call.param_int("width"), call.param_int("height"), call.param_float("value")));
  });
  return spec;
}

}  // namespace

void register_shape_nodes(Registrar& r) {
  r.add(rectangle_spec());
  r.add(ellipse_spec());
  r.add(solid_spec());
}

}  // namespace ng::mask
