// The same sd1-tiny weights stored the other ways people have them — a diffusers folder,
// SD 2.x-style names (OpenCLIP text tower, linear transformer projections, linear VAE
// attention), F32/BF16, extra EMA keys — must load and give the reference outputs. The
// renamings below follow diffusers' and OpenCLIP's published layouts and are written here,
// independently of the loader's own key maps.
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "noisegraph/error.hpp"
#include "sd_test_helpers.hpp"

using namespace sdtest;

namespace {

bool starts(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  QFile f(QString::fromStdString(p.string()));
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text.data(), qint64(text.size()));
}

// latent-diffusion U-Net name -> diffusers UNet2DConditionModel name (2 res blocks per level).
std::string unet_to_diffusers(const std::string& k) {
  const int per = 3;
  static const std::map<std::string, std::string> res = {{"in_layers.0", "norm1"},   {"in_layers.2", "conv1"},
                                                         {"emb_layers.1", "time_emb_proj"}, {"out_layers.0", "norm2"},
                                                         {"out_layers.3", "conv2"}, {"skip_connection", "conv_shortcut"}};
  auto res_name = [&](const std::string& rest) {  // "in_layers.0.weight"
    const auto dot = rest.rfind('.');
    return res.at(rest.substr(0, dot)) + rest.substr(dot);
  };
  std::smatch m;
  static const std::regex in(R"(input_blocks\.(\d+)\.(\d+)\.(.*))"), out(R"(output_blocks\.(\d+)\.(\d+)\.(.*))"),
      mid(R"(middle_block\.(\d+)\.(.*))");
  if (starts(k, "input_blocks.0.0.")) return "conv_in." + k.substr(17);
  if (starts(k, "time_embed.0.")) return "time_embedding.linear_1." + k.substr(13);
  if (starts(k, "time_embed.2.")) return "time_embedding.linear_2." + k.substr(13);
  if (starts(k, "out.0.")) return "conv_norm_out." + k.substr(6);
  if (starts(k, "out.2.")) return "conv_out." + k.substr(6);
  if (std::regex_match(k, m, in)) {
    const int i = std::stoi(m[1]), sub = std::stoi(m[2]);
    const std::string rest = m[3];
    if (starts(rest, "op.")) return "down_blocks." + std::to_string(i / per - 1) + ".downsamplers.0.conv." + rest.substr(3);
    const std::string blk = "down_blocks." + std::to_string((i - 1) / per);
    const std::string idx = std::to_string((i - 1) % per);
    return sub == 0 ? blk + ".resnets." + idx + "." + res_name(rest) : blk + ".attentions." + idx + "." + rest;
  }
  if (std::regex_match(k, m, out)) {
    const int i = std::stoi(m[1]), sub = std::stoi(m[2]);
    const std::string rest = m[3], blk = "up_blocks." + std::to_string(i / per), idx = std::to_string(i % per);
    if (sub == 0) return blk + ".resnets." + idx + "." + res_name(rest);
    if (starts(rest, "conv.")) return blk + ".upsamplers.0." + rest;
    return blk + ".attentions." + idx + "." + rest;
  }
  if (std::regex_match(k, m, mid)) {
    const int i = std::stoi(m[1]);
    const std::string rest = m[2];
    if (i == 1) return "mid_block.attentions.0." + rest;
    return "mid_block.resnets." + std::to_string(i / 2) + "." + res_name(rest);
  }
  throw std::runtime_error("no diffusers name for " + k);
}

