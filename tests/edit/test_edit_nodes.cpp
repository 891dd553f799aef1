// The edit plugin's nodes together with the sample, schedule, guidance, conditioning, mask and
// analytic plugins, loaded as the host loads them: img2img strength, inpainting, RePaint,
// MultiDiffusion with regional prompts, latent composite.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>

#include "../image/plugin_harness.hpp"
#include "edit_helpers.hpp"

using namespace edt;
using test::load_plugin;
using test::run_node;

namespace {

using Inputs = std::map<std::string, ng::Value>;
using Params = std::map<std::string, ng::ParamValue>;

template <class T>
std::shared_ptr<T> object_of(const ng::Value& v) {
  return std::dynamic_pointer_cast<T>(std::get<std::shared_ptr<ng::Object>>(v.data));
}
const ng::Latent& latent_of(const ng::Value& v) { return std::get<ng::Latent>(v.data); }
ng::Value latent_value(at::Tensor samples) {
  ng::Latent l;
  l.samples = std::move(samples);
  return l;
}
bool same(const at::Tensor& a, const at::Tensor& b) { return a.sizes() == b.sizes() && at::equal(a, b); }
double max_abs(const at::Tensor& a) { return a.abs().max().item<double>(); }

/// An autoencoder stand-in with 4 pixels per cell (only downscale() is used here).
class FakeAutoencoder : public ng::Autoencoder {
 public:
  at::Tensor encode(const at::Tensor& image) override { return image; }
  at::Tensor decode(const at::Tensor& latent) override { return latent; }
  int64_t image_channels() const override { return 1; }
  int64_t latent_channels() const override { return 1; }
  int64_t downscale() const override { return 4; }
};

}  // namespace

