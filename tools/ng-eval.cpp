// ng-eval: measures a shipped generator the way the model cards report it. Samples
// `per_class` images of each Fashion-MNIST class with the SDK samplers and CFG, decodes
// them, and scores them with the evaluation classifier: accuracy against the requested
// class and Frechet distance (classifier features) to the real test set, next to the
// floor of the same number of real training images (as many of each class).
//
//   ng-eval --model FILE [--vae FILE | --pixel] [--sampler dpmpp_2m] [--scheduler karras]
//           [--steps 20] [--cfg 3] [--per-class 100] [--seed 1] [--grid out.png] [--json out.json]
//           [--variance fixed_small|fixed_large|learned]   (ddpm sampler)
//   ng-eval --model FILE --nll N [--nll-t 50] [--nll-variance learned|fixed_small|fixed_large|all]
//           test-set negative log-likelihood (variational bound, bits/dim) of a pixel VP model
//           on the first N test images, class-conditional (see nll_bits_per_dim below)
//   ng-eval --reconstruct VAE_FILE [--per-class 100] [--seed 1] [--json out.json]
//           the autoencoder's reconstructions of the floor's own real training images
//           (10 x per-class of them): the same scores, so the gap to the floor is the
//           autoencoder's alone (see reconstruction_report below)
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/metrics.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/dataset.hpp"

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

// The prompt used for each class (a natural phrase with the class's main word).
const char* kPrompts[10] = {"a t-shirt", "trousers", "a pullover", "a dress",  "a coat",
                            "a sandal",  "a shirt",  "a sneaker",  "a bag",    "an ankle boot"};

at::Tensor features(ng::nn::FeatureClassifier& c, const at::Tensor& images) {
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += 500)
    parts.push_back(c.features(images.narrow(0, i, std::min<int64_t>(500, images.size(0) - i))));
  return at::cat(parts);
}

// The variational bound L_T + sum_t L_t + L_0 (Ho et al. 2020, eq. 5; Improved DDPM sec. 2)
// in bits/dim for the first n test images, conditioned on their true class. The sum over the
// T timesteps is estimated by stratified sampling: K timesteps per image, one uniformly in
// each of K equal strata, weighted T/K (unbiased; exact when K = T), plus L_0 and L_T exactly.
// v is the model's own (learned) or -1 / +1 (the fixed small / large variance on the same eps).
// All variances are scored on the same forward passes. Returns per variance {mean, standard
// error over images}.
std::vector<std::pair<double, double>> nll_bits_per_dim(ng::Denoiser& model, int64_t n, int64_t K,
                                                        const std::vector<std::string>& variances, uint64_t seed) {
  auto* vp = dynamic_cast<const ng::diffusion::DiscreteVPSampling*>(&model.sampling());
  if (!vp) throw ng::Error("--nll needs a discrete-time VP (DDPM-family) model");
  const auto abar = vp->alphas_cumprod();
  const int64_t T = abar.size(0);
  const auto betas = at::cat({1.0 - abar.narrow(0, 0, 1), 1.0 - abar.narrow(0, 1, T - 1) / abar.narrow(0, 0, T - 1)});
  const auto tab = ng::diffusion::PosteriorTables::from_betas(betas);
  auto* vo = dynamic_cast<ng::diffusion::VarianceOutput*>(&model);
  auto test = ng::train::load_fashion_mnist({}, "t10k", n);
  const auto x0_all = ng::train::to_images(test, at::arange(test.size())).to(at::kDouble) * 2.0 - 1.0;
  auto gen = ng::Context::make_generator(seed);
  std::vector<at::Tensor> totals;
  for (size_t j = 0; j < variances.size(); ++j) totals.push_back(ng::diffusion::prior_bits(tab, x0_all));  // [n]
  const int64_t B = 100;
  for (int64_t k = -1; k < K; ++k) {  // k = -1: L_0 (t = 0) exactly
    for (int64_t i = 0; i < n; i += B) {
      const int64_t b = std::min(B, n - i);
      const auto x0 = x0_all.narrow(0, i, b);
      at::Tensor t;
      if (k < 0) {
        t = at::zeros({b}, at::kLong);
      } else {  // stratum [1 + k (T-1)/K, 1 + (k+1) (T-1)/K)
        const double lo = 1.0 + double(k) * double(T - 1) / double(K), w = double(T - 1) / double(K);
        t = (at::rand({b}, gen, at::kDouble) * w + lo).floor().clamp(1, T - 1).to(at::kLong);
      }
      const auto noise = at::randn(x0.sizes(), gen, at::kDouble);
      const auto sig = ng::diffusion::vp_sigmas(abar).index_select(0, t);
      const auto x = x0 + sig.view({b, 1, 1, 1}) * noise;  // sigma space
      ng::DenoiserCondition cond;
      cond.class_ids = test.labels.narrow(0, i, b);
      const auto d = model.denoise(x.to(at::kFloat), sig.to(at::kFloat), cond).to(at::kDouble);
      const auto eps = (x - d) / sig.view({b, 1, 1, 1});
      const auto xt = abar.index_select(0, t).sqrt().view({b, 1, 1, 1}) * x;
      for (size_t j = 0; j < variances.size(); ++j) {
        at::Tensor v;
        if (variances[j] == "learned") {
          if (!vo || !vo->last_variance_interpolation().defined())
            throw ng::Error("--nll-variance learned needs a model trained with learned_variance");
          v = vo->last_variance_interpolation().to(at::kDouble);
        } else {
          v = at::full_like(x0, variances[j] == "fixed_large" ? 1.0 : -1.0);
        }
        const auto terms = ng::diffusion::vlb_terms_bits(tab, x0, xt, t, eps, v);
        totals[j].narrow(0, i, b).add_(k < 0 ? terms : terms * (double(T - 1) / double(K)));
      }
    }
    std::fprintf(stderr, "nll stratum %lld/%lld\n", (long long)(k + 1), (long long)K);
  }
  std::vector<std::pair<double, double>> out;
  for (const auto& t : totals) out.emplace_back(t.mean().item<double>(), t.std().item<double>() / std::sqrt(double(n)));
  return out;
}

