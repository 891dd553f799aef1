// Nodes that change where, when and how strongly conditioning entries apply.
#include <ATen/ATen.h>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include <functional>

#include "nodes.hpp"

namespace ng::conditioning {
namespace {

// A node CONDITIONING -> CONDITIONING that edits every entry.
void add_modifier(Registrar& r, const std::string& id, const std::string& display, const std::string& doc,
                  const std::function<void(NodeSpec&)>& params,
                  std::function<void(NodeCall&, ConditioningEntry&)> edit, bool with_mask = false) {
  NodeSpec spec(id, {1, 0});
  spec.display(display).category("conditioning").describe(doc).input("conditioning", type::Conditioning);
  if (with_mask) spec.input("mask", type::Mask).describe("1 = the entry applies here; only the first mask of a batch is used");
  spec.output("conditioning", type::Conditioning);
  params(spec);
  spec.run([edit](NodeCall& call) {
    auto list = call.conditioning("conditioning");
    for (auto& e : list) edit(call, e);
    call.set("conditioning", list);
  });
  r.add(std::move(spec));
}

}  // namespace

void register_modify_nodes(Registrar& r) {
  add_modifier(
      r, "conditioning.set_strength", "Set conditioning strength",
      "Sets every entry's strength: its weight when a guider combines several entries. With guidance.cfg "
      "or guidance.basic, an entry covering a position with total strength below 1 is mixed with the "
      "unconditional prediction there; with guidance.compose it scales the entry's term.",
      [](NodeSpec& s) { s.param("strength", 1.0).range(-10.0, 10.0).step(0.05).describe("new strength"); },
      [](NodeCall& call, ConditioningEntry& e) { e.strength = call.param_float("strength"); });

  add_modifier(
      r, "conditioning.set_timestep_range", "Set conditioning timestep range",
      "Makes every entry apply only between two fractions of the model's noise axis (0 = pure noise, 1 = "
      "clean), independent of step count and sampler. E.g. 0..0.3 steers the composition only.",
      [](NodeSpec& s) {
        s.param("start", 0.0).range(0.0, 1.0).step(0.05).describe("first fraction where the entry applies")
            .param("end", 1.0).range(0.0, 1.0).step(0.05).describe("last fraction where the entry applies");
      },
      [](NodeCall& call, ConditioningEntry& e) {
        const double a = call.param_float("start"), b = call.param_float("end");
        if (a > b) throw Error("conditioning.set_timestep_range: start " + std::to_string(a) + " is after end " + std::to_string(b));
        e.start = a;
        e.end = b;
      });

  add_modifier(
      r, "conditioning.set_area", "Set conditioning area",
      "Restricts every entry to a rectangle given in image pixels (regional prompt). Guiders predict the "
      "entry inside the rectangle and blend overlapping entries by strength.",
      [](NodeSpec& s) {
        s.param("x", 0).range(0, 16384).describe("left edge in pixels")
            .param("y", 0).range(0, 16384).describe("top edge in pixels")
            .param("width", 16).range(1, 16384).describe("width in pixels")
            .param("height", 16).range(1, 16384).describe("height in pixels");
      },
      [](NodeCall& call, ConditioningEntry& e) {
        e.area = Area{call.param_int("x"), call.param_int("y"), call.param_int("width"), call.param_int("height")};
      });

  add_modifier(
      r, "conditioning.set_mask", "Set conditioning mask",
      "Restricts every entry to a soft region given by a MASK (any resolution; resized to the latent). "
      "Combined with an area, both apply.",
      [](NodeSpec&) {},
      [](NodeCall& call, ConditioningEntry& e) {
        auto m = call.tensor("mask");
        if (m.dim() != 4 || m.size(1) != 1) throw Error("conditioning.set_mask: expected a MASK [B,1,H,W]");
        e.mask = m.slice(0, 0, 1).to(at::kFloat).clamp(0.0, 1.0);
      },
      true);
}

}  // namespace ng::conditioning
