// Training functions on tiny networks and a few hundred images: the loss goes down,
// a run resumed from its checkpoint ends bit-identical to an uninterrupted one, and the
// autoencoder's scaling factor gives unit-variance latents.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QImage>
#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/train/dataset.hpp"
#include "noisegraph/train/train.hpp"

namespace fs = std::filesystem;
using namespace ng::train;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / "ng_test_training" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<double> logged_losses(const fs::path& run_dir) {
  std::ifstream in(run_dir / "loss.csv");
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> out;
  while (std::getline(in, line)) out.push_back(std::stod(line.substr(line.find(',') + 1)));
  return out;
}

AutoencoderTrainConfig tiny_vae(const fs::path& dir, int64_t steps) {
  AutoencoderTrainConfig c;
  c.arch.channels = {8, 16, 16};
  c.arch.groups = 4;
  c.output = dir / "vae.safetensors";
  c.run_dir = dir / "run";
  c.steps = steps;
  c.batch_size = 16;
  c.lr = 2e-3;
  c.warmup_steps = 0;
  c.limit_examples = 256;
  c.scaling_examples = 256;
  c.checkpoint_every = 10;
  c.sample_every = 0;
  c.log_every = 5;
  c.fp16_output = false;
  return c;
}

DiffusionTrainConfig tiny_pixel_diffusion(const fs::path& dir, int64_t steps) {
  DiffusionTrainConfig c;
  c.arch.in_channels = c.arch.out_channels = 1;
  c.arch.sample_size = 32;
  c.arch.channels = {8, 16};
  c.arch.attention_resolutions = {16};
  c.arch.heads = 2;
  c.arch.groups = 4;
  c.arch.num_classes = 10;
  c.conditioning = "class";
  c.output = dir / "ddpm.safetensors";
  c.run_dir = dir / "run";
  c.steps = steps;
  c.batch_size = 8;
  c.lr = 2e-3;
  c.warmup_steps = 0;
  c.limit_examples = 128;
  c.checkpoint_every = 5;
  c.sample_every = 0;
  c.log_every = 5;
  c.fp16_output = false;
  return c;
}

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // One intra-op thread: these networks are tiny, and on a loaded machine two OpenMP
  // threads spin-wait on each other (measured 20x slower steps on the shared 2-core box).
  void initTestCase() { at::set_num_threads(1); }

  void autoencoder_loss_decreases_and_scaling_gives_unit_variance() {
    auto dir = fresh_dir("vae");
    ng::BasicContext ctx;
    auto r = train_autoencoder(tiny_vae(dir, 40), ctx);
    auto losses = logged_losses(dir / "run");
    QCOMPARE(int(losses.size()), 8);
    QVERIFY2(losses.back() < 0.7 * losses.front(), "reconstruction loss should fall by 30% in 40 steps");
    // scaling factor was measured on these same 256 images: scaled latents have std 1
    auto data = load_fashion_mnist({}, "train", 256);
    auto ae = ng::nn::load_autoencoder(r.output);
    const double std = ae->encode(to_images(data, at::arange(256))).std().item<double>();
    QVERIFY2(std::abs(std - 1.0) < 1e-3, std::to_string(std).c_str());
    QVERIFY(r.metrics.at("test_psnr") > 5.0);
  }

  // The perceptual term pulls reconstructions towards the classifier's view of the image:
  // after the same 40 steps from the same seed, the classifier's features of the test
  // reconstructions are closer to those of the originals than without the term.
  void perceptual_term_brings_reconstruction_features_closer() {
    const auto classifier = fs::path(NG_TEST_SOURCE_DIR) / "models" / "fmnist-eval-classifier.safetensors";
    ng::BasicContext ctx;
    auto plain_dir = fresh_dir("vae_plain"), perceptual_dir = fresh_dir("vae_perceptual");
    auto plain = train_autoencoder(tiny_vae(plain_dir, 40), ctx);
    auto c = tiny_vae(perceptual_dir, 40);
    c.perceptual_model = classifier;
    c.perceptual_weight = 1.0;
    auto perceptual = train_autoencoder(c, ctx);
    auto clf = ng::nn::load_feature_classifier(classifier);
    auto test = load_fashion_mnist({}, "t10k", 128);
    const auto x = to_images(test, at::arange(128));
    const auto want = clf->features(x);
    auto feature_error = [&](const fs::path& file) {
      auto ae = ng::nn::load_autoencoder(file);
      return (clf->features(ae->decode(ae->encode(x)).clamp(0, 1)) - want).pow(2).sum(1).mean().item<double>();
    };
    const double e_plain = feature_error(plain.output), e_perceptual = feature_error(perceptual.output);
    qInfo("feature error of reconstructions: %.4f with the perceptual term, %.4f without", e_perceptual, e_plain);
    QVERIFY2(e_perceptual < 0.8 * e_plain, (std::to_string(e_perceptual) + " vs " + std::to_string(e_plain)).c_str());
  }

  void perceptual_term_needs_a_clean_image_classifier() {
    ng::BasicContext ctx;
    auto dir = fresh_dir("vae_bad_perceptual");
    auto c = tiny_vae(dir, 2);
    c.perceptual_weight = 1.0;
    try {
      train_autoencoder(c, ctx);
      QFAIL("expected an error without a perceptual model");
    } catch (const ng::Error& e) {
      QVERIFY2(std::string(e.what()).find("perceptual_model") != std::string::npos, e.what());
    }
    c.perceptual_model = fs::path(NG_TEST_SOURCE_DIR) / "models" / "fmnist-latent-classifier.safetensors";
    try {
      train_autoencoder(c, ctx);
      QFAIL("expected an error for a latent classifier");
    } catch (const ng::Error& e) {
      QVERIFY2(std::string(e.what()).find("fmnist-latent-classifier.safetensors") != std::string::npos, e.what());
      QVERIFY2(std::string(e.what()).find("clean image classifier") != std::string::npos, e.what());
    }
    QVERIFY(!fs::exists(dir / "vae.safetensors"));
  }

  // A decoder fine-tune keeps the source's latent space: its encoder tensors and scaling
  // factor come out byte for byte, only decoder tensors change, reconstructions improve, and
  // the latents it encodes are exactly those of the source file.
  void decoder_finetune_keeps_the_latent_space() {
    ng::BasicContext ctx;
    auto source_dir = fresh_dir("vae_ft_source"), ft_dir = fresh_dir("vae_ft");
    auto source = train_autoencoder(tiny_vae(source_dir, 20), ctx);
    auto c = tiny_vae(ft_dir, 30);
    c.arch.channels = {4, 4};  // ignored: the source file's architecture is used
    c.finetune_decoder_of = source.output;
    auto ft = train_autoencoder(c, ctx);
    const auto a = ng::io::load_safetensors(source.output), b = ng::io::load_safetensors(ft.output);
    QCOMPARE(b.metadata.at(ng::nn::meta::scaling_factor), a.metadata.at(ng::nn::meta::scaling_factor));
    QCOMPARE(b.metadata.at(ng::nn::meta::config), a.metadata.at(ng::nn::meta::config));
    int encoder = 0, decoder_changed = 0;
    for (const auto& [name, t] : a.tensors) {
      const auto& u = b.tensors.at(name);
      const bool same = t.sizes() == u.sizes() && t.equal(u);
      if (name.rfind("autoencoder.enc", 0) == 0) {
        ++encoder;
        QVERIFY2(same, name.c_str());
      } else if (!same) {
        ++decoder_changed;
      }
    }
    QVERIFY(encoder > 0);
    QVERIFY2(decoder_changed > 0, "the decoder should have been trained");
    QVERIFY2(ft.metrics.at("test_psnr") > source.metrics.at("test_psnr"),
             (std::to_string(ft.metrics.at("test_psnr")) + " vs " + std::to_string(source.metrics.at("test_psnr"))).c_str());
    auto x = to_images(load_fashion_mnist({}, "t10k", 32), at::arange(32));
    QVERIFY(ng::nn::load_autoencoder(source.output)->encode(x).equal(ng::nn::load_autoencoder(ft.output)->encode(x)));

    c.finetune_decoder_of = ft_dir / "missing.safetensors";
    c.output = ft_dir / "other.safetensors";
    try {
      train_autoencoder(c, ctx);
      QFAIL("expected an error for a missing source file");
    } catch (const ng::Error& e) {
      QVERIFY2(std::string(e.what()).find("missing.safetensors") != std::string::npos, e.what());
    }
    QVERIFY(!fs::exists(c.output));
  }

  // The adversarial term of a decoder fine-tune: the discriminator trains alongside but never
  // reaches the output file, the encoder stays frozen, its gradients reach the decoder only
  // from adversarial_start on (before that the decoder learns exactly what a plain fine-tune
  // learns), and a run resumed from its checkpoint (discriminator and optimiser moments
  // included) ends bit-identical to an uninterrupted one.
  void adversarial_finetune_trains_a_discriminator_it_does_not_ship() {
    ng::BasicContext ctx;
    auto source = train_autoencoder(tiny_vae(fresh_dir("gan_source"), 20), ctx);
    auto finetune = [&](const std::string& dir, int64_t steps, double adversarial_weight, int64_t start) {
      auto c = tiny_vae(fresh_dir(dir), steps);
      c.finetune_decoder_of = source.output;
      c.adversarial_weight = adversarial_weight;
      c.adversarial_start = start;
      return c;
    };
    auto plain = train_autoencoder(finetune("gan_plain", 10, 0.0, 0), ctx);
    auto late = train_autoencoder(finetune("gan_late", 10, 0.5, 1000), ctx);
    auto straight = train_autoencoder(finetune("gan_straight", 10, 0.5, 2), ctx);
    auto split = finetune("gan_split", 5, 0.5, 2);
    train_autoencoder(split, ctx);
    split.steps = 10;
    auto resumed = train_autoencoder(split, ctx);
    QCOMPARE(resumed.resumed_from, int64_t(5));

    const auto s = ng::io::load_safetensors(source.output), p = ng::io::load_safetensors(plain.output),
               l = ng::io::load_safetensors(late.output), a = ng::io::load_safetensors(straight.output),
               b = ng::io::load_safetensors(resumed.output);
    QCOMPARE(a.tensors.size(), s.tensors.size());  // no discriminator tensors
    bool adversarial_changed_the_decoder = false;
    for (const auto& [name, t] : s.tensors) {
      QVERIFY2(a.tensors.count(name) == 1, name.c_str());
      const auto& u = a.tensors.at(name);
      if (name.rfind("autoencoder.enc", 0) == 0) QVERIFY2(t.equal(u), name.c_str());
      QVERIFY2(l.tensors.at(name).equal(p.tensors.at(name)), name.c_str());
      QVERIFY2(b.tensors.at(name).equal(u), name.c_str());
      if (!u.equal(p.tensors.at(name))) adversarial_changed_the_decoder = true;
    }
    QVERIFY(adversarial_changed_the_decoder);
    QCOMPARE(logged_losses(split.run_dir), logged_losses(straight.output.parent_path() / "run"));
  }

  // Min-SNR weights are min(SNR, gamma) / SNR <= 1 for eps: on the very same first batch,
  // noise and initial weights, the weighted loss is below the plain one (every row with
  // SNR > gamma counts less), and the run still learns.
  void min_snr_weighting_lowers_the_weight_of_clean_timesteps() {
    ng::BasicContext ctx;
    auto plain_dir = fresh_dir("snr_plain"), snr_dir = fresh_dir("snr_weighted");
    auto plain = tiny_pixel_diffusion(plain_dir, 10);
    plain.log_every = 1;
    train_diffusion(plain, ctx);
    auto weighted = tiny_pixel_diffusion(snr_dir, 10);
    weighted.log_every = 1;
    weighted.min_snr_gamma = 5.0;
    train_diffusion(weighted, ctx);
    const auto a = logged_losses(plain_dir / "run"), b = logged_losses(snr_dir / "run");
    QCOMPARE(a.size(), b.size());
    QVERIFY2(b.front() < a.front(), (std::to_string(b.front()) + " vs " + std::to_string(a.front())).c_str());
    QVERIFY(std::isfinite(b.back()));
    auto flow = tiny_pixel_diffusion(fresh_dir("snr_flow"), 2);
    flow.objective = "flow";
    flow.min_snr_gamma = 5.0;
    try {
      train_diffusion(flow, ctx);
      QFAIL("expected an error: Min-SNR is for VP objectives");
    } catch (const ng::Error& e) {
      QVERIFY2(std::string(e.what()).find("min_snr_gamma") != std::string::npos, e.what());
    }
  }

  // Logit-normal training times (SD3) for rectified flow: the run learns, is a run of its
  // own (a uniform-time checkpoint does not resume it), and is refused for VP objectives.
  void logit_normal_flow_times_learn_and_are_their_own_run() {
    ng::BasicContext ctx;
    auto dir = fresh_dir("flow_lognorm");
    auto uniform = tiny_pixel_diffusion(dir, 5);
    uniform.objective = "flow";
    train_diffusion(uniform, ctx);
    auto lognorm = tiny_pixel_diffusion(dir, 30);
    lognorm.objective = "flow";
    lognorm.flow_time_sampling = "logit_normal";
    try {
      train_diffusion(lognorm, ctx);
      QFAIL("expected an error: the uniform-time checkpoint is another run");
    } catch (const ng::Error& e) {
      QVERIFY2(std::string(e.what()).find("different training config") != std::string::npos, e.what());
    }
    auto fresh = fresh_dir("flow_lognorm_fresh");
    lognorm.output = fresh / "flow.safetensors";
    lognorm.run_dir = fresh / "run";
    train_diffusion(lognorm, ctx);
    const auto losses = logged_losses(lognorm.run_dir);
    QVERIFY2(losses.back() < 0.8 * losses.front(), "velocity loss should fall by 20% in 30 steps");
    for (const char* bad : {"eps", "v"}) {
      auto vp = tiny_pixel_diffusion(fresh_dir("flow_lognorm_vp"), 2);
      vp.objective = bad;
      vp.flow_time_sampling = "logit_normal";
      try {
        train_diffusion(vp, ctx);
        QFAIL("expected an error: logit-normal times are for flow");
      } catch (const ng::Error& e) {
        QVERIFY2(std::string(e.what()).find("flow_time_sampling") != std::string::npos, e.what());
      }
    }
  }

  void resumed_run_matches_uninterrupted_run_exactly() {
    ng::BasicContext ctx;
    auto straight = fresh_dir("straight");
    train_diffusion(tiny_pixel_diffusion(straight, 10), ctx);
    auto split = fresh_dir("split");
    auto first = train_diffusion(tiny_pixel_diffusion(split, 5), ctx);
    QCOMPARE(first.resumed_from, int64_t(0));
    auto second = train_diffusion(tiny_pixel_diffusion(split, 10), ctx);
    QCOMPARE(second.resumed_from, int64_t(5));
    auto a = ng::io::load_safetensors(straight / "ddpm.safetensors");
    auto b = ng::io::load_safetensors(split / "ddpm.safetensors");
    QCOMPARE(a.tensors.size(), b.tensors.size());
    for (const auto& [name, t] : a.tensors) QVERIFY2(at::equal(t, b.tensors.at(name)), name.c_str());
    QCOMPARE(logged_losses(straight / "run"), logged_losses(split / "run"));
  }

  void diffusion_loss_decreases() {
    auto dir = fresh_dir("loss");
    ng::BasicContext ctx;
    auto c = tiny_pixel_diffusion(dir, 30);
    train_diffusion(c, ctx);
    auto losses = logged_losses(c.run_dir);
    QVERIFY2(losses.back() < 0.8 * losses.front(), "eps loss should fall by 20% in 30 steps");
    // the written file loads as a class-conditional MODEL
    auto model = ng::nn::load_denoiser(c.output);
    QCOMPARE(model->num_classes(), int64_t(10));
    QCOMPARE(model->sample_shape(), (std::vector<int64_t>{1, 32, 32}));
  }

  void diffusion_trains_on_a_folder_of_labelled_pngs() {
    auto dir = fresh_dir("png_folder");
    // 20 real test images written as PNGs into label folders, as a user would supply them.
    auto real = load_fashion_mnist({}, "t10k", 20);
    for (int64_t i = 0; i < real.size(); ++i) {
      QImage img(28, 28, QImage::Format_Grayscale8);
      for (int y = 0; y < 28; ++y)
        std::memcpy(img.scanLine(y), real.pixels[i][y].contiguous().data_ptr<uint8_t>(), 28);
      const auto label = std::to_string(real.labels[i].item<int64_t>());
      fs::create_directories(dir / "data" / label);
      QVERIFY(img.save(QString::fromStdString((dir / "data" / label / (QString::number(i).rightJustified(3, '0').toStdString() + ".png")).string())));
    }
    auto loaded = load_image_folder(dir / "data");
    QCOMPARE(loaded.size(), int64_t(20));
    // Same pixels as the IDX file, in label order.
    auto order = std::get<1>(at::sort(real.labels, /*stable=*/true, 0, false));
    QVERIFY(at::equal(loaded.labels, real.labels.index_select(0, order)));
    QVERIFY(at::equal(loaded.pixels, real.pixels.index_select(0, order)));

    ng::BasicContext ctx;
    auto c = tiny_pixel_diffusion(dir, 3);
    c.data_folder = dir / "data";
    c.limit_examples = 0;
    auto r = train_diffusion(c, ctx);
    QCOMPARE(r.steps, int64_t(3));
    auto file = ng::io::load_safetensors(c.output);
    QVERIFY(file.meta_or("noisegraph.training", "").find("PNG folder") != std::string::npos);
    QCOMPARE(ng::nn::load_denoiser(c.output)->num_classes(), int64_t(10));
  }

  void checkpoint_from_other_config_is_refused() {
    auto dir = fresh_dir("mismatch");
    ng::BasicContext ctx;
    train_diffusion(tiny_pixel_diffusion(dir, 5), ctx);
    auto c = tiny_pixel_diffusion(dir, 10);
    c.lr = 1e-3;
    try {
      train_diffusion(c, ctx);
      QFAIL("expected an error");
    } catch (const ng::Error& e) {
      QVERIFY(std::string(e.what()).find("different training config") != std::string::npos);
    }
  }

  void cancelling_saves_a_checkpoint() {
    auto dir = fresh_dir("cancel");
    struct CancelAfter : ng::BasicContext {
      int calls = 0;
      bool is_cancelled() const override { return ++const_cast<CancelAfter*>(this)->calls > 3; }
    } ctx;
    bool cancelled = false;
    try {
      train_diffusion(tiny_pixel_diffusion(dir, 10), ctx);
    } catch (const ng::Cancelled&) {
      cancelled = true;
    }
    QVERIFY(cancelled);
    auto meta = ng::io::read_safetensors_metadata(dir / "run" / "checkpoint.safetensors");
    QCOMPARE(meta.at("run.step"), std::string("4"));
    QVERIFY(!fs::exists(dir / "ddpm.safetensors"));
  }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
