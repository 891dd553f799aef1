#pragma once
/// @file model_files.hpp
/// Loading NoiseGraph model files: .safetensors whose metadata describes the network, so
/// the loader rebuilds the architecture from the file alone. Unknown or mismatching files
/// are refused with an ng::Error naming the file and what it holds instead.
///
/// Metadata keys (all values are strings; JSON where noted):
///  - "noisegraph.kind": "unet", "autoencoder" or "classifier"
///  - "noisegraph.config": the architecture (JSON of UNetConfig / AutoencoderConfig /
///    ClassifierConfig, see configs.hpp)
///  - "noisegraph.prompt_config": PromptConfig JSON, when the file carries a prompt
///    encoder trained with the model (tensors "prompt.*")
///  - "noisegraph.prediction": "eps", "v", "x0" or "flow" (unet; latent classifiers)
///  - "noisegraph.schedule": JSON {"kind", "timesteps", "beta_start", "beta_end"} of a
///    discrete VP model (see diffusion/schedule.hpp make_betas)
///  - "noisegraph.flow": JSON {"shift", "multiplier"} of a flow model
///  - "noisegraph.scaling_factor": autoencoder latent scaling factor (decimal)
///  - "noisegraph.autoencoder": file name of the autoencoder a latent model works with
///  - "noisegraph.training": JSON provenance (command or graph, steps, data, date, ...)
///  - "noisegraph.metrics": JSON of measured metrics
/// Tensor name prefixes: "unet.", "prompt.", "autoencoder.", "classifier.".
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "noisegraph/models.hpp"
#include "noisegraph/nn/configs.hpp"

namespace ng::nn {

namespace meta {
inline constexpr const char* kind = "noisegraph.kind";
inline constexpr const char* config = "noisegraph.config";
inline constexpr const char* prompt_config = "noisegraph.prompt_config";
inline constexpr const char* prediction = "noisegraph.prediction";
inline constexpr const char* schedule = "noisegraph.schedule";
inline constexpr const char* flow = "noisegraph.flow";
inline constexpr const char* scaling_factor = "noisegraph.scaling_factor";
inline constexpr const char* autoencoder = "noisegraph.autoencoder";
inline constexpr const char* training = "noisegraph.training";
inline constexpr const char* metrics = "noisegraph.metrics";
}  // namespace meta

/// The ModelSampling a file's metadata describes ("noisegraph.prediction" plus
/// "noisegraph.schedule" or "noisegraph.flow"). Throws ng::Error naming `source`.
NG_API std::shared_ptr<ModelSampling> sampling_from_metadata(const std::map<std::string, std::string>& metadata,
                                                             const std::string& source);

/// MODEL from a U-Net file. Refuses files of another kind ("<file> holds an autoencoder,
/// not a U-Net"). The weights are float32 on `device`, frozen (no gradients).
NG_API std::shared_ptr<Denoiser> load_denoiser(const std::filesystem::path& path,
                                               c10::Device device = c10::Device(c10::kCPU));

/// AUTOENCODER from an autoencoder file; encode() multiplies by its scaling factor.
NG_API std::shared_ptr<Autoencoder> load_autoencoder(const std::filesystem::path& path,
                                                     c10::Device device = c10::Device(c10::kCPU));

/// PROMPT_ENCODER stored inside a model file (a U-Net trained with its prompt encoder).
NG_API std::shared_ptr<PromptEncoder> load_prompt_encoder(const std::filesystem::path& path);

/// CLASSIFIER from a classifier file. Latent classifiers take x in the sigma space of the
/// model they were trained for (see their "noisegraph.schedule") and scale it themselves.
NG_API std::shared_ptr<Classifier> load_classifier(const std::filesystem::path& path,
                                                   c10::Device device = c10::Device(c10::kCPU));

/// An image classifier that also exposes penultimate features (for Frechet distances).
class NG_API FeatureClassifier : public Classifier {
 public:
  ~FeatureClassifier() override;
  /// Pooled penultimate activations [B,F] of clean images [B,C,H,W] in [0,1].
  virtual at::Tensor features(const at::Tensor& images) = 0;
};

/// Like load_classifier() but requires an image classifier with features.
NG_API std::shared_ptr<FeatureClassifier> load_feature_classifier(const std::filesystem::path& path,
                                                                  c10::Device device = c10::Device(c10::kCPU));

/// One line saying what a model file holds ("U-Net 1.9M params, eps, prompt-conditioned"),
/// or why it is not a NoiseGraph model file. Never throws.
NG_API std::string describe_model_file(const std::filesystem::path& path);

}  // namespace ng::nn
