// sample.noise (seed -> NOISE) and sample.empty_latent (size -> LATENT of zeros).
#include <ATen/ATen.h>
#include <noisegraph/diffusion/noise.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::sample {

void register_noise_nodes(Registrar& r) {
  {
    NodeSpec spec("sample.noise", {1, 0});
    spec.display("Noise").category("sampling")
        .describe("Seeded Gaussian noise. Image k of a batch uses seed + k, for the initial noise and "
                  "for the per-step noise of stochastic samplers, so an image can be reproduced alone "
                  "whatever batch it was made in.")
        .output("noise", type::Noise)
        .seed_param("seed", 0).describe("seed of image 0")
        .param("add_noise", true).describe("false = no noise at all (continue from an already noisy latent)");
    spec.run([](NodeCall& call) {
      if (call.param_bool("add_noise"))
        call.set("noise", std::make_shared<diffusion::NoiseSource>(call.param_seed("seed")));
      else
        call.set("noise", std::make_shared<diffusion::ZeroNoise>());
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("sample.empty_latent", {1, 0});
    spec.display("Empty latent").category("sampling")
        .describe("A batch of zero latents in the model's space, sized from a pixel width and height "
                  "divided by the model's spatial scale, with the model's channel count.")
        .input("model", type::Model)
        .output("latent", type::Latent)
        .param("width", 0).range(0, 8192).describe("image width in pixels; 0 = the model's native size")
        .param("height", 0).range(0, 8192).describe("image height in pixels; 0 = the model's native size")
        .param("batch", 1).range(1, 4096).describe("number of images");
    spec.run([](NodeCall& call) {
      auto model = call.object<Denoiser>("model");
      const auto shape = model->sample_shape();
      if (shape.size() != 3) throw Error("sample.empty_latent: the model does not report a [C,H,W] sample shape");
      const int64_t scale = std::max<int64_t>(model->spatial_scale(), 1);
      auto cells = [&](const char* name, int64_t native) {
        const int64_t px = call.param_int(name);
        if (px == 0) return native;
        if (px % scale != 0)
          throw Error(std::string("sample.empty_latent: ") + name + " " + std::to_string(px) +
                      " is not a multiple of the model's spatial scale " + std::to_string(scale));
        return px / scale;
      };
      Latent lat;
      lat.samples = at::zeros({call.param_int("batch"), shape[0], cells("height", shape[1]), cells("width", shape[2])});
      call.set("latent", lat);
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::sample
