#pragma once
// Private: the adversarial term of autoencoder training.
#include <torch/torch.h>

namespace ng::train::detail {

/// A small PatchGAN discriminator (Isola et al. 2017, sec. 3.2.2), the kind latent
/// diffusion's autoencoders are trained against (Esser et al. 2021; Rombach et al. 2022,
/// appendix G): a conv net whose output is a grid of real/fake logits, one per ~18x18
/// patch of a 32x32 image, so it judges local texture and sharpness, the detail an MSE
/// or perceptual loss leaves blurred.
struct PatchDiscriminatorImpl : torch::nn::Module {
  explicit PatchDiscriminatorImpl(int64_t in_channels);
  /// images in [0, 1], [N, C, H, W] -> logits [N, 1, H/4, W/4]
  at::Tensor forward(const at::Tensor& images);
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(PatchDiscriminator);

/// Hinge losses (Lim & Ye 2017; as in VQGAN): the discriminator's
/// mean(relu(1 - D(real))) + mean(relu(1 + D(fake))), and the generator's -mean(D(fake)).
at::Tensor discriminator_hinge_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake);
at::Tensor generator_hinge_loss(const at::Tensor& logits_fake);

/// VQGAN's adaptive weight (Esser et al. 2021, eq. 7): |grad_w reconstruction| /
/// |grad_w adversarial| at the decoder's last layer `w`, clamped to [0, 1e4] and
/// detached, so the adversarial term pulls on the decoder about as hard as the
/// reconstruction terms whatever their scales.
at::Tensor adaptive_adversarial_weight(const at::Tensor& reconstruction_loss, const at::Tensor& adversarial_loss,
                                       const at::Tensor& last_layer_weight);

}  // namespace ng::train::detail
