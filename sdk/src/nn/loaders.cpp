// Model files -> SDK interfaces (Denoiser, Autoencoder, PromptEncoder, Classifier).
#include <ATen/ATen.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "modules.hpp"
#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/nn/tokenizer.hpp"

namespace ng::nn {

FeatureClassifier::~FeatureClassifier() = default;

namespace {

std::string kind_phrase(const std::string& kind) {
  if (kind == "unet") return "a U-Net (MODEL)";
  if (kind == "autoencoder") return "an autoencoder";
  if (kind == "classifier") return "a classifier";
  if (kind == "checkpoint") return "a training checkpoint (not a finished model)";
  if (kind.empty()) return "no NoiseGraph model description (no 'noisegraph.kind' metadata)";
  return "an unknown model kind '" + kind + "'";
}

io::TensorFile open_kind(const std::filesystem::path& path, const std::string& kind, const std::string& wanted) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": model file not found");
  auto file = io::load_safetensors(path);  // regular files only, header checked before contents
  const std::string found = file.meta_or(meta::kind, "");
  if (found != kind)
    throw Error(path.string() + " holds " + kind_phrase(found) + ", not " + wanted);
  return file;
}

// NaN or infinite weights make every image black while the run "succeeds": refuse them
// once, at load, naming the first bad tensor.
void check_finite(const io::TensorFile& f, const std::string& prefix) {
  for (const auto& [name, t] : f.tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0 || !at::isFloatingType(t.scalar_type())) continue;
    const int64_t bad = t.numel() - at::isfinite(t).sum().item<int64_t>();
    if (bad > 0)
      throw Error(f.source + ": tensor '" + name + "' holds " + std::to_string(bad) +
                  " NaN or infinite value(s); the model file is corrupt (or its training diverged)");
  }
}

// A configuration is only metadata: before building a network from it (which allocates
// and initialises every weight), check that it can describe the file's tensors. Every
// width must be some tensor's dimension, and the weights it implies at the least (each
// ResBlock has a 3x3 conv width x width) must not exceed what the file holds. One edited
// number ("channels": [2048, 2048]) would otherwise cost gigabytes before the mismatch
// shows.
void check_config_fits(const io::TensorFile& f, const std::string& prefix, const std::vector<int64_t>& widths,
                       int64_t res_blocks, const std::string& what) {
  int64_t elements = 0;
  std::set<int64_t> dims;
  for (const auto& [name, t] : f.tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    elements += t.numel();
    for (auto d : t.sizes()) dims.insert(d);
  }
  const std::string bad = f.source + ": the " + what + " configuration does not match the file's tensors: ";
  if (widths.empty() || widths.size() > 16) throw Error(bad + std::to_string(widths.size()) + " levels");
  if (res_blocks < 1 || res_blocks > 64) throw Error(bad + "res_blocks " + std::to_string(res_blocks));
  long double least = 0;
  for (auto w : widths) {
    if (!dims.count(w))
      throw Error(bad + "width " + std::to_string(w) + " is no dimension of any tensor under '" + prefix + "'");
    least += (long double)res_blocks * 9 * (long double)w * (long double)w;
  }
  if (least > (long double)elements)
    throw Error(bad + "it needs at least " + std::to_string((long long)least) + " weights, the file holds " +
                std::to_string(elements));
}

json::Value meta_json(const io::TensorFile& f, const char* key) {
  return json::parse(f.meta(key), f.source + ": metadata '" + key + "'");
}

// Where a loaded network's weights live. Inputs on another device are moved there and
// results are returned on the caller's device, so a node may hand CPU tensors (images,
// prompt tokens) to a model loaded with --device cuda.
c10::Device device_of(const torch::nn::Module& m) {
  const auto params = m.parameters();
  return params.empty() ? c10::Device(c10::kCPU) : params.front().device();
}

void freeze(torch::nn::Module& m, c10::Device device) {
  m.to(device);
  m.eval();
  for (auto& p : m.parameters()) p.set_requires_grad(false);
}