// latent-diffusion VAE name -> diffusers AutoencoderKL name (4 levels); attention 1x1 convs become Linear.
std::string vae_to_diffusers(const std::string& k, bool* squeeze) {
  *squeeze = false;
  std::smatch m;
  static const std::regex down(R"(encoder\.down\.(\d+)\.(block\.(\d+)|downsample)\.(.*))"),
      up(R"(decoder\.up\.(\d+)\.(block\.(\d+)|upsample)\.(.*))"), mid(R"((encoder|decoder)\.mid\.(\w+)\.(.*))");
  auto shortcut = [](std::string r) { return starts(r, "nin_shortcut.") ? "conv_shortcut." + r.substr(13) : r; };
  if (std::regex_match(k, m, down)) {
    const std::string blk = "encoder.down_blocks." + m[1].str();
    return m[2].str() == "downsample" ? blk + ".downsamplers.0." + m[4].str() : blk + ".resnets." + m[3].str() + "." + shortcut(m[4]);
  }
  if (std::regex_match(k, m, up)) {
    const std::string blk = "decoder.up_blocks." + std::to_string(3 - std::stoi(m[1]));
    return m[2].str() == "upsample" ? blk + ".upsamplers.0." + m[4].str() : blk + ".resnets." + m[3].str() + "." + shortcut(m[4]);
  }
  if (std::regex_match(k, m, mid)) {
    const std::string part = m[1], what = m[2], rest = m[3];
    if (what == "block_1") return part + ".mid_block.resnets.0." + shortcut(rest);
    if (what == "block_2") return part + ".mid_block.resnets.1." + shortcut(rest);
    static const std::map<std::string, std::string> attn = {
        {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};
    const auto dot = rest.find('.');
    *squeeze = rest.substr(dot) == ".weight" && rest.substr(0, dot) != "norm";
    return part + ".mid_block.attentions.0." + attn.at(rest.substr(0, dot)) + rest.substr(dot);
  }
  if (k == "encoder.norm_out.weight" || k == "encoder.norm_out.bias" || k == "decoder.norm_out.weight" ||
      k == "decoder.norm_out.bias")
    return k.substr(0, 8) + "conv_norm_out" + k.substr(16);
  return k;  // conv_in, conv_out, quant_conv, post_quant_conv keep their names
}

// The CLIP vocabulary in Hugging Face's tokenizer files, from the .gz merges.
void write_tokenizer(const fs::path& dir) {
  const auto tok = ng::sd::ClipTokenizer::from_bpe_gz(vocab());
  std::vector<int> bytes;
  for (int b = 33; b <= 126; ++b) bytes.push_back(b);
  for (int b = 161; b <= 172; ++b) bytes.push_back(b);
  for (int b = 174; b <= 255; ++b) bytes.push_back(b);
  std::vector<int> cps = bytes;
  for (int b = 0, n = 0; b < 256; ++b)
    if (std::find(bytes.begin(), bytes.end(), b) == bytes.end()) bytes.push_back(b), cps.push_back(256 + n++);
  auto utf8 = [](int cp) {
    std::string s;
    if (cp < 0x80) s += char(cp);
    else s += char(0xC0 | (cp >> 6)), s += char(0x80 | (cp & 0x3F));
    return s;
  };
  auto esc = [](const std::string& s) {
    std::string o;
    for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return o;
  };
  std::vector<std::string> vocab_list;
  for (int cp : cps) vocab_list.push_back(utf8(cp));
  for (int cp : cps) vocab_list.push_back(utf8(cp) + "</w>");
  std::string merges = "#version: 0.2\n";
  for (const auto& [a, b] : tok.merges()) vocab_list.push_back(a + b), merges += a + " " + b + "\n";
  vocab_list.push_back("<|startoftext|>");
  vocab_list.push_back("<|endoftext|>");
  std::string json = "{";
  for (size_t i = 0; i < vocab_list.size(); ++i) json += (i ? "," : "") + ("\"" + esc(vocab_list[i]) + "\":" + std::to_string(i));
  write_text(dir / "vocab.json", json + "}");
  write_text(dir / "merges.txt", merges);
}

void write_diffusers_folder(const fs::path& dir) {
  Tensors unet, vae, clip;
  for (const auto& [k, t] : read_all(tiny_checkpoint())) {
    if (starts(k, "model.diffusion_model.")) {
      unet[unet_to_diffusers(k.substr(22))] = t;
    } else if (starts(k, "first_stage_model.")) {
      bool squeeze = false;
      const std::string name = vae_to_diffusers(k.substr(18), &squeeze);
      vae[name] = squeeze ? t.reshape({t.size(0), t.size(1)}) : t;
    } else if (starts(k, "cond_stage_model.transformer.")) {
      clip[k.substr(29)] = t;
    }
  }
  write_all(dir / "unet/diffusion_pytorch_model.safetensors", unet, ng::io::DType::F16);
  write_all(dir / "vae/diffusion_pytorch_model.safetensors", vae, ng::io::DType::F16);
  write_all(dir / "text_encoder/model.safetensors", clip, ng::io::DType::F16);
  write_text(dir / "model_index.json", R"({"_class_name": "StableDiffusionPipeline"})");
  write_text(dir / "unet/config.json", R"({"attention_head_dim": 8, "cross_attention_dim": 32})");
  write_text(dir / "text_encoder/config.json", R"({"hidden_act": "quick_gelu", "num_attention_heads": 4})");
  write_text(dir / "scheduler/scheduler_config.json",
             R"({"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", )"
             R"("prediction_type": "epsilon", "num_train_timesteps": 1000})");
  write_tokenizer(dir / "tokenizer");
}

// SD 2.x-style single file: OpenCLIP text tower names (fused q/k/v), Linear proj_in/proj_out
// in the U-Net's transformers, Linear VAE attention, plus EMA keys and float position ids.
void write_sd2_style(const fs::path& file) {
  Tensors out;
  const Tensors in = read_all(tiny_checkpoint());
  std::smatch m;
  static const std::regex layer(R"(cond_stage_model\.transformer\.text_model\.encoder\.layers\.(\d+)\.(.*))");
  static const std::map<std::string, std::string> same = {
      {"layer_norm1", "ln_1"}, {"layer_norm2", "ln_2"}, {"self_attn.out_proj", "attn.out_proj"},
      {"mlp.fc1", "mlp.c_fc"}, {"mlp.fc2", "mlp.c_proj"}};
  const std::string oc = "cond_stage_model.model.";
  for (const auto& [k, t] : in) {
    if (std::regex_match(k, m, layer)) {
      const std::string p = oc + "transformer.resblocks." + m[1].str() + ".", rest = m[2];
      const auto dot = rest.rfind('.');
      const std::string mod = rest.substr(0, dot), kind = rest.substr(dot + 1);
      if (same.count(mod)) out[p + same.at(mod) + "." + kind] = t;
      else if (mod == "self_attn.q_proj") {  // fuse q, k, v as OpenCLIP stores them
        const std::string base = "cond_stage_model.transformer.text_model.encoder.layers." + m[1].str() + ".self_attn.";
        out[p + "attn.in_proj_" + kind] =
            at::cat({in.at(base + "q_proj." + kind), in.at(base + "k_proj." + kind), in.at(base + "v_proj." + kind)});
      }
    } else if (k == "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight") {
      out[oc + "token_embedding.weight"] = t;
    } else if (k == "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight") {
      out[oc + "positional_embedding"] = t;
    } else if (starts(k, "cond_stage_model.transformer.text_model.final_layer_norm.")) {
      out[oc + "ln_final." + k.substr(57)] = t;
    } else if (starts(k, "cond_stage_model.transformer.")) {
      continue;  // position_ids: OpenCLIP has none
    } else if (k.find(".proj_in.weight") != std::string::npos || k.find(".proj_out.weight") != std::string::npos) {
      out[k] = starts(k, "model.diffusion_model.") ? t.reshape({t.size(0), t.size(1)}) : t;
    } else if (starts(k, "first_stage_model.") && k.find(".attn_1.") != std::string::npos &&
               k.find(".norm.") == std::string::npos && k.size() > 7 && k.substr(k.size() - 7) == ".weight") {
      out[k] = t.reshape({t.size(0), t.size(1)});
    } else {
      out[k] = t;
    }
    if (starts(k, "model.diffusion_model.out."))  // a few EMA keys, as real files carry them
      out["model_ema." + std::regex_replace(k.substr(22), std::regex("\\."), "")] = t;
  }
  out[oc + "text_projection"] = at::zeros({32, 32});
  out[oc + "logit_scale"] = at::ones({});
  write_all(file, out, ng::io::DType::F16);
}

}  // namespace

