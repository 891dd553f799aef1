// Stable Diffusion checkpoints: find the weights, decide the family, check the layout,
// load, and wrap the networks as NoiseGraph models.
#include "noisegraph/sd/checkpoint.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "checkpoint_keys.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"
#include "sd_models.hpp"

namespace ng::sd {

namespace fs = std::filesystem;

namespace {

// The opened files and the canonical weights they hold.
struct Sources {
  std::vector<std::unique_ptr<io::MappedTensorFile>> files;
  keys::KeyMap keys;
  std::string format;
  json::Value unet_config, text_config, scheduler_config;  // diffusers folders only
  fs::path tokenizer_dir;
};

json::Value read_json(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), p.string());
}

const io::MappedTensorFile& open(Sources& s, const fs::path& p) {
  s.files.push_back(std::make_unique<io::MappedTensorFile>(p));
  return *s.files.back();
}

fs::path diffusers_weights(const fs::path& dir, const std::string& part, const char* stem) {
  for (const auto& name : {std::string(stem) + ".safetensors", std::string(stem) + ".fp16.safetensors"})
    if (fs::is_regular_file(dir / part / name)) return dir / part / name;
  if (fs::exists(dir / part / (std::string(stem) + ".bin")))
    throw Error((dir / part).string() + ": holds a pickled .bin file; only .safetensors weights are read "
                "(convert them to safetensors)");
  throw Error((dir / part).string() + ": no " + stem + ".safetensors in this diffusers folder");
}

Sources open_sources(const fs::path& path) {
  Sources s;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file or folder");
  if (fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(path / "model_index.json"))
      throw Error(path.string() + ": a folder without model_index.json is not a diffusers model folder");
    s.format = "diffusers folder";
    s.keys.unet = keys::map_diffusers_unet(open(s, diffusers_weights(path, "unet", "diffusion_pytorch_model")));
    s.keys.vae = keys::map_diffusers_vae(open(s, diffusers_weights(path, "vae", "diffusion_pytorch_model")));
    s.keys.clip = keys::map_diffusers_clip(open(s, diffusers_weights(path, "text_encoder", "model")));
    s.tokenizer_dir = path / "tokenizer";
    for (const char* f : {"vocab.json", "merges.txt"})
      if (!fs::is_regular_file(s.tokenizer_dir / f))
        throw Error(path.string() + ": diffusers folder without tokenizer/" + f);
    if (fs::is_regular_file(path / "unet" / "config.json")) s.unet_config = read_json(path / "unet" / "config.json");
    if (fs::is_regular_file(path / "text_encoder" / "config.json"))
      s.text_config = read_json(path / "text_encoder" / "config.json");
    if (fs::is_regular_file(path / "scheduler" / "scheduler_config.json"))
      s.scheduler_config = read_json(path / "scheduler" / "scheduler_config.json");
    return s;
  }
  const std::string ext = path.extension().string();
  if (ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin")
    throw Error(path.string() + ": " + ext + " files are Python pickles, which NoiseGraph never loads (they can run "
                "code); convert the checkpoint to .safetensors first");
  s.format = "single file";
  s.keys = keys::map_single_file(open(s, path));
  return s;
}

int64_t json_int(const json::Value& v, const char* key, int64_t fallback) {
  const json::Value* x = v.is_object() ? v.find(key) : nullptr;
  return x && x->is_number() ? x->as_int(key) : fallback;
}

