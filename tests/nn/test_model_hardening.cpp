// Hostile model files (issue 13, items 3-5): corrupt weights fail at load naming the
// tensor, edited metadata cannot make the loader allocate gigabytes, non-regular files are
// refused without blocking, and a sampler fails at the step where a model goes non-finite.
#include <QtTest/QtTest>

#include <ATen/ATen.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/analytic.hpp"
#include "noisegraph/diffusion/guider.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "ng_test/error_of.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"

namespace fs = std::filesystem;

namespace {

fs::path model(const std::string& name) { return fs::path(NG_TEST_SOURCE_DIR) / "models" / name; }

using ng_test::error_of;

// A shipped model with one change: `edit` may rewrite tensors and metadata.
fs::path mutated(const QTemporaryDir& dir, const std::string& name,
                 const std::function<void(std::map<std::string, at::Tensor>&, std::map<std::string, std::string>&)>& edit) {
  auto f = ng::io::load_safetensors(model(name));
  edit(f.tensors, f.metadata);
  const fs::path out = fs::path(dir.path().toStdString()) / name;
  ng::io::save_safetensors(out, f.tensors, f.metadata, ng::io::DType::F32);
  return out;
}

// Returns NaN from its `bad_call`-th call on; an analytic Gaussian before that.
class BreakingDenoiser : public ng::Denoiser {
 public:
  explicit BreakingDenoiser(int bad_call)
      : inner_(ng::diffusion::gaussian_model({1, 2, 2}, 0.0, 1.0, ng::diffusion::default_vp_sampling())),
        bad_call_(bad_call) {}
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& s, const ng::DenoiserCondition& c) override {
    auto d = inner_->denoise(x, s, c);
    return ++calls_ >= bad_call_ ? d * std::nan("") : d;
  }
  const ng::ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return {1, 2, 2}; }
  std::string describe() const override { return "model 'broken.safetensors'"; }

 private:
  std::shared_ptr<ng::Denoiser> inner_;
  int bad_call_;
  int calls_ = 0;
};

}  // namespace

