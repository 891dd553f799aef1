// guidance.classifier: adds classifier guidance to any guider.
#include <noisegraph/diffusion/guider.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include <cctype>

#include "nodes.hpp"

namespace ng::guidance {
namespace {

// "3" or a class name (case-insensitive) -> class index.
int64_t class_index(const std::string& text, const std::vector<std::string>& names) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (size_t i = 0; i < names.size(); ++i)
    if (lower(names[i]) == lower(text)) return int64_t(i);
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw Error("guidance.classifier: unknown class '" + text + "'; expected an index or one of: " + all);
}

}  // namespace

void register_classifier_node(Registrar& r) {
  NodeSpec spec("guidance.classifier", {1, 0});
  spec.display("Classifier guidance").category("sampling/guidance")
      .describe("Classifier guidance (Dhariwal & Nichol 2021) on top of any guider: "
                "D' = D + scale * sigma^2 * grad_x log p(class | x, sigma), the sigma-space form of "
                "eps' = eps - scale sqrt(1 - abar) grad log p. Combine with guidance.cfg for both. The "
                "classifier must read the model's latents and accept noisy input.")
      .input("guider", type::Guider).input("classifier", type::Classifier)
      .output("guider", type::Guider)
      .param("class", "0").describe("class index or name")
      .param("scale", 1.0).range(-100.0, 100.0).step(0.5).describe("guidance scale s (0 = off)")
      .param("scaled_input", false)
      .describe("feed the classifier the network's input scale_input(x) instead of the sampler's x "
                "(the SDK convention is the sampler's x)");
  spec.run([](NodeCall& call) {
    auto classifier = call.object<Classifier>("classifier");
    if (classifier->input_space() != "latent")
      throw Error("guidance.classifier: this classifier reads " + classifier->input_space() +
                  " input; classifier guidance needs one that reads the model's (noisy) latents");
    const auto id = class_index(call.param_string("class"), classifier->class_names());
    call.set("guider", std::make_shared<diffusion::ClassifierGuidance>(
                           call.object<diffusion::Guider>("guider"), classifier, id,
                           call.param_float("scale"), call.param_bool("scaled_input")));
  });
  r.add(std::move(spec));
}

}  // namespace ng::guidance
