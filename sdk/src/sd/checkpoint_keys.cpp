// Checkpoint key maps: latent-diffusion single files, OpenCLIP text encoders, diffusers folders.
#include "checkpoint_keys.hpp"

#include <ATen/ATen.h>

#include <regex>

#include "noisegraph/error.hpp"

namespace ng::sd::keys {

namespace {

bool starts(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

Shape stored_shape(const io::MappedTensorFile& f, const std::string& name) { return f.tensors().at(name).shape; }

TensorRef whole(const io::MappedTensorFile& f, const std::string& name) {
  return TensorRef{&f, name, 0, 1, stored_shape(f, name)};
}

// VAE attention projections stored as Linear [C,C] (diffusers, some converted files)
// become the 1x1 convolutions [C,C,1,1] of the original.
void conv_shaped_attention(RefMap& vae) {
  for (auto& [name, ref] : vae)
    if (name.find(".attn_1.") != std::string::npos && ends(name, ".weight") && ref.shape.size() == 2)
      ref.shape = {ref.shape[0], ref.shape[1], 1, 1};
}

// OpenCLIP ViT-H text tower (SD 2.x `cond_stage_model.model.*`) -> Hugging Face CLIP names.
void add_openclip(RefMap& clip, const io::MappedTensorFile& f, const std::string& full, const std::string& rest,
                  std::map<std::string, int64_t>& ignored) {
  static const std::regex block(R"(transformer\.resblocks\.(\d+)\.(.*))");
  std::smatch m;
  if (rest == "token_embedding.weight") {
    clip["embeddings.token_embedding.weight"] = whole(f, full);
  } else if (rest == "positional_embedding") {
    clip["embeddings.position_embedding.weight"] = whole(f, full);
  } else if (starts(rest, "ln_final.")) {
    clip["final_layer_norm." + rest.substr(9)] = whole(f, full);
  } else if (rest == "text_projection" || rest == "logit_scale") {
    ++ignored["cond_stage_model.model." + rest + " (CLIP projection, unused by SD)"];
  } else if (std::regex_match(rest, m, block)) {
    const std::string p = "encoder.layers." + m[1].str() + ".", tail = m[2].str();
    static const std::map<std::string, std::string> same = {
        {"ln_1.weight", "layer_norm1.weight"}, {"ln_1.bias", "layer_norm1.bias"},
        {"ln_2.weight", "layer_norm2.weight"}, {"ln_2.bias", "layer_norm2.bias"},
        {"attn.out_proj.weight", "self_attn.out_proj.weight"}, {"attn.out_proj.bias", "self_attn.out_proj.bias"},
        {"mlp.c_fc.weight", "mlp.fc1.weight"}, {"mlp.c_fc.bias", "mlp.fc1.bias"},
        {"mlp.c_proj.weight", "mlp.fc2.weight"}, {"mlp.c_proj.bias", "mlp.fc2.bias"}};
    if (auto it = same.find(tail); it != same.end()) {
      clip[p + it->second] = whole(f, full);
    } else if (tail == "attn.in_proj_weight" || tail == "attn.in_proj_bias") {
      Shape s = stored_shape(f, full);
      if (s.empty() || s[0] % 3 != 0) throw Error(f.source() + ": '" + full + "' cannot be split into q, k, v");
      s[0] /= 3;
      const char* names[3] = {"q_proj", "k_proj", "v_proj"};
      for (int64_t i = 0; i < 3; ++i)
        clip[p + "self_attn." + names[i] + (tail == "attn.in_proj_weight" ? ".weight" : ".bias")] =
            TensorRef{&f, full, i, 3, s};
    } else {
      throw Error(f.source() + ": unexpected OpenCLIP key '" + full + "'");
    }
  } else {
    throw Error(f.source() + ": unexpected OpenCLIP key '" + full + "'");
  }
}

bool is_schedule_buffer(const std::string& k) {
  static const char* names[] = {"betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
                                "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod",
                                "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
                                "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2"};
  for (const char* n : names)
    if (k == n) return true;
  return false;
}

// Names of families we recognise but cannot run, by a key prefix they always have.
void refuse_other_families(const io::MappedTensorFile& f) {
  struct Family {
    const char* prefix;
    const char* name;
  };
  static const Family families[] = {
      {"conditioner.embedders.", "SDXL"},
      {"model.diffusion_model.label_emb.", "SDXL"},
      {"model.diffusion_model.joint_blocks.", "SD3"},
      {"text_encoders.", "SD3"},
      {"model.diffusion_model.double_blocks.", "Flux"},
      {"double_blocks.", "Flux"},
  };
  for (const auto& fam : families)
    for (const auto& [name, info] : f.tensors())
      if (starts(name, fam.prefix))
        throw Error(f.source() + ": found " + fam.name + " keys (" + fam.prefix + "..): not supported yet "
                    "(NoiseGraph runs Stable Diffusion 1.x and 2.x checkpoints)");
}

}  // namespace

KeyMap map_single_file(const io::MappedTensorFile& f) {
  refuse_other_families(f);
  KeyMap out;
  std::vector<std::string> unknown;
  for (const auto& [k, info] : f.tensors()) {
    if (starts(k, "model.diffusion_model.")) {
      out.unet[k.substr(22)] = whole(f, k);
    } else if (starts(k, "first_stage_model.")) {
      out.vae[k.substr(18)] = whole(f, k);
    } else if (starts(k, "cond_stage_model.transformer.")) {
      std::string rest = k.substr(29);
      if (starts(rest, "text_model.")) rest = rest.substr(11);
      if (rest == "embeddings.position_ids") ++out.ignored["position_ids (a buffer of 0..76)"];
      else out.clip[rest] = whole(f, k);
    } else if (starts(k, "cond_stage_model.model.")) {
      out.openclip = true;
      add_openclip(out.clip, f, k, k.substr(23), out.ignored);
    } else if (starts(k, "model_ema.")) {
      ++out.ignored["model_ema.* (EMA copy; model.diffusion_model.* is used)"];
    } else if (is_schedule_buffer(k)) {
      ++out.ignored["schedule buffers (recomputed in float64)"];
    } else if (k == "v_pred") {
      out.v_pred_key = true;
    } else if (k == "logvar" || k == "model.diffusion_model.logvar") {
      ++out.ignored["logvar (training only)"];
    } else {
      unknown.push_back(k);
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 10; ++i) list += (i ? ", " : "") + unknown[i];
    throw Error(f.source() + ": " + std::to_string(unknown.size()) + " unexpected key(s) for an SD 1.x/2.x checkpoint: " +
                list + (unknown.size() > 10 ? ", ..." : ""));
  }
  if (out.unet.empty() || out.vae.empty() || out.clip.empty())
    throw Error(f.source() + ": not a complete Stable Diffusion checkpoint (needs model.diffusion_model.*, "
                "first_stage_model.* and cond_stage_model.* keys; found " +
                std::to_string(out.unet.size()) + ", " + std::to_string(out.vae.size()) + " and " +
                std::to_string(out.clip.size()) + ")");
  conv_shaped_attention(out.vae);
  return out;
}

RefMap map_diffusers_unet(const io::MappedTensorFile& f) {
  int64_t nrb = 0;
  while (f.contains("down_blocks.0.resnets." + std::to_string(nrb) + ".conv1.weight")) ++nrb;
  if (nrb == 0) throw Error(f.source() + ": not a diffusers UNet2DConditionModel (no down_blocks.0.resnets)");
  auto up_has_attention = [&](const std::string& u) {
    return f.contains("up_blocks." + u + ".attentions.0.norm.weight");
  };
  auto resnet = [](const std::string& rest) {
    static const std::map<std::string, std::string> names = {
        {"norm1", "in_layers.0"}, {"conv1", "in_layers.2"}, {"time_emb_proj", "emb_layers.1"},
        {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"}};
    const auto dot = rest.find('.');
    auto it = names.find(rest.substr(0, dot));
    return it == names.end() ? std::string() : it->second + rest.substr(dot);
  };
  static const std::regex block(R"((down|up)_blocks\.(\d+)\.(resnets|attentions|downsamplers|upsamplers)\.(\d+)\.(.*))");
  static const std::regex midb(R"(mid_block\.(resnets|attentions)\.(\d+)\.(.*))");
  static const std::map<std::string, std::string> plain = {
      {"conv_in", "input_blocks.0.0"}, {"time_embedding.linear_1", "time_embed.0"},
      {"time_embedding.linear_2", "time_embed.2"}, {"conv_norm_out", "out.0"}, {"conv_out", "out.2"}};
  RefMap out;
  for (const auto& [k, info] : f.tensors()) {
    std::string name;
    std::smatch m;
    const auto dot = k.rfind('.');
    if (auto it = plain.find(k.substr(0, dot)); it != plain.end()) {
      name = it->second + k.substr(dot);
    } else if (std::regex_match(k, m, block)) {
      const int64_t b = std::stoll(m[2].str()), i = std::stoll(m[4].str()), per = nrb + 1;
      const std::string kind = m[3].str(), rest = m[5].str();
      const bool down = m[1].str() == "down";
      const std::string base = down ? "input_blocks." : "output_blocks.";
      if (kind == "resnets") {
        const std::string r = resnet(rest);
        if (!r.empty()) name = base + std::to_string((down ? 1 : 0) + b * per + i) + ".0." + r;
      } else if (kind == "attentions") {
        name = base + std::to_string((down ? 1 : 0) + b * per + i) + ".1." + rest;
      } else if (kind == "downsamplers" && starts(rest, "conv.")) {
        name = "input_blocks." + std::to_string((b + 1) * per) + ".0.op." + rest.substr(5);
      } else if (kind == "upsamplers" && starts(rest, "conv.")) {
        name = "output_blocks." + std::to_string(b * per + nrb) + (up_has_attention(m[2].str()) ? ".2." : ".1.") + rest;
      }
    } else if (std::regex_match(k, m, midb)) {
      const std::string kind = m[1].str(), i = m[2].str(), rest = m[3].str();
      if (kind == "attentions" && i == "0") name = "middle_block.1." + rest;
      else if (kind == "resnets" && (i == "0" || i == "1") && !resnet(rest).empty())
        name = std::string("middle_block.") + (i == "0" ? "0." : "2.") + resnet(rest);
    }
    if (name.empty()) throw Error(f.source() + ": unexpected key '" + k + "' for a diffusers SD U-Net");
    out[name] = whole(f, k);
  }
  return out;
}

RefMap map_diffusers_vae(const io::MappedTensorFile& f) {
  int64_t levels = 0;
  while (f.contains("decoder.up_blocks." + std::to_string(levels) + ".resnets.0.conv1.weight")) ++levels;
  static const std::regex block(R"((encoder|decoder)\.(down|up)_blocks\.(\d+)\.(resnets|downsamplers|upsamplers)\.(\d+)\.(.*))");
  static const std::regex midb(R"((encoder|decoder)\.mid_block\.(resnets|attentions)\.(\d+)\.(.*))");
  static const std::map<std::string, std::string> attn = {
      {"group_norm", "norm"}, {"to_q", "q"}, {"to_k", "k"}, {"to_v", "v"}, {"to_out.0", "proj_out"},
      {"query", "q"}, {"key", "k"}, {"value", "v"}, {"proj_attn", "proj_out"}};
  RefMap out;
  for (const auto& [k, info] : f.tensors()) {
    std::string name;
    std::smatch m;
    if (std::regex_match(k, m, block)) {
      const std::string part = m[1].str(), kind = m[4].str(), rest = m[6].str();
      const int64_t b = std::stoll(m[3].str());
      const int64_t level = part == "decoder" ? levels - 1 - b : b;
      const std::string base = part + (part == "decoder" ? ".up." : ".down.") + std::to_string(level);
      if (kind == "resnets") name = base + ".block." + m[5].str() + "." + (starts(rest, "conv_shortcut.") ? "nin_shortcut." + rest.substr(14) : rest);
      else if (starts(rest, "conv.")) name = base + (kind == "downsamplers" ? ".downsample." : ".upsample.") + rest;
    } else if (std::regex_match(k, m, midb)) {
      const std::string part = m[1].str(), kind = m[2].str(), i = m[3].str(), rest = m[4].str();
      if (kind == "resnets" && (i == "0" || i == "1")) {
        name = part + ".mid.block_" + (i == "0" ? "1." : "2.") + (starts(rest, "conv_shortcut.") ? "nin_shortcut." + rest.substr(14) : rest);
      } else if (kind == "attentions" && i == "0") {
        const auto dot = rest.rfind('.');
        if (auto it = attn.find(rest.substr(0, dot)); it != attn.end()) name = part + ".mid.attn_1." + it->second + rest.substr(dot);
      }
    } else if (starts(k, "encoder.conv_norm_out.") || starts(k, "decoder.conv_norm_out.")) {
      name = k.substr(0, 8) + "norm_out." + k.substr(22);
    } else if (starts(k, "encoder.conv_in.") || starts(k, "encoder.conv_out.") || starts(k, "decoder.conv_in.") ||
               starts(k, "decoder.conv_out.") || starts(k, "quant_conv.") || starts(k, "post_quant_conv.")) {
      name = k;
    }
    if (name.empty()) throw Error(f.source() + ": unexpected key '" + k + "' for a diffusers SD autoencoder");
    out[name] = whole(f, k);
  }
  conv_shaped_attention(out);
  return out;
}

RefMap map_diffusers_clip(const io::MappedTensorFile& f) {
  RefMap out;
  for (const auto& [k, info] : f.tensors()) {
    const std::string rest = starts(k, "text_model.") ? k.substr(11) : k;
    if (rest == "embeddings.position_ids") continue;
    if (k == "text_projection.weight") continue;  // CLIPTextModelWithProjection: not used by SD
    out[rest] = whole(f, k);
  }
  return out;
}

Layout layout_of(const RefMap& refs) {
  Layout l;
  for (const auto& [name, ref] : refs) l[name] = ref.shape;
  return l;
}

at::Tensor load(const TensorRef& ref) {
  at::Tensor t = ref.file->load(ref.name, at::kFloat);
  if (ref.parts > 1) t = t.chunk(ref.parts, 0)[size_t(ref.part)].clone();
  t = t.reshape(ref.shape);
  if (!at::isfinite(t).all().item<bool>())
    throw Error(ref.file->source() + ": tensor '" + ref.name + "' holds NaN or infinite values (corrupt file?)");
  return t;
}

}  // namespace ng::sd::keys