class TestModelHardening : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void shipped_models_still_load() {
    QVERIFY(ng::nn::load_denoiser(model("fmnist-latent-unet.safetensors")));
    QVERIFY(ng::nn::load_autoencoder(model("fmnist-vae.safetensors")));
    QVERIFY(ng::nn::load_classifier(model("fmnist-eval-classifier.safetensors")));
    QVERIFY(ng::nn::load_classifier(model("fmnist-latent-classifier.safetensors")));
    QVERIFY(ng::nn::load_prompt_encoder(model("fmnist-latent-unet.safetensors")));
    QVERIFY(ng::nn::load_denoiser(model("fmnist-pixel-ddpm.safetensors")));
  }

  void a_nan_or_infinite_weight_is_refused_at_load_naming_the_tensor() {
    QTemporaryDir dir;
    std::string tensor;
    auto nan_file = mutated(dir, "fmnist-vae.safetensors", [&](auto& t, auto&) {
      auto& w = t.rbegin()->second;
      tensor = t.rbegin()->first;
      w.view(-1)[0] = std::nan("");
    });
    std::string why = error_of([&] { ng::nn::load_autoencoder(nan_file); });
    QVERIFY2(why.find("NaN or infinite") != std::string::npos, why.c_str());
    QVERIFY(why.find(tensor) != std::string::npos);
    QTemporaryDir dir2;
    auto inf_file = mutated(dir2, "fmnist-latent-unet.safetensors", [&](auto& t, auto&) {
      t.at("unet.up.8.v.weight").view(-1)[0] = std::numeric_limits<float>::infinity();
    });
    QVERIFY(error_of([&] { ng::nn::load_denoiser(inf_file); }).find("NaN or infinite") != std::string::npos);
  }

  void a_config_that_does_not_match_the_tensors_is_refused_before_building() {
    QTemporaryDir dir;
    auto file = mutated(dir, "fmnist-latent-unet.safetensors", [](auto&, auto& m) {
      auto cfg = ng::json::parse(m["noisegraph.config"], "config");
      cfg.set("channels", ng::json::Array{ng::json::Value(int64_t(2048)), ng::json::Value(int64_t(2048))});
      m["noisegraph.config"] = ng::json::dump(cfg);
    });
    // Building this network first would allocate about 5 GB; the check needs none.
    const auto t0 = std::chrono::steady_clock::now();
    std::string why = error_of([&] { ng::nn::load_denoiser(file); });
    QVERIFY2(why.find("does not match the file's tensors") != std::string::npos, why.c_str());
    QVERIFY(why.find("2048") != std::string::npos);
    qInfo("refused in %.0f ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());

    QTemporaryDir dir2;
    auto blocks = mutated(dir2, "fmnist-vae.safetensors", [](auto&, auto& m) {
      auto cfg = ng::json::parse(m["noisegraph.config"], "config");
      cfg.set("res_blocks", int64_t(1000000));
      m["noisegraph.config"] = ng::json::dump(cfg);
    });
    why = error_of([&] { ng::nn::load_autoencoder(blocks); });
    QVERIFY2(why.find("res_blocks") != std::string::npos, why.c_str());
  }

  void a_huge_schedule_in_metadata_is_refused() {
    QTemporaryDir dir;
    auto file = mutated(dir, "fmnist-latent-unet.safetensors", [](auto&, auto& m) {
      auto s = ng::json::parse(m["noisegraph.schedule"], "schedule");
      s.set("timesteps", int64_t(100000000));
      m["noisegraph.schedule"] = ng::json::dump(s);
    });
    std::string why = error_of([&] { ng::nn::load_denoiser(file); });
    QVERIFY2(why.find("timesteps 100000000") != std::string::npos, why.c_str());
  }

  void fifos_devices_and_folders_are_not_model_files() {
    QTemporaryDir dir;
    const fs::path fifo = fs::path(dir.path().toStdString()) / "model.safetensors";
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    QVERIFY(error_of([&] { ng::nn::load_denoiser(fifo); }).find("not a regular file") != std::string::npos);
    QVERIFY(error_of([&] { ng::io::load_safetensors("/dev/zero"); }).find("not a regular file") != std::string::npos);
    QVERIFY(error_of([&] { ng::io::read_safetensors_metadata(fifo); }).find("not a regular file") != std::string::npos);
    QVERIFY(error_of([&] { ng::io::load_safetensors(dir.path().toStdString()); }).find("is a folder") !=
            std::string::npos);
  }

  void a_header_that_does_not_describe_the_file_is_refused_before_its_contents_are_read() {
    QTemporaryDir dir;
    const fs::path f = fs::path(dir.path().toStdString()) / "x.safetensors";
    // A valid header for 4 bytes of data followed by a large body it does not describe.
    std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
    bytes += header + std::string(1 << 20, 'x');
    std::ofstream(f, std::ios::binary) << bytes;
    QVERIFY(error_of([&] { ng::io::load_safetensors(f); }).find("unindexed bytes") != std::string::npos);
  }

  void a_sampler_fails_at_the_step_where_the_model_goes_non_finite() {
    auto model = std::make_shared<BreakingDenoiser>(3);
    ng::diffusion::BasicGuider g(model, {});
    const auto sigmas = ng::diffusion::karras_sigmas(6, model->sampling().sigma_min(), model->sampling().sigma_max());
    ng::BasicContext ctx;
    const auto x = at::randn({1, 1, 2, 2}, at::kDouble) * sigmas[0];
    std::string why = error_of([&] {
      ng::diffusion::make_sampler("euler")->sample(g, sigmas, x, ng::diffusion::NoiseSource(1), ctx);
    });
    QVERIFY2(why.find("NaN or infinite values at step 3/6") != std::string::npos, why.c_str());
    QVERIFY(why.find("broken.safetensors") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestModelHardening)
#include "test_model_hardening.moc"
