// edit.latent_composite: paste one latent into another, optionally feathered.
#include <noisegraph/models.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "latent_ops.hpp"
#include "nodes.hpp"

namespace ng::edit {
namespace {

// Floor division, so -1 pixel lands in cell -1 and not 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

void register_latent_composite_node(Registrar& r) {
  NodeSpec spec("edit.latent_composite", {1, 0});
  spec.display("Composite latents")
      .category("latent")
      .describe("Pastes `source` into `destination` with its top-left corner at (x, y), clipped to the "
                "destination: destination * (1 - a) + source * a, where a is 1 inside the source and, with "
                "feather > 0, fades linearly to 1/(feather+1) on the sides that lie inside the destination. "
                "An optional MASK (source-sized or any size, area-averaged to the source grid) multiplies a. "
                "The destination's noise mask is kept. Follow with a low-denoise sampler pass to blend the "
                "seams (graphs/compose-latent.yaml).")
      .input("destination", type::Latent)
      .input("source", type::Latent)
      .optional_input("mask", type::Mask).describe("where the source shows (1) over the source's area")
      .optional_input("autoencoder", type::Autoencoder)
      .describe("needed for units = pixels: pixels per latent cell is its downscale factor")
      .output("latent", type::Latent)
      .param("x", 0).range(-16384, 16384).describe("source's left edge in the destination")
      .param("y", 0).range(-16384, 16384).describe("source's top edge in the destination")
      .param("feather", 0).range(0, 4096).describe("width of the fade at the source's inner edges")
      .enum_param("units", {"cells", "pixels"}, "cells")
      .describe("x, y and feather in latent cells, or in image pixels (rounded down to whole cells; needs "
                "the autoencoder input)");
  spec.run([](NodeCall& call) {
    const auto dst = call.latent("destination");
    const auto src = call.latent("source");
    int64_t x = call.param_int("x"), y = call.param_int("y"), feather = call.param_int("feather");
    if (call.param_string("units") == "pixels") {
      if (!call.has("autoencoder"))
        throw Error("edit.latent_composite: units = pixels needs the autoencoder input (to know the pixels "
                    "per latent cell); connect it or use units = cells");
      const int64_t s = std::max<int64_t>(call.object<Autoencoder>("autoencoder")->downscale(), 1);
      if (x % s || y % s || feather % s)
        call.context().warn("edit.latent_composite: x, y and feather are rounded down to multiples of " +
                            std::to_string(s) + " pixels (one latent cell)");
      x = floor_div(x, s);
      y = floor_div(y, s);
      feather /= s;
    }
    Latent out = dst;
    out.samples = composite_latent(dst.samples, src.samples, x, y, feather,
                                   call.has("mask") ? call.tensor("mask") : at::Tensor());
    call.set("latent", out);
  });
  r.add(std::move(spec));
}

}  // namespace ng::edit
