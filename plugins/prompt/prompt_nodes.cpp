// prompt.load and prompt.encode: text -> CONDITIONING through a model's own prompt encoder.
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

namespace ng::prompt {

namespace {

NodeSpec load_spec() {
  NodeSpec spec("prompt.load", {1, 0});
  spec.display("Load prompt encoder")
      .category("loaders")
      .describe("Loads the prompt encoder stored inside a prompt-conditioned model file (its word "
                "embeddings were trained together with that U-Net, so use the same file as "
                "unet.load).")
      .output("encoder", type::PromptEncoder)
      .path_param("path", "fmnist-latent-unet.safetensors")
      .describe("model file with a prompt encoder; relative paths resolve against the graph's folder, "
                "then the models folders");
  spec.run([](NodeCall& call) {
    auto enc = nn::load_prompt_encoder(call.param_path("path"));
    call.context().log(LogLevel::Info, enc->describe());
    call.set("encoder", enc);
  });
  return spec;
}

NodeSpec encode_spec() {
  NodeSpec spec("prompt.encode", {1, 0});
  spec.display("Encode prompt")
      .category("conditioning")
      .describe("Turns a prompt into CONDITIONING (one entry of token embeddings). Words the "
                "encoder does not know are skipped and listed in a warning; the empty prompt (or "
                "one with no known word) is the unconditional condition.")
      .input("encoder", type::PromptEncoder)
      .output("conditioning", type::Conditioning)
      .text_param("text", "a sneaker")
      .describe("the prompt, e.g. \"an ankle boot\"; Fashion-MNIST encoders know the ten class names "
                "and common synonyms");
  spec.run([](NodeCall& call) {
    auto enc = call.object<PromptEncoder>("encoder");
    const std::string text = call.param_string("text");
    std::vector<std::string> unknown;
    auto entry = enc->encode(text, &unknown);
    if (!unknown.empty()) {
      std::string list;
      for (const auto& w : unknown) list += (list.empty() ? "'" : ", '") + w + "'";
      call.context().warn("prompt \"" + text + "\": unknown word(s) " + list + " ignored" +
                          (entry.tokens.defined() ? "" : "; the condition is unconditional"));
    }
    call.set("conditioning", Conditioning{std::move(entry)});
  });
  return spec;
}

}  // namespace

void register_prompt_nodes(Registrar& r) {
  r.add(load_spec());
  r.add(encode_spec());
}

}  // namespace ng::prompt
