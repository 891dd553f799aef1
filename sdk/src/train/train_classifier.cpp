// Classifier training: cross-entropy on clean images (evaluation classifier) or on noisy
// latents x_t at uniform random timesteps (noise-aware classifier for classifier
// guidance, Dhariwal & Nichol 2021, sec. 4).
#include "../nn/modules.hpp"
#include "latents.hpp"
#include "loop.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"

namespace ng::train {

TrainResult train_classifier(const ClassifierTrainConfig& cfg_in, Context& ctx) {
  ClassifierTrainConfig cfg = cfg_in;
  if (cfg.arch.class_names.empty()) cfg.arch.class_names = nn::fashion_mnist_class_names();
  if (cfg.arch.num_classes() != 10) throw Error("a Fashion-MNIST classifier needs 10 class names");
  const bool latent = !cfg.autoencoder.empty();
  cfg.arch.input_space = latent ? "latent" : "image";
  if (cfg.noisy && !latent) throw Error("noise-aware classifiers are trained on latents: set an autoencoder");
  cfg.arch.time_conditioned = cfg.noisy;
  TrainResult result;
  auto data = training_data(cfg);
  auto test = test_data(cfg, cfg.limit_examples > 0 ? cfg.limit_examples : 0);
  std::filesystem::create_directories(cfg.run_dir);
  at::Tensor x_all, x_test;
  if (latent) {
    x_all = detail::encode_dataset(data, cfg.autoencoder, cfg.run_dir, ctx);
    x_test = nn::load_autoencoder(cfg.autoencoder)->encode(to_images(test, torch::arange(test.size())));
  } else {
    x_all = to_images(data, torch::arange(data.size()));
    x_test = to_images(test, torch::arange(test.size()));
  }
  at::Tensor acp;
  if (cfg.noisy)
    acp = diffusion::alphas_cumprod(diffusion::make_betas(cfg.schedule, cfg.timesteps, cfg.beta_start, cfg.beta_end))
              .to(torch::kFloat);

  torch::manual_seed(cfg.seed);
  nn::ClassifierNet net(cfg.arch);
  json::Value id = json::Object{};
  id.set("arch", cfg.arch.to_json());
  id.set("noisy", cfg.noisy);
  id.set("schedule", cfg.schedule);
  id.set("autoencoder", cfg.autoencoder.filename().string());
  id.set("batch_size", cfg.batch_size);
  id.set("lr", cfg.lr);
  id.set("seed", int64_t(cfg.seed));
  id.set("limit_examples", cfg.limit_examples);
  if (!cfg.data_folder.empty()) id.set("data_folder", cfg.data_folder.string());  // absent: unchanged ids
  detail::Run run(cfg, ctx, "classifier", json::dump(id));
  auto params = detail::named_params(*net);
  detail::AdamW opt(params, cfg.weight_decay);
  std::unique_ptr<detail::Ema> ema;
  if (cfg.ema_decay > 0) ema = std::make_unique<detail::Ema>(params, cfg.ema_decay);
  result.resumed_from = run.resume(opt, ema.get());

  const int64_t N = x_all.size(0), B = cfg.batch_size;
  net->train();
  for (int64_t step = result.resumed_from; step < cfg.steps; ++step) {
    auto idx = detail::batch_indices(N, B, cfg.seed, step);
    auto x = x_all.index_select(0, idx);
    auto labels = data.labels.index_select(0, idx);
    auto gen = detail::step_generator(cfg.seed, step, 3);
    at::Tensor t;
    if (cfg.noisy) {
      auto ti = at::randint(cfg.timesteps, {B}, gen, at::TensorOptions().dtype(at::kLong));
      auto a = acp.index_select(0, ti).view({B, 1, 1, 1});
      x = a.sqrt() * x + (1.0 - a).sqrt() * at::randn(x.sizes(), gen);
      t = ti.to(torch::kFloat);
    } else if (!latent) {
      // random horizontal flips: Fashion-MNIST classes are mirror-symmetric as a set
      auto flip = (at::rand({B}, gen) < 0.5).view({B, 1, 1, 1});
      x = torch::where(flip, x.flip({3}), x);
    }
    auto loss = torch::cross_entropy_loss(net->forward(x, t), labels);
    opt.zero_grad();
    loss.backward();
    const double lr = run.lr_at(step);
    opt.step(lr);
    if (ema) ema->update(params, step);
    run.end_step(step, loss.item<double>(), lr, opt, ema.get());
  }
  net->eval();
  if (ema) ema->swap_into(params);

  // Test accuracy on clean inputs (t = 0) and, for noisy classifiers, at t = T/2.
  auto accuracy = [&](nn::ClassifierNet& m, int64_t t_index) {
    torch::NoGradGuard g;
    int64_t correct = 0;
    for (int64_t i = 0; i < x_test.size(0); i += 1000) {
      const int64_t n = std::min<int64_t>(1000, x_test.size(0) - i);
      auto x = x_test.narrow(0, i, n);
      at::Tensor t;
      if (cfg.noisy) {
        auto gen = Context::make_generator(99 + uint64_t(i));
        const float a = acp[t_index].item<float>();
        x = std::sqrt(a) * x + std::sqrt(1.0f - a) * at::randn(x.sizes(), gen);
        t = torch::full({n}, double(t_index));
      }
      correct += (m->forward(x, t).argmax(1) == test.labels.narrow(0, i, n)).sum().item<int64_t>();
    }
    return double(correct) / double(x_test.size(0));
  };
  result.metrics["test_accuracy"] = accuracy(net, 0);
  if (cfg.noisy) result.metrics["test_accuracy_t_half"] = accuracy(net, cfg.timesteps / 2);

  json::Value metrics = json::Object{};
  for (const auto& [k, v] : result.metrics) metrics.set(k, v);
  std::map<std::string, std::string> md = {
      {nn::meta::kind, "classifier"},
      {nn::meta::config, json::dump(cfg.arch.to_json())},
      {nn::meta::training, run.provenance(std::max(cfg.steps, result.resumed_from), data_description(cfg, data.size()) + ")")},
      {nn::meta::metrics, json::dump(metrics)}};
  if (latent) md[nn::meta::autoencoder] = cfg.autoencoder.filename().string();
  if (cfg.noisy) {
    md[nn::meta::prediction] = "eps";  // the sigma space its inputs live in is that of a VP model
    json::Value s = json::Object{};
    s.set("kind", cfg.schedule);
    s.set("timesteps", cfg.timesteps);
    s.set("beta_start", cfg.beta_start);
    s.set("beta_end", cfg.beta_end);
    md[nn::meta::schedule] = json::dump(s);
  }
  io::save_safetensors(cfg.output, nn::state_dict(*net, "classifier."), md,
                       cfg.fp16_output ? io::DType::F16 : io::DType::F32);
  {
    nn::ClassifierNet reloaded(cfg.arch);
    nn::load_state_dict(*reloaded, io::load_safetensors(cfg.output).tensors, "classifier.", cfg.output.string());
    reloaded->eval();
    result.metrics["test_accuracy_stored"] = accuracy(reloaded, 0);
  }
  ctx.log(LogLevel::Info, "classifier: test accuracy " + std::to_string(result.metrics["test_accuracy"]) +
                              " (stored weights " + std::to_string(result.metrics["test_accuracy_stored"]) + ")");
  result.steps = std::max(cfg.steps, result.resumed_from);  // a run stopped early past `steps` keeps its steps
  result.final_loss = run.recent_loss();
  result.seconds = run.seconds();
  result.output = cfg.output;
  return result;
}

}  // namespace ng::train
