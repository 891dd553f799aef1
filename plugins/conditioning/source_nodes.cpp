// Conditioning that needs no prompt encoder: empty (unconditional) and class labels.
#include <noisegraph/models.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::conditioning {

void register_source_nodes(Registrar& r) {
  {
    NodeSpec spec("conditioning.empty", {1, 0});
    spec.display("Empty conditioning").category("conditioning")
        .describe("An empty CONDITIONING list: the model's unconditional prediction (e.g. as the "
                  "negative of guidance.cfg, or to generate without a prompt).")
        .output("conditioning", type::Conditioning);
    spec.run([](NodeCall& call) { call.set("conditioning", Conditioning{}); });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("conditioning.class", {1, 0});
    spec.display("Class conditioning").category("conditioning")
        .describe("Conditions a class-conditional model on one class label.")
        .optional_input("model", type::Model).describe("when connected, the class is checked against its class count")
        .output("conditioning", type::Conditioning)
        .param("class_id", 0).range(0, 100000).describe("class index")
        .param("strength", 1.0).range(-10.0, 10.0).step(0.05).describe("entry strength (see conditioning.set_strength)");
    spec.run([](NodeCall& call) {
      ConditioningEntry e;
      e.class_id = call.param_int("class_id");
      e.strength = call.param_float("strength");
      e.text = "class " + std::to_string(e.class_id);
      if (call.has("model")) {
        const auto k = call.object<Denoiser>("model")->num_classes();
        if (k == 0) throw Error("conditioning.class: the model is not class-conditional");
        if (e.class_id >= k)
          throw Error("conditioning.class: class " + std::to_string(e.class_id) + " outside the model's classes 0.." +
                      std::to_string(k - 1));
      }
      call.set("conditioning", Conditioning{e});
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::conditioning
