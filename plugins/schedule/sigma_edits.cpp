// SIGMAS editors: split (for two-stage sampling), flip (inversion), concat.
#include <noisegraph/diffusion/sigmas.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::schedule {

void register_sigma_edits(Registrar& r) {
  {
    NodeSpec spec("schedule.split", {1, 0});
    spec.display("Split sigmas").category("sampling/schedules")
        .describe("Splits a schedule at a step: `high` runs steps 0..step-1, `low` runs the rest. The "
                  "level at the split appears in both, so sampling high then low (with noise off "
                  "for the second) equals sampling the whole schedule.")
        .input("sigmas", type::Sigmas)
        .output("high", type::Sigmas).describe("sigmas[0..step]")
        .output("low", type::Sigmas).describe("sigmas[step..]")
        .param("step", 10).min(0).describe("index of the level where the split happens");
    spec.run([](NodeCall& call) {
      const auto s = call.tensor("sigmas");
      const auto step = call.param_int("step");
      if (step >= s.size(0))
        throw Error("schedule.split: step " + std::to_string(step) + " is past the schedule's last level (" +
                    std::to_string(s.size(0) - 1) + ")");
      auto [high, low] = diffusion::split_sigmas(s, step);
      call.set("high", high);
      call.set("low", low);
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("schedule.flip", {1, 0});
    spec.display("Flip sigmas").category("sampling/schedules")
        .describe("Reverses a schedule (ascending noise). A deterministic sampler run on it maps a "
                  "clean latent back to noise (DDIM inversion). A leading 0 becomes 1e-4.")
        .input("sigmas", type::Sigmas).output("sigmas", type::Sigmas);
    spec.run([](NodeCall& call) { call.set("sigmas", diffusion::flip_sigmas(call.tensor("sigmas"))); });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("schedule.concat", {1, 0});
    spec.display("Concatenate sigmas").category("sampling/schedules")
        .describe("`first` followed by `second`; a level shared at the seam appears once.")
        .input("first", type::Sigmas).input("second", type::Sigmas).output("sigmas", type::Sigmas);
    spec.run([](NodeCall& call) {
      call.set("sigmas", diffusion::concat_sigmas(call.tensor("first"), call.tensor("second")));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::schedule
