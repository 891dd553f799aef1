// KL autoencoder training (Rombach et al. 2022, sec. 3 and appendix G: reconstruction
// loss plus a small KL term towards N(0, I)), then latent scaling factor and test PSNR;
// or fine-tuning of an existing autoencoder's decoder with its latent space kept.
#include <cmath>

#include "../nn/modules.hpp"
#include "loop.hpp"
#include "patch_discriminator.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/dataset.hpp"

namespace ng::train {

namespace {

// Mean per-image PSNR (dB) of reconstructions of `images` ([0,1], peak 1).
double mean_psnr(nn::AutoencoderNet& net, const at::Tensor& images) {
  torch::NoGradGuard g;
  double sum = 0;
  const int64_t n = images.size(0);
  for (int64_t i = 0; i < n; i += 500) {
    auto x = images.narrow(0, i, std::min<int64_t>(500, n - i));
    auto rec = net->decode(net->encode(x).first).clamp(0, 1);
    auto mse = (rec - x).pow(2).mean({1, 2, 3}).clamp_min(1e-10);
    sum += (10.0 * torch::log10(1.0 / mse)).sum().item<double>();
  }
  return sum / double(n);
}

// LPIPS-style distance per image pair, averaged over the batch (see AutoencoderTrainConfig):
// channel-normalised activations, squared difference summed over channels, averaged over
// positions, summed over blocks. `target` is the real image (no gradient needed there).
at::Tensor perceptual_distance(nn::ClassifierNet& net, const at::Tensor& reconstruction, const at::Tensor& target) {
  std::vector<at::Tensor> want;
  {
    torch::NoGradGuard g;
    want = net->activations(target);
  }
  const auto got = net->activations(reconstruction);
  auto unit = [](const at::Tensor& a) { return a / (a.pow(2).sum(1, true).sqrt() + 1e-10); };
  auto total = torch::zeros({}, reconstruction.options());
  for (size_t l = 0; l < got.size(); ++l) total = total + (unit(got[l]) - unit(want[l])).pow(2).sum(1).mean();
  return total;
}

// The decoder's parameters (names "dec..."): what a decoder fine-tune trains.
std::vector<std::pair<std::string, at::Tensor>> decoder_params(std::vector<std::pair<std::string, at::Tensor>> all) {
  std::vector<std::pair<std::string, at::Tensor>> dec;
  for (auto& [name, p] : all) {
    if (name.rfind("dec", 0) == 0) dec.emplace_back(name, p);
    else p.set_requires_grad(false);
  }
  return dec;
}

}  // namespace

TrainResult train_autoencoder(const AutoencoderTrainConfig& cfg, Context& ctx) {
  TrainResult result;
  auto data = training_data(cfg);
  torch::manual_seed(cfg.seed);
  const bool finetune = !cfg.finetune_decoder_of.empty();
  nn::AutoencoderFileNet source{nn::AutoencoderNet(nullptr)};
  if (finetune) source = nn::load_autoencoder_net(cfg.finetune_decoder_of);
  nn::AutoencoderNet net = finetune ? source.net : nn::AutoencoderNet(cfg.arch);
  json::Value id = json::Object{};
  id.set("arch", net->cfg.to_json());
  if (finetune) {  // absent otherwise: unchanged ids
    id.set("finetune_decoder_of", cfg.finetune_decoder_of.filename().string());
    id.set("source_scaling_factor", source.scaling_factor_text);
  }
  id.set("kl_weight", cfg.kl_weight);
  id.set("batch_size", cfg.batch_size);
  id.set("lr", cfg.lr);
  id.set("seed", int64_t(cfg.seed));
  id.set("limit_examples", cfg.limit_examples);
  if (!cfg.data_folder.empty()) id.set("data_folder", cfg.data_folder.string());  // absent: unchanged ids
  nn::ClassifierNet perceptual{nullptr};
  if (cfg.perceptual_weight > 0) {
    if (cfg.perceptual_model.empty()) throw Error("perceptual_weight > 0 needs a perceptual_model (an image classifier file)");
    perceptual = nn::load_frozen_image_classifier_net(cfg.perceptual_model);
    id.set("perceptual_weight", cfg.perceptual_weight);  // absent when off: unchanged ids
    id.set("perceptual_model", cfg.perceptual_model.filename().string());
  }
  detail::PatchDiscriminator disc{nullptr};
  if (cfg.adversarial_weight > 0) {
    disc = detail::PatchDiscriminator(net->cfg.image_channels);
    id.set("adversarial_weight", cfg.adversarial_weight);  // absent when off: unchanged ids
    id.set("adversarial_start", cfg.adversarial_start);
  }
  detail::Run run(cfg, ctx, "autoencoder", json::dump(id));
  auto params = finetune ? decoder_params(detail::named_params(*net)) : detail::named_params(*net);
  // The discriminator shares the optimiser (so checkpoints and resume cover it) under
  // "disc." names; it never reaches the output file.
  if (disc)
    for (auto& [name, p] : detail::named_params(*disc)) params.emplace_back("disc." + name, p);
  detail::AdamW opt(params, cfg.weight_decay);
  std::unique_ptr<detail::Ema> ema;
  if (cfg.ema_decay > 0) ema = std::make_unique<detail::Ema>(params, cfg.ema_decay);
  const int64_t start = run.resume(opt, ema.get());
  result.resumed_from = start;
  ctx.log(LogLevel::Info, "autoencoder: " + std::to_string(nn::parameter_count(*net)) + " parameters, " +
                              std::to_string(data.size()) + " training images");

  auto test = test_data(cfg, 2000);
  auto test_images = to_images(test, torch::arange(test.size()));
  net->train();
  for (int64_t step = start; step < cfg.steps; ++step) {
    auto x = to_images(data, detail::batch_indices(data.size(), cfg.batch_size, cfg.seed, step));
    auto gen = detail::step_generator(cfg.seed, step, 1);
    auto [mean, logvar] = net->encode(x);  // a frozen encoder (no grad) builds no graph
    auto z = mean + torch::exp(0.5 * logvar) * at::randn(mean.sizes(), gen);
    auto rec = net->decode(z);
    auto mse = torch::mse_loss(rec, x);
    auto loss = mse;
    if (!finetune) loss = loss + cfg.kl_weight * 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean();
    if (perceptual) loss = loss + cfg.perceptual_weight * perceptual_distance(perceptual, rec, x);
    opt.zero_grad();
    if (disc && step >= cfg.adversarial_start) {
      auto adversarial = detail::generator_hinge_loss(disc->forward(rec));
      loss = loss + cfg.adversarial_weight * detail::adaptive_adversarial_weight(loss, adversarial, net->dec_out->weight) *
                        adversarial;
    }
    loss.backward();
    if (disc) {  // the discriminator's own step: its gradients from the decoder's loss are dropped
      for (auto& p : disc->parameters())
        if (p.grad().defined()) p.mutable_grad().zero_();
      detail::discriminator_hinge_loss(disc->forward(x), disc->forward(rec.detach())).backward();
    }
    const double lr = run.lr_at(step);
    opt.step(lr);
    if (ema) ema->update(params, step);
    if (run.sample_due(step)) {
      if (ema) ema->swap_into(params);
      torch::NoGradGuard g;
      auto originals = test_images.narrow(0, 0, 10);
      auto recon = net->decode(net->encode(originals).first).clamp(0, 1);
      write_png_grid(run.file("samples-" + std::to_string(step + 1) + ".png"), torch::cat({originals, recon}), 10);
      if (ema) ema->swap_into(params);
    }
    run.end_step(step, mse.item<double>(), lr, opt, ema.get());
  }
  net->eval();
  if (ema) ema->swap_into(params);

  // Latent scaling factor: 1 / std of the posterior means over training images, so the
  // diffusion model sees latents of roughly unit variance (LDM, sec. G).
  double scaling = source.scaling_factor;
  if (!finetune) {
    torch::NoGradGuard g;
    const int64_t n = std::min<int64_t>(cfg.scaling_examples, data.size());
    std::vector<at::Tensor> means;
    for (int64_t i = 0; i < n; i += 500)
      means.push_back(net->encode(to_images(data, torch::arange(i, std::min(n, i + 500)))).first);
    scaling = 1.0 / torch::cat(means).std().item<double>();
  }
  result.metrics["scaling_factor"] = scaling;
  result.metrics["test_psnr"] = mean_psnr(net, test_images);

  json::Value metrics = json::Object{};
  for (const auto& [k, v] : result.metrics) metrics.set(k, v);
  std::map<std::string, std::string> md = {
      {nn::meta::kind, "autoencoder"},
      {nn::meta::config, json::dump(net->cfg.to_json())},
      {nn::meta::scaling_factor, finetune ? source.scaling_factor_text : std::to_string(scaling)},
      {nn::meta::training, run.provenance(std::max(cfg.steps, start), data_description(cfg, data.size()) + ", 28x28 padded to 32x32)")},
      {nn::meta::metrics, json::dump(metrics)}};
  io::save_safetensors(cfg.output, nn::state_dict(*net, "autoencoder."), md,
                       cfg.fp16_output ? io::DType::F16 : io::DType::F32);

  // Quality check of the stored (possibly fp16) weights.
  {
    nn::AutoencoderNet reloaded(net->cfg);
    nn::load_state_dict(*reloaded, io::load_safetensors(cfg.output).tensors, "autoencoder.", cfg.output.string());
    reloaded->eval();
    result.metrics["test_psnr_stored"] = mean_psnr(reloaded, test_images);
  }
  ctx.log(LogLevel::Info, "autoencoder: test PSNR " + std::to_string(result.metrics["test_psnr"]) + " dB (stored weights " +
                              std::to_string(result.metrics["test_psnr_stored"]) + " dB), scaling factor " +
                              std::to_string(scaling));
  result.steps = std::max(cfg.steps, start);  // a run stopped early past `steps` keeps its steps
  result.final_loss = run.recent_loss();
  result.seconds = run.seconds();
  result.output = cfg.output;
  return result;
}

}  // namespace ng::train
