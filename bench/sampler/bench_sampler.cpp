// bench_sampler: what the diffusion toolkit costs on top of the model.
//
//   bench_sampler [--steps N] [--repeats R] [--model unet.safetensors] [--device cpu|cuda]
//
// 1. Per-step overhead of each sampler (and of BasicGuider / CFGGuider) for a 16x4x8x8 latent,
//    with a denoiser that returns a precomputed tensor, so the model costs nothing.
// 2. Convergence orders on the exact Gaussian model (error when the step count doubles).
// 3. Batched CFG (one call with 2B rows) against two separate forwards of B rows, per step,
//    with the analytic model or a U-Net loaded from --model.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/nn/model_files.hpp"

using namespace ng::diffusion;
using Clock = std::chrono::steady_clock;

namespace {

// Returns a fixed tensor for each batch size: no model cost at all.
class ConstantDenoiser : public ng::Denoiser {
 public:
  explicit ConstantDenoiser(std::shared_ptr<ng::ModelSampling> s) : sampling_(std::move(s)) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor&, const ng::DenoiserCondition&) override {
    auto& t = cache_[x.size(0)];
    if (!t.defined()) t = at::zeros_like(x);
    return t;
  }
  const ng::ModelSampling& sampling() const override { return *sampling_; }
  std::vector<int64_t> sample_shape() const override { return {4, 8, 8}; }

 private:
  std::shared_ptr<ng::ModelSampling> sampling_;
  std::map<int64_t, at::Tensor> cache_;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Fastest of `repeats` runs of fn(), in seconds: on a shared machine the minimum is the
// least disturbed estimate of the cost itself.
double best_time(int repeats, const std::function<void()>& fn) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

void bench_overhead(int steps, int repeats) {
  std::printf("## Per-step overhead, latent 16x4x8x8 float32, %d steps, best of %d runs\n\n", steps, repeats);
  std::printf("| sampler | model calls/step | BasicGuider us/step | CFGGuider (cfg 3) us/step |\n|---|---|---|---|\n");
  auto model = std::make_shared<ConstantDenoiser>(default_vp_sampling());
  BasicGuider basic(model, {});
  CFGOptions o;
  o.cfg = 3.0;
  ng::ConditioningEntry pos;
  pos.class_id = 0;
  CFGGuider cfg(model, {pos}, {}, o);
  const auto sigmas = karras_sigmas(steps, 0.03, 14.6);
  const auto x = at::randn({16, 4, 8, 8});
  for (const auto& name : sampler_names()) {
    auto sampler = make_sampler(name);
    ng::BasicContext ctx;
    sampler->sample(basic, sigmas, x, NoiseSource(0), ctx);  // warm-up
    const double tb = best_time(repeats, [&] { sampler->sample(basic, sigmas, x, NoiseSource(0), ctx); });
    const double tc = best_time(repeats, [&] { sampler->sample(cfg, sigmas, x, NoiseSource(0), ctx); });
    const char* calls = name == "heun" ? "2 (1 on the last)" : "1";
    std::printf("| %s | %s | %.1f | %.1f |\n", name.c_str(), calls, tb / steps * 1e6, tc / steps * 1e6);
  }
  std::printf("\n");
}

void bench_orders() {
  std::printf("## Convergence on the exact Gaussian model (sigma 5 -> 0.2, log-uniform grid, float64)\n\n");
  std::printf("| sampler | err N=16 | err N=32 | err N=64 | err N=128 | err N=256 | order (last doubling) |\n"
              "|---|---|---|---|---|---|---|\n");
  const double mu = 0.5, s = 0.5, sa = 5.0, sb = 0.2;
  auto model = gaussian_model({1, 2, 2}, mu, s, default_vp_sampling());
  BasicGuider g(model, {});
  const auto x = at::linspace(-8.0, 8.0, 4, at::kDouble).view({1, 1, 2, 2});
  const auto want = mu + std::sqrt((s * s + sb * sb) / (s * s + sa * sa)) * (x - mu);
  SamplerOptions det;
  det.eta = 0.0;
  for (const std::string name : {"euler", "heun", "lms", "dpmpp_2m", "ddim"}) {
    std::printf("| %s |", name.c_str());
    double prev = 0, last = 0;
    for (int n : {16, 32, 64, 128, 256}) {
      const auto sig = exponential_sigmas(n + 1, sb, sa).slice(0, 0, n + 1).to(at::kDouble);
      ng::BasicContext ctx;
      const double e = (make_sampler(name, det)->sample(g, sig, x, NoiseSource(0), ctx).samples - want).abs().max().item<double>();
      std::printf(" %.2e |", e);
      prev = last;
      last = e;
    }
    std::printf(" %.2f |\n", std::log2(prev / last));
  }
  std::printf("\n");
}

void bench_cfg_batching(const std::function<std::shared_ptr<ng::Denoiser>()>& load, const std::string& what,
                        int repeats, c10::Device device) {
  auto model = load();
  const auto shape = model->sample_shape();
  std::printf("## Batched CFG vs two forwards: %s, batch 16, per step, best of %d\n\n", what.c_str(), repeats);
  std::printf("| variant | ms/step |\n|---|---|\n");
  const auto x = at::randn({16, shape[0], shape[1], shape[2]}).to(device);
  const auto sigma = at::full({16}, 1.0, x.options());
  ng::ConditioningEntry pos;
  if (model->num_classes() > 0) pos.class_id = 0;
  CFGOptions o;
  o.cfg = 3.0;
  CFGGuider cfg(model, {pos}, {}, o);
  BasicGuider cond(model, {pos}), uncond(model, {});
  c10::NoGradGuard no_grad;
  auto sync = [&] { (void)x.sum().item<double>(); };
  cfg.predict(x, sigma, {});
  const double batched = best_time(repeats, [&] { cfg.predict(x, sigma, {}); sync(); });
  const double separate = best_time(repeats, [&] {
    auto du = uncond.predict(x, sigma, {});
    auto dc = cond.predict(x, sigma, {});
    (void)(du + 3.0 * (dc - du)).sum().item<double>();
  });
  std::printf("| one call, 2B rows (CFGGuider) | %.2f |\n| two calls, B rows each | %.2f |\n\n", batched * 1e3,
              separate * 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(int(std::thread::hardware_concurrency()));
  int steps = 50, repeats = 15;
  std::string model_path, device_name = "cpu";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--steps") steps = std::stoi(next());
    else if (a == "--repeats") repeats = std::stoi(next());
    else if (a == "--model") model_path = next();
    else if (a == "--device") device_name = next();
    else {
      std::fprintf(stderr, "usage: bench_sampler [--steps N] [--repeats R] [--model unet.safetensors] [--device cpu|cuda]\n");
      return 2;
    }
  }
  const c10::Device device(device_name);
  std::printf("threads: %d\n\n", at::get_num_threads());
  bench_overhead(steps, repeats);
  bench_orders();
  bench_cfg_batching([] { return gaussian_model({4, 8, 8}, 0.0, 1.0, default_vp_sampling()); },
                     "analytic Gaussian 4x8x8", repeats, c10::Device("cpu"));
  if (!model_path.empty())
    bench_cfg_batching([&] { return ng::nn::load_denoiser(model_path, device); }, model_path, repeats, device);
  return 0;
}
