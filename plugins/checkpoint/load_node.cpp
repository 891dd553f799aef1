// checkpoint.load: a Stable Diffusion 1.x / 2.x checkpoint -> MODEL, PROMPT_ENCODER, AUTOENCODER.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>
#include <noisegraph/sd/checkpoint.hpp>

namespace ng::checkpoint {

void register_load_node(Registrar& r) {
  NodeSpec spec("checkpoint.load", {1, 0});
  spec.display("Load SD checkpoint")
      .category("loaders")
      .describe("Loads a Stable Diffusion 1.x or 2.x checkpoint: a single .safetensors file with the original "
                "key names, or a diffusers model folder. The architecture is read from the tensors' shapes and "
                "the family (SD 1.x: CLIP ViT-L/14; SD 2.x: OpenCLIP ViT-H/14, eps or v) is detected and "
                "logged. The MODEL works with every sampler, guider and editing node; the text encoder "
                "understands (word:1.2), (word), [word] and prompts longer than 75 tokens. .ckpt pickles are "
                "refused: convert them to .safetensors.")
      .output("model", type::Model)
      .output("text_encoder", type::PromptEncoder)
      .output("autoencoder", type::Autoencoder)
      .path_param("path", "")
      .file_or_folder()
      .describe("checkpoint .safetensors file or diffusers folder (set it with --set checkpoint.path=FILE)")
      .enum_param("prediction", {"auto", "eps", "v"}, "auto")
      .describe("what the U-Net predicts; auto reads it from the file (SD 2.x 768 models predict v)")
      .param("clip_skip", 0)
      .range(0, 24)
      .describe("CLIP layer to condition on counted from the end: 1 = last, 2 = penultimate; 0 = the family's "
                "default (SD 1.x: 1, SD 2.x: 2)")
      .param("vae_tile", 64)
      .range(0, 512)
      .describe("latents larger than 1.5x this many cells on a side are encoded and decoded in overlapping "
                "tiles (64 = 512 pixels) so large images fit in memory; 0 = never tile")
      .path_param("vocab", "clip/bpe_simple_vocab_16e6.txt.gz")
      .describe("CLIP BPE vocabulary for single-file checkpoints (diffusers folders bring their own tokenizer)");
  spec.run([](NodeCall& call) {
    const std::string path = call.param_string("path");
    if (path.empty()) throw Error("no checkpoint given: set the 'path' parameter (e.g. --set checkpoint.path=FILE)");
    sd::CheckpointOptions opt;
    opt.prediction = call.param_string("prediction");
    opt.clip_skip = call.param_int("clip_skip");
    opt.vae_tile = call.param_int("vae_tile");
    opt.vocab = call.param_path("vocab");
    opt.device = call.context().device();
    call.context().report_progress(0.0, "loading " + path);
    auto ck = sd::load_checkpoint(call.param_path("path"), opt);
    call.context().log(LogLevel::Info, ck.info.describe());
    for (const auto& ignored : ck.info.ignored) call.context().log(LogLevel::Info, "not used: " + ignored);
    call.set("model", ck.model);
    call.set("text_encoder", ck.text_encoder);
    call.set("autoencoder", ck.autoencoder);
  });
  r.add(std::move(spec));
}

}  // namespace ng::checkpoint
