// sample.sampler: a sampler name and its options -> SAMPLER.
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::sample {

void add_sampler_options(NodeSpec& spec) {
  spec.param("eta", -1.0).range(-1.0, 2.0).step(0.05)
      .describe("euler_ancestral, ddim, dpmpp_2m_sde: amount of fresh noise per step (0 = deterministic); "
                "-1 = the sampler's default (1 for euler_ancestral and dpmpp_2m_sde, 0 for ddim)")
      .param("s_noise", 1.0).range(0.0, 2.0).step(0.01)
      .describe("stochastic samplers: multiplier of the fresh noise")
      .enum_param("variance", {"fixed_small", "fixed_large", "learned"}, "fixed_small")
      .describe("ddpm: posterior variance beta~_t (fixed_small) or beta_t (fixed_large), Ho et al. 2020; "
                "learned: the model's own (Improved DDPM; models trained with learned_variance)")
      .param("clip_x0", 0.0).range(0.0, 100.0)
      .describe("ddpm, ddim: clamp the x0 estimate to [-clip_x0, clip_x0]; 0 = off (1 for pixel models in [-1,1])")
      .param("order", 4).range(1, 4).describe("lms: maximum order");
}

diffusion::SamplerOptions sampler_options(const NodeCall& call) {
  diffusion::SamplerOptions o;
  if (const double eta = call.param_float("eta"); eta >= 0.0) o.eta = eta;
  o.s_noise = call.param_float("s_noise");
  o.variance = call.param_string("variance");
  o.clip_x0 = call.param_float("clip_x0");
  o.order = int(call.param_int("order"));
  return o;
}

void register_sampler_node(Registrar& r) {
  NodeSpec spec("sample.sampler", {1, 0});
  spec.display("Sampler").category("sampling")
      .describe("Chooses a sampler: euler, heun, lms, dpmpp_2m (deterministic ODE solvers; euler and "
                "heun are also the rectified-flow samplers), ddim (deterministic unless eta > 0), and the "
                "stochastic euler_ancestral, ddpm, dpmpp_2m_sde. See docs/diffusion.md for formulas and papers.")
      .output("sampler", type::Sampler)
      .enum_param("sampler", diffusion::sampler_names(), "euler").describe("sampling method");
  add_sampler_options(spec);
  spec.run([](NodeCall& call) {
    call.set("sampler", diffusion::make_sampler(call.param_string("sampler"), sampler_options(call)));
  });
  r.add(std::move(spec));
}

}  // namespace ng::sample
