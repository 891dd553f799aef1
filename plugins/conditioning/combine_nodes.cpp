// conditioning.combine (list union) and conditioning.average (token-embedding interpolation).
#include <ATen/ATen.h>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "nodes.hpp"

namespace ng::conditioning {
namespace {

// Pads [T,D] tokens (and their mask) with zeros to T rows.
std::pair<at::Tensor, at::Tensor> padded(const ConditioningEntry& e, int64_t T) {
  const auto t = e.tokens.to(at::kFloat);
  auto mask = e.token_mask.defined() ? e.token_mask.to(at::kFloat) : at::ones({t.size(0)});
  if (t.size(0) == T) return {t, mask};
  auto tp = at::zeros({T, t.size(1)});
  auto mp = at::zeros({T});
  tp.narrow(0, 0, t.size(0)).copy_(t);
  mp.narrow(0, 0, t.size(0)).copy_(mask);
  return {tp, mp};
}

}  // namespace

void register_combine_nodes(Registrar& r) {
  {
    NodeSpec spec("conditioning.combine", {1, 1});
    spec.display("Combine conditioning").category("conditioning")
        .describe("Joins the entries of any number of CONDITIONING lists into one (a, b, c, d, then "
                  "more_1, more_2, ...). Guiders blend the entries by strength and region "
                  "(guidance.cfg, guidance.basic) or add one term per entry (guidance.compose).")
        .input("a", type::Conditioning).input("b", type::Conditioning)
        .optional_input("c", type::Conditioning).optional_input("d", type::Conditioning)
        .variadic_input("more", type::Conditioning).describe("further lists, in order: more_1, more_2, ...")
        .output("conditioning", type::Conditioning);
    spec.run([](NodeCall& call) {
      Conditioning out;
      for (const char* name : {"a", "b", "c", "d"}) {
        if (!call.has(name)) continue;
        auto list = call.conditioning(name);
        out.insert(out.end(), list.begin(), list.end());
      }
      for (const Value& v : call.inputs_of("more")) {
        const auto* list = std::get_if<Conditioning>(&v.data);
        if (!list) throw Error("conditioning.combine: a 'more' input is not a CONDITIONING");
        out.insert(out.end(), list->begin(), list->end());
      }
      call.set("conditioning", out);
    });
    r.add(std::move(spec));
  }
  {
    NodeSpec spec("conditioning.average", {1, 0});
    spec.display("Average conditioning").category("conditioning")
        .describe("Interpolates prompt embeddings: every entry of `to` gets tokens weight * to + (1 - weight) * "
                  "from, where `from` is the first entry of the second input (shorter token sequences are "
                  "zero-padded; a token is real if it is real in either). Only for prompt conditioning.")
        .input("to", type::Conditioning).input("from", type::Conditioning)
        .output("conditioning", type::Conditioning)
        .param("weight", 0.5).range(0.0, 1.0).step(0.05).describe("1 = `to` unchanged, 0 = `from`'s tokens");
    spec.run([](NodeCall& call) {
      auto to = call.conditioning("to");
      const auto from = call.conditioning("from");
      if (from.empty() || !from[0].tokens.defined())
        throw Error("conditioning.average: `from` must hold a prompt conditioning (token embeddings)");
      const double w = call.param_float("weight");
      for (auto& e : to) {
        if (!e.tokens.defined())
          throw Error("conditioning.average: `to` holds an entry without token embeddings (class or empty "
                      "conditioning cannot be averaged)");
        if (e.tokens.size(1) != from[0].tokens.size(1))
          throw Error("conditioning.average: token widths differ (" + std::to_string(e.tokens.size(1)) + " and " +
                      std::to_string(from[0].tokens.size(1)) + "): were they made by different prompt encoders?");
        const int64_t T = std::max(e.tokens.size(0), from[0].tokens.size(0));
        auto [ta, ma] = padded(e, T);
        auto [tb, mb] = padded(from[0], T);
        e.tokens = ta * w + tb * (1.0 - w);
        e.token_mask = at::maximum(ma, mb);
        e.text = e.text + " ~ " + from[0].text;
      }
      call.set("conditioning", to);
    });
    r.add(std::move(spec));
  }
}

}  // namespace ng::conditioning
