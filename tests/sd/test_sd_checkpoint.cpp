// Stable Diffusion checkpoints against the sd1-tiny reference vector (made with the
// original CompVis code), and every kind of bad checkpoint a user may hand us.
#include <sys/stat.h>

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

#include "noisegraph/error.hpp"
#include "sd_test_helpers.hpp"

using namespace sdtest;

namespace {

// load_checkpoint must fail with an ng::Error whose one-line message contains every needle.
void expect_refused(const fs::path& path, std::initializer_list<const char*> needles,
                    ng::sd::CheckpointOptions o = tiny_options()) {
  try {
    ng::sd::load_checkpoint(path, o);
  } catch (const ng::Error& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
    for (const char* n : needles) QVERIFY2(msg.find(n) != std::string::npos, (msg + "  [wanted: " + n + "]").c_str());
    return;
  }
  QFAIL(qPrintable(QString("no error for ") + QString::fromStdString(path.string())));
}

}  // namespace

class TestSdCheckpoint : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;
  fs::path at(const std::string& name) const { return fs::path(tmp_.path().toStdString()) / name; }

  fs::path variant(const std::string& name, const std::function<void(Tensors&)>& edit) {
    Tensors t = read_all(tiny_checkpoint());
    edit(t);
    write_all(at(name), t, ng::io::DType::F16);
    return at(name);
  }

 private Q_SLOTS:
  void sd_check_passes_every_reference_tensor_on_the_fp16_file() {
    const CheckRun r = run_sd_check(QString::fromStdString(tiny_checkpoint().string()),
                                    {"--out", tmp_.path() + "/mine.safetensors"});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(QRegularExpression("\\n30 passed, 0 failed")), qPrintable(r.out));  // every reference tensor
    // Its outputs are written under the reference names.
    const auto mine = ng::io::load_safetensors(tmp_.path().toStdString() + "/mine.safetensors");
    QVERIFY(mine.tensors.count("unet_eps") && mine.tensors.count("sample_image_01") && mine.tensors.count("clip_last"));
  }

  void sd_check_reports_a_wrong_weight() {
    // One cross-attention key projection off by 2 %: the text encoder still matches, the
    // U-Net and everything after it must not.
    const auto bad = variant("wrong.safetensors", [](Tensors& t) {
      auto& w = t.at("model.diffusion_model.middle_block.1.transformer_blocks.0.attn2.to_k.weight");
      w = w * 1.02;
    });
    const CheckRun r = run_sd_check(QString::fromStdString(bad.string()));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.out.contains(QRegularExpression("clip_last\\s+ok")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QRegularExpression("unet_eps\\s+FAIL")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QRegularExpression("sample_latent\\s+FAIL")), qPrintable(r.out));
  }

  void long_prompts_are_chunked_and_padding_is_masked_out() {
    const auto ck = ng::sd::load_checkpoint(tiny_checkpoint(), tiny_options());
    std::vector<std::string> unknown;
    std::string long_prompt;
    for (int i = 0; i < 40; ++i) long_prompt += "red fox ";  // 80 tokens -> two 77-token windows
    const auto cond = ck.text_encoder->encode(long_prompt, &unknown);
    const auto uncond = ck.text_encoder->encode("", &unknown);
    QCOMPARE(cond.tokens.size(0), int64_t(154));
    QCOMPARE(uncond.tokens.size(0), int64_t(77));
    // In one batch the 77-token row is padded to 154 with masked tokens: it must denoise
    // exactly as when it runs alone.
    const at::Tensor x = at::randn({1, 4, 16, 16}, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor sigma = at::full({1}, 2.0, at::kFloat);
    const at::Tensor alone = ck.model->denoise(x, sigma, ng::stack_conditions({&uncond}));
    const at::Tensor batched = ck.model->denoise(at::cat({x, x}), at::full({2}, 2.0, at::kFloat),
                                                 ng::stack_conditions({&cond, &uncond}));
    const double diff = (batched.narrow(0, 1, 1) - alone).abs().max().item<double>();
    QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    QVERIFY((batched.narrow(0, 0, 1) - alone).abs().max().item<double>() > 1e-3);  // the prompt matters
  }

  void prompt_weights_scale_the_distance_from_the_empty_prompt() {
    const auto ck = ng::sd::load_checkpoint(tiny_checkpoint(), tiny_options());
    std::vector<std::string> unknown;
    const at::Tensor plain = ck.text_encoder->encode("a cat", &unknown).tokens;
    const at::Tensor heavy = ck.text_encoder->encode("a (cat:1.5)", &unknown).tokens;
    const at::Tensor empty = ck.text_encoder->encode("", &unknown).tokens;
    // Token 2 is "cat": weighted 1.5 away from the empty prompt; the others unchanged.
    const at::Tensor expect = empty[2] + 1.5 * (plain[2] - empty[2]);
    QVERIFY((heavy[2] - expect).abs().max().item<double>() < 1e-5);
    QVERIFY((heavy[1] - plain[1]).abs().max().item<double>() < 1e-6);
    QVERIFY((heavy[2] - plain[2]).abs().max().item<double>() > 1e-3);
  }

  void unconditional_rows_get_the_empty_prompt() {
    // A sampler without a negative prompt sends rows with no tokens: SD's unconditional
    // input is the encoding of "", so both must give the same prediction.
    const auto ck = ng::sd::load_checkpoint(tiny_checkpoint(), tiny_options());
    std::vector<std::string> unknown;
    const auto empty = ck.text_encoder->encode("", &unknown);
    const at::Tensor x = at::randn({1, 4, 16, 16});
    const at::Tensor sigma = at::full({1}, 1.0, at::kFloat);
    const at::Tensor a = ck.model->denoise(x, sigma, ng::stack_conditions({&empty}));
    const at::Tensor b = ck.model->denoise(x, sigma, ng::stack_conditions({nullptr}));
    QVERIFY((a - b).abs().max().item<double>() < 1e-6);
  }

  void vae_tiles_cover_large_latents() {
    auto o = tiny_options();
    o.vae_tile = 16;  // 16x16 latent tiles; a 16x40 latent is tiled, a 16x16 one is not
    const auto ck = ng::sd::load_checkpoint(tiny_checkpoint(), o);
    const at::Tensor z = at::randn({1, 4, 16, 40}) * 0.5;
    const at::Tensor tiled = ck.autoencoder->decode(z);
    const at::Tensor whole = ((ck.vae->decode(z / ng::sd::kLatentScale) + 1) * 0.5).clamp(0, 1);
    QCOMPARE(tiled.sizes(), whole.sizes());
    // Tiles see their own neighbourhood only (the middle attention is global), so they
    // differ from the untiled decode, but must agree on the whole picture.
    const double mean_diff = (tiled - whole).abs().mean().item<double>();
    QVERIFY2(mean_diff < 0.1, qPrintable(QString::number(mean_diff)));
    const at::Tensor small = at::randn({1, 4, 16, 16});
    QVERIFY(ck.autoencoder->decode(small).equal(((ck.vae->decode(small / ng::sd::kLatentScale) + 1) * 0.5).clamp(0, 1)));
  }

  // ---- bad input: one line naming the file and what was wrong --------------------------

  void a_missing_path_is_refused() { expect_refused(at("nope.safetensors"), {"nope.safetensors", "no such file"}); }

  void a_ckpt_pickle_is_refused_with_advice() {
    std::ofstream(at("model.ckpt")) << "PK\x03\x04 pickle";
    expect_refused(at("model.ckpt"), {"model.ckpt", "pickle", "convert", ".safetensors"});
  }

  void a_truncated_file_is_refused() {
    std::ifstream in(tiny_checkpoint(), std::ios::binary);
    std::string head(4000, '\0');
    in.read(head.data(), 4000);
    std::ofstream(at("cut.safetensors"), std::ios::binary) << head;
    expect_refused(at("cut.safetensors"), {"cut.safetensors", "truncated"});
  }

  void a_corrupt_header_is_refused() {
    std::ofstream(at("junk.safetensors"), std::ios::binary) << std::string("\x10\0\0\0\0\0\0\0{not json at all", 24);
    expect_refused(at("junk.safetensors"), {"junk.safetensors"});
  }

  void a_fifo_is_refused_without_blocking() {
    const fs::path p = at("pipe.safetensors");
    QCOMPARE(::mkfifo(p.c_str(), 0600), 0);
    expect_refused(p, {"pipe.safetensors", "not a regular file"});
  }

  void sdxl_sd3_and_flux_files_are_named() {
    const auto xl = variant("xl.safetensors", [](Tensors& t) {
      t["conditioner.embedders.0.transformer.text_model.final_layer_norm.weight"] = at::ones({4});
    });
    expect_refused(xl, {"xl.safetensors", "found SDXL keys (conditioner.embedders.", "not supported yet"});
    const auto sd3 = variant("sd3.safetensors", [](Tensors& t) {
      t["model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight"] = at::ones({4});
    });
    expect_refused(sd3, {"found SD3 keys"});
    const auto flux = variant("flux.safetensors", [](Tensors& t) { t["double_blocks.0.img_attn.norm.key_norm.scale"] = at::ones({4}); });
    expect_refused(flux, {"found Flux keys"});
  }

  void missing_keys_are_listed() {
    const auto bad = variant("missing.safetensors", [](Tensors& t) {
      t.erase("model.diffusion_model.out.2.bias");
      t.erase("model.diffusion_model.middle_block.1.norm.bias");
    });
    expect_refused(bad, {"missing.safetensors", "U-Net", "2 missing key(s)", "middle_block.1.norm.bias", "out.2.bias"});
  }

  void unexpected_keys_are_listed_with_their_count() {
    const auto bad = variant("extra.safetensors", [](Tensors& t) {
      for (int i = 0; i < 12; ++i) t["model.diffusion_model.extra." + std::to_string(i) + ".weight"] = at::ones({2});
    });
    expect_refused(bad, {"12 unexpected key(s)", "extra.0.weight", ", ..."});
    const auto stray = variant("stray.safetensors", [](Tensors& t) { t["lora_unet_down.alpha"] = at::ones({1}); });
    expect_refused(stray, {"1 unexpected key(s)", "lora_unet_down.alpha"});
  }

  void a_shape_mismatch_names_key_and_shapes() {
    const auto bad = variant("shape.safetensors", [](Tensors& t) {
      t["model.diffusion_model.input_blocks.1.1.proj_in.weight"] = at::zeros({32, 32, 3, 3});
    });
    expect_refused(bad, {"input_blocks.1.1.proj_in.weight", "[32, 32, 3, 3]", "expected [32, 32, 1, 1]"});
  }

  void non_finite_weights_are_refused() {
    const auto bad = variant("nan.safetensors", [](Tensors& t) {
      t["first_stage_model.decoder.conv_out.bias"][1] = std::nan("");
    });
    expect_refused(bad, {"nan.safetensors", "first_stage_model.decoder.conv_out.bias", "NaN"});
  }

  void a_diffusers_folder_needs_its_tokenizer() {
    fs::create_directories(at("nodiff"));
    std::ofstream(at("nodiff/model_index.json")) << "{}";
    expect_refused(at("nodiff"), {"nodiff", "unet"});
    const fs::path d = at("notok");
    for (const char* part : {"unet", "vae", "text_encoder"}) fs::create_directories(d / part);
    std::ofstream(d / "model_index.json") << "{}";
    Tensors unet, vae, clip;
    for (const auto& [k, t] : read_all(tiny_checkpoint())) {
      if (k.rfind("cond_stage_model.transformer.", 0) == 0) clip[k.substr(29)] = t;
    }
    // Weights only matter after the tokenizer check; a folder without tokenizer/ is refused first.
    write_all(d / "text_encoder/model.safetensors", clip);
    write_all(d / "unet/diffusion_pytorch_model.safetensors", {{"down_blocks.0.resnets.0.conv1.weight", at::zeros({1})}});
    write_all(d / "vae/diffusion_pytorch_model.safetensors", {{"encoder.conv_in.weight", at::zeros({1})}});
    expect_refused(d, {"notok", "tokenizer/vocab.json"});
  }

  void inpainting_unets_are_refused_clearly() {
    const auto bad = variant("inpaint.safetensors", [](Tensors& t) {
      auto& w = t.at("model.diffusion_model.input_blocks.0.0.weight");
      w = at::zeros({w.size(0), 9, 3, 3});
    });
    expect_refused(bad, {"9 input channels", "not supported"});
  }
};

QTEST_GUILESS_MAIN(TestSdCheckpoint)
#include "test_sd_checkpoint.moc"
