// noisegraph-sd-check: runs a Stable Diffusion checkpoint through the same computations as
// a reference test vector (tokenizer, text encoder, U-Net, VAE, DDIM + CFG) and prints, per
// tensor, how far NoiseGraph's result is from the reference and how far it may be.
//
//   noisegraph-sd-check CHECKPOINT VECTORS [--out FILE] [--vocab FILE] [--threads N]
//
// VECTORS is a safetensors file in the layout of tests/data/sd1-tiny/vectors.safetensors;
// prompts.json (the prompts), meta.json (tolerances, DDIM settings) and config.json (heads,
// which shapes cannot show) are read from its folder. Exit status: 0 all within tolerance,
// 1 some tensor outside, 2 error.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/sd/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace ng;

namespace {

json::Value read_json(const fs::path& p, bool required) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    if (required) throw Error(p.string() + ": cannot open file");
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), p.string());
}

const json::Value* path_in(const json::Value& v, std::initializer_list<const char*> keys) {
  const json::Value* cur = &v;
  for (const char* k : keys) {
    if (!cur->is_object() || !(cur = cur->find(k))) return nullptr;
  }
  return cur;
}

struct Checker {
  const io::TensorFile& ref;
  const json::Value& meta;
  std::map<std::string, at::Tensor> mine;
  int failures = 0, checked = 0;

  double allowed(const std::string& name, const at::Tensor& r) const {
    double floor = 0.0;
    if (const auto* f = path_in(meta, {"fp32_vs_fp64", name.c_str(), "max_abs_diff_fp32_vs_fp64"})) floor = f->as_double();
    return std::max(20.0 * floor, 1e-6 * r.abs().max().item<double>());
  }

  void check(const std::string& name, at::Tensor value) {
    value = value.detach().to(at::kCPU).contiguous();
    mine[name] = value;
    const at::Tensor& r = ref.get(name);
    ++checked;
    if (r.sizes() != value.sizes()) {
      std::printf("%-26s FAIL  shape %s, reference %s\n", name.c_str(), shape(value).c_str(), shape(r).c_str());
      ++failures;
      return;
    }
    if (r.scalar_type() == at::kLong) {
      const int64_t wrong = (r != value.to(at::kLong)).sum().item<int64_t>();
      std::printf("%-26s %s  exact: %lld of %lld ids differ\n", name.c_str(), wrong ? "FAIL" : "ok  ",
                  (long long)wrong, (long long)r.numel());
      failures += wrong != 0;
      return;
    }
    const double diff = (value.to(at::kDouble) - r.to(at::kDouble)).abs().max().item<double>();
    const double tol = allowed(name, r);
    const bool ok = diff <= tol;
    std::printf("%-26s %s  max|diff| %.3e  allowed %.3e  (%.2f of allowed)\n", name.c_str(), ok ? "ok  " : "FAIL",
                diff, tol, tol > 0 ? diff / tol : 0.0);
    failures += !ok;
  }

  static std::string shape(const at::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
    return s + "]";
  }
};

int64_t config_int(const json::Value& cfg, std::initializer_list<const char*> keys) {
  const auto* v = path_in(cfg, keys);
  return v && v->is_number() ? v->as_int() : 0;
}