std::string params_text(int64_t n) {
  char buf[32];
  if (n >= 1000000) std::snprintf(buf, sizeof buf, "%.1fM", double(n) / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0fk", double(n) / 1e3);
  return buf;
}

// A learned-variance U-Net (UNetConfig::learned_variance) also keeps the v half of its last
// output for the ddpm sampler (diffusion::VarianceOutput).
class UNetDenoiser : public Denoiser, public diffusion::VarianceOutput {
 public:
  UNetDenoiser(UNet net, std::shared_ptr<ModelSampling> sampling, std::string name)
      : net_(std::move(net)), sampling_(std::move(sampling)), name_(std::move(name)), device_(device_of(*net_)) {}

  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) override {
    const auto& c = net_->cfg;
    if (x.dim() != 4 || x.size(1) != c.in_channels)
      throw Error(name_ + ": expects samples with " + std::to_string(c.in_channels) + " channels, got shape " +
                  c10::str(x.sizes()));
    const auto dev = device_;
    at::Tensor context, mask, ids;
    if (c.context_dim > 0 && cond.context.defined()) {
      if (cond.context.size(-1) != c.context_dim)
        throw Error(name_ + ": prompt embeddings have width " + std::to_string(cond.context.size(-1)) +
                    ", this model reads width " + std::to_string(c.context_dim) + " (use its own prompt encoder)");
      context = cond.context.to(dev);
      mask = cond.context_mask.defined() ? cond.context_mask.to(dev) : at::Tensor();
    }
    if (c.num_classes > 0 && cond.class_ids.defined()) ids = cond.class_ids.to(dev);
    const auto xd = x.to(dev);
    auto s = sigma.to(dev, at::kFloat);
    auto out = net_->forward(sampling_->scale_input(s, xd), sampling_->timestep(s), context, mask, ids);
    if (c.learned_variance) {
      last_v_ = out.narrow(1, c.out_channels, c.out_channels).to(x.device());
      out = out.narrow(1, 0, c.out_channels);
    }
    return sampling_->denoised(s, out, xd).to(x.device());
  }
  at::Tensor last_variance_interpolation() const override { return last_v_; }
  const ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override {
    const auto& c = net_->cfg;
    return {c.in_channels, c.sample_size, c.sample_size};
  }
  int64_t spatial_scale() const override { return net_->cfg.spatial_scale; }
  int64_t context_dim() const override { return net_->cfg.context_dim; }
  int64_t num_classes() const override { return net_->cfg.num_classes; }
  std::string describe() const override {
    std::string s = "U-Net " + params_text(parameter_count(*net_)) + " params, " + sampling_->parameterization();
    if (net_->cfg.context_dim > 0) s += ", prompt-conditioned";
    if (net_->cfg.num_classes > 0) s += ", " + std::to_string(net_->cfg.num_classes) + " classes";
    return s + " (" + name_ + ")";
  }

 private:
  UNet net_;
  std::shared_ptr<ModelSampling> sampling_;
  std::string name_;
  c10::Device device_;
  at::Tensor last_v_;
};

class KLAutoencoder : public Autoencoder {
 public:
  KLAutoencoder(AutoencoderNet net, double scale, std::string name)
      : net_(std::move(net)), scale_(scale), name_(std::move(name)), device_(device_of(*net_)) {}
  at::Tensor encode(const at::Tensor& image) override {
    const auto& c = net_->cfg;
    if (image.dim() != 4 || image.size(1) != c.image_channels)
      throw Error(name_ + ": expects images with " + std::to_string(c.image_channels) + " channel(s), got shape " +
                  c10::str(image.sizes()));
    if (image.size(2) % c.downscale() || image.size(3) % c.downscale())
      throw Error(name_ + ": image height and width must be multiples of " + std::to_string(c.downscale()));
    torch::NoGradGuard g;
    return (net_->encode(image.to(device_, at::kFloat)).first * scale_).to(image.device());
  }
  at::Tensor decode(const at::Tensor& latent) override {
    const auto& c = net_->cfg;
    if (latent.dim() != 4 || latent.size(1) != c.latent_channels)
      throw Error(name_ + ": expects latents with " + std::to_string(c.latent_channels) + " channels, got shape " +
                  c10::str(latent.sizes()));
    torch::NoGradGuard g;
    return net_->decode(latent.to(device_, at::kFloat) / scale_).clamp(0.0, 1.0).to(latent.device());
  }
  int64_t image_channels() const override { return net_->cfg.image_channels; }
  int64_t latent_channels() const override { return net_->cfg.latent_channels; }
  int64_t downscale() const override { return net_->cfg.downscale(); }
  std::string describe() const override {
    std::ostringstream s;
    s << "KL autoencoder " << params_text(parameter_count(*net_)) << " params, " << net_->cfg.latent_channels
      << " latent channels, /" << downscale() << ", scale " << scale_ << " (" << name_ << ")";
    return s.str();
  }

