// Samplers against exact answers: the Gaussian PF-ODE map, convergence orders, data
// statistics of stochastic samplers, point sets, noise determinism, cancel, inpainting.
#include <QtTest/QtTest>

#include <cmath>
#include <cstdio>

#include "helpers.hpp"
#include "noisegraph/error.hpp"

using namespace ngt;

namespace {

constexpr double kMu = 0.5, kS = 0.5;  // data N(0.5, 0.5^2) per element

// Exact PF-ODE solution from x at sigma_a to sigma_b for N(mu, s^2) data in sigma space:
// x(sigma) - mu is proportional to sqrt(s^2 + sigma^2).
at::Tensor exact_ode(const at::Tensor& x, double sa, double sb) {
  return kMu + std::sqrt((kS * kS + sb * sb) / (kS * kS + sa * sa)) * (x - kMu);
}

ng::diffusion::SampleResult run(const std::string& name, ng::diffusion::Guider& g, const at::Tensor& sigmas,
                                const at::Tensor& x, uint64_t seed = 0, SamplerOptions o = {}) {
  ng::BasicContext ctx;
  return make_sampler(name, o)->sample(g, sigmas, x, NoiseSource(seed), ctx);
}

SamplerOptions eta_one() {
  SamplerOptions o;
  o.eta = 1.0;
  return o;
}

SamplerOptions deterministic() {
  SamplerOptions o;
  o.eta = 0.0;
  return o;
}

}  // namespace

