#include "patch_discriminator.hpp"

namespace ng::train::detail {

namespace nnt = torch::nn;

PatchDiscriminatorImpl::PatchDiscriminatorImpl(int64_t in_channels) {
  // Two stride-2 convolutions and a 3x3 head: receptive field 4 + 3*2 + 2*4 = 18 pixels.
  // GroupNorm rather than VQGAN's BatchNorm: no running statistics to checkpoint, and
  // the logits of one image do not depend on the rest of the batch.
  body = register_module(
      "body", nnt::Sequential(nnt::Conv2d(nnt::Conv2dOptions(in_channels, 32, 4).stride(2).padding(1)),
                              nnt::LeakyReLU(nnt::LeakyReLUOptions().negative_slope(0.2)),
                              nnt::Conv2d(nnt::Conv2dOptions(32, 64, 4).stride(2).padding(1)),
                              nnt::GroupNorm(nnt::GroupNormOptions(8, 64)),
                              nnt::LeakyReLU(nnt::LeakyReLUOptions().negative_slope(0.2)),
                              nnt::Conv2d(nnt::Conv2dOptions(64, 1, 3).padding(1))));
}

at::Tensor PatchDiscriminatorImpl::forward(const at::Tensor& images) { return body->forward(images * 2.0 - 1.0); }

at::Tensor discriminator_hinge_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake) {
  return torch::relu(1.0 - logits_real).mean() + torch::relu(1.0 + logits_fake).mean();
}

at::Tensor generator_hinge_loss(const at::Tensor& logits_fake) { return -logits_fake.mean(); }

at::Tensor adaptive_adversarial_weight(const at::Tensor& reconstruction_loss, const at::Tensor& adversarial_loss,
                                       const at::Tensor& last_layer_weight) {
  auto g_rec = torch::autograd::grad({reconstruction_loss}, {last_layer_weight}, {}, /*retain_graph=*/true)[0];
  auto g_adv = torch::autograd::grad({adversarial_loss}, {last_layer_weight}, {}, /*retain_graph=*/true)[0];
  return (g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0.0, 1e4).detach();
}

}  // namespace ng::train::detail
