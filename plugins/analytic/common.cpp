// The VP-or-flow choice shared by the analytic model nodes.
#include <noisegraph/diffusion/model_sampling.hpp>
#include <noisegraph/diffusion/schedule.hpp>

#include "nodes.hpp"

namespace ng::analytic {

void add_sampling_params(NodeSpec& spec) {
  auto kinds = diffusion::beta_schedule_names();
  kinds.push_back("flow");
  spec.enum_param("schedule", kinds, "linear")
      .describe("noise process the model pretends to be trained with: a 1000-step VP schedule (linear and "
                "sigmoid: beta 1e-4..0.02 as in DDPM; scaled_linear: 0.00085..0.012 as in Stable "
                "Diffusion; cosine) or rectified flow. The denoiser is exact either way.")
      .param("shift", 1.0).range(0.01, 20.0).step(0.5).describe("flow only: schedule time shift");
}

std::shared_ptr<ModelSampling> sampling_from(const NodeCall& call) {
  const auto kind = call.param_string("schedule");
  if (kind == "flow") return std::make_shared<diffusion::FlowSampling>(call.param_float("shift"));
  const bool sd = kind == "scaled_linear";
  const auto betas = diffusion::make_betas(kind, 1000, sd ? 0.00085 : 1e-4, sd ? 0.012 : 0.02);
  return std::make_shared<diffusion::DiscreteVPSampling>(diffusion::alphas_cumprod(betas),
                                                         diffusion::Prediction::Epsilon);
}

}  // namespace ng::analytic
