// The editing maths of plugins/edit (ng_edit_ops): noise-mask downscaling, latent pasting,
// MultiDiffusion windows and fusion, RePaint passes and re-noising.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include "edit_helpers.hpp"
#include "latent_ops.hpp"
#include "multidiffusion.hpp"
#include "repaint.hpp"

using namespace edt;
namespace ed = ng::edit;

namespace {

bool same(const at::Tensor& a, const at::Tensor& b) { return a.sizes() == b.sizes() && at::equal(a, b); }
double max_abs(const at::Tensor& a) { return a.abs().max().item<double>(); }

/// Returns the mean of its input window for every element: not pixelwise, so fusion shows.
class WindowMean : public ng::Denoiser {
 public:
  at::Tensor denoise(const at::Tensor& x, const at::Tensor&, const ng::DenoiserCondition& c) override {
    shapes.push_back(x.sizes().vec());
    if (c.class_ids.defined()) ids.push_back(c.class_ids.clone());
    return x.mean({1, 2, 3}, true).expand_as(x).clone();
  }
  const ng::ModelSampling& sampling() const override { return *s_; }
  std::vector<int64_t> sample_shape() const override { return {1, 8, 8}; }
  std::vector<std::vector<int64_t>> shapes;
  std::vector<at::Tensor> ids;

 private:
  std::shared_ptr<ng::ModelSampling> s_ = vp();
};

/// Returns ones: the fused output is then the normalised weight sum at every position.
class Ones : public ng::Denoiser {
 public:
  at::Tensor denoise(const at::Tensor& x, const at::Tensor&, const ng::DenoiserCondition&) override {
    return at::ones_like(x);
  }
  const ng::ModelSampling& sampling() const override { return *s_; }
  std::vector<int64_t> sample_shape() const override { return {1, 8, 8}; }

 private:
  std::shared_ptr<ng::ModelSampling> s_ = vp();
};

at::Tensor run_sampler(const Sampler& sampler, const std::shared_ptr<ng::Denoiser>& model, const at::Tensor& sigmas,
                       const at::Tensor& latent, uint64_t seed, const at::Tensor& mask = {}) {
  ng::BasicContext ctx;
  BasicGuider guider(model, {});
  return sample_latent(sampler, guider, sigmas, latent, NoiseSource(seed), ctx, mask).samples;
}

}  // namespace

