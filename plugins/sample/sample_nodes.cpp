// sample.custom (noise + guider + sampler + sigmas + latent) and sample.ksampler (all in one).
#include <ATen/ATen.h>
#include <noisegraph/diffusion/guider.hpp>
#include <noisegraph/diffusion/noise.hpp>
#include <noisegraph/diffusion/sigmas.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::sample {
namespace {

void check_latent(const Latent& lat, const Denoiser& model) {
  if (!lat.samples.defined() || lat.samples.dim() != 4)
    throw Error("expected a latent [B,C,h,w]");
  const auto shape = model.sample_shape();
  if (!shape.empty() && lat.samples.size(1) != shape[0])
    throw Error("the latent has " + std::to_string(lat.samples.size(1)) + " channels but the model works on " +
                std::to_string(shape[0]) + " (was it made for another model or autoencoder?)");
}

// Runs the sampler on the context's device; results come back to the CPU.
diffusion::SampleResult run(const diffusion::Sampler& sampler, diffusion::Guider& guider, const at::Tensor& sigmas,
                            const Latent& lat, const diffusion::NoiseSource& noise, Context& ctx) {
  check_latent(lat, *guider.model());
  const auto dev = ctx.device();
  auto r = diffusion::sample_latent(sampler, guider, sigmas, lat.samples.to(dev), noise, ctx,
                                    lat.noise_mask.defined() ? lat.noise_mask.to(dev) : at::Tensor());
  return {r.samples.cpu(), r.denoised.cpu()};
}

Latent with_samples(const Latent& in, at::Tensor samples) {
  Latent out = in;
  out.samples = std::move(samples);
  return out;
}

const char* kMaskDoc =
    " When the latent carries a noise mask (1 = regenerate, 0 = keep), the kept region is re-noised "
    "to the current level after every step, so it comes out exactly as the input.";

}  // namespace

void register_sample_nodes(Registrar& r) {
  {
    NodeSpec spec("sample.custom", {1, 0});
    spec.display("Sample (custom)").category("sampling")
        .describe(std::string("Runs a sampler over a schedule: the latent is noised to the first sigma with "
                              "the model's noise scaling, then denoised step by step by the guider.") + kMaskDoc)
        .input("noise", type::Noise).input("guider", type::Guider).input("sampler", type::Sampler)
        .input("sigmas", type::Sigmas).input("latent", type::Latent)
        .output("samples", type::Latent).describe("the sample at the last sigma")
        .output("denoised", type::Latent).describe("the last x0 estimate (differs from samples when the "
                                                   "schedule does not end at 0)");
    spec.run([](NodeCall& call) {
      auto guider = call.object<diffusion::Guider>("guider");
      auto lat = call.latent("latent");
      auto r = run(*call.object<diffusion::Sampler>("sampler"), *guider, call.tensor("sigmas"), lat,
                   *call.object<diffusion::NoiseSource>("noise"), call.context());
      call.set("samples", with_samples(lat, r.samples));
      call.set("denoised", with_samples(lat, r.denoised));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("sample.ksampler", {1, 0});
    spec.display("KSampler").category("sampling")
        .describe(std::string("Generates with classifier-free guidance in one node: schedule (scheduler, steps, "
                              "denoise) + CFG guider (positive, negative, cfg) + sampler + seeded noise.") + kMaskDoc)
        .input("model", type::Model)
        .input("positive", type::Conditioning)
        .optional_input("negative", type::Conditioning).describe("unconnected = the model's unconditional prediction")
        .input("latent", type::Latent)
        .output("latent", type::Latent)
        .seed_param("seed", 0).describe("noise seed of image 0 (image k uses seed + k)")
        .param("steps", 20).range(1, 1000).describe("sampler steps")
        .param("cfg", 3.0).range(0.0, 30.0).step(0.5).describe("classifier-free guidance scale; 1 = no guidance")
        .enum_param("sampler", diffusion::sampler_names(), "euler").describe("sampling method")
        .enum_param("scheduler", diffusion::scheduler_names(), "karras").describe("noise schedule")
        .param("denoise", 1.0).range(0.0, 1.0).step(0.05)
        .describe("img2img strength: below 1, `steps` steps run from a lower noise level (see schedule nodes)");
    spec.run([](NodeCall& call) {
      auto model = call.object<Denoiser>("model");
      const auto sigmas = diffusion::scheduler_sigmas(call.param_string("scheduler"), model->sampling(),
                                                      call.param_int("steps"), call.param_float("denoise"));
      diffusion::CFGOptions cfg;
      cfg.cfg = call.param_float("cfg");
      diffusion::CFGGuider guider(model, call.conditioning("positive"),
                                  call.has("negative") ? call.conditioning("negative") : Conditioning{}, cfg);
      auto sampler = diffusion::make_sampler(call.param_string("sampler"));
      auto lat = call.latent("latent");
      auto r = run(*sampler, guider, sigmas, lat, diffusion::NoiseSource(call.param_seed("seed")), call.context());
      call.set("latent", with_samples(lat, r.samples));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::sample
