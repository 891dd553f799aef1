// Randomly initialised model files for tests and benchmarks.
#include "noisegraph/nn/testing.hpp"

#include "modules.hpp"
#include "noisegraph/context.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"

namespace ng::nn::testing {

namespace {

void randomize(torch::nn::Module& m, uint64_t seed) {
  torch::NoGradGuard g;
  auto gen = Context::make_generator(seed);
  for (auto& p : m.parameters()) p.add_(at::randn(p.sizes(), gen) * 0.05);
}

const char* kLinearSchedule = R"({"kind":"linear","timesteps":1000,"beta_start":0.0001,"beta_end":0.02})";

}  // namespace

void write_random_unet(const std::filesystem::path& path, const UNetConfig& cfg, const std::string& prediction,
                       const PromptConfig* prompt, uint64_t seed, bool fp16) {
  torch::manual_seed(seed);
  UNet net(cfg);
  randomize(*net, seed);
  auto tensors = state_dict(*net, "unet.");
  std::map<std::string, std::string> md = {
      {meta::kind, "unet"}, {meta::config, json::dump(cfg.to_json())}, {meta::prediction, prediction}};
  if (prediction == "flow") md[meta::flow] = R"({"shift":1.0,"multiplier":1000.0})";
  else md[meta::schedule] = kLinearSchedule;
  if (prompt) {
    PromptNet p(*prompt);
    tensors.merge(state_dict(*p, "prompt."));
    md[meta::prompt_config] = json::dump(prompt->to_json());
  }
  io::save_safetensors(path, tensors, md, fp16 ? io::DType::F16 : io::DType::F32);
}

void write_random_autoencoder(const std::filesystem::path& path, const AutoencoderConfig& cfg, double scaling_factor,
                              uint64_t seed) {
  torch::manual_seed(seed);
  AutoencoderNet net(cfg);
  randomize(*net, seed);
  io::save_safetensors(path, state_dict(*net, "autoencoder."),
                       {{meta::kind, "autoencoder"},
                        {meta::config, json::dump(cfg.to_json())},
                        {meta::scaling_factor, std::to_string(scaling_factor)}});
}

void write_random_classifier(const std::filesystem::path& path, const ClassifierConfig& cfg, uint64_t seed) {
  torch::manual_seed(seed);
  ClassifierNet net(cfg);
  randomize(*net, seed);
  std::map<std::string, std::string> md = {{meta::kind, "classifier"}, {meta::config, json::dump(cfg.to_json())}};
  if (cfg.time_conditioned) {
    md[meta::prediction] = "eps";
    md[meta::schedule] = kLinearSchedule;
  }
  io::save_safetensors(path, state_dict(*net, "classifier."), md);
}

}  // namespace ng::nn::testing
