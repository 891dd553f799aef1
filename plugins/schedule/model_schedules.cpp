// Schedules over a model's noise range: MODEL + steps (+ denoise) -> SIGMAS.
#include <noisegraph/diffusion/model_sampling.hpp>
#include <noisegraph/diffusion/sigmas.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include <functional>

#include "nodes.hpp"

namespace ng::schedule {
namespace {

using diffusion::apply_denoise;
using Build = std::function<at::Tensor(NodeCall&, const ModelSampling&, int64_t steps)>;

const char* kDenoiseDoc =
    "img2img strength in [0,1]: below 1, the last `steps` steps of a schedule built for "
    "floor(steps / denoise) steps run (so exactly `steps` steps, starting at a lower noise level); "
    "0 gives the single level 0 (nothing runs)";

// Every model schedule has the same ports and the steps/denoise parameters; `extra` adds the
// schedule's own parameters.
void add(Registrar& r, const std::string& id, const std::string& display, const std::string& doc,
         const std::function<void(NodeSpec&)>& extra, Build build) {
  NodeSpec spec(id, {1, 0});
  spec.display(display).category("sampling/schedules").describe(doc)
      .input("model", type::Model).describe("the model whose noise range the schedule spans")
      .output("sigmas", type::Sigmas).describe("descending noise levels ending at 0")
      .param("steps", 20).range(1, 1000).describe("number of sampler steps")
      .param("denoise", 1.0).range(0.0, 1.0).step(0.05).describe(kDenoiseDoc);
  extra(spec);
  spec.run([build](NodeCall& call) {
    auto model = call.object<Denoiser>("model");
    const auto& ms = model->sampling();
    auto full = [&](int64_t n) { return build(call, ms, n); };
    call.set("sigmas", apply_denoise(full, call.param_int("steps"), call.param_float("denoise")));
  });
  r.add(std::move(spec));
}

// 0 means "the model's own value".
double or_model(double v, double model_value) { return v > 0.0 ? v : model_value; }

}  // namespace

void register_model_schedules(Registrar& r) {
  add(r, "schedule.basic", "Schedule (by name)",
      "A named schedule over the model's noise range: normal, karras, exponential, simple, "
      "sgm_uniform, flow, or uniform timesteps with linspace/leading/trailing spacing.",
      [](NodeSpec& s) {
        s.enum_param("scheduler", diffusion::scheduler_names(), "normal").describe("schedule name (see docs/diffusion.md)");
      },
      [](NodeCall& call, const ModelSampling& ms, int64_t n) {
        return diffusion::scheduler_sigmas(call.param_string("scheduler"), ms, n);
      });

  add(r, "schedule.karras", "Karras schedule",
      "Karras et al. 2022 (EDM), eq. 5: levels evenly spaced in sigma^(1/rho); rho = 7 spends "
      "more steps at low noise.",
      [](NodeSpec& s) {
        s.param("rho", 7.0).range(0.5, 20.0).step(0.5).describe("exponent; 1 = evenly spaced in sigma")
            .param("sigma_min", 0.0).min(0.0).describe("smallest level; 0 = the model's")
            .param("sigma_max", 0.0).min(0.0).describe("largest level; 0 = the model's");
      },
      [](NodeCall& call, const ModelSampling& ms, int64_t n) {
        return diffusion::karras_sigmas(n, or_model(call.param_float("sigma_min"), ms.sigma_min()),
                                        or_model(call.param_float("sigma_max"), ms.sigma_max()),
                                        call.param_float("rho"));
      });

  add(r, "schedule.exponential", "Exponential schedule",
      "Levels evenly spaced in log sigma from sigma_max to sigma_min (k-diffusion).",
      [](NodeSpec& s) {
        s.param("sigma_min", 0.0).min(0.0).describe("smallest level; 0 = the model's")
            .param("sigma_max", 0.0).min(0.0).describe("largest level; 0 = the model's");
      },
      [](NodeCall& call, const ModelSampling& ms, int64_t n) {
        return diffusion::exponential_sigmas(n, or_model(call.param_float("sigma_min"), ms.sigma_min()),
                                             or_model(call.param_float("sigma_max"), ms.sigma_max()));
      });

  add(r, "schedule.uniform", "Uniform timesteps",
      "Evenly spaced training timesteps (Lin et al. 2023, table 2): linspace includes the first "
      "and last timestep, leading (DDIM/SD) starts at T - T/n + offset, trailing starts at T-1.",
      [](NodeSpec& s) {
        s.enum_param("spacing", diffusion::timestep_spacing_names(), "trailing").describe("how timesteps are picked")
            .param("offset", 0).range(0, 100).describe("added to leading timesteps (Stable Diffusion uses 1)");
      },
      [](NodeCall& call, const ModelSampling& ms, int64_t n) {
        return diffusion::uniform_sigmas(ms, n, diffusion::timestep_spacing_from_name(call.param_string("spacing")),
                                         call.param_int("offset"));
      });

  add(r, "schedule.simple", "Simple schedule",
      "Every (T/n)-th training noise level counted from the top (ComfyUI's 'simple').",
      [](NodeSpec&) {}, [](NodeCall&, const ModelSampling& ms, int64_t n) { return diffusion::simple_sigmas(ms, n); });

  add(r, "schedule.sgm_uniform", "SGM uniform schedule",
      "n + 1 levels evenly spaced in training timestep, the last replaced by 0 (Stability's "
      "generative-models 'uniform' discretisation).",
      [](NodeSpec&) {}, [](NodeCall&, const ModelSampling& ms, int64_t n) { return diffusion::sgm_uniform_sigmas(ms, n); });

  add(r, "schedule.flow", "Flow schedule",
      "Rectified-flow schedule: t evenly spaced from 1 to 0, bent toward high noise by "
      "t' = shift t / (1 + (shift - 1) t) (Esser et al. 2024, eq. 23). Works with any model "
      "whose noise range is [0, 1].",
      [](NodeSpec& s) {
        s.param("shift", 0.0).range(0.0, 20.0).step(0.5).describe("time shift; 0 = the model's own (1 if it has none)");
      },
      [](NodeCall& call, const ModelSampling& ms, int64_t n) {
        double shift = call.param_float("shift");
        if (shift <= 0.0) {
          auto* flow = dynamic_cast<const diffusion::FlowSampling*>(&ms);
          shift = flow ? flow->shift() : 1.0;
        }
        if (ms.sigma_max() > 1.0 + 1e-9)
          throw Error("schedule.flow needs a flow-matching model (noise range [0,1]); this model is '" +
                      ms.parameterization() + "' with sigma_max " + std::to_string(ms.sigma_max()) +
                      " (use schedule.karras or schedule.basic)");
        return diffusion::flow_sigmas(n, shift);
      });
}

}  // namespace ng::schedule
