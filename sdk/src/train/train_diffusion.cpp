// Diffusion training: DDPM "simple" loss on eps or v (Ho et al. 2020, eq. 14; Salimans &
// Ho 2022 for v) and rectified-flow velocity loss (Liu et al. 2022, eq. 1), with condition
// dropout for classifier-free guidance (Ho & Salimans 2022) and EMA weights.
#include <cmath>
#include <random>

#include "../nn/modules.hpp"
#include "latents.hpp"
#include "loop.hpp"
#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/nn/tokenizer.hpp"

namespace ng::train {

namespace {

// The U-Net and (optionally) its prompt encoder, trained together; parameter names
// match the model file ("unet.*", "prompt.*").
struct Bundle : torch::nn::Module {
  Bundle(const nn::UNetConfig& u, const nn::PromptConfig* p) {
    unet = register_module("unet", nn::UNet(u));
    if (p) prompt = register_module("prompt", nn::PromptNet(*p));
  }
  nn::UNet unet{nullptr};
  nn::PromptNet prompt{nullptr};
};

// Every training prompt of each class as padded token ids + mask.
struct PromptTable {
  std::vector<at::Tensor> ids, mask;  // per class: [K,T] int64, [K,T] float
};

PromptTable build_prompts(const nn::PromptConfig& pc) {
  static const char* templates[] = {"{}",           "a {}",           "an {}",          "the {}",
                                    "a photo of a {}", "photo of a {}", "a picture of a {}", "an image of a {}",
                                    "one {}",       "some {}",        "a photo of {}",  "the {} photo"};
  nn::Tokenizer tok(pc.vocabulary);
  PromptTable table;
  for (int64_t c = 0; c < 10; ++c) {
    std::vector<at::Tensor> rows, masks;
    for (const auto& phrase : nn::fashion_mnist_class_phrases(c))
      for (const char* tmpl : templates) {
        std::string text = tmpl;
        text.replace(text.find("{}"), 2, phrase);
        std::vector<std::string> unknown;
        auto ids = tok.encode(text, &unknown);
        if (!unknown.empty()) throw Error("training prompt '" + text + "' has words outside the vocabulary");
        if (int64_t(ids.size()) > pc.max_tokens) continue;
        auto row = torch::zeros({pc.max_tokens}, torch::kLong);
        auto m = torch::zeros({pc.max_tokens});
        for (size_t i = 0; i < ids.size(); ++i) {
          row[int64_t(i)] = ids[i];
          m[int64_t(i)] = 1.0;
        }
        rows.push_back(row);
        masks.push_back(m);
      }
    table.ids.push_back(torch::stack(rows));
    table.mask.push_back(torch::stack(masks));
  }
  return table;
}

// The prediction part of a network output (a learned-variance U-Net appends v channels).
at::Tensor prediction_part(const nn::UNetConfig& arch, const at::Tensor& out) {
  return arch.learned_variance ? out.narrow(1, 0, arch.out_channels) : out;
}

// Conditioning inputs of one batch. Rows drop their condition with probability `dropout`.
struct Cond {
  at::Tensor context, mask, class_ids;
};

Cond make_condition(const DiffusionTrainConfig& cfg, Bundle& model, const PromptTable& prompts,
                    const at::Tensor& labels, at::Generator& gen, bool dropout_on) {
  Cond c;
  const int64_t B = labels.size(0);
  auto drop = dropout_on ? (at::rand({B}, gen) < cfg.cond_dropout) : torch::zeros({B}, torch::kBool);
  if (cfg.conditioning == "class") {
    c.class_ids = torch::where(drop, torch::full_like(labels, -1), labels);
  } else if (cfg.conditioning == "prompt") {
    auto u = at::rand({B}, gen);
    std::vector<at::Tensor> ids, mask;
    for (int64_t i = 0; i < B; ++i) {
      const auto cls = labels[i].item<int64_t>();
      const auto k = prompts.ids[size_t(cls)].size(0);
      const auto pick = std::min<int64_t>(k - 1, int64_t(u[i].item<double>() * double(k)));
      ids.push_back(prompts.ids[size_t(cls)][pick]);
      mask.push_back(prompts.mask[size_t(cls)][pick] * (drop[i].item<bool>() ? 0.0 : 1.0));
    }
    c.context = model.prompt(torch::stack(ids));
    c.mask = torch::stack(mask);
  }
  return c;
}

// Euler sampling in sigma space (Karras et al. 2022, alg. 1 without churn) with CFG, for
// the monitoring grids only; the real samplers live in the sample plugin.
at::Tensor sample_grid(const DiffusionTrainConfig& cfg, Bundle& model, const ModelSampling& ms,
                       const PromptTable& prompts, const std::vector<int64_t>& shape, int64_t per_class) {
  torch::NoGradGuard g;
  const int64_t B = 10 * per_class;
  auto labels = torch::arange(10).repeat({per_class});
  auto gen = Context::make_generator(1234);
  Cond cond;
  if (cfg.conditioning == "prompt") {
    std::vector<at::Tensor> ids, mask;
    for (int64_t i = 0; i < B; ++i) {
      ids.push_back(prompts.ids[size_t(labels[i].item<int64_t>())][0]);
      mask.push_back(prompts.mask[size_t(labels[i].item<int64_t>())][0]);
    }
    cond.context = model.prompt(torch::stack(ids));
    cond.mask = torch::stack(mask);
  } else if (cfg.conditioning == "class") {
    cond.class_ids = labels;
  }
  const int64_t n = cfg.sample_steps;
  std::vector<double> sigmas;
  if (cfg.objective == "flow") {
    for (int64_t i = 0; i <= n; ++i) sigmas.push_back(1.0 - double(i) / double(n));
  } else {
    const double hi = ms.sigma_max(), lo = ms.sigma_min();
    for (int64_t i = 0; i < n; ++i) sigmas.push_back(std::exp(std::log(hi) + (std::log(lo) - std::log(hi)) * i / (n - 1.0)));
    sigmas.push_back(0.0);
  }
  auto noise = at::randn({B, shape[0], shape[1], shape[2]}, gen);
  auto x = ms.noise_scaling(torch::full({B}, sigmas[0]), noise, torch::zeros_like(noise));
  const double guidance = cfg.conditioning == "none" ? 1.0 : 3.0;
  for (int64_t i = 0; i < n; ++i) {
    auto s = torch::full({B}, sigmas[size_t(i)]);
    auto t = ms.timestep(s);
    auto xin = ms.scale_input(s, x);
    at::Tensor out;
    if (guidance != 1.0) {
      Cond both;
      if (cond.context.defined()) {
        both.context = torch::cat({cond.context, cond.context});
        both.mask = torch::cat({cond.mask, torch::zeros_like(cond.mask)});
      }
      if (cond.class_ids.defined()) both.class_ids = torch::cat({cond.class_ids, torch::full_like(cond.class_ids, -1)});
      auto o = model.unet(torch::cat({xin, xin}), torch::cat({t, t}), both.context, both.mask, both.class_ids).chunk(2);
      out = prediction_part(cfg.arch, o[1]) + guidance * (prediction_part(cfg.arch, o[0]) - prediction_part(cfg.arch, o[1]));
    } else {
      out = prediction_part(cfg.arch, model.unet(xin, t, cond.context, cond.mask, cond.class_ids));
    }
    auto denoised = ms.denoised(s, out, x);
    const double next = sigmas[size_t(i + 1)];
    x = x + (x - denoised) / sigmas[size_t(i)] * (next - sigmas[size_t(i)]);
  }
  return x;
}

}  // namespace

TrainResult train_diffusion(const DiffusionTrainConfig& cfg_in, Context& ctx) {
  DiffusionTrainConfig cfg = cfg_in;
  if (cfg.objective != "eps" && cfg.objective != "v" && cfg.objective != "flow")
    throw Error("objective must be 'eps', 'v' or 'flow', got '" + cfg.objective + "'");
  if (cfg.conditioning == "prompt" && cfg.arch.context_dim <= 0)
    throw Error("prompt conditioning needs a U-Net with context_dim > 0");
  if (cfg.conditioning == "class" && cfg.arch.num_classes != 10)
    throw Error("class conditioning on Fashion-MNIST needs num_classes = 10");
  if (cfg.conditioning != "prompt" && cfg.conditioning != "class" && cfg.conditioning != "none")
    throw Error("conditioning must be 'prompt', 'class' or 'none'");
  if (cfg.min_snr_gamma < 0 || (cfg.min_snr_gamma > 0 && cfg.objective == "flow"))
    throw Error("min_snr_gamma must be >= 0 and is for the VP objectives 'eps' and 'v'");
  if (cfg.flow_time_sampling != "uniform" && cfg.flow_time_sampling != "logit_normal")
    throw Error("flow_time_sampling must be 'uniform' or 'logit_normal', got '" + cfg.flow_time_sampling + "'");
  if (cfg.flow_time_sampling != "uniform" && cfg.objective != "flow")
    throw Error("flow_time_sampling is for the 'flow' objective");
  if (cfg.arch.learned_variance && cfg.objective != "eps")
    throw Error("learned_variance is implemented for the 'eps' objective (Improved DDPM's hybrid loss)");
  if (cfg.arch.learned_variance && !(cfg.vlb_weight >= 0.0))
    throw Error("vlb_weight must be >= 0");
  if (cfg.conditioning == "prompt") {
    if (cfg.prompt.vocabulary.empty()) cfg.prompt.vocabulary = nn::fashion_mnist_vocabulary();
    cfg.prompt.dim = cfg.arch.context_dim;
  }
  TrainResult result;
  auto data = training_data(cfg);
  std::filesystem::create_directories(cfg.run_dir);
  at::Tensor x_all;  // model-space training samples
  std::shared_ptr<Autoencoder> ae;
  if (!cfg.autoencoder.empty()) {
    x_all = detail::encode_dataset(data, cfg.autoencoder, cfg.run_dir, ctx);
    ae = nn::load_autoencoder(cfg.autoencoder);
  } else {
    x_all = to_images(data, torch::arange(data.size())) * 2.0 - 1.0;
  }
  if (x_all.size(1) != cfg.arch.in_channels || x_all.size(2) != cfg.arch.sample_size)
    throw Error("training samples are " + c10::str(x_all.sizes()) + " but the U-Net config expects " +
                std::to_string(cfg.arch.in_channels) + " channels of " + std::to_string(cfg.arch.sample_size) + "^2");

  std::shared_ptr<ModelSampling> ms;
  at::Tensor acp;
  std::unique_ptr<diffusion::PosteriorTables> tables;  // learned variance only
  if (cfg.objective == "flow") {
    ms = std::make_shared<diffusion::FlowSampling>();
  } else {
    const auto betas = diffusion::make_betas(cfg.schedule, cfg.timesteps, cfg.beta_start, cfg.beta_end);
    acp = diffusion::alphas_cumprod(betas).to(torch::kFloat);
    if (cfg.arch.learned_variance)
      tables = std::make_unique<diffusion::PosteriorTables>(diffusion::PosteriorTables::from_betas(betas));
    ms = std::make_shared<diffusion::DiscreteVPSampling>(acp, diffusion::prediction_from_name(cfg.objective));
  }

  torch::manual_seed(cfg.seed);
  Bundle model(cfg.arch, cfg.conditioning == "prompt" ? &cfg.prompt : nullptr);
  PromptTable prompts;
  if (cfg.conditioning == "prompt") prompts = build_prompts(cfg.prompt);

  json::Value id = json::Object{};
  id.set("arch", cfg.arch.to_json());
  if (cfg.conditioning == "prompt") id.set("prompt", cfg.prompt.to_json());
  id.set("objective", cfg.objective);
  id.set("conditioning", cfg.conditioning);
  id.set("cond_dropout", cfg.cond_dropout);
  id.set("schedule", cfg.schedule);
  id.set("timesteps", cfg.timesteps);
  id.set("beta_start", cfg.beta_start);
  id.set("beta_end", cfg.beta_end);
  id.set("autoencoder", cfg.autoencoder.filename().string());
  id.set("batch_size", cfg.batch_size);
  id.set("lr", cfg.lr);
  id.set("seed", int64_t(cfg.seed));
  id.set("limit_examples", cfg.limit_examples);
  if (!cfg.data_folder.empty()) id.set("data_folder", cfg.data_folder.string());  // absent: unchanged ids
  if (cfg.arch.learned_variance) id.set("vlb_weight", cfg.vlb_weight);
  if (cfg.min_snr_gamma > 0) id.set("min_snr_gamma", cfg.min_snr_gamma);  // absent when off: unchanged ids
  if (cfg.flow_time_sampling != "uniform") id.set("flow_time_sampling", cfg.flow_time_sampling);  // likewise
  detail::Run run(cfg, ctx, cfg.objective == "flow" ? "flow" : "diffusion", json::dump(id));
  auto params = detail::named_params(model);
  detail::AdamW opt(params, cfg.weight_decay);
  std::unique_ptr<detail::Ema> ema;
  if (cfg.ema_decay > 0) ema = std::make_unique<detail::Ema>(params, cfg.ema_decay);
  const int64_t start = run.resume(opt, ema.get());
  result.resumed_from = start;
  ctx.log(LogLevel::Info, "diffusion (" + cfg.objective + "): " + std::to_string(nn::parameter_count(model)) +
                              " parameters, training samples " + c10::str(x_all.sizes()));

  const int64_t N = x_all.size(0), B = cfg.batch_size;
  model.train();
  for (int64_t step = start; step < cfg.steps; ++step) {
    auto idx = detail::batch_indices(N, B, cfg.seed, step);
    auto x0 = x_all.index_select(0, idx);
    auto labels = data.labels.index_select(0, idx);
    auto gen = detail::step_generator(cfg.seed, step, 2);
    auto noise = at::randn(x0.sizes(), gen);
    at::Tensor xt, t, target, ti;
    if (cfg.objective == "flow") {
      // Both draws stay in [1e-3, 1]: t = 0 would ask for the velocity at the data itself.
      auto tt = cfg.flow_time_sampling == "logit_normal" ? at::sigmoid(at::randn({B}, gen)).clamp(1e-3, 1.0)
                                                         : at::rand({B}, gen) * (1.0 - 1e-3) + 1e-3;
      auto tb = tt.view({B, 1, 1, 1});
      xt = (1.0 - tb) * x0 + tb * noise;
      t = tt * 1000.0;
      target = noise - x0;
    } else {
      ti = at::randint(cfg.timesteps, {B}, gen, at::TensorOptions().dtype(at::kLong));
      auto a = acp.index_select(0, ti).view({B, 1, 1, 1});
      xt = a.sqrt() * x0 + (1.0 - a).sqrt() * noise;
      t = ti.to(torch::kFloat);
      target = cfg.objective == "eps" ? noise : a.sqrt() * noise - (1.0 - a).sqrt() * x0;
    }
    auto cond = make_condition(cfg, model, prompts, labels, gen, true);
    auto out = model.unet(xt, t, cond.context, cond.mask, cond.class_ids);
    auto loss = torch::mse_loss(prediction_part(cfg.arch, out), target);
    if (cfg.min_snr_gamma > 0) {
      const auto snr = acp.index_select(0, ti) / (1.0 - acp.index_select(0, ti));
      auto w = snr.clamp_max(cfg.min_snr_gamma) / (cfg.objective == "eps" ? snr : snr + 1.0);
      loss = ((prediction_part(cfg.arch, out) - target).pow(2).mean({1, 2, 3}) * w.to(out.dtype())).mean();
    }
    if (tables) {
      // Hybrid loss: the mean is stopped (eps detached), so L_vlb only trains v.
      const auto C = cfg.arch.out_channels;
      const auto vlb = diffusion::vlb_terms_bits(*tables, x0, xt, ti, out.narrow(1, 0, C).detach(), out.narrow(1, C, C));
      loss = loss + cfg.vlb_weight * double(cfg.timesteps) * vlb.mean();
    }
    opt.zero_grad();
    loss.backward();
    const double lr = run.lr_at(step);
    opt.step(lr);
    if (ema) ema->update(params, step);
    if (run.sample_due(step)) {
      if (ema) ema->swap_into(params);
      model.eval();
      auto x = sample_grid(cfg, model, *ms, prompts, {cfg.arch.in_channels, cfg.arch.sample_size, cfg.arch.sample_size}, 2);
      auto img = ae ? ae->decode(x) : ((x + 1.0) / 2.0).clamp(0, 1);
      write_png_grid(run.file("samples-" + std::to_string(step + 1) + ".png"), img, 10);
      model.train();
      if (ema) ema->swap_into(params);
    }
    run.end_step(step, loss.item<double>(), lr, opt, ema.get());
  }
  model.eval();
  if (ema) ema->swap_into(params);

  std::map<std::string, std::string> md = {
      {nn::meta::kind, "unet"},
      {nn::meta::config, json::dump(cfg.arch.to_json())},
      {nn::meta::prediction, cfg.objective},
      {nn::meta::training,
       run.provenance(std::max(cfg.steps, start), data_description(cfg, data.size()) +
                                     (ae ? ", encoded with " + cfg.autoencoder.filename().string() : "") + ")")}};
  if (cfg.objective == "flow") {
    md[nn::meta::flow] = R"({"shift":1.0,"multiplier":1000.0})";
  } else {
    json::Value s = json::Object{};
    s.set("kind", cfg.schedule);
    s.set("timesteps", cfg.timesteps);
    s.set("beta_start", cfg.beta_start);
    s.set("beta_end", cfg.beta_end);
    md[nn::meta::schedule] = json::dump(s);
  }
  if (ae) md[nn::meta::autoencoder] = cfg.autoencoder.filename().string();
  if (cfg.conditioning == "prompt") md[nn::meta::prompt_config] = json::dump(cfg.prompt.to_json());
  auto tensors = nn::state_dict(*model.unet, "unet.");
  if (model.prompt) tensors.merge(nn::state_dict(*model.prompt, "prompt."));
  io::save_safetensors(cfg.output, tensors, md, cfg.fp16_output ? io::DType::F16 : io::DType::F32);

  // Stored-weights check: the reloaded (fp16) model's output on a fixed batch against the
  // float32 one, relative RMS difference.
  {
    torch::NoGradGuard g;
    auto reloaded = nn::load_denoiser(cfg.output);
    auto gen = Context::make_generator(7);
    auto x = at::randn({8, cfg.arch.in_channels, cfg.arch.sample_size, cfg.arch.sample_size}, gen);
    auto sigma = torch::full({8}, cfg.objective == "flow" ? 0.5 : 1.0);
    DenoiserCondition dc;
    auto ref = ms->denoised(
        sigma, prediction_part(cfg.arch, model.unet->forward(ms->scale_input(sigma, x), ms->timestep(sigma), {}, {}, {})), x);
    auto got = reloaded->denoise(x, sigma, dc);
    result.metrics["stored_rel_rms_diff"] = ((got - ref).pow(2).mean().sqrt() / ref.pow(2).mean().sqrt()).item().toDouble();
  }
  result.steps = std::max(cfg.steps, start);  // a run stopped early past `steps` keeps its steps
  result.final_loss = run.recent_loss();
  result.seconds = run.seconds();
  result.output = cfg.output;
  return result;
}

}  // namespace ng::train
