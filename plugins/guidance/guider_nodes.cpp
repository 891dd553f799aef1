// GUIDER makers: no guidance, classifier-free guidance, composable diffusion.
#include <noisegraph/diffusion/guider.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::guidance {
namespace {

const char* kConditioningDoc =
    " Entries with a timestep range apply only inside it; entries with an area or mask predict only "
    "in their region, blended with the others by strength.";

}  // namespace

void register_guider_nodes(Registrar& r) {
  {
    NodeSpec spec("guidance.basic", {1, 0});
    spec.display("Basic guider").category("sampling/guidance")
        .describe(std::string("The model's conditional prediction, no guidance.") + kConditioningDoc)
        .input("model", type::Model).input("positive", type::Conditioning)
        .output("guider", type::Guider);
    spec.run([](NodeCall& call) {
      call.set("guider", std::make_shared<diffusion::BasicGuider>(call.object<Denoiser>("model"),
                                                                  call.conditioning("positive")));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("guidance.cfg", {1, 0});
    spec.display("CFG guider").category("sampling/guidance")
        .describe(std::string("Classifier-free guidance (Ho & Salimans 2021): D = D_neg + cfg (D_pos - D_neg), "
                              "both branches in one batched model call. Optional guidance rescale (Lin et "
                              "al. 2023) against over-exposure at high cfg, and a sigma interval outside "
                              "which guidance is off (Kynkaanniemi et al. 2024).") + kConditioningDoc)
        .input("model", type::Model).input("positive", type::Conditioning)
        .optional_input("negative", type::Conditioning).describe("unconnected = the unconditional prediction")
        .output("guider", type::Guider)
        .param("cfg", 3.0).range(0.0, 30.0).step(0.5).describe("guidance scale; 1 = conditional only")
        .param("rescale", 0.0).range(0.0, 1.0).step(0.05).describe("guidance rescale phi (0 = off, 0.7 in the paper)")
        .param("sigma_low", 0.0).min(0.0).describe("guidance applies only at sigma >= this")
        .param("sigma_high", 0.0).min(0.0).describe("guidance applies only at sigma <= this; 0 = no upper limit");
    spec.run([](NodeCall& call) {
      diffusion::CFGOptions o;
      o.cfg = call.param_float("cfg");
      o.rescale = call.param_float("rescale");
      o.sigma_low = call.param_float("sigma_low");
      const double hi = call.param_float("sigma_high");
      if (hi > 0.0) o.sigma_high = hi;
      call.set("guider", std::make_shared<diffusion::CFGGuider>(
                             call.object<Denoiser>("model"), call.conditioning("positive"),
                             call.has("negative") ? call.conditioning("negative") : Conditioning{}, o));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("guidance.compose", {1, 0});
    spec.display("Composable guider").category("sampling/guidance")
        .describe("Composable diffusion (Liu et al. 2022): D = D_neg + sum_i w_i (D_i - D_neg), one term per "
                  "conditioning entry, with w_i = entry strength x the weight of its input. A negative weight "
                  "means NOT (steer away). All terms run in one batched model call; entries with an area "
                  "or mask add their term only in their region.")
        .input("model", type::Model)
        .input("a", type::Conditioning)
        .optional_input("b", type::Conditioning).optional_input("c", type::Conditioning)
        .optional_input("d", type::Conditioning)
        .optional_input("negative", type::Conditioning).describe("the base D_neg; unconnected = unconditional")
        .output("guider", type::Guider)
        .param("weight_a", 3.0).range(-30.0, 30.0).step(0.5).describe("weight of a's entries")
        .param("weight_b", 3.0).range(-30.0, 30.0).step(0.5).describe("weight of b's entries")
        .param("weight_c", 3.0).range(-30.0, 30.0).step(0.5).describe("weight of c's entries")
        .param("weight_d", 3.0).range(-30.0, 30.0).step(0.5).describe("weight of d's entries");
    spec.run([](NodeCall& call) {
      Conditioning terms;
      for (const char* name : {"a", "b", "c", "d"}) {
        if (!call.has(name)) continue;
        const double w = call.param_float(std::string("weight_") + name);
        for (auto e : call.conditioning(name)) {
          e.strength *= w;
          terms.push_back(std::move(e));
        }
      }
      call.set("guider", std::make_shared<diffusion::ComposableGuider>(
                             call.object<Denoiser>("model"), std::move(terms),
                             call.has("negative") ? call.conditioning("negative") : Conditioning{}));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::guidance
