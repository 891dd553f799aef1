// edit.set_noise_mask: attach an inpainting mask to a latent, at the latent's resolution.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "latent_ops.hpp"
#include "nodes.hpp"

namespace ng::edit {

void register_noise_mask_node(Registrar& r) {
  NodeSpec spec("edit.set_noise_mask", {1, 0});
  spec.display("Set noise mask (inpaint)")
      .category("latent/inpaint")
      .describe("Marks the region of a latent to regenerate. The MASK (1 = regenerate, 0 = keep, any "
                "resolution, usually the image's) is brought to the latent's grid once, here, so every "
                "sampler sees the same cells: 'area' gives each cell the fraction of its pixels that are "
                "marked (a pixel-aligned mask stays exactly binary), 'max' regenerates every cell the mask "
                "touches. sample.ksampler and sample.custom then keep the unmasked cells exactly (re-noised "
                "to the current level after every step). See docs/editing.md.")
      .input("latent", type::Latent)
      .input("mask", type::Mask).describe("1 = regenerate; batch 1 (all latents) or one per latent")
      .output("latent", type::Latent).describe("the same samples with noise_mask [B|1,1,h,w]")
      .enum_param("downscale", {"area", "max"}, "area")
      .describe("area: coverage fraction per cell (soft edge cells); max: any touched cell is regenerated fully");
  spec.run([](NodeCall& call) {
    auto lat = call.latent("latent");
    if (!lat.samples.defined() || lat.samples.dim() != 4) throw Error("edit.set_noise_mask: expected a latent [B,C,h,w]");
    lat.noise_mask = latent_noise_mask(call.tensor("mask"), lat.samples.size(0), lat.samples.size(2),
                                       lat.samples.size(3), parse_mask_downscale(call.param_string("downscale")));
    call.set("latent", lat);
  });
  r.add(std::move(spec));
}

}  // namespace ng::edit