class TestEditNodes : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    use_all_cores();
    for (const char* name : {"edit", "schedule", "sample", "guidance", "conditioning", "analytic", "mask"})
      plugins_[name] = load_plugin(name);
  }

  void every_edit_node_is_documented() {
    const auto& plugin = plugins_.at("edit");
    QCOMPARE(plugin.specs.size(), size_t(4));
    for (const auto& spec : plugin.specs) {
      QVERIFY2(spec.id().rfind("edit.", 0) == 0, spec.id().c_str());
      QVERIFY2(!spec.description().empty(), spec.id().c_str());
      for (const auto& p : spec.params()) QVERIFY2(!p.description.empty(), (spec.id() + "." + p.name).c_str());
    }
  }

  void strength_zero_returns_the_input_latent() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {}, ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    const auto in = at::randn({2, 1, 8, 8});
    for (const char* sampler : {"euler", "dpmpp_2m_sde"}) {
      auto out = run_node(spec("sample.ksampler"), {{"model", model}, {"positive", cond}, {"latent", latent_value(in)}},
                          {{"denoise", 0.0}, {"sampler", std::string(sampler)}}, ctx)["latent"];
      QVERIFY(same(latent_of(out).samples, in));
    }
  }

  void strength_one_equals_generation_from_noise_for_flow_models() {
    // noise_scaling(1, n, latent) = 1 n + 0 latent: the input has no weight at t = 1, so img2img
    // at strength 1 and generation from an empty latent are the same computation, bit for bit.
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {{"schedule", std::string("flow")}}, ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    const Params p = {{"denoise", 1.0}, {"scheduler", std::string("flow")}, {"steps", int64_t(8)}, {"seed", int64_t(5)}};
    auto img2img = run_node(spec("sample.ksampler"),
                            {{"model", model}, {"positive", cond}, {"latent", latent_value(at::randn({2, 1, 8, 8}))}}, p, ctx);
    auto gen = run_node(spec("sample.ksampler"),
                        {{"model", model}, {"positive", cond}, {"latent", latent_value(at::zeros({2, 1, 8, 8}))}}, p, ctx);
    QVERIFY(same(latent_of(img2img["latent"]).samples, latent_of(gen["latent"]).samples));
  }

  void strength_one_on_vp_models_leaks_the_input_by_one_over_sigma_max() {
    // VP models start from x_T = latent + sigma_max n (the forward process keeps sqrt(abar_T) of
    // the signal), so strength 1 differs from generation by the input propagated through the
    // sampler. For Gaussian data N(0, s^2) the PF-ODE is linear, x_0 = s / sqrt(s^2 + sigma_max^2)
    // x_T, so the difference is latent * s / sqrt(s^2 + sigma_max^2) (0.0032 latent here; the
    // solver's discretisation error on this factor is far below 10 %).
    ng::BasicContext ctx;
    const double s = 0.5;
    auto model = run_node(spec("analytic.gaussian"), {}, {{"mean", 0.0}, {"std", s}}, ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    const Params p = {{"denoise", 1.0}, {"steps", int64_t(20)}, {"sampler", std::string("dpmpp_2m")}};
    const auto in = at::randn({2, 1, 8, 8});
    auto a = latent_of(run_node(spec("sample.ksampler"), {{"model", model}, {"positive", cond}, {"latent", latent_value(in)}},
                                p, ctx)["latent"]).samples;
    auto b = latent_of(run_node(spec("sample.ksampler"),
                                {{"model", model}, {"positive", cond}, {"latent", latent_value(at::zeros_like(in))}}, p,
                                ctx)["latent"]).samples;
    const double smax = object_of<ng::Denoiser>(model)->sampling().sigma_max();
    const double k = s / std::sqrt(s * s + smax * smax);
    QVERIFY2(max_abs(a - b - k * in) < 0.1 * k * max_abs(in), std::to_string(max_abs(a - b - k * in)).c_str());
  }

  void inpainting_through_nodes_keeps_the_unmasked_region_exactly() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {{"size", int64_t(32)}}, ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    auto mask = run_node(spec("mask.rectangle"), {},
                         {{"width", int64_t(32)}, {"height", int64_t(32)}, {"x", int64_t(0)}, {"y", int64_t(16)},
                          {"box_width", int64_t(32)}, {"box_height", int64_t(16)}}, ctx)["mask"];
    const auto in = at::randn({2, 1, 32, 32});
    auto masked = run_node(spec("edit.set_noise_mask"), {{"latent", latent_value(in)}, {"mask", mask}}, {}, ctx)["latent"];
    for (double denoise : {1.0, 0.6}) {
      auto out = latent_of(run_node(spec("sample.ksampler"), {{"model", model}, {"positive", cond}, {"latent", masked}},
                                    {{"denoise", denoise}, {"steps", int64_t(10)}}, ctx)["latent"]).samples;
      // Kept cells: the last re-injection is (1 - 0) * (latent + 0 * noise): bit-exact.
      QVERIFY(same(out.slice(2, 0, 16), in.slice(2, 0, 16)));
      QVERIFY(max_abs(out.slice(2, 16) - in.slice(2, 16)) > 0.5);
    }
  }

  void set_noise_mask_brings_a_pixel_mask_to_the_latent_grid_by_area() {
    ng::BasicContext ctx;
    auto mask = at::zeros({1, 1, 32, 32});
    mask.slice(2, 9, 19).slice(3, 9, 19).fill_(1.0);  // a 10x10 hole, not aligned with 4-pixel cells
    auto out = latent_of(run_node(spec("edit.set_noise_mask"), {{"latent", latent_value(at::zeros({1, 4, 8, 8}))}, {"mask", mask}},
                                  {}, ctx)["latent"]);
    QCOMPARE(out.noise_mask.sizes(), (c10::IntArrayRef{1, 1, 8, 8}));
    QCOMPARE(out.noise_mask.index({0, 0, 3, 3}).item<float>(), 1.0f);       // fully inside
    QCOMPARE(out.noise_mask.index({0, 0, 2, 2}).item<float>(), 9.0f / 16);  // 3x3 of 4x4 pixels
    QCOMPARE(out.noise_mask.index({0, 0, 3, 2}).item<float>(), 12.0f / 16);  // 4x3 of 4x4 pixels
    QVERIFY(std::abs(out.noise_mask.mean().item<double>() - mask.mean().item<double>()) < 1e-7);
    auto mx = latent_of(run_node(spec("edit.set_noise_mask"), {{"latent", latent_value(at::zeros({1, 4, 8, 8}))}, {"mask", mask}},
                                 {{"downscale", std::string("max")}}, ctx)["latent"]);
    QCOMPARE(mx.noise_mask.sum().item<float>(), 9.0f);  // cells 2..4 in both directions
  }

  void repaint_sampler_node_runs_in_sample_custom_and_keeps_the_known_region() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {}, ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    auto guider = run_node(spec("guidance.basic"), {{"model", model}, {"positive", cond}}, {}, ctx)["guider"];
    auto base = run_node(spec("sample.sampler"), {}, {{"sampler", std::string("euler")}}, ctx)["sampler"];
    auto sampler = run_node(spec("edit.repaint"), {{"sampler", base}}, {{"jump_length", int64_t(2)}, {"resamples", int64_t(3)}}, ctx)["sampler"];
    QCOMPARE(object_of<Sampler>(sampler)->name(), std::string("repaint(euler)"));
    auto sigmas = run_node(spec("schedule.basic"), {{"model", model}}, {{"steps", int64_t(6)}}, ctx)["sigmas"];
    auto noise = run_node(spec("sample.noise"), {}, {{"seed", int64_t(3)}}, ctx)["noise"];
    const auto in = at::randn({1, 1, 8, 8});
    auto mask = at::zeros({1, 1, 8, 8});
    mask.slice(3, 0, 3).fill_(1.0);
    auto lat = run_node(spec("edit.set_noise_mask"), {{"latent", latent_value(in)}, {"mask", mask}}, {}, ctx)["latent"];
    auto out = run_node(spec("sample.custom"),
                        {{"noise", noise}, {"guider", guider}, {"sampler", sampler}, {"sigmas", sigmas}, {"latent", lat}}, {},
                        ctx);
    const auto x = latent_of(out["samples"]).samples;
    QVERIFY(same(x.slice(3, 3), in.slice(3, 3)));
    QVERIFY(max_abs(x.slice(3, 0, 3) - in.slice(3, 0, 3)) > 0.1);
  }

  void multidiffusion_node_on_an_exact_model_equals_the_untiled_model() {
    // analytic.gaussian is trained on 8x8; edit.multidiffusion lets it denoise 8x24. The exact
    // Gaussian denoiser is pixelwise, so the fused result must equal the exact denoiser of the
    // whole canvas (PixelwiseGaussian, same schedule) up to float32 rounding.
    ng::BasicContext ctx;
    auto small = run_node(spec("analytic.gaussian"), {}, {{"mean", 0.3}, {"std", 0.4}}, ctx)["model"];
    auto wide = run_node(spec("edit.multidiffusion"), {{"model", small}}, {{"overlap", 0.5}, {"weight", std::string("feather")}},
                         ctx)["model"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    auto latent = run_node(spec("sample.empty_latent"), {{"model", wide}}, {{"width", int64_t(24)}, {"batch", int64_t(2)}}, ctx)["latent"];
    QCOMPARE(latent_of(latent).samples.sizes(), (c10::IntArrayRef{2, 1, 8, 24}));
    const Params p = {{"steps", int64_t(10)}, {"seed", int64_t(9)}, {"sampler", std::string("heun")}};
    auto tiled = latent_of(run_node(spec("sample.ksampler"), {{"model", wide}, {"positive", cond}, {"latent", latent}}, p, ctx)["latent"]).samples;
    std::shared_ptr<ng::Denoiser> exact = std::make_shared<PixelwiseGaussian>(0.3, 0.4, vp());
    auto plain = latent_of(run_node(spec("sample.ksampler"), {{"model", ng::Value(exact)}, {"positive", cond}, {"latent", latent}}, p,
                                    ctx)["latent"]).samples;
    QVERIFY2(max_abs(tiled - plain) < 1e-4, std::to_string(max_abs(tiled - plain)).c_str());
  }

  void regional_prompts_on_a_wide_canvas_each_generate_their_own_class() {
    // Three classes with means -2, 0, 2 (std 0.25); class k asked for in the k-th 8x8 third of an
    // 8x24 canvas. Each third must come out with its class's statistics: 128 values per image
    // region, mean within 0.1 (> 5 SE) of the class mean, whatever the window overlap.
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian_classes"), {},
                          {{"classes", int64_t(3)}, {"spacing", 2.0}, {"std", 0.25}}, ctx)["model"];
    ng::Value all;
    for (int64_t k = 0; k < 3; ++k) {
      auto c = run_node(spec("conditioning.class"), {{"model", model}}, {{"class_id", k}}, ctx)["conditioning"];
      c = run_node(spec("conditioning.set_area"), {{"conditioning", c}},
                   {{"x", 8 * k}, {"y", int64_t(0)}, {"width", int64_t(8)}, {"height", int64_t(8)}}, ctx)["conditioning"];
      all = k == 0 ? c : run_node(spec("conditioning.combine"), {{"a", all}, {"b", c}}, {}, ctx)["conditioning"];
    }
    // Overlap 0 with CFG 2: windows align with the regions. Overlap 0.5 with CFG 1: windows that
    // straddle two regions are still exact for every class row (the class-conditional denoiser
    // is pixelwise); with CFG their unconditional row would mix the two regions' content.
    for (auto [overlap, cfg] : std::vector<std::pair<double, double>>{{0.0, 2.0}, {0.5, 1.0}}) {
      auto wide = run_node(spec("edit.multidiffusion"), {{"model", model}}, {{"overlap", overlap}}, ctx)["model"];
      auto latent = run_node(spec("sample.empty_latent"), {{"model", wide}}, {{"width", int64_t(24)}, {"batch", int64_t(2)}}, ctx)["latent"];
      auto x = latent_of(run_node(spec("sample.ksampler"), {{"model", wide}, {"positive", all}, {"latent", latent}},
                                  {{"steps", int64_t(12)}, {"cfg", cfg}, {"sampler", std::string("dpmpp_2m")}}, ctx)["latent"]).samples;
      for (int64_t k = 0; k < 3; ++k) {
        const double want = double(k - 1) * 2.0;
        for (int64_t b = 0; b < 2; ++b) {
          const double got = x.slice(0, b, b + 1).slice(3, 8 * k, 8 * k + 8).mean().item<double>();
          QVERIFY2(std::abs(got - want) < 0.1, (std::to_string(overlap) + " region " + std::to_string(k) + ": " + std::to_string(got)).c_str());
        }
      }
    }
  }

  void latent_composite_node_converts_pixels_with_the_autoencoder() {
    ng::BasicContext ctx;
    const auto dst = at::zeros({1, 1, 8, 24});
    const auto src = at::randn({1, 1, 8, 8});
    ng::Value ae(std::make_shared<FakeAutoencoder>());
    auto out = latent_of(run_node(spec("edit.latent_composite"),
                                  {{"destination", latent_value(dst)}, {"source", latent_value(src)}, {"autoencoder", ae}},
                                  {{"x", int64_t(64)}, {"units", std::string("pixels")}}, ctx)["latent"]).samples;
    QVERIFY(same(out.slice(3, 16, 24), src));
    QVERIFY(same(out.slice(3, 0, 16), dst.slice(3, 0, 16)));
    auto cells = latent_of(run_node(spec("edit.latent_composite"), {{"destination", latent_value(dst)}, {"source", latent_value(src)}},
                                    {{"x", int64_t(16)}}, ctx)["latent"]).samples;
    QVERIFY(same(cells, out));
    QVERIFY_EXCEPTION_THROWN(run_node(spec("edit.latent_composite"), {{"destination", latent_value(dst)}, {"source", latent_value(src)}},
                                      {{"x", int64_t(64)}, {"units", std::string("pixels")}}, ctx),
                             std::runtime_error);
  }

 private:
  const ng::NodeSpec& spec(const std::string& id) {
    return plugins_.at(id.substr(0, id.find('.'))).spec(id);
  }
  std::map<std::string, test::LoadedPlugin> plugins_;
};

QTEST_GUILESS_MAIN(TestEditNodes)
#include "test_edit_nodes.moc"
