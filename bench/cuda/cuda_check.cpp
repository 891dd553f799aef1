// cuda_check: runs the shipped models through the SDK on the CPU and on a CUDA device with
// the same seeds and reports how far the images differ, how the CUDA images score with the
// evaluation classifier, and images/s on each device. It is what `--device cuda` does in a
// graph (models loaded on the device, conditioning and noise made on the CPU and moved, the
// results handed back on the CPU), without the host, so it can be built against any
// LibTorch with CUDA (bench/cuda/build-standalone.sh). Without CUDA it runs the CPU half.
//
//   cuda_check [--models DIR] [--batch 16] [--big-batch 256]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/nn/model_files.hpp"

namespace {

const char* kPrompts[10] = {"a t-shirt", "trousers", "a pullover", "a dress",  "a coat",
                            "a sandal",  "a shirt",  "a sneaker",  "a bag",    "an ankle boot"};

struct Setup {
  std::string name, file, sampler, scheduler;
  int steps;
  bool latent;
};

struct Loaded {
  std::shared_ptr<ng::Denoiser> model;
  std::shared_ptr<ng::Autoencoder> ae;      // null for the pixel model
  std::shared_ptr<ng::PromptEncoder> prompts;  // null for class-conditional models
};

void sync(const c10::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

// One class per image (k mod 10), CFG 3; images [B,1,32,32] in [0,1] on the CPU.
at::Tensor generate(const Setup& s, Loaded& m, const c10::Device& dev, int64_t batch, uint64_t seed) {
  ng::BasicContext ctx;
  auto sampler = ng::diffusion::make_sampler(s.sampler);
  auto sigmas = ng::diffusion::scheduler_sigmas(s.scheduler, m.model->sampling(), s.steps).to(at::kFloat);
  std::vector<at::Tensor> parts;
  const auto shape = m.model->sample_shape();
  // One guider per class; images of a class share a sampling call.
  for (int64_t c = 0; c < 10; ++c) {
    const int64_t n = batch / 10 + (c < batch % 10 ? 1 : 0);
    if (n == 0) continue;
    ng::Conditioning positive;
    if (m.prompts) {
      positive.push_back(m.prompts->encode(kPrompts[c], nullptr));
    } else {
      ng::ConditioningEntry e;
      e.class_id = c;
      positive.push_back(e);
    }
    ng::diffusion::CFGOptions opt;
    opt.cfg = 3.0;
    ng::diffusion::CFGGuider guider(m.model, positive, ng::Conditioning{}, opt);
    ng::diffusion::NoiseSource noise(seed + uint64_t(c) * 1000);
    auto latent = at::zeros({n, shape[0], shape[1], shape[2]}).to(dev);
    auto out = ng::diffusion::sample_latent(*sampler, guider, sigmas, latent, noise, ctx).samples;
    // As the decode node does: the latent arrives on the CPU, the decoder may be elsewhere.
    auto cpu = out.cpu();
    parts.push_back(m.ae ? m.ae->decode(cpu) : ((cpu + 1.0) / 2.0).clamp(0, 1));
  }
  return at::cat(parts);
}

double seconds(const std::function<void()>& f, const c10::Device& dev) {
  sync(dev);
  const auto t0 = std::chrono::steady_clock::now();
  f();
  sync(dev);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Loaded load(const std::string& dir, const Setup& s, const c10::Device& dev) {
  Loaded m;
  m.model = ng::nn::load_denoiser(dir + "/" + s.file, dev);
  if (s.latent) m.ae = ng::nn::load_autoencoder(dir + "/fmnist-vae.safetensors", dev);
  if (m.model->context_dim() > 0) m.prompts = ng::nn::load_prompt_encoder(dir + "/" + s.file);
  return m;
}

// n images of one class in a single sampling call (throughput, not per-call overhead).
void generate_one_call(const Setup& s, Loaded& m, const c10::Device& dev, int64_t n) {
  ng::BasicContext ctx;
  auto sampler = ng::diffusion::make_sampler(s.sampler);
  auto sigmas = ng::diffusion::scheduler_sigmas(s.scheduler, m.model->sampling(), s.steps).to(at::kFloat);
  ng::Conditioning positive;
  if (m.prompts) {
    positive.push_back(m.prompts->encode(kPrompts[3], nullptr));
  } else {
    ng::ConditioningEntry e;
    e.class_id = 3;
    positive.push_back(e);
  }
  ng::diffusion::CFGOptions opt;
  opt.cfg = 3.0;
  ng::diffusion::CFGGuider guider(m.model, positive, ng::Conditioning{}, opt);
  const auto shape = m.model->sample_shape();
  auto latent = at::zeros({n, shape[0], shape[1], shape[2]}).to(dev);
  auto out = ng::diffusion::sample_latent(*sampler, guider, sigmas, latent, ng::diffusion::NoiseSource(5), ctx).samples;
  if (m.ae) m.ae->decode(out);
}

// The classes generate() asked for, in its order.
at::Tensor requested_classes(int64_t batch) {
  std::vector<int64_t> v;
  for (int64_t c = 0; c < 10; ++c)
    for (int64_t k = 0; k < batch / 10 + (c < batch % 10 ? 1 : 0); ++k) v.push_back(c);
  return at::tensor(v, at::kLong);
}

double accuracy(ng::nn::FeatureClassifier& clf, const at::Tensor& images) {
  auto got = clf.logits(images, {}).argmax(1).cpu();
  return (got == requested_classes(images.size(0))).to(at::kDouble).mean().item<double>();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "models";
  int64_t batch = 16, big = 256;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--models")) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--big-batch")) big = std::atoll(argv[++i]);
  }
  at::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
  const bool cuda = torch::cuda::is_available();
  std::printf("LibTorch %s, %d CPU threads, CUDA %s (%d devices)\n\n", TORCH_VERSION, at::get_num_threads(),
              cuda ? "available" : "not available", cuda ? int(torch::cuda::device_count()) : 0);
  const c10::Device cpu(c10::kCPU), gpu = cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  const Setup setups[] = {
      {"latent U-Net, dpmpp_2m 20 steps", "fmnist-latent-unet.safetensors", "dpmpp_2m", "karras", 20, true},
      {"latent flow, euler 8 steps", "fmnist-latent-flow.safetensors", "euler", "flow", 8, true},
      {"pixel DDPM, dpmpp_2m_sde 20 steps", "fmnist-pixel-ddpm.safetensors", "dpmpp_2m_sde", "karras", 20, false},
  };
  int failures = 0;
  try {
    auto clf = ng::nn::load_feature_classifier(dir + "/fmnist-eval-classifier.safetensors", gpu);
    std::printf("| model (CFG 3, batch %lld) | CPU images/s | %s images/s | max abs diff CPU vs device | "
                "device images recognised | batch %lld images/s on device |\n|---|---|---|---|---|---|\n",
                (long long)batch, cuda ? "CUDA" : "(no CUDA)", (long long)big);
    for (const auto& s : setups) {
      Loaded on_cpu = load(dir, s, cpu), on_gpu = load(dir, s, gpu);
      generate(s, on_cpu, cpu, 10, 7);  // warm-up (allocator, kernels)
      generate(s, on_gpu, gpu, 10, 7);
      at::Tensor a, b;
      const double tc = seconds([&] { a = generate(s, on_cpu, cpu, batch, 1); }, cpu);
      const double tg = seconds([&] { b = generate(s, on_gpu, gpu, batch, 1); }, gpu);
      if (!b.device().is_cpu()) {
        std::printf("FAIL: %s: decoded images came back on %s, not the CPU\n", s.name.c_str(), b.device().str().c_str());
        ++failures;
      }
      const double diff = (a - b.cpu()).abs().max().item<double>();
      const double acc = accuracy(*clf, b);
      double big_rate = 0.0;
      if (cuda && big > 0) big_rate = double(big) / seconds([&] { generate(s, on_gpu, gpu, big, 3); }, gpu);
      std::printf("| %s | %.1f | %.1f | %.2e | %.0f %% | %.0f |\n", s.name.c_str(), double(batch) / tc,
                  double(batch) / tg, diff, 100.0 * acc, big_rate);
      // Stochastic samplers amplify rounding differences; deterministic ones must agree closely.
      if (s.sampler != "dpmpp_2m_sde" && diff > 0.05) {
        std::printf("FAIL: %s: CPU and device images differ by %.3f\n", s.name.c_str(), diff);
        ++failures;
      }
    }
    std::printf("\nOne sampling call (one class, CFG 3, decode included), images/s:\n\n"
                "| model | CPU batch 16 | device batch 16 | device batch 256 | device batch 2048 |\n|---|---|---|---|---|\n");
    for (const auto& s : setups) {
      Loaded on_cpu = load(dir, s, cpu), on_gpu = load(dir, s, gpu);
      auto rate = [&](Loaded& m, const c10::Device& d, int64_t n) {
        generate_one_call(s, m, d, std::min<int64_t>(n, 16));  // warm-up
        return double(n) / seconds([&] { generate_one_call(s, m, d, n); }, d);
      };
      const double c16 = rate(on_cpu, cpu, 16);
      if (cuda)
        std::printf("| %s | %.1f | %.1f | %.0f | %.0f |\n", s.name.c_str(), c16, rate(on_gpu, gpu, 16),
                    rate(on_gpu, gpu, 256), rate(on_gpu, gpu, 2048));
      else
        std::printf("| %s | %.1f | - | - | - |\n", s.name.c_str(), c16);
    }
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::printf("\n%s\n", failures ? "FAILED" : "OK");
  return failures ? 1 : 0;
}
