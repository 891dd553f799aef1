// Training schedules, model sampling and inference schedules: closed forms and conventions.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <QtTest/QtTest>

#include <cmath>
#include <thread>

#include "noisegraph/diffusion/forward.hpp"
#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"

using namespace ng::diffusion;

namespace {

double at_(const at::Tensor& t, int64_t i) { return t[i].item<double>(); }

std::vector<double> values(const at::Tensor& t) {
  auto d = t.to(at::kDouble).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

// abar_i recomputed independently as a product of (1 - beta_j) in long double.
double product_abar(const std::function<long double(int64_t)>& beta, int64_t i) {
  long double p = 1.0L;
  for (int64_t j = 0; j <= i; ++j) p *= 1.0L - beta(j);
  return double(p);
}

}  // namespace

class TestSchedules : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(int(std::thread::hardware_concurrency())); }

  void alphas_cumprod_match_closed_forms_for_every_beta_schedule() {
    const int64_t T = 1000;
    const long double b0 = 1e-4L, b1 = 0.02L;
    std::map<std::string, std::function<long double(int64_t)>> beta = {
        {"linear", [&](int64_t j) { return b0 + (b1 - b0) * j / (T - 1); }},
        {"scaled_linear", [&](int64_t j) {
           const long double r = std::sqrt(b0) + (std::sqrt(b1) - std::sqrt(b0)) * j / (T - 1);
           return r * r; }},
        {"sigmoid", [&](int64_t j) {
           const long double z = -6.0L + 12.0L * j / (T - 1);
           return b0 + (b1 - b0) / (1.0L + std::exp(-z)); }},
    };
    for (const auto& [kind, fn] : beta) {
      const auto abar = alphas_cumprod(make_betas(kind, T, double(b0), double(b1)));
      QCOMPARE(abar.scalar_type(), at::kDouble);
      for (int64_t i : {int64_t(0), int64_t(1), int64_t(499), T - 1}) {
        const double want = product_abar(fn, i);
        // float64 cumprod over <= 1000 factors: relative error ~1e-13; 1e-10 is generous.
        QVERIFY2(std::abs(at_(abar, i) - want) <= 1e-10 * want, (kind + " index " + std::to_string(i)).c_str());
      }
    }
    // Known value: DDPM's linear schedule ends at abar ~ 4.036e-5 (Ho et al. 2020 setting).
    QVERIFY(std::abs(at_(alphas_cumprod(make_betas("linear", T, 1e-4, 0.02)), T - 1) - 4.0358e-5) < 1e-8);
  }

  void cosine_schedule_follows_nichol_dhariwal_formula() {
    const int64_t T = 1000;
    const auto abar = alphas_cumprod(make_betas("cosine", T));
    auto f = [&](double t) { double c = std::cos((t / T + 0.008) / 1.008 * M_PI / 2); return c * c; };
    // The product telescopes to f(i+1)/f(0) wherever the 0.999 clip is inactive (all but
    // the last few steps).
    for (int64_t i : {0, 1, 100, 500, 900, 980})
      QVERIFY2(std::abs(at_(abar, i) - f(double(i + 1)) / f(0.0)) < 1e-12, std::to_string(i).c_str());
    const auto betas = make_betas("cosine", T);
    QVERIFY(betas.max().item<double>() <= 0.999 + 1e-15);
    QCOMPARE(betas[-1].item<double>(), 0.999);  // clipped at the end
  }

  void bad_schedule_input_is_rejected() {
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_betas("quadratic", 100));
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_betas("linear", 1));
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_betas("linear", 100, 0.0, 0.02));
    QVERIFY_THROWS_EXCEPTION(ng::Error, make_betas_from_list({0.1, 1.5}));
    QVERIFY_THROWS_EXCEPTION(ng::Error, DiscreteVPSampling(at::tensor({0.5, 0.9}), Prediction::Epsilon));
  }

  void vp_sigma_range_matches_stable_diffusion() {
    // Widely quoted SD 1.x range: sigma_min 0.0292, sigma_max 14.6146.
    DiscreteVPSampling vp(alphas_cumprod(make_betas("scaled_linear", 1000)), Prediction::Epsilon);
    QVERIFY(std::abs(vp.sigma_min() - 0.0292) < 1e-4);
    QVERIFY(std::abs(vp.sigma_max() - 14.6146) < 1e-4);
  }

  void sigma_and_timestep_round_trip() {
    DiscreteVPSampling vp(alphas_cumprod(make_betas("linear", 1000, 1e-4, 0.02)), Prediction::Epsilon);
    const auto t = at::tensor({0.0, 0.25, 1.0, 17.5, 500.0, 998.9, 999.0}, at::kDouble);
    const auto back = vp.timestep(vp.sigma_at(t));
    QVERIFY((back - t).abs().max().item<double>() < 1e-9);
    // Integer timesteps map to the table entries exactly.
    const auto idx = at::tensor({0.0, 10.0, 999.0}, at::kDouble);
    QVERIFY((vp.sigma_at(idx) - vp.sigmas().index_select(0, idx.to(at::kLong))).abs().max().item<double>() < 1e-12);
    // float32 in -> float32 out, and out-of-range sigmas clamp to the ends.
    const auto s32 = at::tensor({1e-6f, 1.0f, 1e4f});
    const auto t32 = vp.timestep(s32);
    QCOMPARE(t32.scalar_type(), at::kFloat);
    QCOMPARE(t32[0].item<double>(), 0.0);
    QCOMPARE(t32[2].item<double>(), 999.0);
    FlowSampling flow(3.0);
    const auto st = at::tensor({0.0, 0.3, 1.0}, at::kDouble);
    QVERIFY((flow.sigma_at(flow.timestep(st)) - st).abs().max().item<double>() < 1e-12);
    QCOMPARE(flow.timestep(st)[1].item<double>(), 300.0);
    QVERIFY(std::abs(flow.shifted(0.5) - 0.75) < 1e-12);  // 3*0.5/(1+2*0.5)
  }

  void vp_parameterizations_recover_x0() {
    at::manual_seed(1);
    const auto x0 = at::randn({3, 2, 4, 4}, at::kDouble), eps = at::randn({3, 2, 4, 4}, at::kDouble);
    const auto sigma = at::tensor({0.1, 1.0, 7.0}, at::kDouble);
    const auto sb = sigma.view({3, 1, 1, 1});
    const auto x = x0 + sb * eps;                   // sampler space
    const auto alpha = 1.0 / (1.0 + sb * sb).sqrt(), std = sb * alpha;  // VP coefficients
    const auto abar = alphas_cumprod(make_betas("linear", 1000, 1e-4, 0.02));
    for (auto [p, out] : {std::pair{Prediction::Epsilon, eps}, std::pair{Prediction::X0, x0},
                          std::pair{Prediction::V, alpha * eps - std * x0}}) {
      DiscreteVPSampling vp(abar, p);
      QVERIFY((vp.denoised(sigma, out, x) - x0).abs().max().item<double>() < 1e-12);
      // The network sees x_t = sqrt(abar) x0 + sqrt(1 - abar) eps.
      QVERIFY((vp.scale_input(sigma, x) - (alpha * x0 + std * eps)).abs().max().item<double>() < 1e-12);
      QVERIFY((vp.noise_scaling(sigma, eps, x0) - x).abs().max().item<double>() < 1e-12);
    }
    FlowSampling flow;
    const auto t = at::tensor({0.1, 0.5, 1.0}, at::kDouble);
    const auto xt = flow_sample(x0, t, eps);
    QVERIFY((flow.noise_scaling(t, eps, x0) - xt).abs().max().item<double>() < 1e-12);
    QVERIFY((flow.denoised(t, eps - x0, xt) - x0).abs().max().item<double>() < 1e-12);
    QVERIFY(flow.scale_input(t, xt).equal(xt));
  }

  void forward_process_has_the_closed_form_mean_and_variance() {
    const auto abar = alphas_cumprod(make_betas("linear", 1000, 1e-4, 0.02));
    const int64_t n = 200000;
    auto gen = at::detail::createCPUGenerator(7);
    const auto x0 = at::full({n, 1, 1, 1}, 0.8, at::kDouble);
    for (int64_t t : {0, 100, 500, 999}) {
      const auto noise = at::randn({n, 1, 1, 1}, gen, at::kDouble);
      const auto xt = q_sample(x0, abar, at::full({n}, t, at::kLong), noise);
      const double a = at_(abar, t), mean = xt.mean().item<double>(), var = xt.var().item<double>();
      // 5 standard errors: SE(mean) = sqrt((1-a)/n), SE(var) ~ (1-a) sqrt(2/n).
      QVERIFY2(std::abs(mean - std::sqrt(a) * 0.8) < 5 * std::sqrt((1 - a) / n), std::to_string(t).c_str());
      QVERIFY2(std::abs(var - (1 - a)) < 5 * (1 - a) * std::sqrt(2.0 / n) + 1e-12, std::to_string(t).c_str());
      // The same sample addressed by sigma.
      const double s = std::sqrt((1 - a) / a);
      QVERIFY((q_sample_sigma(x0, at::scalar_tensor(s, at::kDouble), noise) - xt).abs().max().item<double>() < 1e-9);
    }
    QVERIFY_THROWS_EXCEPTION(ng::Error, q_sample(x0, abar, at::full({n}, 1000, at::kLong), x0));
  }

  void karras_and_exponential_follow_their_formulas() {
    const auto k = values(karras_sigmas(5, 0.1, 10.0, 7.0));
    QCOMPARE(k.size(), size_t(6));
    QCOMPARE(k.back(), 0.0);
    QVERIFY(std::abs(k[0] - 10.0) < 1e-5 && std::abs(k[4] - 0.1) < 1e-6);
    const double a = std::pow(10.0, 1 / 7.0), b = std::pow(0.1, 1 / 7.0);
    QVERIFY(std::abs(k[2] - std::pow(a + 0.5 * (b - a), 7.0)) < 1e-5);  // Karras eq. 5, i = 2 of 5
    const auto e = values(exponential_sigmas(5, 0.1, 10.0));
    QVERIFY(std::abs(e[2] - 1.0) < 1e-6);  // geometric midpoint of 0.1 and 10
    for (size_t i = 0; i + 1 < e.size(); ++i) QVERIFY(e[i] > e[i + 1]);
  }

  void uniform_spacings_pick_the_documented_timesteps() {
    DiscreteVPSampling vp(alphas_cumprod(make_betas("scaled_linear", 1000)), Prediction::Epsilon);
    const auto table = vp.sigmas();
    auto expect = [&](TimestepSpacing sp, std::vector<int64_t> ts, int64_t offset) {
      const auto s = values(uniform_sigmas(vp, int64_t(ts.size()), sp, offset));
      QCOMPARE(s.size(), ts.size() + 1);
      QCOMPARE(s.back(), 0.0);
      for (size_t i = 0; i < ts.size(); ++i)
        QVERIFY2(std::abs(s[i] - float(at_(table, ts[i]))) < 1e-6 * s[i], std::to_string(ts[i]).c_str());
    };
    // Lin et al. 2023, table 2, T = 1000, 10 steps.
    expect(TimestepSpacing::Linspace, {999, 888, 777, 666, 555, 444, 333, 222, 111, 0}, 0);
    expect(TimestepSpacing::Leading, {901, 801, 701, 601, 501, 401, 301, 201, 101, 1}, 1);
    expect(TimestepSpacing::Trailing, {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, 0);
  }

  void table_schedules_span_the_model_range() {
    DiscreteVPSampling vp(alphas_cumprod(make_betas("scaled_linear", 1000)), Prediction::Epsilon);
    for (const auto& name : scheduler_names()) {
      if (name == "flow") continue;
      const auto s = values(scheduler_sigmas(name, vp, 8));
      QCOMPARE(s.size(), size_t(9));
      QCOMPARE(s.back(), 0.0);
      for (size_t i = 0; i + 1 < s.size(); ++i) QVERIFY2(s[i] > s[i + 1], name.c_str());
      QVERIFY2(s[0] <= vp.sigma_max() * (1 + 1e-6) && s[0] > 0.5 * vp.sigma_max(), name.c_str());
    }
    // simple: every T/n-th table entry from the top.
    const auto simple = values(simple_sigmas(vp, 4));
    QVERIFY(std::abs(simple[1] - at_(vp.sigmas(), 749)) < 1e-5);
    // sgm_uniform: evenly spaced in timestep from 999, dropping the last of n+1.
    const auto sgm = values(sgm_uniform_sigmas(vp, 4));
    QVERIFY(std::abs(sgm[3] - vp.sigma_at(at::scalar_tensor(249.75, at::kDouble)).item<double>()) < 1e-5);
    QVERIFY_THROWS_EXCEPTION(ng::Error, scheduler_sigmas("flow", vp, 4));
  }

  void flow_schedule_is_linear_in_t_with_shift() {
    const auto s = values(flow_sigmas(4, 1.0));
    const std::vector<double> want = {1.0, 0.75, 0.5, 0.25, 0.0};
    for (size_t i = 0; i < want.size(); ++i) QVERIFY(std::abs(s[i] - want[i]) < 1e-7);
    const auto sh = values(flow_sigmas(4, 3.0));
    QVERIFY(std::abs(sh[2] - 0.75) < 1e-7);  // 3*0.5 / (1 + 2*0.5)
    FlowSampling flow(3.0);
    const auto via_model = values(scheduler_sigmas("flow", flow, 4));
    QVERIFY(std::abs(via_model[2] - 0.75) < 1e-7);
  }

  void denoise_strength_runs_the_last_n_steps_of_a_longer_schedule() {
    DiscreteVPSampling vp(alphas_cumprod(make_betas("scaled_linear", 1000)), Prediction::Epsilon);
    const auto full = karras_sigmas(20, vp.sigma_min(), vp.sigma_max());
    const auto part = scheduler_sigmas("karras", vp, 10, 0.5);
    QCOMPARE(part.size(0), int64_t(11));
    QVERIFY(part.equal(full.slice(0, 10)));
    QVERIFY(scheduler_sigmas("karras", vp, 10, 1.0).equal(karras_sigmas(10, vp.sigma_min(), vp.sigma_max())));
    QCOMPARE(scheduler_sigmas("karras", vp, 10, 0.1).size(0), int64_t(11));  // 100-step schedule, not 99
    const auto none = scheduler_sigmas("karras", vp, 10, 0.0);
    QCOMPARE(none.size(0), int64_t(1));
    QCOMPARE(none[0].item<double>(), 0.0);
    QVERIFY_THROWS_EXCEPTION(ng::Error, scheduler_sigmas("karras", vp, 10, 1.5));
  }

  void split_flip_and_concat_compose() {
    const auto s = karras_sigmas(6, 0.1, 10.0);
    const auto [a, b] = split_sigmas(s, 2);
    QCOMPARE(a.size(0), int64_t(3));
    QCOMPARE(b.size(0), int64_t(5));
    QCOMPARE(a[-1].item<double>(), b[0].item<double>());
    QVERIFY(concat_sigmas(a, b).equal(s));
    const auto f = flip_sigmas(s);
    QCOMPARE(f[0].item<double>(), double(1e-4f));
    QCOMPARE(f[-1].item<double>(), s[0].item<double>());
    QVERIFY_THROWS_EXCEPTION(ng::Error, split_sigmas(s, 7));
    QVERIFY_THROWS_EXCEPTION(ng::Error, check_sigmas(at::tensor({1.0, -1.0})));
  }
};

QTEST_GUILESS_MAIN(TestSchedules)
#include "test_schedules.moc"
