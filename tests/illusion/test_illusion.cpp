// Views and illusion guiders: exact orthogonality and inverses, refusal of non-orthogonal
// views, bit-identity with a plain CFG run, and convergence of every sampler to the one image
// that satisfies both readings of an analytic two-class model.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include "guiders.hpp"
#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/learned_variance.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "views.hpp"

using namespace ng::diffusion;
using namespace ng::illusion;

namespace {

ng::ConditioningEntry class_entry(int64_t k) {
  ng::ConditioningEntry e;
  e.class_id = k;
  return e;
}

// Class 0: points m1, m2; class 1: points flip_v(m1), m3 (sharp patterns in [-1, 1]). The only
// image that is class 0 upright and class 1 upside down is m1.
struct Puzzle {
  at::Tensor m1, m2, m3;
  std::shared_ptr<MixtureDenoiser> model;
};

Puzzle make_puzzle() {
  auto gen = ng::Context::make_generator(5);
  Puzzle p;
  p.m1 = at::sign(at::randn({1, 8, 8}, gen, at::kDouble));
  p.m2 = at::sign(at::randn({1, 8, 8}, gen, at::kDouble));
  p.m3 = at::sign(at::randn({1, 8, 8}, gen, at::kDouble));
  std::vector<MixtureComponent> comps = {{p.m1, 0.0, 1.0, 0}, {p.m2, 0.0, 1.0, 0},
                                         {p.m1.flip({1}), 0.0, 1.0, 1}, {p.m3, 0.0, 1.0, 1}};
  p.model = std::make_shared<MixtureDenoiser>(comps, default_vp_sampling());
  return p;
}

// The puzzle model with a per-pixel "learned" v that depends on position only (a ramp from
// top to bottom), so its view-averaged value is known.
class RampVarianceModel : public ng::Denoiser, public VarianceOutput {
 public:
  explicit RampVarianceModel(std::shared_ptr<MixtureDenoiser> inner) : inner_(std::move(inner)) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& s, const ng::DenoiserCondition& c) override {
    last_ = at::linspace(-1.0, 1.0, x.size(2), x.options()).view({1, 1, -1, 1}).expand(x.sizes()).contiguous();
    return inner_->denoise(x, s, c);
  }
  at::Tensor last_variance_interpolation() const override { return last_; }
  const ng::ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }
  int64_t num_classes() const override { return inner_->num_classes(); }

 private:
  std::shared_ptr<MixtureDenoiser> inner_;
  at::Tensor last_;
};

}  // namespace

