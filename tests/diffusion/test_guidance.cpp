// Guiders against closed forms on exact class-conditional Gaussian models: CFG, rescale,
// sigma interval, composition, regions, timestep ranges, classifier guidance.
#include <QtTest/QtTest>

#include <cmath>
#include <cstdio>

#include "helpers.hpp"
#include "noisegraph/error.hpp"

using namespace ngt;

namespace {

constexpr double kM = 1.0, kS = 0.5;  // class 0 ~ N(-1, 0.25), class 1 ~ N(+1, 0.25)

// D of the model for every row conditioned on one class (-1 = unconditional).
at::Tensor denoise_class(ng::Denoiser& m, const at::Tensor& x, double sigma, int64_t k) {
  ng::DenoiserCondition c;
  c.class_ids = at::full({x.size(0)}, k, at::kLong);
  return m.denoise(x, at::full({x.size(0)}, sigma, x.options()), c);
}

at::Tensor sigma_of(const at::Tensor& x, double s) { return at::full({x.size(0)}, s, x.options()); }

at::Tensor test_x(int64_t b = 3, int64_t size = 4) {
  auto gen = at::detail::createCPUGenerator(21);
  return at::randn({b, 1, size, size}, gen, at::kDouble) * 2.0;
}

}  // namespace

class TestGuidance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { use_all_cores(); }

  void cfg_scale_one_equals_the_conditional_prediction_exactly() {
    auto model = two_class_model({1, 4, 4}, kM, kS, vp());
    const auto x = test_x();
    CFGOptions o;
    o.cfg = 1.0;
    CFGGuider cfg(model, {class_entry(1)}, {}, o);
    const auto d = cfg.predict(x, sigma_of(x, 1.3), {});
    QVERIFY(d.equal(denoise_class(*model, x, 1.3, 1)));
  }

  void cfg_matches_the_closed_form_and_batches_both_branches() {
    auto counting = std::make_shared<CountingDenoiser>(two_class_model({1, 4, 4}, kM, kS, vp()));
    const auto x = test_x();
    CFGOptions o;
    o.cfg = 3.0;
    CFGGuider cfg(counting, {class_entry(1)}, {}, o);
    const auto d = cfg.predict(x, sigma_of(x, 1.3), {});
    QCOMPARE(counting->calls, 1);     // one batched call ...
    QCOMPARE(counting->rows, int64_t(6));  // ... with the conditional and unconditional rows
    const auto dc = denoise_class(*counting, x, 1.3, 1), du = denoise_class(*counting, x, 1.3, -1);
    QVERIFY(max_abs(d - (du + 3.0 * (dc - du))) < 1e-12);
    // A negative prompt replaces the unconditional branch.
    CFGGuider neg(counting, {class_entry(1)}, {class_entry(0)}, o);
    const auto d0 = denoise_class(*counting, x, 1.3, 0);
    QVERIFY(max_abs(neg.predict(x, sigma_of(x, 1.3), {}) - (d0 + 3.0 * (dc - d0))) < 1e-12);
  }

  void prompt_rows_guide_each_group_of_images_by_its_own_prompt() {
    // Two prompt rows on a batch of 4: images 0-1 follow row 0 (class 0), images 2-3 row 1
    // (class 1), each exactly as a run with that prompt alone (closed form per class).
    auto model = two_class_model({1, 4, 4}, kM, kS, vp());
    const auto x = test_x(4);
    CFGOptions o;
    o.cfg = 3.0;
    ng::Conditioning rows{class_entry(0), class_entry(1)};
    rows[0].row = 0;
    rows[1].row = 1;
    CFGGuider guider(model, rows, {}, o);
    const auto d = guider.predict(x, sigma_of(x, 1.3), {});
    const auto du = denoise_class(*model, x, 1.3, -1);
    const auto d0 = denoise_class(*model, x, 1.3, 0), d1 = denoise_class(*model, x, 1.3, 1);
    QVERIFY(max_abs(d.narrow(0, 0, 2) - (du + 3.0 * (d0 - du)).narrow(0, 0, 2)) < 1e-12);
    QVERIFY(max_abs(d.narrow(0, 2, 2) - (du + 3.0 * (d1 - du)).narrow(0, 2, 2)) < 1e-12);
    // Bit for bit what one prompt per sampler computes: rows do not depend on their neighbours.
    CFGGuider alone(model, {class_entry(1)}, {}, o);
    const auto x23 = x.narrow(0, 2, 2);
    QVERIFY(d.narrow(0, 2, 2).equal(alone.predict(x23, sigma_of(x23, 1.3), {})));
    // An entry without a row applies to every group (here: the negative prompt).
    CFGGuider with_negative(model, rows, {class_entry(1)}, o);
    const auto dn = with_negative.predict(x, sigma_of(x, 1.3), {});
    QVERIFY(max_abs(dn.narrow(0, 0, 2) - (d1 + 3.0 * (d0 - d1)).narrow(0, 0, 2)) < 1e-12);
    // A batch that does not split evenly, and lists with different row counts, are refused.
    const auto x3 = test_x(3);
    QVERIFY_EXCEPTION_THROWN(guider.predict(x3, sigma_of(x3, 1.3), {}), ng::Error);
    ng::Conditioning three{class_entry(0), class_entry(1), class_entry(0)};
    for (int k = 0; k < 3; ++k) three[size_t(k)].row = k;
    CFGGuider mismatched(model, rows, three, o);
    QVERIFY_EXCEPTION_THROWN(mismatched.predict(test_x(6), sigma_of(test_x(6), 1.3), {}), ng::Error);
  }

  void cfg_pushes_samples_beyond_the_conditional_mean_as_the_closed_form_predicts() {
    // Conditional data N(1, 0.25), unconditional N(0, 1.25) (one Gaussian each). Then the CFG
    // prediction is affine in x, D_w = a(sigma) x + b(sigma), and so is the PF-ODE's map
    // x(0) = phi x(sigma_max) + psi. phi and psi come from an independent fine RK4
    // integration of the scalar ODEs; w = 1 gives the conditional map (mean 1), w > 1
    // extrapolates past it.
    const double mc = 1.0, vc = 0.25, mu = 0.0, vu = 1.25;
    auto model = std::make_shared<TwoGaussianDenoiser>(mc, vc, mu, vu, vp());
    const auto sigmas = karras_sigmas(60, 0.01, model->sampling().sigma_max());
    const double smax = sigmas[0].item<double>();
    auto reference = [&](double w) {
      auto a = [&](double s) { return (1 - w) * vu / (vu + s * s) + w * vc / (vc + s * s); };
      auto b = [&](double s) { return (1 - w) * mu * s * s / (vu + s * s) + w * mc * s * s / (vc + s * s); };
      // d phi/ds = (1 - a) phi / s, d psi/ds = ((1 - a) psi - b) / s; (1-a)/s and b/s stay
      // finite at s = 0, so a plain RK4 in s from smax down to 0 is accurate.
      auto f = [&](double s, double phi, double psi, double& dphi, double& dpsi) {
        const double k = s > 0 ? (1 - a(s)) / s : 0.0, c = s > 0 ? b(s) / s : 0.0;
        dphi = k * phi;
        dpsi = k * psi - c;
      };
      const int n = 200000;
      const double h = -smax / n;
      double phi = 1, psi = 0;
      for (int i = 0; i < n; ++i) {
        const double s = smax + i * h;
        double k1a, k1b, k2a, k2b, k3a, k3b, k4a, k4b;
        f(s, phi, psi, k1a, k1b);
        f(s + h / 2, phi + h / 2 * k1a, psi + h / 2 * k1b, k2a, k2b);
        f(s + h / 2, phi + h / 2 * k2a, psi + h / 2 * k2b, k3a, k3b);
        f(s + h, phi + h * k3a, psi + h * k3b, k4a, k4b);
        phi += h / 6 * (k1a + 2 * k2a + 2 * k3a + k4a);
        psi += h / 6 * (k1b + 2 * k2b + 2 * k3b + k4b);
      }
      return std::pair{phi, psi};
    };
    auto gen = at::detail::createCPUGenerator(5);
    const auto x = at::randn({4, 1, 4, 4}, gen, at::kDouble) * smax;
    std::map<double, double> psi_of;  // mean of x(0), as x(sigma_max) has mean 0
    for (double w : {1.0, 3.0}) {
      CFGOptions o;
      o.cfg = w;
      CFGGuider g(model, {class_entry(1)}, {}, o);
      ng::BasicContext ctx;
      const auto out = make_sampler("lms")->sample(g, sigmas.to(at::kDouble), x, NoiseSource(0), ctx).samples;
      const auto [phi, psi] = reference(w);
      psi_of[w] = psi;
      const double err = max_abs(out - (phi * x + psi));
      std::printf("  cfg %.0f: phi %.5f psi %.5f, sampler error %.2e\n", w, phi, psi, err);
      // LMS with 60 Karras steps is within 1.3e-3 of the exact map on Gaussians
      // (test_diffusion_samplers); 5e-3 allows for the steeper guided trajectory.
      QVERIFY(err < 5e-3);
      if (w == 1.0) QVERIFY(std::abs(psi - mc * (1 - phi)) < 1e-6);  // the conditional map exactly
    }
    QVERIFY(psi_of[3.0] > mc + 0.1);             // w = 3: beyond it, away from the unconditional mean
  }

  void guidance_rescale_matches_the_conditional_std() {
    auto model = two_class_model({1, 4, 4}, kM, kS, vp());
    const auto x = test_x();
    const double s = 2.0;
    CFGOptions o;
    o.cfg = 5.0;
    const auto plain = CFGGuider(model, {class_entry(1)}, {}, o).predict(x, sigma_of(x, s), {});
    o.rescale = 1.0;
    const auto full = CFGGuider(model, {class_entry(1)}, {}, o).predict(x, sigma_of(x, s), {});
    o.rescale = 0.5;
    const auto half = CFGGuider(model, {class_entry(1)}, {}, o).predict(x, sigma_of(x, s), {});
    // v in the VP-normalised frame (alpha = 1): v = (eps - s x0) / sqrt(1 + s^2).
    auto velocity = [&](const at::Tensor& d) { return ((x - d) / s - s * d) / std::sqrt(1 + s * s); };
    const auto dc = denoise_class(*model, x, s, 1);
    const auto std_c = velocity(dc).flatten(1).std(1), std_full = velocity(full).flatten(1).std(1);
    QVERIFY(max_abs(std_c - std_full) < 1e-10);  // phi = 1: std matched per sample
    // phi blends linearly in v, and v is affine in x0, so x0 blends linearly too.
    QVERIFY(max_abs(half - 0.5 * (full + plain)) < 1e-10);
  }

  void sigma_interval_switches_guidance_off_outside_it() {
    auto counting = std::make_shared<CountingDenoiser>(two_class_model({1, 4, 4}, kM, kS, vp()));
    const auto x = test_x();
    CFGOptions o;
    o.cfg = 4.0;
    o.sigma_low = 0.5;
    o.sigma_high = 3.0;
    CFGGuider g(counting, {class_entry(1)}, {}, o);
    const auto outside = g.predict(x, sigma_of(x, 5.0), {});
    QCOMPARE(counting->rows, int64_t(3));  // the unconditional branch is not even evaluated
    QVERIFY(outside.equal(denoise_class(*counting, x, 5.0, 1)));
    const auto inside = g.predict(x, sigma_of(x, 1.0), {});
    const auto dc = denoise_class(*counting, x, 1.0, 1), du = denoise_class(*counting, x, 1.0, -1);
    QVERIFY(max_abs(inside - (du + 4.0 * (dc - du))) < 1e-12);
  }

  void composable_guidance_follows_liu_et_al() {
    auto counting = std::make_shared<CountingDenoiser>(two_class_model({1, 4, 4}, kM, kS, vp()));
    const auto x = test_x();
    auto a = class_entry(0), b = class_entry(1);
    a.strength = 2.0;
    b.strength = -1.0;  // NOT class 1
    ComposableGuider g(counting, {a, b}, {});
    const auto d = g.predict(x, sigma_of(x, 0.8), {});
    QCOMPARE(counting->calls, 1);
    QCOMPARE(counting->rows, int64_t(9));  // two terms + unconditional, batched
    const auto d0 = denoise_class(*counting, x, 0.8, 0), d1 = denoise_class(*counting, x, 0.8, 1),
               du = denoise_class(*counting, x, 0.8, -1);
    QVERIFY(max_abs(d - (du + 2.0 * (d0 - du) - 1.0 * (d1 - du))) < 1e-12);
    // Plain CFG refuses negative strengths with a hint.
    try {
      CFGGuider(counting, {b}, {}, {}).predict(x, sigma_of(x, 0.8), {});
      QFAIL("negative strength accepted by cfg");
    } catch (const ng::Error& e) {
      QVERIFY(QString(e.what()).contains("guidance.compose"));
    }
  }

  void regional_entries_predict_inside_their_area() {
    auto counting = std::make_shared<CountingDenoiser>(two_class_model({1, 8, 8}, kM, kS, vp()));
    counting->scale = 2;  // the area is given in pixels of a 16x16 image
    const auto x = test_x(2, 8);
    auto left = class_entry(0), right = class_entry(1);
    left.area = ng::Area{0, 0, 8, 16};
    right.area = ng::Area{8, 0, 8, 16};
    BasicGuider g(counting, {left, right});
    const auto d = g.predict(x, sigma_of(x, 0.7), {});
    QCOMPARE(counting->calls, 1);
    const auto d0 = denoise_class(*counting, x, 0.7, 0), d1 = denoise_class(*counting, x, 0.7, 1);
    QVERIFY(max_abs(d.slice(3, 0, 4) - d0.slice(3, 0, 4)) < 1e-12);
    QVERIFY(max_abs(d.slice(3, 4) - d1.slice(3, 4)) < 1e-12);
    // A soft mask of 0.5 mixes the entry half and half with the unconditional prediction.
    auto soft = class_entry(1);
    soft.mask = at::full({1, 1, 16, 16}, 0.5);
    const auto ds = BasicGuider(counting, {soft}).predict(x, sigma_of(x, 0.7), {});
    const auto du = denoise_class(*counting, x, 0.7, -1);
    QVERIFY(max_abs(ds - 0.5 * (d1 + du)) < 1e-6);  // mask resized in float32
  }

  void timestep_range_drops_entries_outside_it() {
    auto model = two_class_model({1, 4, 4}, kM, kS, vp());
    const auto x = test_x();
    auto late = class_entry(1);
    late.start = 0.5;  // only in the second half of the noise axis (low noise)
    BasicGuider g(model, {late});
    const auto& ms = model->sampling();
    const double high = ms.sigma_at(at::scalar_tensor(900.0, at::kDouble)).item<double>();  // fraction 0.1
    const double low = ms.sigma_at(at::scalar_tensor(100.0, at::kDouble)).item<double>();   // fraction 0.9
    QVERIFY(std::abs(noise_fraction(ms, high) - (1 - 900.0 / 999.0)) < 1e-9);
    QVERIFY(g.predict(x, sigma_of(x, high), {}).equal(denoise_class(*model, x, high, -1)));
    QVERIFY(g.predict(x, sigma_of(x, low), {}).equal(denoise_class(*model, x, low, 1)));
  }

  void classifier_gradient_matches_the_closed_form() {
    // Two equal-variance classes: grad_x log p(y | x) = alpha (m_y - sum_k p_k m_k) / tau,
    // tau = alpha^2 v + std^2 (VE: alpha = 1, std = sigma).
    auto model = two_class_model({1, 4, 4}, kM, kS, vp());
    MixtureClassifier clf(model, {});
    const auto x = test_x();
    const double s = 0.9, tau = kS * kS + s * s;
    const auto g = classifier_log_prob_grad(clf, model->sampling(), x, sigma_of(x, s), 1, false);
    const auto p = at::softmax(clf.logits(x, sigma_of(x, s)), 1);  // [B,2]
    const auto mix_mean = (p.select(1, 0) * -kM + p.select(1, 1) * kM).view({-1, 1, 1, 1});
    QVERIFY(max_abs(g - (kM - mix_mean) / tau) < 1e-12);
  }

  void classifier_guidance_at_scale_one_makes_the_unconditional_model_conditional() {
    // Tweedie: D(x | y) = D(x) + std^2/alpha grad log p(y | x), exactly, in VP and flow frames.
    for (auto sampling : {vp(), flow()}) {
      auto model = two_class_model({1, 4, 4}, kM, kS, sampling);
      auto clf = std::make_shared<MixtureClassifier>(model, std::vector<std::string>{"left", "right"});
      ClassifierGuidance g(std::make_shared<BasicGuider>(model, ng::Conditioning{}), clf, 0, 1.0, false);
      const auto x = test_x();
      for (double s : {0.3, 0.7}) {
        const auto d = g.predict(x, sigma_of(x, s), {});
        QVERIFY2(max_abs(d - denoise_class(*model, x, s, 0)) < 1e-10, sampling->parameterization().c_str());
      }
    }
  }

  void classifier_guidance_moves_samples_to_the_requested_class() {
    auto model = two_class_model({1, 8, 8}, kM, kS, vp());
    auto clf = std::make_shared<MixtureClassifier>(model, std::vector<std::string>{});
    const auto sigmas = karras_sigmas(30, 0.01, model->sampling().sigma_max());
    const auto latent = at::zeros({16, 1, 8, 8});
    auto sample_means = [&](std::shared_ptr<Guider> g) {
      ng::BasicContext ctx;
      return sample_latent(*make_sampler("heun"), *g, sigmas, latent, NoiseSource(8), ctx)
          .samples.flatten(1).mean(1);
    };
    auto uncond = std::make_shared<BasicGuider>(model, ng::Conditioning{});
    const auto free = sample_means(uncond);
    const auto guided = sample_means(std::make_shared<ClassifierGuidance>(uncond, clf, 1, 3.0, false));
    // Unguided, images fall into both classes (means near -1 or +1); guided toward class 1,
    // every image's mean is near or beyond +1.
    QVERIFY((free < 0).any().item<bool>());
    QVERIFY((guided > 0.8).all().item<bool>());
    // Classifier guidance composes with CFG.
    CFGOptions o;
    o.cfg = 2.0;
    auto both = std::make_shared<ClassifierGuidance>(
        std::make_shared<CFGGuider>(model, ng::Conditioning{class_entry(1)}, ng::Conditioning{}, o), clf, 1, 1.0, false);
    QVERIFY((sample_means(both) > 0.8).all().item<bool>());
  }
};

QTEST_GUILESS_MAIN(TestGuidance)
#include "test_guidance.moc"