// What shapes cannot say, from the family and (for diffusers) the config files.
CheckpointInfo describe_sources(const Sources& s, const fs::path& path, const CheckpointOptions& o) {
  CheckpointInfo info;
  info.source = path.string();
  info.format = s.format;
  const Layout unet_l = keys::layout_of(s.keys.unet), vae_l = keys::layout_of(s.keys.vae),
               clip_l = keys::layout_of(s.keys.clip);
  info.unet = infer_unet_config(unet_l, path.string() + " (U-Net)");
  info.vae = infer_vae_config(vae_l, path.string() + " (autoencoder)");
  info.clip = infer_clip_text_config(clip_l, path.string() + " (text encoder)");
  if (o.family != "auto" && o.family != "sd1" && o.family != "sd2")
    throw Error("family must be auto, sd1 or sd2, not '" + o.family + "'");
  const bool sd2 = o.family == "auto" ? (s.keys.openclip || info.clip.width == 1024) : o.family == "sd2";
  info.family = sd2 ? "SD 2.x" : "SD 1.x";
  // SD 1.x: OpenAI CLIP, 8 heads everywhere in the U-Net; SD 2.x: OpenCLIP, 64 ch per head.
  info.clip.quick_gelu = !sd2;
  if (s.text_config.is_object())
    if (const auto* act = s.text_config.find("hidden_act"); act && act->is_string())
      info.clip.quick_gelu = act->as_string() == "quick_gelu";
  info.clip.heads = json_int(s.text_config, "num_attention_heads", info.clip.heads);
  if (o.clip_heads > 0) info.clip.heads = o.clip_heads;
  if (sd2) {
    info.unet.num_heads = -1;
    info.unet.head_channels = 64;
  }
  if (s.unet_config.is_object()) {
    // diffusers' `attention_head_dim` is the number of heads for SD 1.x (8) and a list of
    // per-level heads for SD 2.x ([5, 10, 20, 20] = 64 channels each).
    if (const auto* h = s.unet_config.find("attention_head_dim")) {
      if (h->is_number()) {
        info.unet.num_heads = h->as_int();
        info.unet.head_channels = -1;
      } else if (h->is_array() && !h->as_array().empty()) {
        const int64_t heads0 = h->as_array()[0].as_int();
        if (heads0 > 0 && info.unet.model_channels % heads0 == 0) {
          info.unet.num_heads = -1;
          info.unet.head_channels = info.unet.model_channels / heads0;
        }
      }
    }
  }
  if (o.unet_heads > 0) {
    info.unet.num_heads = o.unet_heads;
    info.unet.head_channels = -1;
  } else if (o.unet_head_channels > 0) {
    info.unet.num_heads = -1;
    info.unet.head_channels = o.unet_head_channels;
  }
  info.pad_id = sd2 ? 0 : ClipTokenizer::kEos;
  info.clip_skip = o.clip_skip > 0 ? o.clip_skip : (sd2 ? 2 : 1);
  if (info.clip_skip > info.clip.layers)
    throw Error(path.string() + ": clip_skip " + std::to_string(info.clip_skip) + " exceeds the text encoder's " +
                std::to_string(info.clip.layers) + " layers");
  // Prediction type.
  info.prediction = "eps";
  info.prediction_from = "family default";
  if (s.scheduler_config.is_object()) {
    if (const auto* p = s.scheduler_config.find("prediction_type"); p && p->is_string()) {
      info.prediction = p->as_string() == "v_prediction" ? "v" : "eps";
      info.prediction_from = "scheduler_config";
    }
  } else if (s.keys.v_pred_key) {
    info.prediction = "v";
    info.prediction_from = "v_pred key";
  } else if (sd2) {
    const std::string probe = "output_blocks.11.1.transformer_blocks.0.norm1.bias";
    if (auto it = s.keys.unet.find(probe); it != s.keys.unet.end()) {
      const double sd = keys::load(it->second).std(/*unbiased=*/false).item<double>();
      info.prediction = sd > 0.09 ? "v" : "eps";
      info.prediction_from = "heuristic";
    }
  }
  if (o.prediction == "eps" || o.prediction == "v") {
    info.prediction = o.prediction;
    info.prediction_from = "option";
  } else if (o.prediction != "auto") {
    throw Error("prediction must be auto, eps or v, not '" + o.prediction + "'");
  }
  if (info.unet.in_channels != 4)
    throw Error(path.string() + ": U-Net with " + std::to_string(info.unet.in_channels) + " input channels (an "
                "inpainting or depth model?): not supported yet, only 4-channel text-to-image U-Nets are");
  // Every key must be one the architecture needs, and every needed key must be there.
  check_layout(unet_layout(info.unet), unet_l, "U-Net (model.diffusion_model.*)", path.string());
  check_layout(vae_layout(info.vae), vae_l, "autoencoder (first_stage_model.*)", path.string());
  check_layout(clip_text_layout(info.clip), clip_l, "text encoder (cond_stage_model.*)", path.string());
  info.parameters = parameter_count(unet_l) + parameter_count(vae_l) + parameter_count(clip_l);
  for (const auto& [group, n] : s.keys.ignored) info.ignored.push_back(group + ": " + std::to_string(n) + " key(s)");
  return info;
}


Weights load_weights(const keys::RefMap& refs, c10::Device device) {
  Weights w;
  for (const auto& [name, ref] : refs) w[name] = keys::load(ref).to(device);
  return w;
}

