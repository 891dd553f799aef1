// illusion.views, illusion.factorized and illusion.view.
#include <ATen/ATen.h>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "guiders.hpp"
#include "nodes.hpp"

namespace ng::illusion {

namespace {

std::string view_list() {
  std::string all;
  for (const auto& n : view_names()) all += (all.empty() ? "" : ", ") + n;
  return all;
}

void add_cfg_param(NodeSpec& spec) {
  spec.param("cfg", 3.0).range(0.0, 30.0).step(0.5).describe("classifier-free guidance scale of every branch; 1 = conditional only");
}

diffusion::CFGOptions cfg_options(const NodeCall& call) {
  diffusion::CFGOptions o;
  o.cfg = call.param_float("cfg");
  return o;
}

}  // namespace

void register_nodes(Registrar& r) {
  const std::string views_doc = "Orthogonal views only (they keep the noise Gaussian): " + view_list() +
                                ". Others (blur, zoom, arbitrary rotation, ...) are refused with the reason.";
  {
    NodeSpec spec("illusion.views", {1, 0});
    spec.display("Multi-view illusion").category("sampling/illusion")
        .describe("Visual anagrams (Geng, Park & Owens, CVPR 2024): at every step each view i transforms the "
                  "noisy sample, the model denoises it with conditioning i under CFG, the estimate is mapped "
                  "back and the estimates are averaged, so one image reads as prompt i in view i. " + views_doc)
        .input("model", type::Model)
        .input("a", type::Conditioning).describe("conditioning seen through view_a")
        .optional_input("b", type::Conditioning).describe("conditioning seen through view_b")
        .optional_input("c", type::Conditioning)
        .optional_input("d", type::Conditioning)
        .optional_input("negative", type::Conditioning).describe("unconnected = the unconditional prediction")
        .output("guider", type::Guider)
        .param("view_a", "identity").describe("view of a")
        .param("view_b", "flip_v").describe("view of b (e.g. flip_v: upside down)")
        .param("view_c", "identity").describe("view of c")
        .param("view_d", "identity").describe("view of d");
    add_cfg_param(spec);
    spec.seed_param("seed", 0).describe("seed of patch_permute / pixel_permute")
        .param("patch", 8).range(1, 1024).describe("patch_permute: tile size in sample cells (must divide the size)");
    spec.run([](NodeCall& call) {
      std::vector<std::pair<ViewSpec, Conditioning>> pairs;
      for (const char* k : {"a", "b", "c", "d"}) {
        if (!call.has(k)) continue;
        ViewSpec s{call.param_string(std::string("view_") + k), call.param_seed("seed"), call.param_int("patch")};
        pairs.emplace_back(s, call.conditioning(k));
      }
      call.set("guider", std::make_shared<MultiViewGuider>(call.object<Denoiser>("model"), std::move(pairs),
                                                           call.has("negative") ? call.conditioning("negative") : Conditioning{},
                                                           cfg_options(call)));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("illusion.factorized", {1, 0});
    spec.display("Factorized illusion").category("sampling/illusion")
        .describe("Factorized diffusion (Geng, Park & Owens 2024): the x0 estimate is split into components "
                  "that sum to it, each taken from the prediction under its own conditioning. frequency: the "
                  "low-pass (Gaussian blur) of 'low' plus the high-pass of 'high', a hybrid image that reads as "
                  "'low' from afar and 'high' up close. colour (3-channel models): the greyscale of 'low' plus "
                  "the colour of 'high'.")
        .input("model", type::Model)
        .input("low", type::Conditioning).describe("seen in the low-pass (or greyscale) component")
        .input("high", type::Conditioning).describe("seen in the high-pass (or colour) component")
        .optional_input("negative", type::Conditioning)
        .output("guider", type::Guider)
        .enum_param("split", {"frequency", "colour"}, "frequency")
        .param("blur_sigma", 2.0).range(0.1, 64.0).step(0.1)
        .describe("std of the Gaussian low-pass in image pixels (divided by the model's pixels per cell)");
    add_cfg_param(spec);
    spec.run([](NodeCall& call) {
      auto model = call.object<Denoiser>("model");
      const double sigma = call.param_float("blur_sigma") / double(std::max<int64_t>(1, model->spatial_scale()));
      call.set("guider", std::make_shared<FactorizedGuider>(model, call.conditioning("low"), call.conditioning("high"),
                                                            call.has("negative") ? call.conditioning("negative") : Conditioning{},
                                                            cfg_options(call), call.param_string("split"), sigma));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("illusion.view", {1, 0});
    spec.display("View image").category("image/illusion")
        .describe("Applies a view of illusion.views to an IMAGE (negate = 1 - x), so a graph can show each "
                  "reading of an illusion side by side. " + views_doc)
        .input("image", type::Image)
        .output("image", type::Image)
        .param("view", "flip_v")
        .seed_param("seed", 0).describe("same seed as the illusion.views node")
        .param("patch", 8).range(1, 1024).describe("same patch as the illusion.views node (in sample cells)")
        .param("cell", 1).range(1, 64).describe("image pixels per sample cell: 1 for pixel models, the autoencoder's downscale for latent models")
        .param("inverse", false).describe("apply the inverse view");
    spec.run([](NodeCall& call) {
      ViewSpec s{call.param_string("view"), call.param_seed("seed"), call.param_int("patch")};
      call.set("image", view_image(call.tensor("image"), s.name, s.seed, s.patch, call.param_int("cell"), call.param_bool("inverse")));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::illusion
