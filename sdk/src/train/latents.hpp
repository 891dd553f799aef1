#pragma once
// Private: training inputs in model space - pixels in [-1,1] or autoencoder latents,
// encoded once per run and cached in the run folder.
#include <ATen/core/Tensor.h>

#include <filesystem>

#include "noisegraph/context.hpp"
#include "noisegraph/train/dataset.hpp"

namespace ng::train::detail {

/// All `data` images encoded with the autoencoder at `autoencoder` (scaled latents,
/// [N,c,h,w]); cached as run_dir/latents.safetensors keyed by the autoencoder file's
/// size and modification time.
at::Tensor encode_dataset(const ImageDataset& data, const std::filesystem::path& autoencoder,
                          const std::filesystem::path& run_dir, Context& ctx);

}  // namespace ng::train::detail
