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

// Encodes one prompt, warning about words the encoder does not know.
ConditioningEntry encode_one(NodeCall& call, PromptEncoder& enc, const std::string& text) {
  std::vector<std::string> unknown;
  auto entry = enc.encode(text, &unknown);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& w : unknown) list += (list.empty() ? "'" : ", '") + w + "'";
    call.context().warn("prompt \"" + text + "\": unknown word(s) " + list + " ignored" +
                        (entry.tokens.defined() ? "" : "; the condition is unconditional"));
  }
  return entry;
}

// The non-empty lines of `text`, trimmed.
std::vector<std::string> prompt_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) lines.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
    start = end + 1;
  }
  return lines;
}

NodeSpec encode_spec() {
  NodeSpec spec("prompt.encode", {1, 1});
  spec.display("Encode prompt")
      .category("conditioning")
      .describe("Turns a prompt into CONDITIONING (one entry of token embeddings). Words the "
                "encoder does not know are skipped and listed in a warning; the empty prompt (or "
                "one with no known word) is the unconditional condition. With per_line, every "
                "non-empty line is the prompt of one image row: the sampler splits its batch into "
                "as many equal groups, in order (10 lines and a batch of 40 = 4 images per prompt).")
      .input("encoder", type::PromptEncoder)
      .output("conditioning", type::Conditioning)
      .text_param("text", "a sneaker")
      .describe("the prompt, e.g. \"an ankle boot\"; Fashion-MNIST encoders know the ten class names "
                "and common synonyms")
      .param("per_line", false)
      .describe("one prompt per line, one image row each (off: the whole text is one prompt)");
  spec.run([](NodeCall& call) {
    auto enc = call.object<PromptEncoder>("encoder");
    const std::string text = call.param_string("text");
    if (!call.param_bool("per_line")) {
      call.set("conditioning", Conditioning{encode_one(call, *enc, text)});
      return;
    }
    const auto lines = prompt_lines(text);
    if (lines.empty()) throw Error("per_line is on, but the text has no non-empty line");
    Conditioning rows;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      rows.push_back(encode_one(call, *enc, lines[k]));
      rows.back().row = int64_t(k);
    }
    call.set("conditioning", std::move(rows));
  });
  return spec;
}

}  // namespace

void register_prompt_nodes(Registrar& r) {
  r.add(load_spec());
  r.add(encode_spec());
}

}  // namespace ng::prompt