class TestSdLayouts : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;
  fs::path at(const char* name) const { return fs::path(tmp_.path().toStdString()) / name; }

 private Q_SLOTS:
  void diffusers_folder_gives_the_reference_outputs() {
    write_diffusers_folder(at("diffusers"));
    const auto info = ng::sd::inspect_checkpoint(at("diffusers"), tiny_options());
    QCOMPARE(QString::fromStdString(info.format), QString("diffusers folder"));
    QCOMPARE(info.unet.num_heads, int64_t(8));  // from unet/config.json
    QCOMPARE(info.clip.heads, int64_t(4));      // from text_encoder/config.json
    const CheckRun r = run_sd_check(QString::fromStdString(at("diffusers").string()));
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
  }

  void sd2_style_names_give_the_reference_outputs() {
    write_sd2_style(at("sd2-style.safetensors"));
    auto o = tiny_options();
    const auto info = ng::sd::inspect_checkpoint(at("sd2-style.safetensors"), o);
    QCOMPARE(QString::fromStdString(info.family), QString("SD 2.x"));  // OpenCLIP names
    QVERIFY(info.unet.linear_proj);
    QCOMPARE(info.pad_id, int64_t(0));
    QCOMPARE(info.clip_skip, int64_t(2));
    // The weights are SD 1.x's: with the SD 1.x conventions forced they must match exactly.
    const CheckRun r = run_sd_check(QString::fromStdString(at("sd2-style.safetensors").string()), {"--family", "sd1"});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
  }

  void f32_copy_gives_the_reference_outputs() {
    write_all(at("f32.safetensors"), read_all(tiny_checkpoint()), ng::io::DType::F32);
    const CheckRun r = run_sd_check(QString::fromStdString(at("f32.safetensors").string()));
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(" 0 failed"), qPrintable(r.out));
  }

  void bf16_copy_loads_and_stays_close() {
    // BF16 keeps 8 bits of mantissa: the outputs move by about 1 %, not more.
    write_all(at("bf16.safetensors"), read_all(tiny_checkpoint()), ng::io::DType::BF16);
    const auto ck = ng::sd::load_checkpoint(at("bf16.safetensors"), tiny_options());
    const auto v = ng::io::load_safetensors(tiny_dir() / "vectors.safetensors");
    const at::Tensor eps = ck.unet->forward(v.get("unet_x"), v.get("unet_t").to(at::kDouble), v.get("unet_context"));
    const double rel = ((eps - v.get("unet_eps")).abs().max() / v.get("unet_eps").abs().max()).item<double>();
    QVERIFY2(rel > 0 && rel < 0.05, qPrintable(QString::number(rel)));
  }

  void every_key_of_a_full_size_sd15_file_is_used() {
    // A sparse file with the 1143 real SD 1.5 keys and shapes (F16): the header is real,
    // the data reads as zeros, and nothing is loaded: inspect reads shapes only.
    std::ifstream in(tiny_dir() / "sd1_real_layout.txt");
    std::string line, header = "{";
    uint64_t offset = 0, floats = 0, schedule = 0;
    int keys = 0;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);  // key <tab> dtype <tab> [shape] <tab> init
      std::string name, dtype, shape;
      std::getline(ss, name, '\t');
      std::getline(ss, dtype, '\t');
      std::getline(ss, shape, '\t');
      shape.erase(std::remove(shape.begin(), shape.end(), ' '), shape.end());
      uint64_t n = 1;
      std::string dims = shape.substr(1, shape.size() - 2);
      for (size_t p = 0; !dims.empty();) {
        const size_t c = dims.find(',', p);
        n *= std::stoull(dims.substr(p, c - p));
        if (c == std::string::npos) break;
        p = c + 1;
      }
      const bool integer = dtype == "int64";
      const uint64_t bytes = n * (integer ? 8 : 2);
      header += std::string(keys ? "," : "") + "\"" + name + "\":{\"dtype\":\"" + (integer ? "I64" : "F16") +
                "\",\"shape\":" + shape + ",\"data_offsets\":[" + std::to_string(offset) + "," +
                std::to_string(offset + bytes) + "]}";
      offset += bytes;
      ++keys;
      if (!integer) (name.find('.') == std::string::npos ? schedule : floats) += n;
    }
    QCOMPARE(keys, 1143);
    header += "}";
    while ((8 + header.size()) % 8) header += ' ';
    const fs::path file = at("sd15-layout.safetensors");
    {
      std::ofstream f(file, std::ios::binary);
      const uint64_t n = header.size();
      for (int i = 0; i < 8; ++i) f.put(char((n >> (8 * i)) & 0xFF));
      f << header;
    }
    fs::resize_file(file, 8 + header.size() + offset);  // sparse: no disk blocks for the data
    const auto info = ng::sd::inspect_checkpoint(file, {});
    QCOMPARE(QString::fromStdString(info.family), QString("SD 1.x"));
    QCOMPARE(info.unet.model_channels, int64_t(320));
    QCOMPARE(info.unet.channel_mult, (std::vector<int64_t>{1, 2, 4, 4}));
    QCOMPARE(info.unet.transformer_depth, (std::vector<int64_t>{1, 1, 1, 0}));
    QCOMPARE(info.unet.context_dim, int64_t(768));
    QCOMPARE(info.vae.ch_mult, (std::vector<int64_t>{1, 2, 4, 4}));
    QCOMPARE(info.clip.layers, int64_t(12));
    QCOMPARE(info.clip.heads, int64_t(12));
    // Every floating tensor except the 12 schedule buffers is a weight of one of the networks.
    QCOMPARE(uint64_t(info.parameters), floats);
    QVERIFY(schedule == 12 * 1000);
    QVERIFY2(info.describe().find("SD 1.x, eps") == 0, info.describe().c_str());
  }
};

QTEST_GUILESS_MAIN(TestSdLayouts)
#include "test_sd_layouts.moc"