 private:
  AutoencoderNet net_;
  double scale_;
  std::string name_;
  c10::Device device_;
};

class WordPromptEncoder : public PromptEncoder {
 public:
  WordPromptEncoder(PromptNet net, std::string name)
      : net_(std::move(net)), tokenizer_(net_->cfg.vocabulary), name_(std::move(name)), device_(device_of(*net_)) {}
  ConditioningEntry encode(const std::string& text, std::vector<std::string>* unknown_words) override {
    ConditioningEntry e;
    e.text = text;
    auto ids = tokenizer_.encode(text, unknown_words);
    if (ids.empty()) return e;  // unconditional
    if (int64_t(ids.size()) > net_->cfg.max_tokens)
      throw Error(name_ + ": prompt has " + std::to_string(ids.size()) + " known words, the encoder reads at most " +
                  std::to_string(net_->cfg.max_tokens));
    torch::NoGradGuard g;
    auto t = torch::tensor(ids, torch::kLong).unsqueeze(0).to(device_);
    e.tokens = net_->forward(t)[0].cpu().contiguous();  // conditioning lives on the CPU; models move it
    e.token_mask = torch::ones({int64_t(ids.size())});
    return e;
  }
  int64_t embedding_dim() const override { return net_->cfg.dim; }
  std::string describe() const override {
    return "word prompt encoder, " + std::to_string(net_->cfg.vocabulary.size()) + " words, width " +
           std::to_string(net_->cfg.dim) + " (" + name_ + ")";
  }

 private:
  PromptNet net_;
  Tokenizer tokenizer_;
  std::string name_;
  c10::Device device_;
};

class ConvClassifier : public FeatureClassifier {
 public:
  ConvClassifier(ClassifierNet net, std::shared_ptr<ModelSampling> sampling, std::string name)
      : net_(std::move(net)), sampling_(std::move(sampling)), name_(std::move(name)), device_(device_of(*net_)) {}
  at::Tensor logits(const at::Tensor& x, const at::Tensor& sigma) override {
    check(x);
    const auto dev = device_;
    const auto xd = x.to(dev, at::kFloat);  // differentiable: classifier guidance's gradient reaches x
    if (!sampling_) return net_->forward(xd, {}).to(x.device());
    auto s = sigma.defined() ? sigma.to(dev, at::kFloat) : at::zeros({x.size(0)}, xd.options());
    return net_->forward(sampling_->scale_input(s, xd), sampling_->timestep(s)).to(x.device());
  }
  at::Tensor features(const at::Tensor& images) override {
    check(images);
    if (sampling_) throw Error(name_ + ": features are available for image classifiers only");
    torch::NoGradGuard g;
    return net_->features(images.to(device_, at::kFloat), {}).to(images.device());
  }
  std::vector<std::string> class_names() const override { return net_->cfg.class_names; }
  std::string input_space() const override { return net_->cfg.input_space; }
  std::string describe() const override {
    return std::string(sampling_ ? "noise-aware latent" : "image") + " classifier " +
           params_text(parameter_count(*net_)) + " params, " + std::to_string(net_->cfg.num_classes()) +
           " classes (" + name_ + ")";
  }

