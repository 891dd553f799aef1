#pragma once
/// @file testing.hpp
/// Freshly initialised (untrained) model files, for tests and benchmarks of code that
/// loads models: they have the exact layout of trained files. All parameters, including
/// those a trained-from-scratch network starts at zero, are randomised so outputs depend
/// on every input.
#include <filesystem>
#include <string>

#include "noisegraph/nn/configs.hpp"

namespace ng::nn::testing {

/// A U-Net file. `prediction`: "eps", "v", "x0" (linear schedule 1e-4..0.02, T = 1000) or
/// "flow". With `prompt` the file also carries a prompt encoder.
NG_API void write_random_unet(const std::filesystem::path& path, const UNetConfig& cfg,
                              const std::string& prediction, const PromptConfig* prompt,
                              uint64_t seed, bool fp16 = false);

/// An autoencoder file with the given latent scaling factor.
NG_API void write_random_autoencoder(const std::filesystem::path& path, const AutoencoderConfig& cfg,
                                     double scaling_factor, uint64_t seed);

/// A classifier file (time-conditioned ones get the linear VP schedule, T = 1000).
NG_API void write_random_classifier(const std::filesystem::path& path, const ClassifierConfig& cfg,
                                    uint64_t seed);

}  // namespace ng::nn::testing
