// Learned variance (Nichol & Dhariwal 2021) against closed forms: the variational-bound
// terms, the respaced ddpm step variances, the exact optimal variance for Gaussian data, and
// the hybrid-loss training of a U-Net with 2C outputs.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/train.hpp"

using namespace ng::diffusion;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<DiscreteVPSampling> cosine_vp() {
  return std::make_shared<DiscreteVPSampling>(alphas_cumprod(make_betas("cosine", 1000)), Prediction::Epsilon);
}

// The step variances of the ddpm sampler from level S to N in sigma space (VE frame).
double var_small(double S, double N) { return N * N * (1.0 - N * N / (S * S)); }
double var_large(double S, double N) { return (S * S - N * N) * (1.0 + N * N) / (1.0 + S * S); }

// Exact Gaussian data N(mu, s^2) with a "learned" variance that is the true reverse
// variance of each step of a known schedule: Var[x_N | x_S] = var_small + (1-c)^2 Var[x0 | x_S],
// c = N^2/S^2, Var[x0 | x_S] = s^2 S^2 / (s^2 + S^2); reported as eq. 15's v.
class OptimalVarianceGaussian : public ng::Denoiser, public VarianceOutput {
 public:
  OptimalVarianceGaussian(double mu, double s, std::shared_ptr<ng::ModelSampling> ms, at::Tensor sigmas)
      : inner_(gaussian_model({1, 16, 16}, mu, s, ms)), s_(s), sigmas_(sigmas.to(at::kDouble)) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const ng::DenoiserCondition& c) override {
    const double S = sigma[0].item<double>();
    double N = 0;
    for (int64_t i = 0; i + 1 < sigmas_.size(0); ++i)
      if (std::abs(sigmas_[i].item<double>() - S) <= 1e-6 * S) N = sigmas_[i + 1].item<double>();
    double v = 0;
    if (N > 0) {
      const double cc = N * N / (S * S);
      const double opt = var_small(S, N) + (1 - cc) * (1 - cc) * s_ * s_ * S * S / (s_ * s_ + S * S);
      const double lo = std::log(var_small(S, N)), hi = std::log(var_large(S, N));
      v = 2.0 * (std::log(opt) - lo) / (hi - lo) - 1.0;
    }
    last_v_ = at::full(x.sizes(), v, x.options());
    return inner_->denoise(x, sigma, c);
  }
  at::Tensor last_variance_interpolation() const override { return last_v_; }
  const ng::ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }

 private:
  std::shared_ptr<MixtureDenoiser> inner_;
  double s_;
  at::Tensor sigmas_, last_v_;
};

// D = 0 everywhere, with a constant learned v: isolates the variance of one step.
class ZeroDenoiser : public ng::Denoiser, public VarianceOutput {
 public:
  ZeroDenoiser(std::shared_ptr<ng::ModelSampling> ms, double v) : ms_(std::move(ms)), v_(v) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor&, const ng::DenoiserCondition&) override {
    last_v_ = at::full(x.sizes(), v_, x.options());
    return at::zeros_like(x);
  }
  at::Tensor last_variance_interpolation() const override { return last_v_; }
  const ng::ModelSampling& sampling() const override { return *ms_; }
  std::vector<int64_t> sample_shape() const override { return {1, 16, 16}; }

 private:
  std::shared_ptr<ng::ModelSampling> ms_;
  double v_;
  at::Tensor last_v_;
};

}  // namespace

