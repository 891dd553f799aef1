// image.resize, image.crop, image.pad: nodes that change an image's size.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "image_ops.hpp"
#include "nodes.hpp"

namespace ng::image {
namespace {

constexpr double kMaxSide = 16384;

NodeSpec resize_spec() {
  NodeSpec spec("image.resize", {1, 0});
  spec.display("Resize image")
      .category("image")
      .describe("Resamples images to a new size: an exact width x height, one side with the "
                "aspect ratio kept, or a scale factor.")
      .input("image", type::Image)
      .output("image", type::Image)
      .param("width", 0).range(0, kMaxSide)
      .describe("new width in pixels; 0 = follow the aspect ratio (or use scale when height is 0 too)")
      .param("height", 0).range(0, kMaxSide)
      .describe("new height in pixels; 0 = follow the aspect ratio (or use scale when width is 0 too)")
      .param("scale", 1.0).range(0.01, 64.0).step(0.25)
      .describe("size factor, used only when width and height are both 0")
      .param("multiple_of", 1).range(1, 512)
      .describe("round both sides to the nearest multiple (8 suits most latent models)")
      .enum_param("mode", {"nearest", "bilinear", "bicubic", "area"}, "bilinear")
      .describe("nearest: pixel-centre sampling; bilinear/bicubic: antialiased when shrinking; "
                "area: average of covered pixels (best for shrinking)");
  spec.run([](NodeCall& call) {
    auto img = call.tensor("image");
    check_image(img, "input 'image'");
    const Size s = resize_target(img.size(2), img.size(3), call.param_int("width"),
                                 call.param_int("height"), call.param_float("scale"),
                                 call.param_int("multiple_of"));
    call.set("image", resize(img, s.height, s.width, parse_resize_mode(call.param_string("mode"))));
  });
  return spec;
}

NodeSpec crop_spec() {
  NodeSpec spec("image.crop", {1, 0});
  spec.display("Crop image")
      .category("image")
      .describe("Keeps the rectangle of width x height pixels whose top-left corner is (x, y).")
      .input("image", type::Image)
      .output("image", type::Image)
      .param("x", 0).range(0, kMaxSide).describe("left edge in pixels")
      .param("y", 0).range(0, kMaxSide).describe("top edge in pixels")
      .param("width", 0).range(0, kMaxSide).describe("0 = up to the right edge")
      .param("height", 0).range(0, kMaxSide).describe("0 = down to the bottom edge");
  spec.run([](NodeCall& call) {
    call.set("image", crop(call.tensor("image"), call.param_int("x"), call.param_int("y"),
                           call.param_int("width"), call.param_int("height")));
  });
  return spec;
}

NodeSpec pad_spec() {
  NodeSpec spec("image.pad", {1, 0});
  spec.display("Pad image (outpaint)")
      .category("image")
      .describe("Adds borders and a MASK marking them (1 = new border to generate, 0 = original), "
                "ready for outpainting.")
      .input("image", type::Image)
      .output("image", type::Image)
      .output("mask", type::Mask).describe("[1,1,H',W'] with 1 on the new borders")
      .param("left", 0).range(0, kMaxSide).describe("pixels added on the left")
      .param("top", 0).range(0, kMaxSide).describe("pixels added on the top")
      .param("right", 0).range(0, kMaxSide).describe("pixels added on the right")
      .param("bottom", 0).range(0, kMaxSide).describe("pixels added on the bottom")
      .param("fill", 0.5).range(0.0, 1.0).step(0.05).describe("value of the new pixels")
      .param("feather", 0).range(0, 1024)
      .describe("the mask fades linearly from 1 to 0 over this many original pixels next to a "
                "padded side, so the seam is regenerated too");
  spec.run([](NodeCall& call) {
    auto out = pad(call.tensor("image"), call.param_int("left"), call.param_int("top"),
                   call.param_int("right"), call.param_int("bottom"), call.param_float("fill"),
                   call.param_int("feather"));
    call.set("image", out.image);
    call.set("mask", out.mask);
  });
  return spec;
}

}  // namespace

void register_geometry_nodes(Registrar& r) {
  r.add(resize_spec());
  r.add(crop_spec());
  r.add(pad_spec());
}

}  // namespace ng::image