class TestIllusion : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void views_are_orthogonal_with_exact_inverses() {
    for (const auto& name : view_names()) {
      for (uint64_t seed : {0u, 7u}) {
        View v(name, 6, 6, seed, 3);
        const double defect = orthogonality_defect(v, 2);
        std::printf("  %-14s seed %llu: max |A^T A - I|, |A^-1 A - I| = %g\n", name.c_str(),
                    (unsigned long long)seed, defect);
        QVERIFY2(defect == 0.0, name.c_str());
      }
    }
    // The permutations really move pixels, and different seeds differ.
    const auto x = at::arange(36, at::kDouble).view({1, 1, 6, 6});
    QVERIFY(!at::equal(View("pixel_permute", 6, 6, 1).apply(x), x));
    QVERIFY(!at::equal(View("pixel_permute", 6, 6, 1).apply(x), View("pixel_permute", 6, 6, 2).apply(x)));
    // patch_permute keeps each 3x3 tile intact: the tile holding pixel 0 still has 0,1,2 in a row.
    const auto y = View("patch_permute", 6, 6, 3, 3).apply(x).flatten();
    const auto at0 = (y == 0).nonzero()[0][0].item<int64_t>();
    QCOMPARE(y[at0 + 1].item<double>(), 1.0);
    QCOMPARE(y[at0 + 2].item<double>(), 2.0);
    // rot90 turns counter-clockwise and rot270 undoes it.
    const auto r = View("rot90", 6, 6).apply(x);
    QCOMPARE(r[0][0][5][0].item<double>(), 0.0);  // top-left goes to bottom-left
    QVERIFY(at::equal(View("rot270", 6, 6).apply(r), x));
  }

  void non_orthogonal_views_are_refused_with_the_reason() {
    for (const char* name : {"blur", "zoom", "colour_invert", "rotate", "low_pass"}) {
      try {
        View v(name, 8, 8);
        QFAIL(name);
      } catch (const ng::Error& e) {
        const std::string msg = e.what();
        std::printf("  %s\n", msg.c_str());
        QVERIFY2(msg.find("refused") != std::string::npos && msg.find("orthogonal") != std::string::npos, msg.c_str());
      }
    }
    QVERIFY_EXCEPTION_THROWN(View("sideways", 8, 8), ng::Error);
    QVERIFY_EXCEPTION_THROWN(View("rot90", 8, 6), ng::Error);          // not square
    QVERIFY_EXCEPTION_THROWN(View("patch_permute", 8, 8, 0, 3), ng::Error);  // 3 does not divide 8
    // and the guider refuses a bad view when it is made, not mid-run
    auto p = make_puzzle();
    QVERIFY_EXCEPTION_THROWN(MultiViewGuider(p.model, {{ViewSpec{"blur"}, {class_entry(0)}}}, {}, {}), ng::Error);
  }

  void identity_views_with_identical_prompts_equal_a_plain_run_bit_for_bit() {
    auto p = make_puzzle();
    CFGOptions cfg;
    cfg.cfg = 3.0;
    const auto latent = at::zeros({3, 1, 8, 8});
    for (const std::string sampler : {"ddpm", "euler", "dpmpp_2m_sde"}) {
      const auto sigmas = karras_sigmas(12, 0.02, 40.0);
      ng::BasicContext c1, c2, c3;
      CFGGuider plain(p.model, {class_entry(0)}, {}, cfg);
      MultiViewGuider one(p.model, {{ViewSpec{"identity"}, {class_entry(0)}}}, {}, cfg);
      MultiViewGuider two(p.model, {{ViewSpec{"identity"}, {class_entry(0)}}, {ViewSpec{"identity"}, {class_entry(0)}}}, {}, cfg);
      const auto a = sample_latent(*make_sampler(sampler), plain, sigmas, latent, NoiseSource(3), c1).samples;
      const auto b = sample_latent(*make_sampler(sampler), one, sigmas, latent, NoiseSource(3), c2).samples;
      const auto c = sample_latent(*make_sampler(sampler), two, sigmas, latent, NoiseSource(3), c3).samples;
      QVERIFY2(at::equal(a, b), sampler.c_str());
      QVERIFY2(at::equal(a, c), sampler.c_str());
    }
  }

  void every_sampler_lands_on_an_average_of_the_two_readings() {
    // views (identity, class 0) and (flip_v, class 1) on point masses: near sigma = 0 each
    // branch's estimate is its nearest data point, so every sampler must end on one of the
    // four averages (a + flip_v(b))/2, a in {m1, m2}, b in {flip_v(m1), m3}; (a, b) = (m1,
    // flip_v(m1)) is the one image with both readings exactly.
    auto p = make_puzzle();
    CFGOptions cfg;  // cfg 1: the exact conditional posteriors
    MultiViewGuider g(p.model, {{ViewSpec{"identity"}, {class_entry(0)}}, {ViewSpec{"flip_v"}, {class_entry(1)}}}, {}, cfg);
    std::vector<at::Tensor> ends;
    for (const auto& a : {p.m1, p.m2})
      for (const auto& b : {p.m1.flip({1}), p.m3}) ends.push_back(((a + b.flip({1})) / 2).to(at::kFloat));
    const auto latent = at::zeros({16, 1, 8, 8});
    const auto sigmas = karras_sigmas(30, 0.01, 80.0);
    for (const std::string sampler : {"euler", "heun", "lms", "ddpm", "ddim", "dpmpp_2m", "dpmpp_2m_sde", "euler_ancestral"}) {
      ng::BasicContext ctx;
      const auto out = sample_latent(*make_sampler(sampler), g, sigmas, latent, NoiseSource(9), ctx).samples;
      at::Tensor best;
      for (const auto& e : ends) {
        const auto err = (out - e.unsqueeze(0)).abs().flatten(1).amax(1);
        best = best.defined() ? at::minimum(best, err) : err;
      }
      const int64_t both = ((out - ends[0].unsqueeze(0)).abs().flatten(1).amax(1) < 0.05).sum().item<int64_t>();
      std::printf("  %-16s worst distance to an average %.3g; %lld / 16 read as both classes exactly\n",
                  sampler.c_str(), best.max().item<double>(), (long long)both);
      QVERIFY2(best.max().item<double>() < 0.05, sampler.c_str());
    }
  }

  void deterministic_samplers_are_equivariant_under_the_views() {
    // G'(x) = F G(F x) when the views' roles are swapped (F = flip_v): so the run from F z with
    // swapped views must end on F of the run from z (up to rounding of reordered sums).
    auto p = make_puzzle();
    CFGOptions cfg;
    cfg.cfg = 2.0;
    MultiViewGuider g(p.model, {{ViewSpec{"identity"}, {class_entry(0)}}, {ViewSpec{"flip_v"}, {class_entry(1)}}}, {}, cfg);
    MultiViewGuider swapped(p.model, {{ViewSpec{"flip_v"}, {class_entry(0)}}, {ViewSpec{"identity"}, {class_entry(1)}}}, {}, cfg);
    auto gen = ng::Context::make_generator(4);
    const auto sigmas = karras_sigmas(20, 0.01, 80.0);
    const auto z = at::randn({4, 1, 8, 8}, gen) * 80.0;
    for (const std::string sampler : {"euler", "heun", "dpmpp_2m", "ddim"}) {
      ng::BasicContext c1, c2;
      const auto a = make_sampler(sampler)->sample(g, sigmas, z, NoiseSource(1), c1).samples;
      const auto b = make_sampler(sampler)->sample(swapped, sigmas, z.flip({2}), NoiseSource(1), c2).samples;
      QVERIFY2(at::allclose(b, a.flip({2}), 1e-4, 1e-4), sampler.c_str());
    }
  }

  void a_learned_variance_is_averaged_over_the_views() {
    // v = ramp from -1 (top) to 1 (bottom); flipped back from the upside-down view it is the
    // reverse ramp, so the combined v is 0 everywhere; the ddpm sampler reads it.
    auto p = make_puzzle();
    auto model = std::make_shared<RampVarianceModel>(p.model);
    CFGOptions cfg;
    cfg.cfg = 2.0;
    MultiViewGuider g(model, {{ViewSpec{"identity"}, {class_entry(0)}}, {ViewSpec{"flip_v"}, {class_entry(1)}}}, {}, cfg);
    auto* vo = dynamic_cast<VarianceOutput*>(g.model().get());
    QVERIFY(vo);
    g.predict(at::randn({3, 1, 8, 8}), at::full({3}, 2.0f), {});
    QCOMPARE(vo->last_variance_interpolation().sizes(), (at::IntArrayRef{3, 1, 8, 8}));
    QVERIFY(vo->last_variance_interpolation().abs().max().item<double>() < 1e-6);
    SamplerOptions o;
    o.variance = "learned";
    ng::BasicContext ctx;
    const auto out = sample_latent(*make_sampler("ddpm", o), g, karras_sigmas(6, 0.02, 40.0), at::zeros({3, 1, 8, 8}),
                                   NoiseSource(1), ctx).samples;
    QVERIFY(at::isfinite(out).all().item<bool>());
    // A model without a variance: the guider does not pretend to have one.
    MultiViewGuider plain(p.model, {{ViewSpec{"identity"}, {class_entry(0)}}}, {}, cfg);
    QVERIFY(!dynamic_cast<VarianceOutput*>(plain.model().get()));
  }

  void factorized_components_sum_to_the_sample() {
    auto gen = ng::Context::make_generator(2);
    const auto x = at::randn({2, 3, 16, 16}, gen);
    for (const std::string split : {"frequency", "colour"}) {
      const auto low = low_component(x, split, 1.5);
      const auto high = x - low;
      QVERIFY(at::allclose(low + high, x));
      // the low part of the frequency split is smoother; the colour split's low part is grey
      if (split == "colour") QVERIFY(at::allclose(low.select(1, 0), low.select(1, 2)));
      else QVERIFY(low.diff(1, 3).abs().mean().item<double>() < 0.5 * x.diff(1, 3).abs().mean().item<double>());
    }
    QVERIFY_EXCEPTION_THROWN(low_component(at::zeros({1, 1, 8, 8}), "colour", 1.0), ng::Error);
    // Same conditioning for both components: the plain CFG prediction (up to rounding).
    auto p = make_puzzle();
    CFGOptions cfg;
    cfg.cfg = 2.0;
    FactorizedGuider f(p.model, {class_entry(0)}, {class_entry(0)}, {}, cfg, "frequency", 1.0);
    CFGGuider plain(p.model, {class_entry(0)}, {}, cfg);
    const auto xs = at::randn({2, 1, 8, 8}, gen) * 3;
    const auto s = at::full({2}, 3.0f);
    QVERIFY(at::allclose(f.predict(xs, s, {}), plain.predict(xs, s, {}), 1e-5, 1e-5));
  }
};

QTEST_GUILESS_MAIN(TestIllusion)
#include "test_illusion.moc"
