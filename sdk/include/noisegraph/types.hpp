#pragma once
/// @file types.hpp
/// Names of the value types that travel on ports. A port type is a plain string so a
/// third-party plugin can introduce its own; two ports connect only when their type
/// strings are equal (or the input accepts ANY).
#include <string>

namespace ng::type {

inline const std::string Image = "IMAGE";            ///< at::Tensor [B,C,H,W] float in [0,1], C = 1 or 3
inline const std::string Mask = "MASK";              ///< at::Tensor [B,1,H,W] float, 1 = regenerate, 0 = keep
inline const std::string Latent = "LATENT";          ///< ng::Latent
inline const std::string Conditioning = "CONDITIONING";  ///< ng::Conditioning
inline const std::string Model = "MODEL";            ///< ng::Denoiser
inline const std::string Autoencoder = "AUTOENCODER";    ///< ng::Autoencoder
inline const std::string Classifier = "CLASSIFIER";      ///< ng::Classifier
inline const std::string PromptEncoder = "PROMPT_ENCODER";  ///< ng::PromptEncoder
inline const std::string Sigmas = "SIGMAS";          ///< at::Tensor [N+1] float, descending, last = 0
inline const std::string Sampler = "SAMPLER";        ///< ng::diffusion::Sampler
inline const std::string Noise = "NOISE";            ///< ng::diffusion::NoiseSource
inline const std::string Guider = "GUIDER";          ///< ng::diffusion::Guider
inline const std::string Int = "INT";                ///< int64_t
inline const std::string Float = "FLOAT";            ///< double
inline const std::string Bool = "BOOL";              ///< bool
inline const std::string String = "STRING";          ///< std::string
inline const std::string Any = "ANY";                ///< input only: accepts every type

}  // namespace ng::type
