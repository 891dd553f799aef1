// Throughput of the shipped models on this machine: images/s for a 16-image batch
// (latent U-Net DPM++ 2M 20 steps with CFG vs pixel DDPM 20 steps vs latent flow Euler
// 8 steps, decode included) and training steps/s of each train function at the shipped
// settings (a few steps on 512 images, after one warm-up step).
//
//   bench_models [--models DIR] [--threads N] [--skip-train]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/train.hpp"

namespace fs = std::filesystem;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Generates 16 images with CFG 3 and returns images/s.
double generate(const fs::path& model_path, const fs::path& vae, const std::string& sampler_name,
                const std::string& scheduler, int64_t steps) {
  auto model = ng::nn::load_denoiser(model_path);
  std::shared_ptr<ng::Autoencoder> ae;
  if (model->spatial_scale() > 1) ae = ng::nn::load_autoencoder(vae);
  ng::Conditioning pos;
  if (model->context_dim() > 0) {
    pos.push_back(ng::nn::load_prompt_encoder(model_path)->encode("a sneaker", nullptr));
  } else {
    ng::ConditioningEntry e;
    e.class_id = 7;
    pos.push_back(e);
  }
  ng::diffusion::CFGOptions opt;
  opt.cfg = 3.0;
  ng::diffusion::CFGGuider guider(model, pos, {}, opt);
  auto sampler = ng::diffusion::make_sampler(sampler_name);
  auto sigmas = ng::diffusion::scheduler_sigmas(scheduler, model->sampling(), steps).to(at::kFloat);
  const auto s = model->sample_shape();
  ng::BasicContext ctx;
  ng::diffusion::NoiseSource noise(1);
  const double t0 = now();
  auto out = ng::diffusion::sample_latent(*sampler, guider, sigmas, at::zeros({16, s[0], s[1], s[2]}), noise, ctx).samples;
  auto img = ae ? ae->decode(out) : ((out + 1) / 2).clamp(0, 1);
  return 16.0 / (now() - t0);
}

template <class Config, class Fn>
double train_rate(Config c, Fn fn, const std::string& name) {
  auto dir = fs::temp_directory_path() / ("ng_bench_train_" + name);
  fs::remove_all(dir);
  c.run_dir = dir / "run";
  c.output = dir / "out.safetensors";
  c.limit_examples = 512;
  c.sample_every = 0;
  c.checkpoint_every = 1000000;
  ng::BasicContext ctx;
  c.steps = 1;
  fn(c, ctx);  // warm-up: data loading, latent encoding, allocator
  fs::remove(c.run_dir / "checkpoint.safetensors");
  c.steps = 6;
  const double t0 = now();
  fn(c, ctx);
  const double secs = now() - t0;
  fs::remove_all(dir);
  return 6.0 / secs;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path models = "models";
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  bool skip_train = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--models") && i + 1 < argc) models = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--skip-train")) skip_train = true;
  }
  at::set_num_threads(threads);
  std::printf("threads: %d\n", threads);
  const auto vae = models / "fmnist-vae.safetensors";
  struct Gen {
    const char* label;
    const char* file;
    const char* sampler;
    const char* scheduler;
    int64_t steps;
  } gens[] = {
      {"latent U-Net, dpmpp_2m 20 steps, CFG 3", "fmnist-latent-unet.safetensors", "dpmpp_2m", "karras", 20},
      {"pixel DDPM,   dpmpp_2m 20 steps, CFG 3", "fmnist-pixel-ddpm.safetensors", "dpmpp_2m", "karras", 20},
      {"latent flow,  euler 8 steps, CFG 3    ", "fmnist-latent-flow.safetensors", "euler", "flow", 8},
      {"latent flow,  euler 20 steps, CFG 3   ", "fmnist-latent-flow.safetensors", "euler", "flow", 20},
  };
  for (const auto& g : gens) {
    if (!fs::exists(models / g.file)) {
      std::printf("%s: %s missing, skipped\n", g.label, g.file);
      continue;
    }
    generate(models / g.file, vae, g.sampler, g.scheduler, 2);  // warm-up
    std::printf("%s: %.1f images/s (16-image batch)\n", g.label,
                generate(models / g.file, vae, g.sampler, g.scheduler, g.steps));
  }
  if (skip_train) return 0;

  using namespace ng::train;
  AutoencoderTrainConfig vc;
  vc.arch.channels = {16, 32, 64};
  vc.batch_size = 32;
  vc.scaling_examples = 512;
  std::printf("train.autoencoder (batch 32): %.2f steps/s\n", train_rate(vc, train_autoencoder, "vae"));
  if (fs::exists(vae)) {
    DiffusionTrainConfig dc;
    dc.autoencoder = vae;
    dc.arch.channels = {48, 96};
    dc.arch.attention_resolutions = {8, 4};
    dc.arch.context_dim = 64;
    dc.arch.spatial_scale = 4;
    dc.schedule = "scaled_linear";
    dc.beta_start = 0.00085;
    dc.beta_end = 0.012;
    dc.batch_size = 64;
    std::printf("train.diffusion latent (batch 64): %.2f steps/s\n", train_rate(dc, train_diffusion, "unet"));
    dc.objective = "flow";
    std::printf("train.flow latent (batch 64): %.2f steps/s\n", train_rate(dc, train_diffusion, "flow"));
    ClassifierTrainConfig lc;
    lc.autoencoder = vae;
    lc.noisy = true;
    lc.arch.in_channels = 4;
    lc.arch.input_size = 8;
    lc.arch.channels = {32, 64};
    lc.batch_size = 128;
    std::printf("train.classifier latent noisy (batch 128): %.2f steps/s\n", train_rate(lc, train_classifier, "lcls"));
  }
  DiffusionTrainConfig pc;
  pc.arch.in_channels = pc.arch.out_channels = 1;
  pc.arch.sample_size = 32;
  pc.arch.channels = {32, 64, 64};
  pc.arch.attention_resolutions = {8};
  pc.arch.num_classes = 10;
  pc.conditioning = "class";
  pc.batch_size = 32;
  std::printf("train.diffusion pixel (batch 32): %.2f steps/s\n", train_rate(pc, train_diffusion, "pixel"));
  ClassifierTrainConfig ec;
  ec.arch.channels = {16, 32, 64};
  ec.batch_size = 64;
  std::printf("train.classifier image (batch 64): %.2f steps/s\n", train_rate(ec, train_classifier, "ecls"));
  return 0;
}
