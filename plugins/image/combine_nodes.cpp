// image.blend, image.composite, image.batch, image.select, image.grid: nodes that combine
// images or rearrange batches.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "image_ops.hpp"
#include "nodes.hpp"

namespace ng::image {
namespace {

NodeSpec blend_spec() {
  NodeSpec spec("image.blend", {1, 0});
  spec.display("Blend images")
      .category("image")
      .describe("Mixes two images of the same size: a * (1 - factor) + b * factor. A grey image "
                "is promoted to RGB when the other is RGB; a batch of 1 pairs with every image.")
      .input("a", type::Image)
      .input("b", type::Image)
      .output("image", type::Image)
      .param("factor", 0.5).range(0.0, 1.0).step(0.05).describe("0 = a only, 1 = b only");
  spec.run([](NodeCall& call) {
    call.set("image", blend(call.tensor("a"), call.tensor("b"), call.param_float("factor")));
  });
  return spec;
}

NodeSpec composite_spec() {
  NodeSpec spec("image.composite", {1, 0});
  spec.display("Composite images")
      .category("image")
      .describe("Pastes source into destination with its top-left corner at (x, y), clipped to "
                "the destination. With a mask, destination * (1 - mask) + source * mask.")
      .input("destination", type::Image)
      .input("source", type::Image)
      .optional_input("mask", type::Mask)
      .describe("where the source shows (1) and where the destination stays (0); resized "
                "bilinearly to the source size when it differs")
      .output("image", type::Image)
      .param("x", 0).range(-16384, 16384).describe("source's left edge in destination pixels")
      .param("y", 0).range(-16384, 16384).describe("source's top edge in destination pixels");
  spec.run([](NodeCall& call) {
    at::Tensor mask = call.has("mask") ? call.tensor("mask") : at::Tensor();
    call.set("image", composite(call.tensor("destination"), call.tensor("source"),
                                call.param_int("x"), call.param_int("y"), mask));
  });
  return spec;
}

NodeSpec batch_spec() {
  NodeSpec spec("image.batch", {1, 1});
  spec.display("Join batches")
      .category("image/batch")
      .describe("One batch holding a's images, then b's, then those of more_1, more_2, ... (any "
                "number). Later inputs are resized (bilinear) to a's size and grey is promoted to "
                "RGB when they differ.")
      .input("a", type::Image)
      .input("b", type::Image)
      .variadic_input("more", type::Image).describe("further batches, joined in order: more_1, more_2, ...")
      .output("image", type::Image);
  spec.run([](NodeCall& call) {
    at::Tensor joined = join_batches(call.tensor("a"), call.tensor("b"));
    for (const Value& v : call.inputs_of("more")) {
      if (!v.holds<at::Tensor>()) throw Error("image.batch: a 'more' input is not an IMAGE");
      joined = join_batches(joined, std::get<at::Tensor>(v.data));
    }
    call.set("image", joined);
  });
  return spec;
}

NodeSpec select_spec() {
  NodeSpec spec("image.select", {1, 0});
  spec.display("Select from batch")
      .category("image/batch")
      .describe("Picks `count` images of a batch starting at `index` (fewer when the batch ends first).")
      .input("image", type::Image)
      .output("image", type::Image)
      .param("index", 0).range(-4096, 4096).describe("first image, 0-based; negative counts from the end")
      .param("count", 1).range(1, 4096).describe("how many images");
  spec.run([](NodeCall& call) {
    call.set("image", select(call.tensor("image"), call.param_int("index"), call.param_int("count")));
  });
  return spec;
}

NodeSpec grid_spec() {
  NodeSpec spec("image.grid", {1, 0});
  spec.display("Image grid")
      .category("image/batch")
      .describe("Tiles a batch row by row into one image (contact sheet).")
      .input("image", type::Image)
      .output("image", type::Image).describe("[1,C,rows*H+(rows-1)*padding, cols*W+(cols-1)*padding]")
      .param("columns", 0).range(0, 4096).describe("tiles per row; 0 = ceil(sqrt(batch))")
      .param("padding", 2).range(0, 1024).describe("pixels between tiles (none around the outside)")
      .param("background", 1.0).range(0.0, 1.0).step(0.05).describe("value of padding and empty cells");
  spec.run([](NodeCall& call) {
    call.set("image", grid(call.tensor("image"), call.param_int("columns"), call.param_int("padding"),
                           call.param_float("background")));
  });
  return spec;
}

}  // namespace

void register_combine_nodes(Registrar& r) {
  r.add(blend_spec());
  r.add(composite_spec());
  r.add(batch_spec());
  r.add(select_spec());
  r.add(grid_spec());
}

}  // namespace ng::image
