#pragma once
// Approximate pictures of a sampler's x0 estimates (Context::report_step) while it runs.
// Running the real decoder every step would cost as much as the sampling, so latents are
// shown through a cheap linear latent-to-image projection chosen per model family, as
// other diffusion front ends do; pixel-space models only need their value range mapped.
#include <map>
#include <string>

namespace at {
class Tensor;
}

namespace ng::host {
class Graph;
}

namespace ng::editor {

/// Which kind of model drives a sampler, as far as its previews are concerned.
enum class ModelFamily {
  Unknown,          ///< no known loader upstream: previews are shown as they come
  StableDiffusion,  ///< checkpoint.load: SD 1.x/2.x, 4-channel latents scaled by 0.18215
  NoiseGraph,       ///< unet.load: the shipped Fashion-MNIST models (fmnist-vae latents
                    ///< 4x8x8, or pixels in [-1,1])
};

/// The family of the model loader nearest upstream of `node` (breadth-first over its
/// inputs); Unknown when there is none or the node is not in the graph.
ModelFamily model_family(const host::Graph& graph, const std::string& node);

/// model_family() of every node, computed once per run.
std::map<std::string, ModelFamily> model_families(const host::Graph& graph);

/// An IMAGE-like tensor [B,1 or 3,h,w] with values meant for [0,1], approximating what
/// `x0` ([B,C,h,w] in the model's space) decodes to:
///  - StableDiffusion, C = 4: the published SD 1.x latent-to-RGB factors (a 4x3 matrix
///    applied per latent pixel, result in about [-1,1], mapped to [0,1]); one pixel per
///    latent pixel.
///  - NoiseGraph, C = 4: a least-squares linear map from fmnist-vae latents to the
///    decoder's output, fitted once on Fashion-MNIST training images (see the .cpp): each
///    latent pixel becomes the 4x4 grey block it decodes to, so the preview has the
///    image's own 32x32 size.
///  - NoiseGraph, C = 1 or 3: pixel models work in [-1,1]; mapped to [0,1].
///  - Unknown (or a channel count the family does not have): C = 1 or 3 is shown as is;
///    other counts as the channel mean, stretched to [0,1] by its own range.
/// Returns an undefined tensor for an undefined or non-4-D input.
at::Tensor preview_image(const at::Tensor& x0, ModelFamily family);

}  // namespace ng::editor
