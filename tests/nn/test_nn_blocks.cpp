// nn blocks and model files: configs round-trip, U-Net shapes for every conditioning
// mode, the prompt tokenizer, and loaders that refuse the wrong kind of file.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <filesystem>

#include "noisegraph/context.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "noisegraph/nn/tokenizer.hpp"
#include "noisegraph/nn/testing.hpp"

namespace fs = std::filesystem;
using namespace ng::nn;

namespace {

fs::path temp_dir() {
  auto d = fs::temp_directory_path() / "ng_test_nn_blocks";
  fs::create_directories(d);
  return d;
}

UNetConfig tiny_unet(int64_t context_dim, int64_t classes) {
  UNetConfig c;
  c.in_channels = c.out_channels = 4;
  c.sample_size = 8;
  c.channels = {16, 32};
  c.attention_resolutions = {4};
  c.heads = 2;
  c.groups = 4;
  c.context_dim = context_dim;
  c.num_classes = classes;
  return c;
}

// A loaded U-Net with random weights (every parameter perturbed, so outputs depend on
// every input).
std::shared_ptr<ng::Denoiser> random_denoiser(const UNetConfig& cfg, const std::string& prediction) {
  static int n = 0;
  auto path = temp_dir() / ("unet" + std::to_string(n++) + ".safetensors");
  testing::write_random_unet(path, cfg, prediction, nullptr, 5);
  return load_denoiser(path);
}

// A prompt-conditioned U-Net file with its prompt encoder (context width `dim`).
void write_prompt_model(const fs::path& path, int64_t dim, bool fp16 = false) {
  PromptConfig p;
  p.vocabulary = fashion_mnist_vocabulary();
  p.dim = dim;
  testing::write_random_unet(path, tiny_unet(dim, 0), "eps", &p, 6, fp16);
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ng::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

class TestNnBlocks : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void configs_round_trip_through_json() {
    auto u = tiny_unet(8, 10);
    auto u2 = UNetConfig::from_json(ng::json::parse(ng::json::dump(u.to_json())));
    QCOMPARE(ng::json::dump(u2.to_json()), ng::json::dump(u.to_json()));
    QVERIFY(error_of([] { UNetConfig::from_json(ng::json::parse(R"({"channels":[30],"groups":8})")); })
                .find("multiples of groups") != std::string::npos);
    QVERIFY(error_of([] { UNetConfig::from_json(ng::json::parse(R"({"heads":"4"})")); }).find("heads") !=
            std::string::npos);
  }

  void unet_keeps_shape_for_every_conditioning() {
    auto ctx = ng::Context::make_generator(0);
    auto x = at::randn({3, 4, 8, 8}, ctx);
    // unconditional model
    auto plain = random_denoiser(tiny_unet(0, 0), "eps");
    ng::DenoiserCondition none;
    QCOMPARE(plain->denoise(x, at::ones({3}), none).sizes(), x.sizes());
    // class-conditional: -1 is the null class; an id >= num_classes is an error
    auto cls = random_denoiser(tiny_unet(0, 10), "v");
    ng::DenoiserCondition c;
    c.class_ids = at::tensor({int64_t(0), int64_t(-1), int64_t(9)});
    QCOMPARE(cls->denoise(x, at::ones({3}), c).sizes(), x.sizes());
    c.class_ids = at::tensor({int64_t(0), int64_t(10), int64_t(9)});
    QVERIFY(error_of([&] { cls->denoise(x, at::ones({3}), c); }).find("class id out of range") != std::string::npos);
    // prompt-conditioned: a row with an all-zero mask equals a row with no context at all
    auto pr = random_denoiser(tiny_unet(8, 0), "eps");
    ng::DenoiserCondition p;
    p.context = at::randn({3, 5, 8}, ctx);
    p.context_mask = at::ones({3, 5});
    p.context_mask[1].zero_();
    auto with = pr->denoise(x, at::ones({3}), p);
    auto without = pr->denoise(x, at::ones({3}), ng::DenoiserCondition{});
    QCOMPARE(with.sizes(), x.sizes());
    QVERIFY(at::allclose(with[1], without[1], 1e-5, 1e-5));
    QVERIFY(!at::allclose(with[0], without[0], 1e-5, 1e-5));  // a real prompt changes the output
    p.context = at::randn({3, 5, 7}, ctx);
    QVERIFY(error_of([&] { pr->denoise(x, at::ones({3}), p); }).find("width") != std::string::npos);
  }

  void tokenizer_reports_unknown_words() {
    Tokenizer tok(fashion_mnist_vocabulary());
    std::vector<std::string> unknown;
    auto ids = tok.encode("A photo of an Ankle-Boot, sneakers and a hat!", &unknown);
    // "ankle-boot" is one word (not in the vocabulary); "and", "hat" are unknown too
    QCOMPARE(unknown, (std::vector<std::string>{"ankle-boot", "and", "hat"}));
    QCOMPARE(int(ids.size()), 6);  // a photo of an sneakers a
    unknown.clear();
    QVERIFY(tok.encode("", &unknown).empty());
    QVERIFY(unknown.empty());
    for (const char* w : {"t-shirt", "top", "tee", "trousers", "pants", "jeans", "pullover", "sweater", "jumper",
                          "dress", "coat", "jacket", "sandals", "shirt", "sneaker", "trainers", "bag", "handbag",
                          "purse", "ankle", "boot", "boots", "the", "of"}) {
      unknown.clear();
      QCOMPARE(int(tok.encode(w, &unknown).size()), 1);
      QVERIFY2(unknown.empty(), w);
    }
  }

  void prompt_encoder_gives_tokens_and_unconditional_empty_prompt() {
    auto path = temp_dir() / "prompt.safetensors";
    write_prompt_model(path, 8);
    auto enc = load_prompt_encoder(path);
    std::vector<std::string> unknown;
    auto e = enc->encode("a red sneaker", &unknown);
    QCOMPARE(unknown, std::vector<std::string>{"red"});
    QCOMPARE(e.tokens.sizes(), (at::IntArrayRef{2, 8}));
    QCOMPARE(e.token_mask.sum().item<float>(), 2.0f);
    auto empty = enc->encode("", &unknown);
    QVERIFY(!empty.tokens.defined());
    QCOMPARE(enc->embedding_dim(), int64_t(8));
  }

  void loaders_refuse_the_wrong_kind_of_file() {
    auto unet_path = temp_dir() / "unet.safetensors";
    write_prompt_model(unet_path, 8);
    auto msg = error_of([&] { load_autoencoder(unet_path); });
    QVERIFY2(msg.find("holds a U-Net") != std::string::npos && msg.find("not an autoencoder") != std::string::npos,
             msg.c_str());
    auto plain = temp_dir() / "plain.safetensors";
    ng::io::save_safetensors(plain, {{"w", at::ones({2})}}, {});
    msg = error_of([&] { load_denoiser(plain); });
    QVERIFY2(msg.find("no NoiseGraph model description") != std::string::npos, msg.c_str());
    msg = error_of([&] { load_prompt_encoder(plain); });
    QVERIFY2(msg.find("without a prompt encoder") != std::string::npos, msg.c_str());
    msg = error_of([&] { load_denoiser(temp_dir() / "missing.safetensors"); });
    QVERIFY2(msg.find("not found") != std::string::npos, msg.c_str());
    // a U-Net file whose tensors do not match its config
    auto f = ng::io::load_safetensors(unet_path);
    QVERIFY(f.tensors.erase("unet.conv_in.weight") == 1);
    auto broken = temp_dir() / "broken.safetensors";
    ng::io::save_safetensors(broken, f.tensors, f.metadata);
    msg = error_of([&] { load_denoiser(broken); });
    QVERIFY2(msg.find("missing tensor") != std::string::npos, msg.c_str());
  }

  void stored_fp16_model_matches_float32_closely() {
    auto path32 = temp_dir() / "m32.safetensors";
    auto path16 = temp_dir() / "m16.safetensors";
    write_prompt_model(path32, 8, false);
    write_prompt_model(path16, 8, true);
    auto a = load_denoiser(path32), b = load_denoiser(path16);
    auto x = at::randn({2, 4, 8, 8}, ng::Context::make_generator(3));
    auto da = a->denoise(x, at::full({2}, 2.0), ng::DenoiserCondition{});
    auto db = b->denoise(x, at::full({2}, 2.0), ng::DenoiserCondition{});
    // fp16 keeps ~3 decimal digits per weight; through a few layers 1% relative is ample
    QVERIFY(((da - db).pow(2).mean().sqrt() / da.pow(2).mean().sqrt()).item<double>() < 1e-2);
  }
};

QTEST_GUILESS_MAIN(TestNnBlocks)
#include "test_nn_blocks.moc"