// Classifier logits and features of an image batch, in chunks of 500.
at::Tensor logits_of(ng::nn::FeatureClassifier& c, const at::Tensor& images) {
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += 500)
    parts.push_back(c.logits(images.narrow(0, i, std::min<int64_t>(500, images.size(0) - i)), {}));
  return at::cat(parts);
}

// The N real training images the floor is measured on (the same pick for every report):
// N / 10 of each class, like the samples, so a random class imbalance in the pick does not
// inflate the floor (a plain random pick of 1,000 scored 0.142, more than good samples).
at::Tensor floor_pick(const ng::train::ImageDataset& train, int64_t n, uint64_t seed) {
  const auto order = at::randperm(train.size(), ng::Context::make_generator(seed));
  const auto labels = train.labels.index_select(0, order);
  std::vector<at::Tensor> per_class;
  for (int64_t c = 0; c < 10; ++c) {
    const auto of_class = order.index({labels == c});
    if (of_class.size(0) < n / 10) throw ng::Error("the training set has too few images of class " + std::to_string(c));
    per_class.push_back(of_class.narrow(0, 0, n / 10));
  }
  return at::cat(per_class);
}

// Scores of images against the test set: recognised share (overall and per class) against
// `want`, Frechet distance of the classifier's features to the 10,000 test images.
void add_scores(ng::json::Value& r, ng::nn::FeatureClassifier& clf, const at::Tensor& images, const at::Tensor& want,
                const at::Tensor& test_feats) {
  const auto correct = (logits_of(clf, images).argmax(1) == want).to(at::kDouble);
  r.set("images", images.size(0));
  r.set("accuracy", correct.mean().item<double>());
  r.set("frechet_distance_vs_test", ng::nn::frechet_distance(features(clf, images), test_feats));
  ng::json::Array per;
  for (int64_t c = 0; c < 10; ++c) {
    const auto in_class = want == c;
    per.emplace_back(in_class.any().item<bool>() ? correct.index({in_class}).mean().item<double>() : -1.0);
  }
  r.set("accuracy_per_class", ng::json::Value(std::move(per)));
}

