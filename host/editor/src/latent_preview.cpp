#include "latent_preview.hpp"

#include <ATen/ATen.h>

#include <deque>
#include <set>

#include "noisegraph/host/graph.hpp"

namespace ng::editor {

namespace {

// Stable Diffusion 1.x/2.x latent (scaled by 0.18215) -> RGB in about [-1,1]: one row per
// latent channel, columns R, G, B. These are the widely published approximation factors
// used for SD 1.5 previews by ComfyUI and others (a least-squares fit of the VAE decoder).
constexpr float kSdRgb[4][3] = {
    {0.3512f, 0.2297f, 0.3227f},
    {0.3250f, 0.4974f, 0.2350f},
    {-0.2829f, 0.1762f, 0.2721f},
    {-0.2120f, -0.2616f, -0.7177f},
};

// fmnist-vae latent (scaled, 4 channels) -> the 4x4 grey block of the 32x32 image it
// decodes to (row-major within the block, values in [0,1]); last row: bias. Fitted here by
// least squares on the VAE's own encode/decode of the first 2,000 Fashion-MNIST training
// images. On the first 1,000 test images the block map correlates with the real decoder's
// output at r = 0.875 (32x32); averaging the channels instead gives r = -0.82 (the image
// is mostly channel 0 with a negative sign), hence the fit.
constexpr float kFashionBlocks[5][16] = {
    {-0.1777f, -0.1875f, -0.1971f, -0.2072f, -0.1681f, -0.1786f, -0.1895f, -0.1989f, -0.1417f, -0.1487f, -0.1585f,
     -0.1673f, -0.1159f, -0.1200f, -0.1271f, -0.1340f},
    {0.0723f, 0.0672f, 0.0923f, 0.1205f, 0.0099f, 0.0086f, 0.0415f, 0.0721f, -0.1026f, -0.1097f, -0.0723f, -0.0329f,
     -0.1828f, -0.1941f, -0.1555f, -0.1156f},
    {-0.0379f, -0.0259f, -0.0143f, -0.0463f, -0.0492f, -0.0338f, -0.0181f, -0.0430f, -0.0352f, -0.0084f, 0.0221f,
     0.0078f, 0.0051f, 0.0456f, 0.0882f, 0.0805f},
    {-0.0791f, -0.0013f, 0.0447f, 0.0930f, -0.1286f, -0.0524f, -0.0047f, 0.0473f, -0.1245f, -0.0500f, -0.0118f,
     0.0339f, -0.1325f, -0.0625f, -0.0298f, 0.0146f},
    {0.2457f, 0.2272f, 0.2305f, 0.2236f, 0.2244f, 0.2094f, 0.2159f, 0.2118f, 0.1974f, 0.1862f, 0.2023f, 0.2047f,
     0.2032f, 0.1972f, 0.2196f, 0.2254f},
};
constexpr int kFashionBlock = 4;

at::Tensor table(const float* data, int64_t rows, int64_t cols) {
  return at::from_blob(const_cast<float*>(data), {rows, cols}, at::kFloat).clone();
}

ModelFamily family_of_type(const std::string& type) {
  if (type == "checkpoint.load") return ModelFamily::StableDiffusion;
  if (type == "unet.load") return ModelFamily::NoiseGraph;
  return ModelFamily::Unknown;
}

// The channel mean stretched to [0,1] by its own range: says "something is forming"
// without pretending to know the colours.
at::Tensor stretched_mean(const at::Tensor& x) {
  at::Tensor m = x.mean(1, /*keepdim=*/true);
  const at::Tensor lo = m.amin({1, 2, 3}, true), hi = m.amax({1, 2, 3}, true);
  return (m - lo) / (hi - lo).clamp_min(1e-6);
}

}  // namespace

ModelFamily model_family(const host::Graph& graph, const std::string& node) {
  std::deque<std::string> queue{node};
  std::set<std::string> seen{node};
  while (!queue.empty()) {
    const host::GraphNode* n = graph.find(queue.front());
    queue.pop_front();
    if (!n) continue;
    if (const ModelFamily f = family_of_type(n->type); f != ModelFamily::Unknown) return f;
    for (const auto& [port, link] : n->inputs)
      if (seen.insert(link.node).second) queue.push_back(link.node);
  }
  return ModelFamily::Unknown;
}

std::map<std::string, ModelFamily> model_families(const host::Graph& graph) {
  std::map<std::string, ModelFamily> out;
  for (const auto& [id, node] : graph.nodes) out[id] = model_family(graph, id);
  return out;
}

at::Tensor preview_image(const at::Tensor& x0, ModelFamily family) {
  if (!x0.defined() || x0.dim() != 4) return {};
  const at::Tensor x = x0.detach().to(at::kCPU).to(at::kFloat);
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  if (family == ModelFamily::StableDiffusion && c == 4) {
    const at::Tensor rgb = at::matmul(x.permute({0, 2, 3, 1}), table(&kSdRgb[0][0], 4, 3));  // [B,h,w,3]
    return ((rgb.permute({0, 3, 1, 2}) + 1) / 2).clamp(0, 1).contiguous();
  }
  if (family == ModelFamily::NoiseGraph && c == 4) {
    const at::Tensor weights = table(&kFashionBlocks[0][0], 5, 16);
    const at::Tensor blocks =
        at::matmul(x.permute({0, 2, 3, 1}), weights.slice(0, 0, 4)) + weights[4];  // [B,h,w,16]
    return blocks.reshape({b, h, w, kFashionBlock, kFashionBlock})
        .permute({0, 1, 3, 2, 4})
        .reshape({b, 1, h * kFashionBlock, w * kFashionBlock})
        .clamp(0, 1)
        .contiguous();
  }
  if (family == ModelFamily::NoiseGraph && (c == 1 || c == 3)) return ((x + 1) / 2).clamp(0, 1).contiguous();
  if (c == 1 || c == 3) return x.contiguous();
  return stretched_mean(x).contiguous();
}

}  // namespace ng::editor
