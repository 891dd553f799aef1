#pragma once
/// @file diffusion/noise.hpp
/// NOISE: where the Gaussian noise of a sampling run comes from.
///
/// Promise: image k of a batch is driven only by the seed `seed + k`, never by the batch
/// size, the other images or the device. Image 2 of a batch of 4 made with seed 10 is
/// bit-identical to image 0 of a batch of 1 made with seed 12. This holds both for the
/// initial noise and for the per-step noise of stochastic samplers (two independent
/// streams per image, derived from seed + k). Noise is drawn in float32 on the CPU with
/// ng::Context::make_generator() and then converted to the caller's dtype and device.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "noisegraph/values.hpp"

namespace ng::diffusion {

/// Per-step noise for the images of one sampling run: one generator per image.
class NG_API NoiseStream {
 public:
  virtual ~NoiseStream();
  /// Unit Gaussian noise shaped like `like` ([B,...], B = the batch given to stream()),
  /// with its dtype and device. Each call continues every image's own stream.
  virtual at::Tensor next(const at::Tensor& like) = 0;
};

/// A seeded source of unit Gaussian noise (the NOISE port type).
class NG_API NoiseSource : public Object {
 public:
  explicit NoiseSource(uint64_t seed) : seed_(seed) {}
  uint64_t seed() const { return seed_; }

  /// Initial noise shaped like `like` ([B,...]); row k comes from seed + k.
  virtual at::Tensor initial(const at::Tensor& like) const;
  /// Noise for the steps of stochastic samplers, for a batch of `batch` images. Row k's
  /// stream is seeded from a hash of seed + k, so it is independent of initial().
  virtual std::unique_ptr<NoiseStream> stream(int64_t batch) const;
  std::string describe() const override;

 private:
  uint64_t seed_;
};

/// No noise at all (ComfyUI's "disable noise"): initial() and every stream give zeros.
/// Used to continue sampling a latent that is already noisy (split schedules).
class NG_API ZeroNoise : public NoiseSource {
 public:
  ZeroNoise() : NoiseSource(0) {}
  at::Tensor initial(const at::Tensor& like) const override;
  std::unique_ptr<NoiseStream> stream(int64_t batch) const override;
  std::string describe() const override;
};

/// splitmix64: a well-mixed 64-bit hash used to derive independent seeds.
NG_API uint64_t mix_seed(uint64_t x);

}  // namespace ng::diffusion
