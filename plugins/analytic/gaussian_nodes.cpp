// analytic.gaussian and analytic.gaussian_classes: exact denoisers of Gaussian data.
#include <ATen/ATen.h>
#include <noisegraph/diffusion/analytic.hpp>
#include <noisegraph/registrar.hpp>

#include <sstream>

#include "nodes.hpp"

namespace ng::analytic {
namespace {

void add_shape_params(NodeSpec& spec) {
  spec.param("channels", 1).range(1, 64).describe("sample channels C")
      .param("size", 8).range(1, 512).describe("sample height and width");
}

}  // namespace

void register_gaussian_nodes(Registrar& r) {
  {
    NodeSpec spec("analytic.gaussian", {1, 0});
    spec.display("Gaussian model (exact)").category("analytic")
        .describe("The exact denoiser of data N(mean, std^2 I): D(x, sigma) = mean + std^2 / (std^2 + sigma^2) "
                  "(x - mean) in sigma space (and its flow-frame analogue). Every sampler's result can be "
                  "checked against the closed form; see docs/diffusion.md.")
        .output("model", type::Model)
        .param("mean", 0.0).range(-100.0, 100.0).describe("data mean (every element)")
        .param("std", 0.5).range(0.0, 100.0).describe("data standard deviation (every element)");
    add_shape_params(spec);
    add_sampling_params(spec);
    spec.run([](NodeCall& call) {
      const auto c = call.param_int("channels"), s = call.param_int("size");
      call.set("model", diffusion::gaussian_model({c, s, s}, call.param_float("mean"), call.param_float("std"),
                                                  sampling_from(call)));
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("analytic.gaussian_classes", {1, 0});
    spec.display("Class-conditional Gaussians (exact)").category("analytic")
        .describe("K classes, class k ~ N(m_k, std^2 I) with m_k = (k - (K-1)/2) * spacing in every element, "
                  "equal priors. Rows conditioned on class k get that class's exact denoiser; "
                  "unconditional rows get the exact denoiser of the mixture. CFG and classifier guidance "
                  "on it have closed forms.")
        .output("model", type::Model)
        .param("classes", 2).range(1, 100).describe("number of classes K")
        .param("spacing", 2.0).range(0.0, 100.0).describe("distance between neighbouring class means")
        .param("std", 0.5).range(0.0, 100.0).describe("within-class standard deviation");
    add_shape_params(spec);
    add_sampling_params(spec);
    spec.run([](NodeCall& call) {
      const auto c = call.param_int("channels"), s = call.param_int("size"), k = call.param_int("classes");
      const double sd = call.param_float("std"), spacing = call.param_float("spacing");
      std::vector<diffusion::MixtureComponent> comps;
      for (int64_t i = 0; i < k; ++i)
        comps.push_back({at::full({c, s, s}, (double(i) - double(k - 1) / 2.0) * spacing, at::kDouble), sd * sd, 1.0, i});
      std::ostringstream d;
      d << "analytic " << k << "-class Gaussians, spacing " << spacing << ", std " << sd;
      call.set("model", std::make_shared<diffusion::MixtureDenoiser>(comps, sampling_from(call), d.str()));
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::analytic
