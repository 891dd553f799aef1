// analytic.classifier: the exact noisy Bayes classifier of a labelled analytic model.
#include <noisegraph/diffusion/analytic.hpp>
#include <noisegraph/registrar.hpp>

#include <sstream>

#include "nodes.hpp"

namespace ng::analytic {

void register_classifier_node(Registrar& r) {
  NodeSpec spec("analytic.classifier", {1, 0});
  spec.display("Exact classifier").category("analytic")
      .describe("The exact Bayes classifier p(class | x, sigma) of a class-conditional analytic model "
                "(analytic.gaussian_classes, or analytic.points with labels), differentiable, for "
                "classifier guidance.")
      .input("model", type::Model).describe("a labelled analytic model")
      .output("classifier", type::Classifier)
      .param("class_names", "").describe("optional comma-separated names, one per class");
  spec.run([](NodeCall& call) {
    auto model = std::dynamic_pointer_cast<diffusion::MixtureDenoiser>(call.object<Denoiser>("model"));
    if (!model) throw Error("analytic.classifier: the model is not an analytic model");
    std::vector<std::string> names;
    std::stringstream s(call.param_string("class_names"));
    std::string n;
    while (std::getline(s, n, ',')) {
      n.erase(0, n.find_first_not_of(' '));
      n.erase(n.find_last_not_of(' ') + 1);
      if (!n.empty()) names.push_back(n);
    }
    call.set("classifier", std::make_shared<diffusion::MixtureClassifier>(model, names));
  });
  r.add(std::move(spec));
}

}  // namespace ng::analytic
