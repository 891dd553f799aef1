// JSON round trip and validation of the architecture configs.
#include "noisegraph/nn/configs.hpp"

#include "noisegraph/error.hpp"

namespace ng::nn {

namespace {

json::Value ints(const std::vector<int64_t>& v) {
  json::Array a;
  for (auto x : v) a.emplace_back(x);
  return json::Value(std::move(a));
}

json::Value strings(const std::vector<std::string>& v) {
  json::Array a;
  for (const auto& x : v) a.emplace_back(x);
  return json::Value(std::move(a));
}

void read(const json::Value& o, const char* key, int64_t& out) {
  if (const auto* v = o.find(key)) out = v->as_int(std::string("config key '") + key + "'");
}
void read(const json::Value& o, const char* key, bool& out) {
  if (const auto* v = o.find(key)) out = v->as_bool(std::string("config key '") + key + "'");
}
void read(const json::Value& o, const char* key, std::string& out) {
  if (const auto* v = o.find(key)) out = v->as_string(std::string("config key '") + key + "'");
}
void read(const json::Value& o, const char* key, std::vector<int64_t>& out) {
  if (const auto* v = o.find(key)) {
    out.clear();
    for (const auto& x : v->as_array(std::string("config key '") + key + "'"))
      out.push_back(x.as_int(std::string("config key '") + key + "'"));
  }
}
void read(const json::Value& o, const char* key, std::vector<std::string>& out) {
  if (const auto* v = o.find(key)) {
    out.clear();
    for (const auto& x : v->as_array(std::string("config key '") + key + "'"))
      out.push_back(x.as_string(std::string("config key '") + key + "'"));
  }
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("invalid architecture config: " + what);
}

void check_widths(const std::vector<int64_t>& channels, int64_t groups, const char* name) {
  require(!channels.empty() && channels.size() <= 8, std::string(name) + " needs 1..8 levels");
  require(groups >= 1, "groups must be >= 1");
  for (auto c : channels)
    require(c > 0 && c <= 4096 && c % groups == 0,
            std::string(name) + " widths must be positive multiples of groups (" + std::to_string(groups) + ")");
}

}  // namespace

json::Value UNetConfig::to_json() const {
  json::Value o = json::Object{};
  o.set("in_channels", in_channels);
  o.set("out_channels", out_channels);
  o.set("sample_size", sample_size);
  o.set("channels", ints(channels));
  o.set("res_blocks", res_blocks);
  o.set("attention_resolutions", ints(attention_resolutions));
  o.set("heads", heads);
  o.set("groups", groups);
  o.set("num_classes", num_classes);
  o.set("context_dim", context_dim);
  o.set("spatial_scale", spatial_scale);
  if (learned_variance) o.set("learned_variance", true);
  return o;
}

UNetConfig UNetConfig::from_json(const json::Value& v) {
  v.as_object("U-Net config");
  UNetConfig c;
  read(v, "in_channels", c.in_channels);
  read(v, "out_channels", c.out_channels);
  read(v, "sample_size", c.sample_size);
  read(v, "channels", c.channels);
  read(v, "res_blocks", c.res_blocks);
  read(v, "attention_resolutions", c.attention_resolutions);
  read(v, "heads", c.heads);
  read(v, "groups", c.groups);
  read(v, "num_classes", c.num_classes);
  read(v, "context_dim", c.context_dim);
  read(v, "spatial_scale", c.spatial_scale);
  read(v, "learned_variance", c.learned_variance);
  c.validate();
  return c;
}

void UNetConfig::validate() const {
  check_widths(channels, groups, "U-Net channels");
  require(in_channels > 0 && in_channels <= 64 && out_channels > 0 && out_channels <= 64, "channel counts 1..64");
  require(sample_size > 0 && sample_size <= 1024, "sample_size 1..1024");
  require(sample_size % (int64_t(1) << (channels.size() - 1)) == 0, "sample_size must be divisible by 2^(levels-1)");
  require(res_blocks >= 1 && res_blocks <= 8, "res_blocks 1..8");
  require(heads >= 1, "heads >= 1");
  for (auto c : channels) require(c % heads == 0, "widths must be divisible by heads");
  require(num_classes >= 0 && num_classes <= 100000, "num_classes 0..100000");
  require(context_dim >= 0 && context_dim <= 4096, "context_dim 0..4096");
  require(spatial_scale >= 1 && spatial_scale <= 64, "spatial_scale 1..64");
}

json::Value AutoencoderConfig::to_json() const {
  json::Value o = json::Object{};
  o.set("image_channels", image_channels);
  o.set("image_size", image_size);
  o.set("latent_channels", latent_channels);
  o.set("channels", ints(channels));
  o.set("res_blocks", res_blocks);
  o.set("groups", groups);
  return o;
}

AutoencoderConfig AutoencoderConfig::from_json(const json::Value& v) {
  v.as_object("autoencoder config");
  AutoencoderConfig c;
  read(v, "image_channels", c.image_channels);
  read(v, "image_size", c.image_size);
  read(v, "latent_channels", c.latent_channels);
  read(v, "channels", c.channels);
  read(v, "res_blocks", c.res_blocks);
  read(v, "groups", c.groups);
  c.validate();
  return c;
}

void AutoencoderConfig::validate() const {
  check_widths(channels, groups, "autoencoder channels");
  require(image_channels > 0 && image_channels <= 4, "image_channels 1..4");
  require(latent_channels > 0 && latent_channels <= 64, "latent_channels 1..64");
  require(res_blocks >= 1 && res_blocks <= 8, "res_blocks 1..8");
  require(image_size > 0 && image_size <= 4096 && image_size % downscale() == 0,
          "image_size must be divisible by the downscale factor");
}

json::Value PromptConfig::to_json() const {
  json::Value o = json::Object{};
  o.set("vocabulary", strings(vocabulary));
  o.set("max_tokens", max_tokens);
  o.set("dim", dim);
  return o;
}

PromptConfig PromptConfig::from_json(const json::Value& v) {
  v.as_object("prompt encoder config");
  PromptConfig c;
  read(v, "vocabulary", c.vocabulary);
  read(v, "max_tokens", c.max_tokens);
  read(v, "dim", c.dim);
  c.validate();
  return c;
}

void PromptConfig::validate() const {
  require(!vocabulary.empty() && vocabulary.size() <= 100000, "vocabulary needs 1..100000 words");
  require(max_tokens >= 1 && max_tokens <= 256, "max_tokens 1..256");
  require(dim >= 1 && dim <= 4096, "dim 1..4096");
}

json::Value ClassifierConfig::to_json() const {
  json::Value o = json::Object{};
  o.set("in_channels", in_channels);
  o.set("input_size", input_size);
  o.set("channels", ints(channels));
  o.set("res_blocks", res_blocks);
  o.set("groups", groups);
  o.set("time_conditioned", time_conditioned);
  o.set("class_names", strings(class_names));
  o.set("input_space", input_space);
  return o;
}

ClassifierConfig ClassifierConfig::from_json(const json::Value& v) {
  v.as_object("classifier config");
  ClassifierConfig c;
  read(v, "in_channels", c.in_channels);
  read(v, "input_size", c.input_size);
  read(v, "channels", c.channels);
  read(v, "res_blocks", c.res_blocks);
  read(v, "groups", c.groups);
  read(v, "time_conditioned", c.time_conditioned);
  read(v, "class_names", c.class_names);
  read(v, "input_space", c.input_space);
  c.validate();
  return c;
}

void ClassifierConfig::validate() const {
  check_widths(channels, groups, "classifier channels");
  require(in_channels > 0 && in_channels <= 64, "in_channels 1..64");
  require(input_size > 0 && input_size <= 4096, "input_size 1..4096");
  require(res_blocks >= 1 && res_blocks <= 8, "res_blocks 1..8");
  require(!class_names.empty() && class_names.size() <= 100000, "class_names needs 1..100000 names");
  require(input_space == "image" || input_space == "latent", "input_space must be 'image' or 'latent'");
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace ng::nn
