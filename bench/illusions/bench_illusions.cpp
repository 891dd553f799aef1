// bench_illusions: how often the evaluation classifier reads an illusion both ways.
//
// For each class pair A:B it generates N images with illusion.views' guider (view_a =
// identity with class A, view_b with class B) or illusion.factorized's (low = A, high = B),
// decodes them, and scores the two readings with the evaluation classifier:
//   views:      reading A = the image, reading B = the image seen through view_b (pixel space,
//               what a viewer does; latent permutations move whole latent cells)
//   factorized: reading A = the image from afar (Gaussian blur, --far-sigma px), reading B = the image
// "both" = share with reading A classified A and reading B classified B. The chance level is
// the same share for plain CFG generations of A and of B (the larger is reported).
//
//   bench_illusions --model FILE [--pixel | --vae FILE] --pairs 7:5,1:8 [--kind views|factorized]
//       [--view flip_v] [--blur 2] [--far-sigma 2] [--n 200] [--steps 20] [--cfg 3]
//       [--sampler dpmpp_2m_sde] [--scheduler karras] [--seed 1] [--grid out.png] [--threads 1]
//       [--chance-n N (plain images per class for the chance level; default n)] [--no-chance]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>

#include "guiders.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/dataset.hpp"
#include "views.hpp"