// The autoencoder's reconstructions of the floor's real images, scored like samples; the
// floor is those images themselves, so the gap between the two is the autoencoder's alone.
ng::json::Value reconstruction_report(const std::string& vae_path, ng::nn::FeatureClassifier& clf, int64_t n,
                                      uint64_t seed) {
  auto ae = ng::nn::load_autoencoder(vae_path);
  auto test = ng::train::load_fashion_mnist({}, "t10k");
  const auto test_feats = features(clf, ng::train::to_images(test, at::arange(test.size())));
  auto train = ng::train::load_fashion_mnist({}, "train");
  const auto pick = floor_pick(train, n, seed);
  const auto real = ng::train::to_images(train, pick);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<at::Tensor> parts;
  double psnr_sum = 0;  // per-image PSNR (dB, peak 1)
  for (int64_t i = 0; i < n; i += 500) {
    const auto x = real.narrow(0, i, std::min<int64_t>(500, n - i));
    parts.push_back(ae->decode(ae->encode(x)).clamp(0, 1));
    psnr_sum += (parts.back() - x).pow(2).mean({1, 2, 3}).clamp_min(1e-10).log10().mul(-10).sum().item<double>();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto rec = at::cat(parts);
  ng::json::Value r = ng::json::Object{};
  r.set("model", vae_path);
  r.set("kind", "reconstruction");
  r.set("seconds", secs);
  r.set("psnr_db", psnr_sum / double(n));
  add_scores(r, clf, rec, train.labels.index_select(0, pick), test_feats);
  r.set("frechet_floor_real_train_vs_test", ng::nn::frechet_distance(features(clf, real), test_feats));
  r.set("accuracy_real", (logits_of(clf, real).argmax(1) == train.labels.index_select(0, pick)).to(at::kDouble).mean().item<double>());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string threads = arg(argc, argv, "--threads", "");
  at::set_num_threads(threads.empty() ? int(std::max(1u, std::thread::hardware_concurrency())) : std::stoi(threads));
  try {
    const std::string json_out = arg(argc, argv, "--json", "");
    if (const std::string vae = arg(argc, argv, "--reconstruct", ""); !vae.empty()) {
      auto clf = ng::nn::load_feature_classifier(arg(argc, argv, "--classifier", "models/fmnist-eval-classifier.safetensors"));
      const auto r = reconstruction_report(vae, *clf, 10 * std::stoll(arg(argc, argv, "--per-class", "100")),
                                           std::stoull(arg(argc, argv, "--seed", "1")));
      const std::string text = ng::json::dump(r, true);
      std::printf("%s\n", text.c_str());
      if (!json_out.empty()) ng::io::write_file_atomic(json_out, text + "\n");
      return 0;
    }
    const std::string model_path = arg(argc, argv, "--model", "");
    if (model_path.empty()) throw ng::Error("--model or --reconstruct is required");
    auto model = ng::nn::load_denoiser(model_path);
    if (const std::string nll = arg(argc, argv, "--nll", ""); !nll.empty()) {
      const std::string which = arg(argc, argv, "--nll-variance", "learned");
      std::vector<std::string> variances;
      if (which == "all") variances = {"learned", "fixed_small", "fixed_large"};
      else variances = {which};
      const auto r = nll_bits_per_dim(*model, std::stoll(nll), std::stoll(arg(argc, argv, "--nll-t", "50")), variances,
                                      std::stoull(arg(argc, argv, "--seed", "1")));
      for (size_t j = 0; j < r.size(); ++j)
        std::printf("{\"model\": \"%s\", \"test_images\": %s, \"variance\": \"%s\", \"nll_bits_per_dim\": %.4f, "
                    "\"standard_error\": %.4f}\n", model_path.c_str(), nll.c_str(), variances[j].c_str(), r[j].first,
                    r[j].second);
      return 0;
    }
    std::shared_ptr<ng::Autoencoder> ae;
    const bool pixel = flag(argc, argv, "--pixel");
    if (!pixel) ae = ng::nn::load_autoencoder(arg(argc, argv, "--vae", "models/fmnist-vae.safetensors"));
    std::shared_ptr<ng::PromptEncoder> prompts;
    if (model->context_dim() > 0) prompts = ng::nn::load_prompt_encoder(model_path);
    auto clf = ng::nn::load_feature_classifier(arg(argc, argv, "--classifier", "models/fmnist-eval-classifier.safetensors"));
    const bool flow = model->sampling().parameterization() == "flow";
    const std::string sampler_name = arg(argc, argv, "--sampler", flow ? "euler" : "dpmpp_2m");
    const std::string scheduler = arg(argc, argv, "--scheduler", flow ? "flow" : "karras");
    const int64_t steps = std::stoll(arg(argc, argv, "--steps", flow ? "8" : "20"));
    const double cfg = std::stod(arg(argc, argv, "--cfg", "3"));
    const int64_t per_class = std::stoll(arg(argc, argv, "--per-class", "100"));
    const uint64_t seed = std::stoull(arg(argc, argv, "--seed", "1"));

    ng::BasicContext ctx;
    ng::diffusion::SamplerOptions sampler_options;
    sampler_options.clip_x0 = std::stod(arg(argc, argv, "--clip-x0", "0"));
    sampler_options.variance = arg(argc, argv, "--variance", "fixed_small");
    auto sampler = ng::diffusion::make_sampler(sampler_name, sampler_options);
    auto sigmas = ng::diffusion::scheduler_sigmas(scheduler, model->sampling(), steps).to(at::kFloat);
    const auto shape = model->sample_shape();
    std::vector<at::Tensor> images;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t c = 0; c < 10; ++c) {
      ng::Conditioning positive;
      if (prompts) {
        std::vector<std::string> unknown;
        positive.push_back(prompts->encode(kPrompts[c], &unknown));
      } else {
        ng::ConditioningEntry e;
        e.class_id = c;
        positive.push_back(e);
      }
      ng::diffusion::CFGOptions opt;
      opt.cfg = cfg;
      auto guider = std::make_shared<ng::diffusion::CFGGuider>(model, positive, ng::Conditioning{}, opt);
      ng::diffusion::NoiseSource noise(seed + uint64_t(c) * 100000);
      auto latent = at::zeros({per_class, shape[0], shape[1], shape[2]});
      auto out = ng::diffusion::sample_latent(*sampler, *guider, sigmas, latent, noise, ctx).samples;
      images.push_back(ae ? ae->decode(out) : ((out + 1.0) / 2.0).clamp(0, 1));
      std::fprintf(stderr, "class %lld done\n", (long long)c);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto all = at::cat(images);
    const int64_t n = all.size(0);
    auto want = at::arange(10).repeat_interleave(per_class);
    auto test = ng::train::load_fashion_mnist({}, "t10k");
    auto test_feats = features(*clf, ng::train::to_images(test, at::arange(test.size())));
    auto train = ng::train::load_fashion_mnist({}, "train");
    const double floor =
        ng::nn::frechet_distance(features(*clf, ng::train::to_images(train, floor_pick(train, n, seed))), test_feats);

    ng::json::Value r = ng::json::Object{};
    r.set("model", model_path);
    r.set("sampler", sampler_name);
    r.set("scheduler", scheduler);
    r.set("steps", steps);
    r.set("cfg", cfg);
    if (sampler_name == "ddpm") r.set("variance", sampler_options.variance);
    r.set("seconds", secs);
    add_scores(r, *clf, all, want, test_feats);
    r.set("frechet_floor_real_train_vs_test", floor);
    const std::string text = ng::json::dump(r, true);
    std::printf("%s\n", text.c_str());
    if (!json_out.empty()) ng::io::write_file_atomic(json_out, text + "\n");
    const std::string grid = arg(argc, argv, "--grid", "");
    if (!grid.empty()) {
      // first 8 samples of every class, one class per column
      auto sel = all.view({10, per_class, all.size(1), all.size(2), all.size(3)})
                     .narrow(1, 0, std::min<int64_t>(8, per_class))
                     .transpose(0, 1)
                     .reshape({-1, all.size(1), all.size(2), all.size(3)});
      ng::train::write_png_grid(grid, sel, 10);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