class TestSamplers : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { use_all_cores(); }

  void deterministic_samplers_land_on_the_exact_pf_ode_solution() {
    auto model = gaussian_model({1, 4, 4}, kMu, kS, vp());
    BasicGuider g(model, {});
    const auto sigmas = karras_sigmas(60, model->sampling().sigma_min(), model->sampling().sigma_max());
    const double smax = sigmas[0].item<double>();
    auto gen = at::detail::createCPUGenerator(3);
    const auto x = at::randn({4, 1, 4, 4}, gen, at::kDouble) * smax;
    const auto want = exact_ode(x, smax, 0.0);  // values of size ~1.5
    // 60 Karras steps from sigma_max = 157. Measured max errors: first order 5.5e-2, Heun and
    // DPM++ 2M 5e-3, LMS 1.3e-3 (bench/sampler/README.md); the tolerances are 1.3x those,
    // so they catch regressions, while convergence_order_matches_theory checks the rates.
    // eta = 0 turns euler_ancestral into euler and dpmpp_2m_sde into dpmpp_2m.
    const std::vector<std::pair<std::string, double>> cases = {
        {"euler", 7e-2}, {"ddim", 7e-2}, {"euler_ancestral", 7e-2}, {"heun", 7e-3},
        {"dpmpp_2m", 7e-3}, {"dpmpp_2m_sde", 7e-3}, {"lms", 2e-3}};
    for (const auto& [name, tol] : cases) {
      const auto out = run(name, g, sigmas, x, 0, deterministic()).samples;
      const double err = max_abs(out - want);
      std::printf("  %-16s max error %.2e (tolerance %.0e)\n", name.c_str(), err, tol);
      QVERIFY2(err < tol, name.c_str());
    }
  }

  void convergence_order_matches_theory() {
    // Integrate from sigma 5 to 0.2 on a grid uniform in log sigma (DPM-Solver's natural grid)
    // without the jump to 0, and compare with the exact solution. Doubling the steps divides
    // the error by 2^p for a method of order p. Accepted: order 1 -> ratio 1.8..2.2, order 2
    // -> 3.5..4.6. DPM++ 2M's error is tiny and pre-asymptotic at coarse grids (its first
    // step is first order), so it is measured one doubling later.
    auto model = gaussian_model({1, 2, 2}, kMu, kS, vp());
    BasicGuider g(model, {});
    const double sa = 5.0, sb = 0.2;
    const auto x = at::linspace(-8.0, 8.0, 4, at::kDouble).view({1, 1, 2, 2});
    const auto want = exact_ode(x, sa, sb);
    auto error = [&](const std::string& name, int64_t n) {
      const auto sigmas = exponential_sigmas(n + 1, sb, sa).slice(0, 0, n + 1).to(at::kDouble);
      return max_abs(run(name, g, sigmas, x, 0, deterministic()).samples - want);
    };
    const std::vector<std::tuple<std::string, int64_t, double, double>> cases = {
        {"euler", 64, 1.8, 2.2}, {"ddim", 64, 1.8, 2.2}, {"heun", 64, 3.5, 4.6}, {"dpmpp_2m", 256, 3.5, 4.6}};
    for (const auto& [name, n, lo, hi] : cases) {
      const double e1 = error(name, n), e2 = error(name, 2 * n);
      const double ratio = e1 / e2;
      std::printf("  %-10s error(%lld) %.3e error(%lld) %.3e ratio %.2f\n", name.c_str(), (long long)n, e1,
                  (long long)(2 * n), e2, ratio);
      QVERIFY2(ratio > lo && ratio < hi, name.c_str());
    }
  }

  void ancestral_samplers_match_the_exact_ddpm_chain_statistics() {
    // For Gaussian data every DDPM posterior step is linear in x, so the output variance of the
    // whole chain is known exactly: Var' = k^2 Var + var_step, k = (1-c) v/(v+S^2) + c,
    // c = N^2/S^2 (see sampler_ddpm.cpp). Few steps lose variance (the posterior ignores the
    // uncertainty of x0); this checks the samplers reproduce that chain, not just "about 0.5".
    auto model = gaussian_model({1, 32, 32}, kMu, kS, vp());
    BasicGuider g(model, {});
    const auto sigmas = karras_sigmas(40, model->sampling().sigma_min(), model->sampling().sigma_max());
    const auto latent = at::zeros({8, 1, 32, 32});
    const double n = double(latent.numel());
    auto predicted_std = [&](bool large) {
      const auto s = sigmas.to(at::kDouble);
      const double v = kS * kS;
      double var = std::pow(s[0].item<double>(), 2);
      for (int64_t i = 0; i + 1 < s.size(0); ++i) {
        const double S = s[i].item<double>(), N = s[i + 1].item<double>(), c = N * N / (S * S);
        const double k = (1 - c) * v / (v + S * S) + c;
        const double step = N == 0 ? 0 : large ? (S * S - N * N) * (1 + N * N) / (1 + S * S) : N * N * (1 - c);
        var = k * k * var + step;
      }
      return std::sqrt(var);
    };
    SamplerOptions large;
    large.variance = "fixed_large";
    for (const auto& [name, o] : std::vector<std::pair<std::string, SamplerOptions>>{
             {"euler_ancestral", {}}, {"ddpm", {}}, {"ddim", eta_one()}, {"ddpm", large}}) {
      ng::BasicContext ctx;
      const auto out = sample_latent(*make_sampler(name, o), g, sigmas, latent, NoiseSource(11), ctx).samples;
      const double mean = out.mean().item<double>(), sd = out.std().item<double>();
      const double want = predicted_std(o.variance == "fixed_large");
      std::printf("  %-16s %-11s mean %.4f std %.4f (chain predicts %.4f)\n", name.c_str(), o.variance.c_str(),
                  mean, sd, want);
      // 5 standard errors: SE(mean) = std/sqrt(n), SE(std) = std/sqrt(2n), n = 8192 values.
      QVERIFY2(std::abs(mean - kMu) < 5 * want / std::sqrt(n), name.c_str());
      QVERIFY2(std::abs(sd - want) < 5 * want / std::sqrt(2 * n), name.c_str());
    }
  }

  void stochastic_samplers_reproduce_the_data_distribution_with_many_steps() {
    // With 200 steps the chain's variance deficit is < 0.02 in std (0.4842 predicted for
    // DDPM); DPM++ 2M SDE is within 0.005 of the data already at 100 steps. Tolerance: that
    // bias + 5 standard errors (5 SE = 0.028 for the mean, 0.020 for the std of 8192 values).
    const std::vector<std::pair<std::shared_ptr<ng::ModelSampling>, std::string>> models = {
        {vp(), "karras"}, {flow(), "flow"}};
    for (const auto& [sampling, schedule] : models) {
      auto model = gaussian_model({1, 32, 32}, kMu, kS, sampling);
      BasicGuider g(model, {});
      const auto sigmas = scheduler_sigmas(schedule, *sampling, 200);
      const auto latent = at::zeros({8, 1, 32, 32});
      const double n = double(latent.numel());
      for (const auto& [name, bias] : std::vector<std::pair<std::string, double>>{
               {"euler_ancestral", 0.02}, {"ddpm", 0.02}, {"dpmpp_2m_sde", 0.005}}) {
        ng::BasicContext ctx;
        const auto out = sample_latent(*make_sampler(name), g, sigmas, latent, NoiseSource(2), ctx).samples;
        const double mean = out.mean().item<double>(), sd = out.std().item<double>();
        std::printf("  %-5s %-16s mean %.4f std %.4f\n", sampling->parameterization().c_str(), name.c_str(), mean, sd);
        QVERIFY2(std::abs(mean - kMu) < 5 * kS / std::sqrt(n), name.c_str());
        QVERIFY2(std::abs(sd - kS) < bias + 5 * kS / std::sqrt(2 * n), name.c_str());
      }
    }
  }

  void ddpm_ddim_eta1_and_euler_ancestral_are_the_same_posterior_step() {
    // All three take the DDPM posterior step (Ho et al. eq. 7) when eta = 1, in VP and in
    // flow frames, so with the same seed they produce the same samples.
    for (auto sampling : {vp(), flow()}) {
      auto model = gaussian_model({1, 4, 4}, kMu, kS, sampling);
      BasicGuider g(model, {});
      const auto sigmas = scheduler_sigmas(sampling->parameterization() == "flow" ? "flow" : "karras",
                                           *sampling, 12);
      const auto latent = at::zeros({2, 1, 4, 4}, at::kDouble);
      auto sample = [&](const std::string& name) {
        ng::BasicContext ctx;
        return sample_latent(*make_sampler(name, eta_one()), g, sigmas, latent, NoiseSource(5), ctx).samples;
      };
      const auto a = sample("ddpm"), b = sample("ddim"), c = sample("euler_ancestral");
      QVERIFY2(max_abs(a - b) < 1e-9, sampling->parameterization().c_str());
      QVERIFY2(max_abs(a - c) < 1e-9, sampling->parameterization().c_str());
    }
  }

  void point_set_samples_land_on_data_points() {
    std::vector<MixtureComponent> pts;
    for (auto [px, py] : {std::pair{-1.0, 0.0}, std::pair{1.0, 1.0}, std::pair{0.5, -1.5}})
      pts.push_back({at::tensor({px, py}, at::kDouble).view({2, 1, 1}), 0.0, 1.0, -1});
    auto model = std::make_shared<MixtureDenoiser>(pts, vp());
    BasicGuider g(model, {});
    const auto sigmas = karras_sigmas(40, 0.002, model->sampling().sigma_max());
    const auto latent = at::zeros({64, 2, 1, 1}, at::kDouble);
    for (const std::string name : {"euler", "dpmpp_2m", "euler_ancestral"}) {
      ng::BasicContext ctx;
      const auto out = sample_latent(*make_sampler(name), g, sigmas, latent, NoiseSource(1), ctx).samples.view({64, 2});
      const auto centres = at::stack({pts[0].mean.view({2}), pts[1].mean.view({2}), pts[2].mean.view({2})});
      const auto dist = at::cdist(out, centres);  // [64,3]
      const auto [nearest, which] = dist.min(1);
      // Points are >= 1.8 apart; a sample within 0.01 of one has clearly chosen it.
      QVERIFY2(nearest.max().item<double>() < 1e-2, name.c_str());
      // Equal weights: every point is chosen (P(miss) = 3 (2/3)^64 ~ 1e-11).
      for (int k = 0; k < 3; ++k) QVERIFY((which == k).any().item<bool>());
    }
  }

  void noise_is_independent_of_batch_layout() {
    const auto like4 = at::zeros({4, 2, 3, 3}), like1 = at::zeros({1, 2, 3, 3});
    QVERIFY(NoiseSource(10).initial(like4)[2].equal(NoiseSource(12).initial(like1)[0]));
    auto s4 = NoiseSource(10).stream(4), s1 = NoiseSource(12).stream(1);
    s4->next(like4);
    s1->next(like1);
    QVERIFY(s4->next(like4)[2].equal(s1->next(like1)[0]));
    QVERIFY(!NoiseSource(10).initial(like1).equal(NoiseSource(11).initial(like1)));
    // End to end with a stochastic sampler.
    auto model = gaussian_model({2, 3, 3}, kMu, kS, vp());
    BasicGuider g(model, {});
    const auto sigmas = karras_sigmas(8, 0.01, 80.0);
    ng::BasicContext ctx;
    const auto sampler = make_sampler("euler_ancestral");
    const auto a = sample_latent(*sampler, g, sigmas, like4, NoiseSource(10), ctx).samples;
    const auto b = sample_latent(*sampler, g, sigmas, like1, NoiseSource(12), ctx).samples;
    QVERIFY(max_abs(a[2] - b[0]) < 1e-6);  // float32 rounding may differ in batched reductions
    const auto c = sample_latent(*sampler, g, sigmas, like4, NoiseSource(10), ctx).samples;
    QVERIFY(a.equal(c));  // same seed, same bytes
  }

  void cancellation_stops_within_one_step() {
    auto counting = std::make_shared<CountingDenoiser>(gaussian_model({1, 4, 4}, kMu, kS, vp()));
    BasicGuider g(counting, {});
    const auto sigmas = karras_sigmas(20, 0.01, 80.0);
    for (const std::string name : {"euler", "heun", "dpmpp_2m_sde"}) {
      counting->calls = 0;
      CancellingContext ctx;
      ctx.cancel_after = 3;
      bool cancelled = false;
      try {
        make_sampler(name)->sample(g, sigmas, at::randn({1, 1, 4, 4}) * 80.0, NoiseSource(0), ctx);
      } catch (const ng::Cancelled&) {
        cancelled = true;
      }
      QVERIFY2(cancelled, name.c_str());
      QCOMPARE(ctx.last_step, 3);
      // No model call after the step that saw the cancel: 3 steps, at most 2 calls each.
      QVERIFY2(counting->calls <= 6, name.c_str());
    }
  }

  void every_step_reports_progress_with_a_preview() {
    auto model = gaussian_model({1, 4, 4}, kMu, kS, vp());
    BasicGuider g(model, {});
    struct Recorder : ng::BasicContext {
      void report_step(int step, int total, const at::Tensor& preview) override {
        steps.push_back(step);
        QCOMPARE(total, 5);
        QVERIFY(preview.defined());
      }
      std::vector<int> steps;
    } ctx;
    make_sampler("heun")->sample(g, karras_sigmas(5, 0.01, 80.0), at::randn({1, 1, 4, 4}) * 80.0, NoiseSource(0), ctx);
    QCOMPARE(ctx.steps, (std::vector<int>{1, 2, 3, 4, 5}));
  }

  void inpainting_keeps_the_unmasked_region() {
    auto model = gaussian_model({1, 8, 8}, kMu, kS, vp());
    BasicGuider g(model, {});
    const auto latent = at::full({2, 1, 8, 8}, 2.0);  // far from the data mean
    auto mask = at::zeros({1, 1, 8, 8});
    mask.slice(3, 4).fill_(1.0);  // regenerate the right half
    ng::BasicContext ctx;
    for (const std::string name : {"euler", "dpmpp_2m_sde", "lms"}) {
      const auto r = sample_latent(*make_sampler(name), g, karras_sigmas(10, 0.01, 80.0), latent,
                                   NoiseSource(4), ctx, mask);
      QVERIFY2(r.samples.slice(3, 0, 4).equal(latent.slice(3, 0, 4)), name.c_str());
      // The regenerated half follows the data (mean 0.5), not the input (2.0).
      QVERIFY2(std::abs(r.samples.slice(3, 4).mean().item<double>() - kMu) < 0.5, name.c_str());
    }
  }

  void flow_samplers_solve_the_rectified_flow_ode() {
    // Flow model, data N(mu, s^2): the ODE maps x(1) = z to x0 = mu + s z exactly. Measured
    // with 60 linear-in-t steps: Euler/DDIM 3.8e-2, Heun 6.9e-4, LMS 5.7e-5; tolerances are
    // 1.3x those. Doubling to 120 steps must halve Euler's error and quarter Heun's.
    auto model = gaussian_model({1, 4, 4}, kMu, kS, flow());
    BasicGuider g(model, {});
    auto gen = at::detail::createCPUGenerator(9);
    const auto z = at::randn({4, 1, 4, 4}, gen, at::kDouble);
    const auto want = kMu + kS * z;
    auto error = [&](const std::string& name, int64_t n) {
      return max_abs(run(name, g, flow_sigmas(n).to(at::kDouble), z, 0, deterministic()).samples - want);
    };
    for (const auto& [name, tol] : std::vector<std::pair<std::string, double>>{
             {"euler", 5e-2}, {"ddim", 5e-2}, {"heun", 9e-4}, {"lms", 8e-5}}) {
      const double err = error(name, 60);
      std::printf("  flow %-10s max error %.2e\n", name.c_str(), err);
      QVERIFY2(err < tol, name.c_str());
    }
    const double euler_ratio = error("euler", 60) / error("euler", 120);
    const double heun_ratio = error("heun", 60) / error("heun", 120);
    QVERIFY(euler_ratio > 1.8 && euler_ratio < 2.2);
    QVERIFY(heun_ratio > 3.5 && heun_ratio < 4.6);
  }

  void bad_sampler_requests_are_rejected() {
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_sampler("dpm_fast"));
    SamplerOptions o;
    o.order = 7;
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_sampler("lms", o));
    auto model = gaussian_model({1, 2, 2}, kMu, kS, vp());
    BasicGuider g(model, {});
    QVERIFY_THROWS_EXCEPTION(ng::Error, run("euler", g, at::tensor({1.0f, NAN}), at::zeros({1, 1, 2, 2})));
  }
};

QTEST_GUILESS_MAIN(TestSamplers)
#include "test_samplers.moc"