class TestEditOps : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { use_all_cores(); }

  // ---- noise masks ----

  void area_downscale_keeps_aligned_edges_binary_and_coverage() {
    auto m = at::zeros({1, 1, 32, 32});
    m.slice(3, 0, 16).fill_(1.0);  // left half: aligned with the 4-pixel cells
    m.slice(2, 0, 32).slice(3, 17, 18).fill_(1.0);  // one extra column inside cell column 4
    auto c = ed::latent_noise_mask(m, 1, 8, 8, ed::MaskDownscale::Area);
    QCOMPARE(c.sizes(), (c10::IntArrayRef{1, 1, 8, 8}));
    QVERIFY(same(c.slice(3, 0, 4), at::ones({1, 1, 8, 4})));   // exactly 1, not 0.99...
    QVERIFY(same(c.slice(3, 5, 8), at::zeros({1, 1, 8, 3})));  // exactly 0
    QVERIFY(same(c.slice(3, 4, 5), at::full({1, 1, 8, 1}, 0.25)));  // 1 of 4 columns covered
    // Total coverage is kept (integer factor): mean of the mask = mean of the cells.
    QVERIFY(std::abs(c.mean().item<double>() - m.mean().item<double>()) < 1e-7);
  }

  void max_downscale_regenerates_every_touched_cell() {
    auto m = at::zeros({1, 1, 32, 32});
    m.index_put_({0, 0, 9, 9}, 1.0);  // one pixel in cell (2, 2)
    auto c = ed::latent_noise_mask(m, 1, 8, 8, ed::MaskDownscale::Max);
    QCOMPARE(c.sum().item<double>(), 1.0);
    QCOMPARE(c.index({0, 0, 2, 2}).item<double>(), 1.0);
    auto a = ed::latent_noise_mask(m, 1, 8, 8, ed::MaskDownscale::Area);
    QCOMPARE(a.index({0, 0, 2, 2}).item<double>(), 1.0 / 16.0);
  }

  void noise_mask_of_latent_size_is_kept_and_batch_is_checked() {
    auto m = at::rand({2, 1, 8, 8});
    QVERIFY(same(ed::latent_noise_mask(m, 2, 8, 8, ed::MaskDownscale::Area), m));
    QVERIFY_EXCEPTION_THROWN(ed::latent_noise_mask(m, 3, 8, 8, ed::MaskDownscale::Area), ng::Error);
    QVERIFY_EXCEPTION_THROWN(ed::latent_noise_mask(at::rand({1, 3, 8, 8}), 1, 8, 8, ed::MaskDownscale::Area), ng::Error);
  }

  // ---- latent composite ----

  void latent_composite_places_the_source_exactly() {
    auto dst = at::randn({1, 4, 8, 24});
    auto src = at::randn({1, 4, 8, 8});
    auto out = ed::composite_latent(dst, src, 8, 0, 0);
    QVERIFY(same(out.slice(3, 8, 16), src));
    QVERIFY(same(out.slice(3, 0, 8), dst.slice(3, 0, 8)));
    QVERIFY(same(out.slice(3, 16, 24), dst.slice(3, 16, 24)));
  }

  void latent_composite_clips_overhanging_sources() {
    auto dst = at::zeros({1, 1, 4, 4});
    auto src = at::arange(16, at::kFloat).view({1, 1, 4, 4}) + 1.0;
    auto out = ed::composite_latent(dst, src, -2, 3, 0);
    // Source cells (row 0, cols 2..3) land on destination row 3, cols 0..1; nothing else changes.
    QCOMPARE(out.index({0, 0, 3, 0}).item<float>(), 3.0f);
    QCOMPARE(out.index({0, 0, 3, 1}).item<float>(), 4.0f);
    QCOMPARE(out.sum().item<float>(), 7.0f);
    QVERIFY(same(ed::composite_latent(dst, src, 10, 0, 0), dst));  // entirely outside
  }

  void latent_composite_feathers_only_inner_sides() {
    auto dst = at::zeros({1, 1, 8, 16});
    auto src = at::ones({1, 1, 8, 8});
    // Flush with the left, top and bottom edges: only the right side (inside) fades.
    auto out = ed::composite_latent(dst, src, 0, 0, 2);
    QCOMPARE(out.index({0, 0, 4, 0}).item<float>(), 1.0f);
    QCOMPARE(out.index({0, 0, 0, 3}).item<float>(), 1.0f);
    QVERIFY(std::abs(out.index({0, 0, 4, 7}).item<float>() - 1.0f / 3.0f) < 1e-6);  // outermost column
    QVERIFY(std::abs(out.index({0, 0, 4, 6}).item<float>() - 2.0f / 3.0f) < 1e-6);
    QCOMPARE(out.index({0, 0, 4, 5}).item<float>(), 1.0f);
    QVERIFY(same(out.slice(3, 8, 16), at::zeros({1, 1, 8, 8})));
  }

  void latent_composite_rejects_mismatched_channels() {
    QVERIFY_EXCEPTION_THROWN(ed::composite_latent(at::zeros({1, 4, 8, 8}), at::zeros({1, 3, 8, 8}), 0, 0, 0),
                             ng::Error);
  }

  // ---- MultiDiffusion ----

  void window_offsets_cover_the_canvas() {
    QCOMPARE(ed::window_offsets(24, 8, 4), (std::vector<int64_t>{0, 4, 8, 12, 16}));
    QCOMPARE(ed::window_offsets(24, 8, 8), (std::vector<int64_t>{0, 8, 16}));
    QCOMPARE(ed::window_offsets(21, 8, 6), (std::vector<int64_t>{0, 6, 12, 13}));  // last flush with the end
    QCOMPARE(ed::window_offsets(8, 8, 4), (std::vector<int64_t>{0}));
    QCOMPARE(ed::window_offsets(5, 8, 4), (std::vector<int64_t>{0}));
    QVERIFY_EXCEPTION_THROWN(ed::window_offsets(24, 8, 9), ng::Error);  // gaps
  }

  void window_weights_sum_correctly_at_boundaries() {
    // Uniform, stride 4 over 24 cells: 1 window at the two ends, 2 in between.
    auto s = ed::weight_sum(8, 24, 8, 8, 8, 4, ed::WindowWeight::Uniform);
    QVERIFY(same(s.slice(3, 0, 4), at::ones({1, 1, 8, 4})));
    QVERIFY(same(s.slice(3, 4, 20), at::full({1, 1, 8, 16}, 2.0)));
    QVERIFY(same(s.slice(3, 20, 24), at::ones({1, 1, 8, 4})));
    for (auto kind : {ed::WindowWeight::Uniform, ed::WindowWeight::Feather}) {
      QVERIFY(ed::weight_sum(13, 21, 8, 8, 6, 5, kind).min().item<double>() > 0.0);  // every cell covered
      // Normalised weights sum to 1 everywhere, corners and edges included: fusing a model that
      // predicts 1 gives exactly 1 (up to one rounding of the division, 1 ulp).
      ed::TileOptions o;
      o.stride_h = 6;
      o.stride_w = 5;
      o.weight = kind;
      ed::MultiDiffusionDenoiser md(std::make_shared<Ones>(), o);
      auto d = md.denoise(at::zeros({2, 1, 13, 21}), at::full({2}, 1.0), {});
      QVERIFY(max_abs(d - 1.0) < 1e-6);
    }
  }

  void multidiffusion_fuses_window_predictions_by_average() {
    auto inner = std::make_shared<WindowMean>();
    ed::TileOptions o;
    o.stride_w = 4;
    ed::MultiDiffusionDenoiser md(inner, o);
    auto x = at::zeros({1, 1, 8, 12});
    x.slice(3, 0, 4).fill_(1.0);
    x.slice(3, 4, 8).fill_(2.0);
    x.slice(3, 8, 12).fill_(4.0);
    auto d = md.denoise(x, at::full({1}, 1.0), {});
    // Windows at 0 (mean 1.5) and 4 (mean 3): cells 0..3 only the first, 4..7 both, 8..11 the second.
    QVERIFY(max_abs(d.slice(3, 0, 4) - 1.5) < 1e-6);
    QVERIFY(max_abs(d.slice(3, 4, 8) - 2.25) < 1e-6);
    QVERIFY(max_abs(d.slice(3, 8, 12) - 3.0) < 1e-6);
    QCOMPARE(inner->shapes.size(), size_t(1));  // both windows in one batched call
    QCOMPARE(inner->shapes[0], (std::vector<int64_t>{2, 1, 8, 8}));
  }

  void multidiffusion_keeps_each_rows_condition_and_splits_batches() {
    auto inner = std::make_shared<WindowMean>();
    ed::TileOptions o;
    o.stride_w = 4;
    o.max_batch = 4;  // 2 rows per window -> 2 windows per call
    ed::MultiDiffusionDenoiser md(inner, o);
    ng::DenoiserCondition c;
    c.class_ids = at::tensor(std::vector<int64_t>{3, -1});
    md.denoise(at::zeros({2, 1, 8, 24}), at::full({2}, 1.0), c);  // 5 windows
    QCOMPARE(inner->shapes.size(), size_t(3));
    QCOMPARE(inner->shapes[0][0], int64_t(4));
    QCOMPARE(inner->shapes[2][0], int64_t(2));
    QVERIFY(same(inner->ids[0], at::tensor(std::vector<int64_t>{3, -1, 3, -1})));
  }

  void multidiffusion_passes_a_native_canvas_straight_through() {
    auto inner = std::make_shared<PixelwiseGaussian>(0.5, 0.3, vp());
    ed::MultiDiffusionDenoiser md(inner, {});
    auto x = at::randn({3, 1, 8, 8});
    auto s = at::full({3}, 2.0);
    QVERIFY(same(md.denoise(x, s, {}), inner->denoise(x, s, {})));
    QCOMPARE(inner->calls, 2);
  }

  void multidiffusion_on_a_pixelwise_model_equals_the_untiled_result() {
    // The exact Gaussian denoiser is pixelwise: every window predicts the same value for a
    // cell, so the fused prediction, and a whole sampling run, match the untiled model up to
    // float32 rounding of the weighted average (a few ulp per step).
    for (auto sampling : {vp(), flow()}) {
      auto model = std::make_shared<PixelwiseGaussian>(0.5, 0.3, sampling);
      const auto sigmas = scheduler_sigmas(sampling->parameterization() == "flow" ? "flow" : "karras", *sampling, 12);
      const auto latent = at::zeros({2, 1, 8, 24});
      auto sampler = make_sampler("dpmpp_2m");
      const auto plain = run_sampler(*sampler, model, sigmas, latent, 7);
      for (auto kind : {ed::WindowWeight::Uniform, ed::WindowWeight::Feather}) {
        ed::TileOptions o;
        o.stride_w = 3;
        o.weight = kind;
        auto tiled = run_sampler(*sampler, std::make_shared<ed::MultiDiffusionDenoiser>(model, o), sigmas, latent, 7);
        QVERIFY2(max_abs(tiled - plain) < 1e-5, std::to_string(max_abs(tiled - plain)).c_str());
      }
    }
  }

  // ---- RePaint ----

  void repaint_passes_follow_the_jump_schedule() {
    ed::RePaintOptions o{3, 2};
    const auto p = ed::repaint_passes(7, o);
    const std::vector<std::tuple<int, int, bool>> want = {{0, 3, false}, {0, 3, true}, {3, 6, false},
                                                          {3, 6, true},  {6, 7, false}, {6, 7, true}};
    QCOMPARE(p.size(), want.size());
    for (size_t i = 0; i < p.size(); ++i)
      QVERIFY(p[i].first == std::get<0>(want[i]) && p[i].last == std::get<1>(want[i]) &&
              p[i].renoise == std::get<2>(want[i]));
    QVERIFY_EXCEPTION_THROWN(ed::repaint_passes(7, {0, 2}), ng::Error);
    QVERIFY_EXCEPTION_THROWN(ed::repaint_passes(7, {3, 0}), ng::Error);
  }

  void repaint_with_one_pass_is_the_inner_sampler() {
    auto model = std::make_shared<PixelwiseGaussian>(0.2, 0.5, vp());
    const auto sigmas = scheduler_sigmas("karras", model->sampling(), 10);
    for (const char* name : {"euler", "euler_ancestral"}) {
      auto inner = make_sampler(name);
      ed::RePaintSampler rp(inner, {4, 1});
      QVERIFY(same(run_sampler(rp, model, sigmas, at::zeros({2, 1, 8, 8}), 3),
                    run_sampler(*inner, model, sigmas, at::zeros({2, 1, 8, 8}), 3)));
    }
  }

  void repaint_visits_sigmas_in_repaint_order() {
    auto model = std::make_shared<PixelwiseGaussian>(0.0, 0.5, vp());
    const auto sigmas = scheduler_sigmas("karras", model->sampling(), 5);
    RecordingGuider guider(model);
    CountingContext ctx;
    ed::RePaintSampler rp(make_sampler("euler"), {2, 3});
    rp.sample(guider, sigmas, at::randn({1, 1, 8, 8}) * sigmas[0].item<double>(), NoiseSource(1), ctx);
    // Slices [0,2) [2,4) [4,5), each sampled 3 times: euler evaluates the start of every step.
    std::vector<double> want;
    for (auto [a, b] : std::vector<std::pair<int, int>>{{0, 2}, {2, 4}, {4, 5}})
      for (int p = 0; p < 3; ++p)
        for (int i = a; i < b; ++i) want.push_back(sigmas[i].item<double>());
    QCOMPARE(guider.sigmas.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) QVERIFY(std::abs(guider.sigmas[i] - want[i]) < 1e-4 * want[i]);
    // Progress counts every pass's steps as one run: 1..15 of 15.
    QCOMPARE(ctx.last_total, 15);
    QCOMPARE(ctx.steps.back(), 15);
    QCOMPARE(ctx.steps.front(), 1);
  }

  void repaint_renoising_keeps_the_forward_marginal() {
    // For data that is a single point mu, Euler is exact in both frames, so after any number of
    // jumps x at level s must be distributed as alpha(s) mu + std(s) z. A wrong jump (e.g. adding
    // (a - b) z instead of sqrt(a^2 - b^2) z, or forgetting alpha_a/alpha_b for flow) would change
    // the mean or the spread. 16384 values: the mean of z is within 0.04 (5 SE), its std within 3 %.
    for (auto sampling : {vp(), flow()}) {
      const bool fl = sampling->parameterization() == "flow";
      auto model = std::make_shared<PixelwiseGaussian>(0.7, 0.0, sampling);
      auto full = scheduler_sigmas(fl ? "flow" : "karras", *sampling, 12);
      auto sigmas = split_sigmas(full, 9).first;  // stops at a level > 0
      const double s_end = sigmas[-1].item<double>();
      ed::RePaintSampler rp(make_sampler("euler"), {3, 3});
      auto x = run_sampler(rp, model, sigmas, at::full({4, 1, 64, 64}, 0.7), 11);
      const NoiseFrame frame{fl};
      auto z = (x - frame.alpha(s_end) * 0.7) / frame.std(s_end);
      QVERIFY2(std::abs(z.mean().item<double>()) < 0.04, std::to_string(z.mean().item<double>()).c_str());
      QVERIFY2(std::abs(z.std().item<double>() - 1.0) < 0.03, std::to_string(z.std().item<double>()).c_str());
      // ... and the jumps drew fresh noise: without them z would be the initial noise exactly.
      auto z0 = NoiseSource(11).initial(x);
      const double corr = (z * z0).mean().item<double>();
      QVERIFY2(corr < 0.95, std::to_string(corr).c_str());
    }
  }

  void repaint_keeps_the_unmasked_region_exactly() {
    auto model = std::make_shared<PixelwiseGaussian>(0.0, 1.0, vp());
    const auto sigmas = scheduler_sigmas("karras", model->sampling(), 8);
    auto latent = at::randn({2, 1, 8, 8});
    auto mask = at::zeros({1, 1, 8, 8});
    mask.slice(2, 4).fill_(1.0);  // regenerate the lower half
    ed::RePaintSampler rp(make_sampler("heun"), {2, 3});
    auto out = run_sampler(rp, model, sigmas, latent, 5, mask);
    // The last step re-injects noise_scaling(0, n, latent) = latent + 0 n with weight (1 - 0): bit-exact.
    QVERIFY(same(out.slice(2, 0, 4), latent.slice(2, 0, 4)));
    QVERIFY(max_abs(out.slice(2, 4) - latent.slice(2, 4)) > 0.1);
  }

  void repaint_is_deterministic_and_independent_of_batch_layout() {
    auto model = std::make_shared<PixelwiseGaussian>(0.0, 1.0, vp());
    const auto sigmas = scheduler_sigmas("karras", model->sampling(), 6);
    auto mask = at::zeros({1, 1, 8, 8});
    mask.slice(3, 4).fill_(1.0);
    for (const char* name : {"euler", "euler_ancestral"}) {
      ed::RePaintSampler rp(make_sampler(name), {2, 2});
      auto latent = at::randn({3, 1, 8, 8});
      auto batch = run_sampler(rp, model, sigmas, latent, 20, mask);
      QVERIFY(same(batch, run_sampler(rp, model, sigmas, latent, 20, mask)));
      auto alone = run_sampler(rp, model, sigmas, latent.slice(0, 2, 3), 22, mask);
      QVERIFY(same(batch.slice(0, 2, 3), alone));
    }
  }

  void repaint_stops_when_cancelled() {
    auto model = std::make_shared<PixelwiseGaussian>(0.0, 1.0, vp());
    ng::BasicContext ctx;
    ctx.cancel();
    BasicGuider guider(model, {});
    ed::RePaintSampler rp(make_sampler("euler"), {2, 2});
    QVERIFY_EXCEPTION_THROWN(rp.sample(guider, scheduler_sigmas("karras", model->sampling(), 4), at::zeros({1, 1, 8, 8}),
                                       NoiseSource(0), ctx),
                             ng::Cancelled);
  }
};

QTEST_GUILESS_MAIN(TestEditOps)
#include "test_edit_ops.moc"
