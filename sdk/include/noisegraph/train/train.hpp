#pragma once
/// @file train.hpp
/// Training the SDK's networks on Fashion-MNIST. Each function takes a config struct and
/// an ng::Context (progress with loss and ETA, cancellation, logging), so a train node is
/// a thin wrapper and a command-line driver calls exactly the same code.
///
/// Every run works in `run_dir`:
///  - checkpoint.safetensors: weights, EMA weights, optimiser state and step, written
///    atomically every `checkpoint_every` steps and on cancellation. A run that finds a
///    checkpoint resumes from it and continues exactly as if never stopped (batches and
///    noise are drawn from generators seeded by (seed, step)). A checkpoint from a
///    different config is refused.
///  - loss.csv: step, loss, learning rate, seconds.
///  - samples-<step>.png: a sample grid (diffusion: ten classes; autoencoder:
///    originals above reconstructions), every `sample_every` steps.
/// The final weights (EMA where used) are written atomically to `output` as safetensors
/// (fp16 unless fp16_output is false) with architecture and provenance in the metadata.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "noisegraph/context.hpp"
#include "noisegraph/nn/configs.hpp"
#include "noisegraph/train/dataset.hpp"

namespace ng::train {

/// Settings shared by all training functions.
struct NG_API CommonConfig {
  std::filesystem::path data_dir;  ///< IDX files; empty = default_fashion_mnist_dir()
  /// Non-empty: train on the PNGs of this folder (load_image_folder(): `<label>/*.png`,
  /// 28x28, labels 0..9) instead of Fashion-MNIST's training split. Held-out metrics use
  /// its `test/` subfolder (same layout) when there is one, else Fashion-MNIST's test split.
  std::filesystem::path data_folder;
  std::filesystem::path output;    ///< final .safetensors
  std::filesystem::path run_dir;   ///< checkpoint, loss log, sample grids
  int64_t steps = 1000;
  int64_t batch_size = 64;
  double lr = 3e-4;
  int64_t warmup_steps = 100;
  bool cosine_decay = false;       ///< lr follows a half cosine from lr to 0 over the steps after warmup
  double weight_decay = 0.0;
  double ema_decay = 0.999;        ///< 0 = no EMA
  uint64_t seed = 0;
  int64_t checkpoint_every = 500;
  int64_t sample_every = 1000;     ///< 0 = no sample grids
  int64_t log_every = 25;
  int64_t limit_examples = 0;      ///< > 0: use only the first N training examples (tests)
  bool fp16_output = true;
  std::string provenance;          ///< how this run was started (graph file or command)
};

/// The training examples of a run: `data_folder`'s images if set, else Fashion-MNIST's
/// training split (first `limit_examples` if > 0).
NG_API ImageDataset training_data(const CommonConfig& c);
/// "Fashion-MNIST train (60000 images" or "PNG folder <path> (N images", without the
/// closing parenthesis, for provenance metadata.
NG_API std::string data_description(const CommonConfig& c, int64_t examples);
/// Held-out examples (first `limit` if > 0): `<data_folder>/test` if it exists, else
/// Fashion-MNIST's test split.
NG_API ImageDataset test_data(const CommonConfig& c, int64_t limit);

/// KL autoencoder: loss = MSE(recon, image) + kl_weight * KL(q(z|x) || N(0,1)) per
/// latent element [+ perceptual_weight * perceptual distance]. After training, the latent
/// scaling factor is measured on encoded training data (1 / std of the posterior means)
/// and test PSNR is reported.
///
/// The perceptual distance (LPIPS-style, Zhang et al. 2018, without learned weights) is
/// taken in the activations of a frozen clean image classifier (`perceptual_model`): each
/// ResBlock's output is normalised to unit length over channels at every position, and the
/// squared differences between image and reconstruction are summed over channels,
/// averaged over positions and summed over blocks. Use a classifier other than the one
/// you evaluate with, or the evaluation measures what was trained for.
struct NG_API AutoencoderTrainConfig : CommonConfig {
  nn::AutoencoderConfig arch;
  double kl_weight = 1e-6;
  int64_t scaling_examples = 5000;  ///< training images used to measure the scaling factor
  std::filesystem::path perceptual_model;  ///< image classifier file; empty = no perceptual term
  double perceptual_weight = 0.0;          ///< weight of the perceptual distance (0 = off)
  /// Non-empty: fine-tune only the decoder of this autoencoder file. Its architecture
  /// (`arch` is ignored), encoder weights and scaling factor are kept byte for byte, so
  /// latent models trained on its latents work unchanged with the result (as Stable
  /// Diffusion's fine-tuned VAE decoders do); the KL term is then constant and left out.
  std::filesystem::path finetune_decoder_of;
  /// > 0: adds an adversarial term: a small PatchGAN discriminator is trained alongside
  /// with the hinge loss, and the decoder's loss gains adversarial_weight * lambda *
  /// (-mean D(reconstruction)), lambda being VQGAN's adaptive weight (Esser et al. 2021,
  /// eq. 7). It restores the texture a pixel or perceptual loss averages away.
  double adversarial_weight = 0.0;
  /// First step at which the decoder sees the adversarial term; the discriminator trains
  /// from step 0, so it has learned something before its gradients reach the decoder.
  int64_t adversarial_start = 0;
};

/// Diffusion (objective "eps" or "v", DDPM simple loss, Ho et al. 2020 eq. 14) or
/// rectified flow ("flow": x_t = (1-t) x0 + t eps, loss |v_theta - (eps - x0)|^2,
/// Liu et al. 2022). In latent space when `autoencoder` is set, else in pixel space.
struct NG_API DiffusionTrainConfig : CommonConfig {
  nn::UNetConfig arch;
  std::string objective = "eps";        ///< "eps", "v" or "flow"
  std::string conditioning = "prompt";  ///< "prompt" (arch.context_dim > 0), "class" or "none"
  nn::PromptConfig prompt;              ///< for "prompt"; vocabulary defaults to Fashion-MNIST's
  double cond_dropout = 0.1;            ///< probability of an unconditional row (for CFG)
  std::string schedule = "linear";      ///< make_betas kind (VP objectives)
  int64_t timesteps = 1000;
  double beta_start = 1e-4, beta_end = 0.02;
  /// > 0: Min-SNR-gamma loss weights (Hang et al. 2023): each row's loss is weighted by
  /// min(SNR, gamma) / SNR for "eps" and min(SNR, gamma) / (SNR + 1) for "v", so the
  /// nearly clean timesteps stop dominating the gradient; 5 is the paper's choice. VP only.
  double min_snr_gamma = 0.0;
  std::filesystem::path autoencoder;    ///< latent models: the autoencoder file
  int64_t sample_steps = 20;            ///< Euler steps of the monitoring sample grids
  /// With arch.learned_variance (objective "eps"): the hybrid loss of Improved DDPM (Nichol &
  /// Dhariwal 2021, sec. 3.1), L_simple + vlb_weight * L_vlb, L_vlb = T * L_t (one uniform t
  /// per row, in bits per dimension) with the predicted mean stopped, so L_vlb trains only v.
  double vlb_weight = 0.001;
  /// "flow" only: how training draws t. "uniform" (Liu et al. 2022), or "logit_normal":
  /// t = sigmoid(u), u ~ N(0, 1), which spends more of the training on the middle times
  /// where the velocity is hardest to predict (Esser et al. 2024, "Scaling Rectified Flow
  /// Transformers", sec. 3.1: rf/lognorm(0.00, 1.00) ranked best of their samplers).
  std::string flow_time_sampling = "uniform";
};

/// Classifier. With `autoencoder` set it reads scaled latents; with `noisy` it is trained
/// on x_t of the given VP schedule at uniform random timesteps (for classifier guidance).
struct NG_API ClassifierTrainConfig : CommonConfig {
  nn::ClassifierConfig arch;
  std::filesystem::path autoencoder;
  bool noisy = false;
  std::string schedule = "linear";
  int64_t timesteps = 1000;
  double beta_start = 1e-4, beta_end = 0.02;
};

struct NG_API TrainResult {
  int64_t steps = 0;        ///< total steps done (including resumed ones)
  int64_t resumed_from = 0; ///< step of the checkpoint resumed from (0 = fresh start)
  double final_loss = 0;    ///< mean loss of the last log window
  double seconds = 0;       ///< wall time of this call
  std::filesystem::path output;
  std::map<std::string, double> metrics;  ///< e.g. test_psnr, scaling_factor, test_accuracy
};

NG_API TrainResult train_autoencoder(const AutoencoderTrainConfig& cfg, Context& ctx);
NG_API TrainResult train_diffusion(const DiffusionTrainConfig& cfg, Context& ctx);
NG_API TrainResult train_classifier(const ClassifierTrainConfig& cfg, Context& ctx);

}  // namespace ng::train