namespace {

std::string arg(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

// The prompt of each class for prompt-conditioned (latent) models, as in tools/ng-eval.
const char* kPrompts[10] = {"a t-shirt", "trousers", "a pullover", "a dress",  "a coat",
                            "a sandal",  "a shirt",  "a sneaker",  "a bag",    "an ankle boot"};
std::shared_ptr<ng::PromptEncoder> g_prompts;

ng::Conditioning cls(int64_t k) {
  if (g_prompts) {
    std::vector<std::string> unknown;
    return {g_prompts->encode(kPrompts[k], &unknown)};
  }
  ng::ConditioningEntry e;
  e.class_id = k;
  return {e};
}

at::Tensor blur_image(const at::Tensor& img, double sigma) { return ng::illusion::low_component(img, "frequency", sigma); }

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(std::stoi(arg(argc, argv, "--threads", "1")));
  try {
    auto model = ng::nn::load_denoiser(arg(argc, argv, "--model", "models/fmnist-pixel-ddpm.safetensors"));
    std::shared_ptr<ng::Autoencoder> ae;
    if (!flag(argc, argv, "--pixel")) ae = ng::nn::load_autoencoder(arg(argc, argv, "--vae", "models/fmnist-vae.safetensors"));
    if (model->context_dim() > 0) g_prompts = ng::nn::load_prompt_encoder(arg(argc, argv, "--model", ""));
    auto clf = ng::nn::load_feature_classifier(arg(argc, argv, "--classifier", "models/fmnist-eval-classifier.safetensors"));
    const std::string kind = arg(argc, argv, "--kind", "views"), view = arg(argc, argv, "--view", "flip_v");
    const int64_t n = std::stoll(arg(argc, argv, "--n", "200")), steps = std::stoll(arg(argc, argv, "--steps", "20"));
    const double cfg = std::stod(arg(argc, argv, "--cfg", "3")), blur = std::stod(arg(argc, argv, "--blur", "2"));
    const double far = std::stod(arg(argc, argv, "--far-sigma", "2"));
    const int64_t patch = std::stoll(arg(argc, argv, "--patch", "8"));
    const uint64_t seed = std::stoull(arg(argc, argv, "--seed", "1"));
    const bool chance = !flag(argc, argv, "--no-chance");
    ng::diffusion::SamplerOptions so;
    so.variance = arg(argc, argv, "--variance", "fixed_small");
    auto sampler = ng::diffusion::make_sampler(arg(argc, argv, "--sampler", "dpmpp_2m_sde"), so);
    auto sigmas = ng::diffusion::scheduler_sigmas(arg(argc, argv, "--scheduler", "karras"), model->sampling(), steps).to(at::kFloat);
    const auto shape = model->sample_shape();
    const int64_t cell = model->spatial_scale();
    ng::diffusion::CFGOptions opt;
    opt.cfg = cfg;

    auto generate = [&](ng::diffusion::Guider& g, uint64_t s) {
      ng::BasicContext ctx;
      auto out = ng::diffusion::sample_latent(*sampler, g, sigmas, at::zeros({n, shape[0], shape[1], shape[2]}),
                                              ng::diffusion::NoiseSource(s), ctx).samples;
      return ae ? ae->decode(out) : ((out + 1.0) / 2.0).clamp(0, 1);
    };
    // Plain CFG generations of a class (--chance-n images), made once per class.
    const int64_t chance_n = std::stoll(arg(argc, argv, "--chance-n", std::to_string(n)));
    std::map<int64_t, at::Tensor> plain_images;
    auto plain = [&](int64_t k) {
      auto it = plain_images.find(k);
      if (it != plain_images.end()) return it->second;
      ng::diffusion::CFGGuider g(model, cls(k), {}, opt);
      ng::BasicContext ctx;
      auto out = ng::diffusion::sample_latent(*sampler, g, sigmas, at::zeros({chance_n, shape[0], shape[1], shape[2]}),
                                              ng::diffusion::NoiseSource(seed + 7 + uint64_t(k) * 1000), ctx).samples;
      return plain_images[k] = ae ? ae->decode(out) : ((out + 1.0) / 2.0).clamp(0, 1);
    };
    auto predict = [&](const at::Tensor& img) { return clf->logits(img, {}).argmax(1); };
    // Readings (A, B) of images.
    auto readings = [&](const at::Tensor& img) -> std::pair<at::Tensor, at::Tensor> {
      if (kind == "factorized") return {predict(blur_image(img, far)), predict(img)};
      return {predict(img), predict(ng::illusion::view_image(img, view, seed, patch, cell))};
    };

    std::stringstream pairs_text(arg(argc, argv, "--pairs", "7:5"));
    std::string item;
    std::vector<at::Tensor> grid;
    std::printf("kind %s view %s blur %.2f far %.2f steps %lld cfg %.1f n %lld sampler %s\n", kind.c_str(), view.c_str(),
                blur, far, (long long)steps, cfg, (long long)n, arg(argc, argv, "--sampler", "dpmpp_2m_sde").c_str());
    while (std::getline(pairs_text, item, ',')) {
      const int64_t a = std::stoll(item.substr(0, item.find(':'))), b = std::stoll(item.substr(item.find(':') + 1));
      const auto t0 = std::chrono::steady_clock::now();
      std::shared_ptr<ng::diffusion::Guider> g;
      if (kind == "factorized")
        g = std::make_shared<ng::illusion::FactorizedGuider>(model, cls(a), cls(b), ng::Conditioning{}, opt, "frequency",
                                                             blur / double(cell));
      else
        g = std::make_shared<ng::illusion::MultiViewGuider>(
            model, std::vector<std::pair<ng::illusion::ViewSpec, ng::Conditioning>>{
                       {{"identity", seed, patch}, cls(a)}, {{view, seed, patch}, cls(b)}},
            ng::Conditioning{}, opt);
      const auto img = generate(*g, seed + uint64_t(a) * 1000 + uint64_t(b));
      const auto [ra, rb] = readings(img);
      const auto ok_a = ra == a, ok_b = rb == b, both = ok_a & ok_b;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double chance_a = -1, chance_b = -1;
      if (chance) {
        const auto [xa, xb] = readings(plain(a));
        chance_a = ((xa == a) & (xb == b)).to(at::kDouble).mean().item<double>();
        const auto [ya, yb] = readings(plain(b));
        chance_b = ((ya == a) & (yb == b)).to(at::kDouble).mean().item<double>();
      }
      std::printf("pair %lld:%lld  A-reading %.3f  B-reading %.3f  both %.3f  chance(plain A) %.3f chance(plain B) %.3f  "
                  "illusion time %.0f s\n",
                  (long long)a, (long long)b, ok_a.to(at::kDouble).mean().item<double>(),
                  ok_b.to(at::kDouble).mean().item<double>(), both.to(at::kDouble).mean().item<double>(), chance_a,
                  chance_b, secs);
      std::fflush(stdout);
      // grid rows: 8 illusions (both readings first) and below them their B reading
      auto order = at::argsort(both.to(at::kInt), 0, true);
      auto pick = img.index_select(0, order.narrow(0, 0, std::min<int64_t>(8, n)));
      grid.push_back(pick);
      grid.push_back(kind == "factorized" ? blur_image(pick, far) : ng::illusion::view_image(pick, view, seed, patch, cell));
    }
    const std::string out = arg(argc, argv, "--grid", "");
    if (!out.empty()) ng::train::write_png_grid(out, at::cat(grid), 8);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
