// The forward (noising) process as nodes: noise an image or latent to timestep t, and a
// strip of frames showing noise gradually added (Ho et al. 2020, eq. 4).
#include <ATen/ATen.h>
#include <noisegraph/diffusion/forward.hpp>
#include <noisegraph/diffusion/noise.hpp>
#include <noisegraph/diffusion/schedule.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include <cmath>

#include "nodes.hpp"

namespace ng::schedule {
namespace {

// The beta-schedule parameters shared by the forward-process nodes (DDPM defaults).
void add_schedule_params(NodeSpec& spec) {
  spec.enum_param("beta_schedule", diffusion::beta_schedule_names(), "linear")
      .describe("training noise schedule: linear (DDPM), scaled_linear (Stable Diffusion), cosine "
                "(Nichol & Dhariwal), sigmoid (GeoDiff)")
      .param("timesteps", 1000).range(2, 10000).describe("number of training timesteps T")
      .param("beta_start", 0.0001).range(1e-6, 0.5).describe("first beta (ignored by cosine)")
      .param("beta_end", 0.02).range(1e-6, 0.999).describe("last beta (ignored by cosine)")
      .seed_param("seed", 0).describe("noise seed; image k uses seed + k");
}

at::Tensor alphas_from(NodeCall& call) {
  return diffusion::alphas_cumprod(diffusion::make_betas(call.param_string("beta_schedule"), call.param_int("timesteps"),
                                                         call.param_float("beta_start"), call.param_float("beta_end")));
}

int64_t checked_t(NodeCall& call, int64_t T) {
  const auto t = call.param_int("t");
  if (t < 0 || t >= T)
    throw Error("timestep t = " + std::to_string(t) + " is outside [0, " + std::to_string(T - 1) + "]");
  return t;
}

at::Tensor noised(const at::Tensor& x0, const at::Tensor& abar, int64_t t, uint64_t seed) {
  const auto noise = diffusion::NoiseSource(seed).initial(x0);
  return diffusion::q_sample(x0, abar, at::full({x0.size(0)}, t, at::kLong), noise);
}

}  // namespace

void register_forward_nodes(Registrar& r) {
  {
    NodeSpec spec("schedule.noise_image", {1, 0});
    spec.display("Noise image (forward process)").category("sampling/forward")
        .describe("Samples the forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) for an "
                  "image: pixels are mapped to [-1,1], noised to timestep t and mapped back (clamped "
                  "to [0,1] for display).")
        .input("image", type::Image)
        .output("image", type::Image).describe("x_t shown as an image")
        .param("t", 500).min(0).describe("timestep index in [0, T-1] (0 = least noise)");
    add_schedule_params(spec);
    spec.run([](NodeCall& call) {
      const auto abar = alphas_from(call);
      const auto x0 = call.tensor("image").to(at::kFloat) * 2.0 - 1.0;
      const auto xt = noised(x0, abar, checked_t(call, abar.size(0)), call.param_seed("seed"));
      call.set("image", ((xt + 1.0) / 2.0).clamp(0.0, 1.0));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("schedule.noise_latent", {1, 0});
    spec.display("Noise latent (forward process)").category("sampling/forward")
        .describe("Samples the forward process for a latent: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps "
                  "(the network's input scale, not sigma space). The noise mask is kept.")
        .input("latent", type::Latent)
        .output("latent", type::Latent)
        .param("t", 500).min(0).describe("timestep index in [0, T-1] (0 = least noise)");
    add_schedule_params(spec);
    spec.run([](NodeCall& call) {
      const auto abar = alphas_from(call);
      auto lat = call.latent("latent");
      lat.samples = noised(lat.samples, abar, checked_t(call, abar.size(0)), call.param_seed("seed"));
      call.set("latent", lat);
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("schedule.forward_strip", {1, 0});
    spec.display("Forward process strip").category("sampling/forward")
        .describe("Shows noise being added gradually: for each input image, `frames` images - the "
                  "clean image, then x_t at evenly spaced timesteps up to T-1, all with the same "
                  "noise draw. Output is image-major (image b's frames are consecutive), so "
                  "image.grid with columns = frames gives one row per image.")
        .input("image", type::Image)
        .output("image", type::Image).describe("[B*frames, C, H, W]")
        .param("frames", 8).range(2, 64).describe("frames per image, including the clean one");
    add_schedule_params(spec);
    spec.run([](NodeCall& call) {
      const auto abar = alphas_from(call);
      const int64_t T = abar.size(0), K = call.param_int("frames");
      const auto x0 = call.tensor("image").to(at::kFloat) * 2.0 - 1.0;
      const auto noise = diffusion::NoiseSource(call.param_seed("seed")).initial(x0);
      std::vector<at::Tensor> frames;
      for (int64_t b = 0; b < x0.size(0); ++b) {
        for (int64_t k = 0; k < K; ++k) {
          if (k == 0) {
            frames.push_back(x0[b]);
            continue;
          }
          const auto t = int64_t(std::llround(double(k) * double(T - 1) / double(K - 1)));
          const auto xt = diffusion::q_sample(x0[b].unsqueeze(0), abar, at::full({1}, t, at::kLong),
                                              noise[b].unsqueeze(0));
          frames.push_back(xt[0]);
        }
      }
      call.set("image", ((at::stack(frames) + 1.0) / 2.0).clamp(0.0, 1.0));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::schedule