int run(int argc, char** argv) {
  std::vector<std::string> pos;
  std::string out_path, vocab, family = "auto";
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--out") out_path = value();
    else if (a == "--vocab") vocab = value();
    else if (a == "--threads") threads = std::stoi(value());
    else if (a == "--family") family = value();
    else if (a == "-h" || a == "--help") {
      std::printf("usage: noisegraph-sd-check CHECKPOINT VECTORS [--out FILE] [--vocab FILE] [--family auto|sd1|sd2]\n"
                  "       [--threads N]\n"
                  "Compares a Stable Diffusion checkpoint's tokenizer, text encoder, U-Net, VAE and a DDIM + CFG\n"
                  "run with reference vectors (prompts.json, meta.json, config.json beside VECTORS).\n"
                  "Exit status 0: every tensor within tolerance; 1: some outside; 2: error.\n");
      return 0;
    } else if (!a.empty() && a[0] == '-') throw Error("unknown option " + a + " (see --help)");
    else pos.push_back(a);
  }
  if (pos.size() != 2) throw Error("usage: noisegraph-sd-check CHECKPOINT VECTORS [--out FILE] (see --help)");
  if (threads > 0) at::set_num_threads(threads);
  c10::AutoGradMode no_grad(false);

  const fs::path vectors_path = pos[1], dir = vectors_path.parent_path();
  const io::TensorFile ref = io::load_safetensors(vectors_path);
  const json::Value prompts_json = read_json(dir / "prompts.json", true);
  const json::Value meta = read_json(dir / "meta.json", false);
  const json::Value config = read_json(dir / "config.json", false);

  sd::CheckpointOptions opt;
  opt.vocab = vocab;
  opt.family = family;
  opt.clip_heads = config_int(config, {"clip", "num_attention_heads"});
  opt.unet_heads = config_int(config, {"unet", "num_heads"});
  opt.unet_head_channels = config_int(config, {"unet", "num_head_channels"});
  opt.vae_tile = 0;
  const sd::Checkpoint ck = sd::load_checkpoint(pos[0], opt);
  std::printf("checkpoint: %s\n", ck.info.describe().c_str());

  Checker c{ref, meta, {}};
  const auto& prompts = prompts_json.at("prompts").as_array("prompts");
  // Tokenizer.
  std::vector<at::Tensor> rows;
  for (const auto& p : prompts)
    rows.push_back(at::tensor(ck.tokenizer->tokenize_truncated(p.as_string(), ck.info.pad_id)).to(at::kLong));
  const at::Tensor ids = at::stack(rows);
  c.check("prompt_ids", ids);
  // Text encoder (on the reference ids, so a tokenizer mistake does not hide an encoder one).
  const at::Tensor ref_ids = ref.get("prompt_ids");
  c.check("clip_last", ck.clip->encode(ref_ids, 1));
  c.check("clip_skip2", ck.clip->encode(ref_ids, 2));
  c.check("clip_hidden_states", ck.clip->hidden_states(ref_ids));
  // U-Net.
  c.check("unet_temb_sinusoid", sd::timestep_embedding(ref.get("unet_t").to(at::kFloat), ck.unet->config().model_channels));
  c.check("unet_eps", ck.unet->forward(ref.get("unet_x"), ref.get("unet_t").to(at::kDouble), ref.get("unet_context")));
  c.check("unet_rect_eps",
          ck.unet->forward(ref.get("unet_rect_x"), ref.get("unet_rect_t").to(at::kDouble), ref.get("unet_rect_context")));
  // VAE.
  c.check("vae_decoded", ck.vae->decode(ref.get("vae_z") / sd::kLatentScale));
  c.check("vae_rect_decoded", ck.vae->decode(ref.get("vae_rect_z") / sd::kLatentScale));
  const at::Tensor moments = ck.vae->encode_moments(ref.get("vae_image"));
  const int64_t e = ck.vae->config().embed_dim;
  c.check("vae_enc_moments", moments);
  c.check("vae_enc_mean", moments.narrow(1, 0, e));
  c.check("vae_enc_mean_scaled", moments.narrow(1, 0, e) * sd::kLatentScale);
  // Schedule.
  const at::Tensor abar = sd::scaled_linear_alphas_cumprod();
  c.check("schedule_alphas_cumprod", abar.to(at::kFloat));

  // txt2img: DDIM (eta 0) + CFG, through the MODEL the graphs use (sigma space).
  const int64_t steps = ref.get("sample_timesteps").size(0);
  double cfg_scale = 7.5;
  if (const auto* s = path_in(meta, {"ddim", "cfg_scale"})) cfg_scale = s->as_double();
  int64_t pi = 0, ni = 7;
  if (const auto* v = path_in(meta, {"config", "tests", "sample_prompt_index"})) pi = v->as_int();
  if (const auto* v = path_in(meta, {"config", "tests", "sample_negative_index"})) ni = v->as_int();
  const std::string prompt = prompts.at(size_t(pi)).as_string(), negative = prompts.at(size_t(ni)).as_string();
  c.check("sample_prompt_ids", at::tensor(ck.tokenizer->tokenize_truncated(prompt, ck.info.pad_id)).unsqueeze(0));
  c.check("sample_negative_ids", at::tensor(ck.tokenizer->tokenize_truncated(negative, ck.info.pad_id)).unsqueeze(0));
  std::vector<std::string> unknown;
  const ConditioningEntry cond = ck.text_encoder->encode(prompt, &unknown);
  const ConditioningEntry uncond = ck.text_encoder->encode(negative, &unknown);
  c.check("sample_cond", cond.tokens.unsqueeze(0));
  c.check("sample_uncond", uncond.tokens.unsqueeze(0));

  // ldm's DDIM timesteps: uniform, with the +1 offset; alpha_prev of the last step is abar[0].
  std::vector<int64_t> ts;
  for (int64_t i = 0; i < steps; ++i) ts.push_back(i * (1000 / steps) + 1);
  c.check("sample_ddim_timesteps", at::tensor(ts));
  std::vector<int64_t> order(ts.rbegin(), ts.rend());
  c.check("sample_timesteps", at::tensor(order));
  at::Tensor a = at::empty({steps}, at::kDouble), a_prev = at::empty({steps}, at::kDouble);
  for (int64_t i = 0; i < steps; ++i) {
    a[i] = abar[ts[size_t(i)]];
    a_prev[i] = i == 0 ? abar[0] : abar[ts[size_t(i - 1)]];
  }
  c.check("sample_ddim_alphas", a.to(at::kFloat));
  c.check("sample_ddim_alphas_prev", a_prev.to(at::kFloat));

  const DenoiserCondition both = stack_conditions({&uncond, &cond});
  const at::Tensor x_T = ref.get("sample_x_T");
  at::Tensor x = x_T;  // VP space, as ldm holds it
  std::vector<at::Tensor> eps_c, eps_u, eps_g, x0s, xs{x_T};
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t i = steps - 1 - step;
    const double at_ = a[i].item<double>(), ap = a_prev[i].item<double>();
    const double sigma = std::sqrt((1 - at_) / at_);
    const at::Tensor x_sigma = x / std::sqrt(at_);
    const at::Tensor d = ck.model->denoise(at::cat({x_sigma, x_sigma}), at::full({2}, sigma, at::kFloat), both);
    const at::Tensor eps = (at::cat({x_sigma, x_sigma}) - d) / sigma;
    const at::Tensor e_u = eps.narrow(0, 0, 1), e_c = eps.narrow(0, 1, 1);
    const at::Tensor e = e_u + cfg_scale * (e_c - e_u);
    const at::Tensor x0 = (x - std::sqrt(1 - at_) * e) / std::sqrt(at_);
    x = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * e;
    eps_c.push_back(e_c), eps_u.push_back(e_u), eps_g.push_back(e), x0s.push_back(x0), xs.push_back(x);
  }
  c.check("sample_eps_cond", at::stack(eps_c));
  c.check("sample_eps_uncond", at::stack(eps_u));
  c.check("sample_eps_guided", at::stack(eps_g));
  c.check("sample_pred_x0", at::stack(x0s));
  c.check("sample_x", at::stack(xs));
  c.check("sample_latent", x);
  const at::Tensor image = ck.vae->decode(x / sd::kLatentScale);
  c.check("sample_image", image);
  c.check("sample_image_01", ck.autoencoder->decode(x));

  // The same run through the project's sampler core: the "ddim" sampler with the CFG
  // guider over sigmas of the DDIM timesteps (ending at sigma(t=0), not 0, as ldm does).
  {
    std::vector<double> sig;
    for (int64_t i = steps - 1; i >= 0; --i) sig.push_back(std::sqrt((1 - a[i].item<double>()) / a[i].item<double>()));
    const double a0 = abar[0].item<double>();
    sig.push_back(std::sqrt((1 - a0) / a0));
    const at::Tensor sigmas = at::tensor(sig).to(at::kFloat);
    diffusion::CFGOptions cfg_opt;
    cfg_opt.cfg = cfg_scale;
    diffusion::CFGGuider guider(ck.model, Conditioning{cond}, Conditioning{uncond}, cfg_opt);
    diffusion::SamplerOptions so;
    so.eta = 0.0;
    BasicContext ctx;
    const auto result = diffusion::make_sampler("ddim", so)->sample(guider, sigmas, x_T / std::sqrt(a[steps - 1].item<double>()),
                                                                 diffusion::ZeroNoise(), ctx);
    const at::Tensor latent = result.samples * std::sqrt(a0);
    const double diff = (latent - ref.get("sample_latent")).abs().max().item<double>();
    const double tol = c.allowed("sample_latent", ref.get("sample_latent"));
    const bool ok = diff <= tol;
    std::printf("%-26s %s  max|diff| %.3e  allowed %.3e  (%.2f of allowed)\n", "sample_latent (ddim node)",
                ok ? "ok  " : "FAIL", diff, tol, diff / tol);
    c.failures += !ok;
    ++c.checked;
    c.mine["sample_latent_sampler_core"] = latent.contiguous();
  }

  if (!out_path.empty()) io::save_safetensors(out_path, c.mine, {{"noisegraph.sd_check", pos[0]}});
  std::printf("%d passed, %d failed\n", c.checked - c.failures, c.failures);
  return c.failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "noisegraph-sd-check: %s\n", e.what());
    return 2;
  }
}