class TestLearnedVariance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void discretised_decoder_is_a_probability_over_the_256_levels() {
    // Summing P(x0 = level k) over every level must give 1 for any mean and variance.
    auto levels = at::linspace(-1.0, 1.0, 256, at::kDouble);
    for (double mean : {-1.2, -0.3, 0.0, 0.77}) {
      for (double logvar : {-9.0, -4.0, 0.0}) {
        auto ll = discretized_gaussian_log_likelihood(levels, at::full({256}, mean, at::kDouble),
                                                      at::full({256}, logvar, at::kDouble));
        const double total = ll.exp().sum().item<double>();
        QVERIFY2(std::abs(total - 1.0) < 1e-9, std::to_string(total).c_str());
      }
    }
  }

  void bound_terms_match_closed_forms() {
    auto tab = PosteriorTables::from_betas(make_betas("cosine", 1000));
    auto gen = ng::Context::make_generator(3);
    const auto x0 = at::rand({4, 1, 4, 4}, gen, at::kDouble) * 2 - 1;
    const auto eps = at::randn({4, 1, 4, 4}, gen, at::kDouble);
    const auto t = at::tensor({1, 10, 500, 999}, at::kLong);
    const auto a = tab.alphas_cumprod.index_select(0, t).view({4, 1, 1, 1});
    const auto xt = a.sqrt() * x0 + (1 - a).sqrt() * eps;
    // The true eps and v = -1 (Sigma = beta~_t) give the posterior itself: KL = 0.
    auto zero = vlb_terms_bits(tab, x0, xt, t, eps, at::full_like(x0, -1.0));
    QVERIFY2(zero.abs().max().item<double>() < 1e-9, "KL of the posterior with itself");
    // A wrong eps: KL = |mean difference|^2 / (2 Sigma) / ln 2 per element, by hand.
    const auto eps2 = eps + 0.1;
    auto got = vlb_terms_bits(tab, x0, xt, t, eps2, at::full_like(x0, -1.0));
    for (int64_t i = 0; i < 4; ++i) {
      const int64_t ti = t[i].item<int64_t>();
      const double ab = tab.alphas_cumprod[ti].item<double>(), beta = tab.betas[ti].item<double>();
      const double ap = ti > 0 ? tab.alphas_cumprod[ti - 1].item<double>() : 1.0;
      const double c1 = beta * std::sqrt(ap) / (1 - ab);
      const double dx0 = -std::sqrt(1 - ab) * 0.1 / std::sqrt(ab);  // x0 error of eps + 0.1
      const double var = beta * (1 - ap) / (1 - ab);
      const double want = (c1 * dx0) * (c1 * dx0) / (2 * var) / std::log(2.0);
      QVERIFY2(std::abs(got[i].item<double>() - want) < 1e-9 * std::max(1.0, want),
               (std::to_string(got[i].item<double>()) + " vs " + std::to_string(want)).c_str());
    }
    // v interpolates log Sigma: v = 1 gives log beta_t exactly.
    auto lv = learned_log_variance(tab, at::ones({2, 1, 1, 1}, at::kDouble), at::tensor({0, 700}, at::kLong));
    QCOMPARE(lv[1][0][0][0].item<double>(), std::log(tab.betas[700].item<double>()));
    // Prior term: KL(N(sqrt(a) x0, 1 - a) || N(0, 1)) of x0 = 0.
    const double aT = tab.alphas_cumprod[999].item<double>();
    const double prior = prior_bits(tab, at::zeros({1, 1, 2, 2}, at::kDouble))[0].item<double>();
    QVERIFY(std::abs(prior - 0.5 * (-1 - std::log(1 - aT) + (1 - aT)) / std::log(2.0)) < 1e-12);
  }

  void respaced_ddpm_steps_use_the_recomputed_betas() {
    // One ddpm step from x = 0 with D = 0 leaves only the step's noise, so its variance is
    // the step variance: beta_i / abar_{t_lo} (large), beta~_i / abar_{t_lo} (small) with the
    // respaced beta_i = 1 - abar_hi / abar_lo (Improved DDPM sec. 4), or their
    // log-interpolation with the model's v (eq. 15).
    auto ms = cosine_vp();
    const std::vector<int64_t> ts = {0, 333, 666, 999};  // round(linspace(0, 999, 4))
    const auto sig = uniform_sigmas(*ms, 4, TimestepSpacing::Linspace).to(at::kDouble);
    const auto abar = ms->alphas_cumprod();
    const auto betas = respaced_betas(abar, ts);
    const int64_t hi = 999, lo = 666;
    QVERIFY(std::abs(sig[0].item<double>() - ms->sigmas()[hi].item<double>()) < 1e-3 * sig[0].item<double>());
    const double beta = betas[3].item<double>(), alo = abar[lo].item<double>(), ahi = abar[hi].item<double>();
    QVERIFY(std::abs(beta - (1 - ahi / alo)) < 1e-15);
    const double large = beta / alo, small = beta * (1 - alo) / (1 - ahi) / alo;
    const auto step = at::tensor({sig[0].item<double>(), sig[1].item<double>()}, at::kFloat);
    double first_ratio = 0;  // same noise for every v: got/want must agree to rounding
    for (double v : {-1.0, 1.0, 0.3}) {
      auto model = std::make_shared<ZeroDenoiser>(ms, v);
      BasicGuider g(model, {});
      SamplerOptions o;
      o.variance = "learned";
      ng::BasicContext ctx;
      const auto x = at::zeros({64, 1, 16, 16}, at::kDouble);
      const auto out = make_sampler("ddpm", o)->sample(g, step, x, NoiseSource(5), ctx).samples;
      const double want = std::exp((v + 1) / 2 * std::log(large) + (1 - v) / 2 * std::log(small));
      const double got = out.pow(2).mean().item<double>();
      const double se = want * std::sqrt(2.0 / double(out.numel()));
      std::printf("  v %+.1f: step variance %.5g, respaced closed form %.5g\n", v, got, want);
      QVERIFY2(std::abs(got - want) < 5 * se, std::to_string(v).c_str());
      if (first_ratio == 0) first_ratio = got / want;
      QVERIFY2(std::abs(got / want - first_ratio) < 1e-5, "the step variance must follow eq. 15 exactly");
    }
  }

  void optimal_learned_variance_reproduces_the_exact_marginals() {
    // Gaussian data N(0.3, 0.5^2), cosine VP schedule, only 10 respaced steps: with the exact
    // reverse variance of each step every level keeps the true marginal, so the samples are
    // distributed as the data (the last step to 0 returns D, variance s^4/(s^2 + sigma_min^2)).
    // The fixed variances lose (small) or gain (large) spread with so few steps.
    const double mu = 0.3, s = 0.5;
    auto ms = cosine_vp();
    const auto sigmas = uniform_sigmas(*ms, 10, TimestepSpacing::Linspace);
    auto model = std::make_shared<OptimalVarianceGaussian>(mu, s, ms, sigmas);
    BasicGuider g(model, {});
    const auto latent = at::full({32, 1, 16, 16}, mu);
    const double n = double(latent.numel());
    const double smin = sigmas[9].item<double>();
    const double want_sd = s * s / std::sqrt(s * s + smin * smin);
    for (const std::string variance : {"learned", "fixed_small", "fixed_large"}) {
      SamplerOptions o;
      o.variance = variance;
      ng::BasicContext ctx;
      const auto out = sample_latent(*make_sampler("ddpm", o), g, sigmas, latent, NoiseSource(21), ctx).samples;
      const double mean = out.mean().item<double>(), sd = out.std().item<double>();
      std::printf("  %-11s mean %.4f std %.4f (data %.4f, %.4f)\n", variance.c_str(), mean, sd, mu, want_sd);
      const bool ok = std::abs(mean - mu) < 5 * s / std::sqrt(n) && std::abs(sd - want_sd) < 5 * s / std::sqrt(2 * n);
      if (variance == "learned") QVERIFY2(ok, "the optimal variance must reproduce the data distribution");
      else QVERIFY2(std::abs(sd - want_sd) > 10 * s / std::sqrt(2 * n), "fixed variances should be off with 10 steps");
    }
  }

  void learned_variance_needs_a_model_that_predicts_it() {
    auto model = gaussian_model({1, 4, 4}, 0.0, 1.0, cosine_vp());
    BasicGuider g(model, {});
    SamplerOptions o;
    o.variance = "learned";
    ng::BasicContext ctx;
    const auto sigmas = uniform_sigmas(model->sampling(), 3, TimestepSpacing::Linspace);
    QVERIFY_EXCEPTION_THROWN(sample_latent(*make_sampler("ddpm", o), g, sigmas, at::zeros({1, 1, 4, 4}), NoiseSource(1), ctx),
                             ng::Error);
    o.variance = "learnt";
    QVERIFY_EXCEPTION_THROWN(make_sampler("ddpm", o), ng::Error);
  }

  void hybrid_loss_trains_the_variance_channels() {
    // A tiny class-conditional pixel U-Net with 2C outputs. Its output conv starts at zero;
    // with vlb_weight 0 nothing reaches the v channels (they stay exactly 0), with the
    // hybrid loss they move. The written model exposes v to the ddpm sampler.
    auto run = [](double vlb_weight, const std::string& name) -> fs::path {
      ng::train::DiffusionTrainConfig c;
      c.arch.in_channels = c.arch.out_channels = 1;
      c.arch.sample_size = 32;
      c.arch.channels = {8, 16};
      c.arch.attention_resolutions = {16};
      c.arch.heads = 2;
      c.arch.groups = 4;
      c.arch.num_classes = 10;
      c.arch.learned_variance = true;
      c.vlb_weight = vlb_weight;
      c.conditioning = "class";
      c.schedule = "cosine";
      const auto dir = fs::temp_directory_path() / "ng_test_learned_variance" / name;
      fs::remove_all(dir);
      c.output = dir / "lv.safetensors";
      c.run_dir = dir / "run";
      c.steps = 4;
      c.batch_size = 8;
      c.lr = 2e-3;
      c.warmup_steps = 0;
      c.limit_examples = 64;
      c.sample_every = 0;
      c.fp16_output = false;
      ng::BasicContext ctx;
      auto r = ng::train::train_diffusion(c, ctx);
      if (!std::isfinite(r.final_loss)) throw std::runtime_error("training loss is not finite");
      return c.output;
    };
    auto without = ng::nn::load_denoiser(run(0.0, "mse_only"));
    auto hybrid = ng::nn::load_denoiser(run(0.001, "hybrid"));
    auto v_of = [](const std::shared_ptr<ng::Denoiser>& m) {
      auto* vo = dynamic_cast<VarianceOutput*>(m.get());
      if (!vo) return at::Tensor();
      ng::DenoiserCondition c;
      c.class_ids = at::tensor({3, -1}, at::kLong);
      m->denoise(at::randn({2, 1, 32, 32}), at::full({2}, 2.0f), c);
      return vo->last_variance_interpolation();
    };
    const auto v0 = v_of(without), v1 = v_of(hybrid);
    QVERIFY(v0.defined() && v1.defined());
    QCOMPARE(v0.sizes(), (at::IntArrayRef{2, 1, 32, 32}));
    QCOMPARE(v0.abs().max().item<double>(), 0.0);
    QVERIFY2(v1.abs().max().item<double>() > 0.0, "the vlb term must train v");
    // The learned-variance ddpm sampler runs on it (respaced, 5 of 1000 steps, with CFG).
    CFGOptions cfg;
    cfg.cfg = 2.0;
    ng::ConditioningEntry e;
    e.class_id = 3;
    CFGGuider g(hybrid, {e}, {}, cfg);
    SamplerOptions o;
    o.variance = "learned";
    ng::BasicContext ctx;
    const auto sigmas = uniform_sigmas(hybrid->sampling(), 5, TimestepSpacing::Linspace);
    const auto out = sample_latent(*make_sampler("ddpm", o), g, sigmas, at::zeros({2, 1, 32, 32}), NoiseSource(4), ctx);
    QVERIFY(at::isfinite(out.samples).all().item<bool>());
  }
};

QTEST_GUILESS_MAIN(TestLearnedVariance)
#include "test_learned_variance.moc"