 private:
  void check(const at::Tensor& x) const {
    const auto& c = net_->cfg;
    if (x.dim() != 4 || x.size(1) != c.in_channels)
      throw Error(name_ + ": expects " + c.input_space + " input with " + std::to_string(c.in_channels) +
                  " channel(s), got shape " + c10::str(x.sizes()));
  }
  ClassifierNet net_;
  std::shared_ptr<ModelSampling> sampling_;
  std::string name_;
  c10::Device device_;
};

}  // namespace

std::shared_ptr<ModelSampling> sampling_from_metadata(const std::map<std::string, std::string>& metadata,
                                                      const std::string& source) {
  auto get = [&](const char* key) -> const std::string& {
    auto it = metadata.find(key);
    if (it == metadata.end()) throw Error(source + ": missing metadata '" + key + "'");
    return it->second;
  };
  const std::string pred = get(meta::prediction);
  if (pred == "flow") {
    double shift = 1.0, mult = 1000.0;
    if (metadata.count(meta::flow)) {
      auto f = json::parse(get(meta::flow), source + ": metadata 'noisegraph.flow'");
      if (auto* v = f.find("shift")) shift = v->as_double("flow shift");
      if (auto* v = f.find("multiplier")) mult = v->as_double("flow multiplier");
    }
    return std::make_shared<diffusion::FlowSampling>(shift, mult);
  }
  auto s = json::parse(get(meta::schedule), source + ": metadata 'noisegraph.schedule'");
  // Bound what a metadata number may make us allocate (1e8 timesteps cost 2.5 GB).
  constexpr int64_t kMaxTimesteps = 100000;
  const int64_t timesteps = s.at("timesteps").as_int("timesteps");
  if (timesteps < 1 || timesteps > kMaxTimesteps)
    throw Error(source + ": schedule timesteps " + std::to_string(timesteps) + " outside 1.." +
                std::to_string(kMaxTimesteps));
  auto betas = diffusion::make_betas(s.at("kind").as_string("schedule kind"), timesteps,
                                     s.at("beta_start").as_double("beta_start"), s.at("beta_end").as_double("beta_end"));
  return std::make_shared<diffusion::DiscreteVPSampling>(diffusion::alphas_cumprod(betas),
                                                         diffusion::prediction_from_name(pred));
}

std::shared_ptr<Denoiser> load_denoiser(const std::filesystem::path& path, c10::Device device) {
  auto f = open_kind(path, "unet", "a U-Net (MODEL)");
  check_finite(f, "unet.");
  const auto cfg = UNetConfig::from_json(meta_json(f, meta::config));
  check_config_fits(f, "unet.", cfg.channels, cfg.res_blocks, "U-Net");
  UNet net(cfg);
  load_state_dict(*net, f.tensors, "unet.", f.source);
  freeze(*net, device);
  return std::make_shared<UNetDenoiser>(net, sampling_from_metadata(f.metadata, f.source), path.filename().string());
}

AutoencoderFileNet load_autoencoder_net(const std::filesystem::path& path) {
  auto f = open_kind(path, "autoencoder", "an autoencoder");
  check_finite(f, "autoencoder.");
  const auto cfg = AutoencoderConfig::from_json(meta_json(f, meta::config));
  check_config_fits(f, "autoencoder.", cfg.channels, cfg.res_blocks, "autoencoder");
  AutoencoderFileNet out{AutoencoderNet(cfg), f.meta(meta::scaling_factor), 0.0};
  load_state_dict(*out.net, f.tensors, "autoencoder.", f.source);
  try {
    out.scaling_factor = std::stod(out.scaling_factor_text);
  } catch (const std::exception&) {
  }
  if (!(out.scaling_factor > 0) || !std::isfinite(out.scaling_factor))
    throw Error(f.source + ": invalid scaling factor '" + out.scaling_factor_text + "'");
  return out;
}