std::string millions(int64_t n) {
  std::ostringstream ss;
  ss.precision(n >= 1000000000 ? 3 : 3);
  if (n >= 1000000000) ss << double(n) / 1e9 << "B";
  else if (n >= 1000000) ss << double(n) / 1e6 << "M";
  else ss << double(n) / 1e3 << "K";
  return ss.str();
}

fs::path default_vocab() {
  // Callers normally pass the vocabulary (the checkpoint.load node finds it in the models
  // folders); this is the fallback for tools run from a build tree.
  if (const char* env = std::getenv("NOISEGRAPH_CLIP_VOCAB")) return env;
  return "bpe_simple_vocab_16e6.txt.gz";
}

}  // namespace

std::string CheckpointInfo::describe() const {
  return family + ", " + prediction + ", " + millions(parameters) + " params (U-Net " +
         millions(parameter_count(unet_layout(unet))) + ", VAE " + millions(parameter_count(vae_layout(vae))) +
         ", CLIP " + millions(parameter_count(clip_text_layout(clip))) + "), " + format;
}

at::Tensor scaled_linear_alphas_cumprod(int64_t timesteps, double beta_start, double beta_end) {
  const at::Tensor betas = at::linspace(std::sqrt(beta_start), std::sqrt(beta_end), timesteps, at::kDouble).pow(2);
  return at::cumprod(1.0 - betas, 0);
}

CheckpointInfo inspect_checkpoint(const fs::path& path, const CheckpointOptions& options) {
  const Sources s = open_sources(path);
  return describe_sources(s, path, options);
}

Checkpoint load_checkpoint(const fs::path& path, const CheckpointOptions& options) {
  c10::AutoGradMode no_grad(false);
  Sources s = open_sources(path);
  Checkpoint ck;
  ck.info = describe_sources(s, path, options);
  const auto& info = ck.info;
  if (!s.tokenizer_dir.empty()) {
    ck.tokenizer = std::make_shared<ClipTokenizer>(ClipTokenizer::from_folder(s.tokenizer_dir));
  } else {
    const fs::path vocab = options.vocab.empty() ? default_vocab() : options.vocab;
    ck.tokenizer = std::make_shared<ClipTokenizer>(ClipTokenizer::from_bpe_gz(vocab));
  }
  if (ck.tokenizer->vocab_size() > info.clip.vocab)
    throw Error(path.string() + ": the tokenizer has " + std::to_string(ck.tokenizer->vocab_size()) +
                " tokens, the text encoder only " + std::to_string(info.clip.vocab));
  ck.unet = std::make_shared<UNet>(info.unet, load_weights(s.keys.unet, options.device));
  ck.vae = std::make_shared<Vae>(info.vae, load_weights(s.keys.vae, options.device));
  ck.clip = std::make_shared<ClipTextModel>(info.clip, load_weights(s.keys.clip, options.device));

  double beta_start = 0.00085, beta_end = 0.012;
  int64_t steps = 1000;
  if (s.scheduler_config.is_object()) {
    const auto& c = s.scheduler_config;
    if (const auto* b = c.find("beta_start"); b && b->is_number()) beta_start = b->as_double();
    if (const auto* b = c.find("beta_end"); b && b->is_number()) beta_end = b->as_double();
    steps = json_int(c, "num_train_timesteps", steps);
    if (const auto* k = c.find("beta_schedule"); k && k->is_string() && k->as_string() != "scaled_linear")
      throw Error(path.string() + ": scheduler beta_schedule '" + k->as_string() + "' is not supported (scaled_linear only)");
  }
  if (steps < 2 || steps > 100000) throw Error(path.string() + ": num_train_timesteps out of range");
  auto sampling = std::make_shared<diffusion::DiscreteVPSampling>(
      scaled_linear_alphas_cumprod(steps, beta_start, beta_end),
      info.prediction == "v" ? diffusion::Prediction::V : diffusion::Prediction::Epsilon);

  const std::string what = info.family + " " + info.prediction + " (" + path.filename().string() + ")";
  ck.text_encoder = make_text_encoder(ck.clip, ck.tokenizer, info.pad_id, info.clip_skip,
                                      info.clip.describe() + ", clip skip " + std::to_string(info.clip_skip) + ", " + what);
  std::vector<std::string> unknown;
  const at::Tensor empty = ck.text_encoder->encode("", &unknown).tokens;
  ck.model = make_denoiser(ck.unet, sampling, empty, "SD U-Net " + info.unet.describe() + ", " + what);
  ck.autoencoder = make_autoencoder(ck.vae, kLatentScale, options.vae_tile, "SD VAE " + info.vae.describe());
  return ck;
}

}  // namespace ng::sd
