// The schedule, sample, guidance, conditioning and analytic plugins, loaded as the host loads
// them, wired into small graphs by hand.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include "../image/plugin_harness.hpp"
#include "helpers.hpp"

using namespace ngt;
using test::load_plugin;
using test::run_node;

namespace {

template <class T>
std::shared_ptr<T> object_of(const ng::Value& v) {
  return std::dynamic_pointer_cast<T>(std::get<std::shared_ptr<ng::Object>>(v.data));
}

}  // namespace

class TestNodes : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    use_all_cores();
    for (const char* name : {"schedule", "sample", "guidance", "conditioning", "analytic"}) plugins_[name] = load_plugin(name);
  }

  void every_node_is_documented() {
    for (const auto& [name, plugin] : plugins_) {
      QVERIFY2(!plugin.specs.empty(), name.c_str());
      for (const auto& spec : plugin.specs) {
        QVERIFY2(spec.id().rfind(name + ".", 0) == 0, spec.id().c_str());
        QVERIFY2(!spec.description().empty(), spec.id().c_str());
        QVERIFY2(spec.runner() != nullptr, spec.id().c_str());
      }
    }
  }

  void ksampler_on_the_analytic_model_generates_the_data() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {{"mean", 0.5}, {"std", 0.25}, {"size", int64_t(16)}}, ctx)["model"];
    auto latent = run_node(spec("sample.empty_latent"), {{"model", model}}, {{"batch", int64_t(4)}}, ctx)["latent"];
    auto cond = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    auto out = run_node(spec("sample.ksampler"), {{"model", model}, {"positive", cond}, {"latent", latent}},
                        {{"steps", int64_t(20)}, {"cfg", 1.0}, {"sampler", std::string("dpmpp_2m")}}, ctx)["latent"];
    const auto x = std::get<ng::Latent>(out.data).samples;
    QCOMPARE(x.sizes(), (c10::IntArrayRef{4, 1, 16, 16}));
    // 1024 values of N(0.5, 0.25^2): the mean is within 5 SE (0.04) and the std within 10%.
    QVERIFY(std::abs(x.mean().item<double>() - 0.5) < 0.04);
    QVERIFY(std::abs(x.std().item<double>() - 0.25) < 0.025);
  }

  void custom_sampling_matches_ksampler() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian_classes"), {}, {}, ctx)["model"];
    auto latent = run_node(spec("sample.empty_latent"), {{"model", model}}, {{"batch", int64_t(2)}}, ctx)["latent"];
    auto pos = run_node(spec("conditioning.class"), {{"model", model}}, {{"class_id", int64_t(1)}}, ctx)["conditioning"];
    auto sigmas = run_node(spec("schedule.basic"), {{"model", model}},
                           {{"steps", int64_t(12)}, {"scheduler", std::string("karras")}}, ctx)["sigmas"];
    auto guider = run_node(spec("guidance.cfg"), {{"model", model}, {"positive", pos}}, {{"cfg", 2.5}}, ctx)["guider"];
    auto sampler = run_node(spec("sample.sampler"), {}, {{"sampler", std::string("euler_ancestral")}}, ctx)["sampler"];
    auto noise = run_node(spec("sample.noise"), {}, {{"seed", int64_t(9)}}, ctx)["noise"];
    auto custom = run_node(spec("sample.custom"),
                           {{"noise", noise}, {"guider", guider}, {"sampler", sampler}, {"sigmas", sigmas}, {"latent", latent}},
                           {}, ctx);
    auto k = run_node(spec("sample.ksampler"), {{"model", model}, {"positive", pos}, {"latent", latent}},
                      {{"seed", int64_t(9)}, {"steps", int64_t(12)}, {"cfg", 2.5},
                       {"sampler", std::string("euler_ancestral")}, {"scheduler", std::string("karras")}}, ctx)["latent"];
    QVERIFY(std::get<ng::Latent>(custom["samples"].data).samples.equal(std::get<ng::Latent>(k.data).samples));
    // The schedule ends at 0, so the last x0 estimate is the sample itself.
    QVERIFY(std::get<ng::Latent>(custom["denoised"].data).samples.equal(std::get<ng::Latent>(k.data).samples));
  }

  void ksampler_respects_the_latent_noise_mask() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {}, ctx)["model"];
    ng::Latent in;
    in.samples = at::full({1, 1, 8, 8}, 3.0);
    in.noise_mask = at::zeros({1, 1, 8, 8});
    in.noise_mask.slice(2, 0, 4).fill_(1.0);  // regenerate the top half only
    auto out = run_node(spec("sample.ksampler"), {{"model", model}, {"positive", ng::Value(ng::Conditioning{})}, {"latent", ng::Value(in)}},
                        {{"steps", int64_t(8)}}, ctx)["latent"];
    const auto x = std::get<ng::Latent>(out.data).samples;
    QVERIFY(x.slice(2, 4).equal(in.samples.slice(2, 4)));
    QVERIFY(std::abs(x.slice(2, 0, 4).mean().item<double>()) < 1.0);  // data mean 0, input 3
  }

  void schedule_nodes_apply_the_denoise_convention() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian"), {}, {}, ctx)["model"];
    auto full = test::tensor_of(run_node(spec("schedule.karras"), {{"model", model}}, {{"steps", int64_t(20)}}, ctx)["sigmas"]);
    auto half = test::tensor_of(run_node(spec("schedule.karras"), {{"model", model}},
                                         {{"steps", int64_t(10)}, {"denoise", 0.5}}, ctx)["sigmas"]);
    QVERIFY(half.equal(full.slice(0, 10)));
    auto parts = run_node(spec("schedule.split"), {{"sigmas", ng::Value(full)}}, {{"step", int64_t(5)}}, ctx);
    auto joined = run_node(spec("schedule.concat"), {{"first", parts["high"]}, {"second", parts["low"]}}, {}, ctx);
    QVERIFY(test::tensor_of(joined["sigmas"]).equal(full));
    // A flow schedule on a VP model is refused with advice.
    try {
      run_node(spec("schedule.flow"), {{"model", model}}, {}, ctx);
      QFAIL("flow schedule accepted a VP model");
    } catch (const std::exception& e) {
      QVERIFY(QString(e.what()).contains("schedule.karras"));
    }
  }

  void forward_strip_fades_the_image_into_noise() {
    ng::BasicContext ctx;
    const auto img = at::full({2, 1, 16, 16}, 0.9);
    auto strip = test::tensor_of(run_node(spec("schedule.forward_strip"), {{"image", ng::Value(img)}},
                                          {{"frames", int64_t(5)}, {"beta_schedule", std::string("cosine")}}, ctx)["image"]);
    QCOMPARE(strip.sizes(), (c10::IntArrayRef{10, 1, 16, 16}));
    QVERIFY(strip[0].equal(img[0]));  // frame 0 is the clean image
    // The signal fades: the mean moves from 0.9 toward 0.5 (noise mapped to [0,1]).
    QVERIFY(strip[1].mean().item<double>() > strip[4].mean().item<double>());
    QVERIFY(std::abs(strip[4].mean().item<double>() - 0.5) < 0.1);
    auto noisy = test::tensor_of(run_node(spec("schedule.noise_image"), {{"image", ng::Value(img)}}, {{"t", int64_t(0)}}, ctx)["image"]);
    QVERIFY((noisy - img).abs().max().item<double>() < 0.1);  // t = 0: barely any noise
  }

  void conditioning_nodes_edit_entries() {
    ng::BasicContext ctx;
    auto a = run_node(spec("conditioning.class"), {}, {{"class_id", int64_t(0)}}, ctx)["conditioning"];
    auto b = run_node(spec("conditioning.class"), {}, {{"class_id", int64_t(1)}}, ctx)["conditioning"];
    auto both = run_node(spec("conditioning.combine"), {{"a", a}, {"b", b}}, {}, ctx)["conditioning"];
    auto area = run_node(spec("conditioning.set_area"), {{"conditioning", both}},
                         {{"x", int64_t(4)}, {"width", int64_t(8)}}, ctx)["conditioning"];
    auto timed = run_node(spec("conditioning.set_timestep_range"), {{"conditioning", area}},
                          {{"start", 0.2}, {"end", 0.6}}, ctx)["conditioning"];
    const auto list = std::get<ng::Conditioning>(timed.data);
    QCOMPARE(list.size(), size_t(2));
    QCOMPARE(list[1].class_id, int64_t(1));
    QCOMPARE(list[1].area->x, int64_t(4));
    QCOMPARE(list[0].start, 0.2);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             run_node(spec("conditioning.set_timestep_range"), {{"conditioning", both}}, {{"start", 0.8}, {"end", 0.2}}, ctx));
    auto model = run_node(spec("analytic.gaussian_classes"), {}, {}, ctx)["model"];
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             run_node(spec("conditioning.class"), {{"model", model}}, {{"class_id", int64_t(5)}}, ctx));
  }

  void classifier_guidance_node_accepts_class_names() {
    ng::BasicContext ctx;
    auto model = run_node(spec("analytic.gaussian_classes"), {}, {}, ctx)["model"];
    auto clf = run_node(spec("analytic.classifier"), {{"model", model}}, {{"class_names", std::string("dark, light")}}, ctx)["classifier"];
    auto empty = run_node(spec("conditioning.empty"), {}, {}, ctx)["conditioning"];
    auto basic = run_node(spec("guidance.basic"), {{"model", model}, {"positive", empty}}, {}, ctx)["guider"];
    auto g = run_node(spec("guidance.classifier"), {{"guider", basic}, {"classifier", clf}},
                      {{"class", std::string("Light")}, {"scale", 1.0}}, ctx)["guider"];
    auto guider = object_of<Guider>(g);
    QVERIFY(guider);
    // Scale 1 on the exact classifier = the exact class-1 denoiser.
    const auto x = at::randn({2, 1, 8, 8}, at::kDouble);
    const auto sigma = at::full({2}, 0.8, at::kDouble);
    ng::DenoiserCondition c;
    c.class_ids = at::full({2}, 1, at::kLong);
    QVERIFY(max_abs(guider->predict(x, sigma, {}) - object_of<ng::Denoiser>(model)->denoise(x, sigma, c)) < 1e-10);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, run_node(spec("guidance.classifier"), {{"guider", basic}, {"classifier", clf}},
                                                          {{"class", std::string("medium")}}, ctx));
  }

  void points_model_regenerates_its_images() {
    ng::BasicContext ctx;
    auto imgs = at::zeros({2, 1, 8, 8});
    imgs[1].fill_(1.0);
    imgs[0].slice(2, 0, 4).fill_(1.0);
    auto model = run_node(spec("analytic.points"), {{"images", ng::Value(imgs)}}, {}, ctx)["model"];
    auto latent = run_node(spec("sample.empty_latent"), {{"model", model}}, {{"batch", int64_t(6)}}, ctx)["latent"];
    auto out = run_node(spec("sample.ksampler"), {{"model", model}, {"positive", ng::Value(ng::Conditioning{})}, {"latent", latent}},
                        {{"steps", int64_t(30)}, {"cfg", 1.0}}, ctx)["latent"];
    const auto x = (std::get<ng::Latent>(out.data).samples + 1.0) / 2.0;  // pixel space [-1,1] -> [0,1]
    for (int64_t i = 0; i < x.size(0); ++i) {
      const double d = std::min(max_abs(x[i] - imgs[0]), max_abs(x[i] - imgs[1]));
      QVERIFY2(d < 0.02, std::to_string(i).c_str());
    }
  }

 private:
  const ng::NodeSpec& spec(const std::string& id) {
    return plugins_.at(id.substr(0, id.find('.'))).spec(id);
  }
  std::map<std::string, test::LoadedPlugin> plugins_;
};

QTEST_GUILESS_MAIN(TestNodes)
#include "test_nodes.moc"