std::shared_ptr<Autoencoder> load_autoencoder(const std::filesystem::path& path, c10::Device device) {
  auto loaded = load_autoencoder_net(path);
  freeze(*loaded.net, device);
  return std::make_shared<KLAutoencoder>(loaded.net, loaded.scaling_factor, path.filename().string());
}

std::shared_ptr<PromptEncoder> load_prompt_encoder(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": model file not found");
  auto f = io::load_safetensors(path);
  if (!f.metadata.count(meta::prompt_config))
    throw Error(path.string() + " holds " + kind_phrase(f.meta_or(meta::kind, "")) +
                " without a prompt encoder (no 'noisegraph.prompt_config' metadata)");
  check_finite(f, "prompt.");
  const auto pc = PromptConfig::from_json(meta_json(f, meta::prompt_config));
  {
    // The prompt encoder's tables are [vocabulary, dim] and [max_tokens, dim] at most.
    int64_t elements = 0;
    for (const auto& [name, t] : f.tensors)
      if (name.rfind("prompt.", 0) == 0) elements += t.numel();
    const long double least = (long double)pc.dim * (long double)(pc.vocabulary.size() + 1);
    if (pc.dim < 1 || pc.max_tokens < 1 || pc.max_tokens > 100000 || least > (long double)elements)
      throw Error(f.source + ": the prompt encoder configuration does not match the file's tensors (dim " +
                  std::to_string(pc.dim) + ", " + std::to_string(pc.vocabulary.size()) + " words, " +
                  std::to_string(elements) + " weights)");
  }
  PromptNet net(pc);
  load_state_dict(*net, f.tensors, "prompt.", f.source);
  freeze(*net, c10::Device(c10::kCPU));
  return std::make_shared<WordPromptEncoder>(net, path.filename().string());
}

std::shared_ptr<Classifier> load_classifier(const std::filesystem::path& path, c10::Device device) {
  auto f = open_kind(path, "classifier", "a classifier");
  check_finite(f, "classifier.");
  const auto cfg = ClassifierConfig::from_json(meta_json(f, meta::config));
  check_config_fits(f, "classifier.", cfg.channels, cfg.res_blocks, "classifier");
  ClassifierNet net(cfg);
  load_state_dict(*net, f.tensors, "classifier.", f.source);
  freeze(*net, device);
  std::shared_ptr<ModelSampling> sampling;
  if (net->cfg.time_conditioned) sampling = sampling_from_metadata(f.metadata, f.source);
  return std::make_shared<ConvClassifier>(net, sampling, path.filename().string());
}

std::shared_ptr<FeatureClassifier> load_feature_classifier(const std::filesystem::path& path, c10::Device device) {
  auto c = std::dynamic_pointer_cast<FeatureClassifier>(load_classifier(path, device));
  if (!c || c->input_space() != "image")
    throw Error(path.string() + " holds a latent classifier; an image classifier is needed here");
  return c;
}

ClassifierNet load_frozen_image_classifier_net(const std::filesystem::path& path) {
  auto f = open_kind(path, "classifier", "a classifier");
  check_finite(f, "classifier.");
  const auto cfg = ClassifierConfig::from_json(meta_json(f, meta::config));
  check_config_fits(f, "classifier.", cfg.channels, cfg.res_blocks, "classifier");
  if (cfg.input_space != "image" || cfg.time_conditioned)
    throw Error(f.source + " holds a latent or noise-aware classifier; a clean image classifier is needed here");
  ClassifierNet net(cfg);
  load_state_dict(*net, f.tensors, "classifier.", f.source);
  freeze(*net, c10::Device(c10::kCPU));
  return net;
}

std::string describe_model_file(const std::filesystem::path& path) {
  try {
    auto m = io::read_safetensors_metadata(path);
    auto it = m.find(meta::kind);
    std::string s = path.filename().string() + ": " + kind_phrase(it == m.end() ? "" : it->second);
    if (auto p = m.find(meta::prediction); p != m.end()) s += ", " + p->second;
    if (m.count(meta::prompt_config)) s += ", with prompt encoder";
    return s;
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace ng::nn
