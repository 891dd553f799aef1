// CLIP text transformer (pre-LN, causal), weights under Hugging Face names.
#include "noisegraph/sd/clip_text.hpp"

#include "noisegraph/error.hpp"
#include "ops.hpp"

namespace ng::sd {

std::string ClipTextConfig::describe() const {
  return "CLIP text " + std::to_string(width) + " wide, " + std::to_string(layers) + " layers, " +
         std::to_string(heads) + " heads, " + (quick_gelu ? "QuickGELU" : "GELU");
}

ClipTextConfig infer_clip_text_config(const Layout& l, const std::string& source) {
  auto need = [&](const std::string& name) -> const Shape& {
    auto it = l.find(name);
    if (it == l.end()) throw Error(source + ": not a CLIP text model (no tensor '" + name + "')");
    return it->second;
  };
  ClipTextConfig cfg;
  const Shape& tok = need("embeddings.token_embedding.weight");
  cfg.vocab = tok.at(0);
  cfg.width = tok.at(1);
  cfg.positions = need("embeddings.position_embedding.weight").at(0);
  cfg.layers = 0;
  while (has(l, "encoder.layers." + std::to_string(cfg.layers) + ".self_attn.q_proj.weight")) ++cfg.layers;
  if (cfg.layers == 0) throw Error(source + ": CLIP text model has no layers");
  cfg.mlp = need("encoder.layers.0.mlp.fc1.weight").at(0);
  cfg.heads = cfg.width >= 64 && cfg.width % 64 == 0 ? cfg.width / 64 : 1;
  return cfg;
}

Layout clip_text_layout(const ClipTextConfig& cfg) {
  Layout l;
  l["embeddings.token_embedding.weight"] = {cfg.vocab, cfg.width};
  l["embeddings.position_embedding.weight"] = {cfg.positions, cfg.width};
  for (int64_t i = 0; i < cfg.layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i);
    for (const char* n : {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj", ".self_attn.out_proj"})
      ops::add_linear(l, p + n, cfg.width, cfg.width);
    ops::add_norm(l, p + ".layer_norm1", cfg.width);
    ops::add_norm(l, p + ".layer_norm2", cfg.width);
    ops::add_linear(l, p + ".mlp.fc1", cfg.mlp, cfg.width);
    ops::add_linear(l, p + ".mlp.fc2", cfg.width, cfg.mlp);
  }
  ops::add_norm(l, "final_layer_norm", cfg.width);
  return l;
}

ClipTextModel::ClipTextModel(ClipTextConfig cfg, Weights weights) : cfg_(std::move(cfg)), w_(std::move(weights)) {}

at::Tensor ClipTextModel::run(const at::Tensor& ids, int64_t stop_after, std::vector<at::Tensor>* all) const {
  const auto& w = w_;
  if (ids.dim() != 2 || ids.size(1) > cfg_.positions)
    throw Error("CLIP text model: token ids must be [B,T] with T <= " + std::to_string(cfg_.positions));
  if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= cfg_.vocab))
    throw Error("CLIP text model: token id outside the vocabulary of " + std::to_string(cfg_.vocab));
  const auto& tok = weight(w, "embeddings.token_embedding.weight");
  const at::Tensor idx = ids.to(tok.device()).to(at::kLong);
  at::Tensor x = at::embedding(tok, idx) +
                 weight(w, "embeddings.position_embedding.weight").narrow(0, 0, ids.size(1)).unsqueeze(0);
  if (all) all->push_back(x);
  for (int64_t i = 0; i < stop_after; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i);
    const at::Tensor h = ops::layer_norm(w, p + ".layer_norm1", x);
    const at::Tensor a = ops::attention(ops::linear(w, p + ".self_attn.q_proj", h), ops::linear(w, p + ".self_attn.k_proj", h),
                                        ops::linear(w, p + ".self_attn.v_proj", h), cfg_.heads, {}, /*causal=*/true);
    x = x + ops::linear(w, p + ".self_attn.out_proj", a);
    at::Tensor m = ops::linear(w, p + ".mlp.fc1", ops::layer_norm(w, p + ".layer_norm2", x));
    m = cfg_.quick_gelu ? m * at::sigmoid(1.702 * m) : at::gelu(m);
    x = x + ops::linear(w, p + ".mlp.fc2", m);
    if (all) all->push_back(x);
  }
  return x;
}

at::Tensor ClipTextModel::encode(const at::Tensor& ids, int64_t skip) const {
  if (skip < 1 || skip > cfg_.layers)
    throw Error("CLIP text model: clip skip " + std::to_string(skip) + " outside [1, " + std::to_string(cfg_.layers) + "]");
  return ops::layer_norm(w_, "final_layer_norm", run(ids, cfg_.layers - skip + 1, nullptr));
}

at::Tensor ClipTextModel::hidden_states(const at::Tensor& ids) const {
  std::vector<at::Tensor> all;
  run(ids, cfg_.layers, &all);
  return at::stack(all, 0);
}

}  // namespace ng::sd
