// edit.repaint: wrap a SAMPLER with RePaint resampling for inpainting.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"
#include "repaint.hpp"

namespace ng::edit {

void register_repaint_node(Registrar& r) {
  NodeSpec spec("edit.repaint", {1, 0});
  spec.display("RePaint resampling")
      .category("sampling/inpaint")
      .describe("Wraps a sampler with RePaint resampling (Lugmayr et al. 2022): after every `jump_length` "
                "steps the sample is re-noised back to where the slice started and the slice is sampled "
                "again, `resamples` passes in all, so the regenerated region can adapt to the kept one and "
                "the seam blends. Costs `resamples` times the steps. Use with a latent that has a noise "
                "mask (edit.set_noise_mask); without a mask it only adds stochasticity. Works with every "
                "sampler; multistep ones (lms, dpmpp_2m) restart their history at each slice.")
      .input("sampler", type::Sampler)
      .output("sampler", type::Sampler)
      .param("jump_length", 5).range(1, 1000).describe("steps per slice before jumping back (RePaint's j)")
      .param("resamples", 3).range(1, 100).describe("passes over every slice (RePaint's r); 1 = off");
  spec.run([](NodeCall& call) {
    RePaintOptions o;
    o.jump_length = int(call.param_int("jump_length"));
    o.resamples = int(call.param_int("resamples"));
    call.set("sampler", std::make_shared<RePaintSampler>(call.object<diffusion::Sampler>("sampler"), o));
  });
  r.add(std::move(spec));
}

}  // namespace ng::edit
