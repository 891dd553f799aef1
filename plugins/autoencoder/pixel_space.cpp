// Pixel-space models (DDPM) work on images scaled to [-1,1]; this affine map lets them use
// the same encode/decode nodes as latent models.
#include <ATen/ATen.h>
#include <noisegraph/error.hpp>
#include <noisegraph/models.hpp>

#include "nodes.hpp"

namespace ng::autoencoder {

namespace {

class PixelSpace : public Autoencoder {
 public:
  explicit PixelSpace(int64_t channels) : channels_(channels) {}
  at::Tensor encode(const at::Tensor& image) override {
    check(image, "image");
    return image.to(at::kFloat) * 2.0 - 1.0;
  }
  at::Tensor decode(const at::Tensor& latent) override {
    check(latent, "latent");
    return ((latent.to(at::kFloat) + 1.0) / 2.0).clamp(0.0, 1.0);
  }
  int64_t image_channels() const override { return channels_; }
  int64_t latent_channels() const override { return channels_; }
  int64_t downscale() const override { return 1; }
  std::string describe() const override {
    return "pixel space, " + std::to_string(channels_) + " channel(s), [0,1] <-> [-1,1]";
  }

 private:
  void check(const at::Tensor& t, const char* what) const {
    if (t.dim() != 4 || t.size(1) != channels_)
      throw Error(std::string("pixel space: expected ") + what + " with " + std::to_string(channels_) +
                  " channel(s), got " + std::to_string(t.dim()) + "-d tensor" +
                  (t.dim() > 1 ? " with " + std::to_string(t.size(1)) + " channels" : ""));
  }
  int64_t channels_;
};

}  // namespace

std::shared_ptr<Autoencoder> make_pixel_space(int64_t channels) { return std::make_shared<PixelSpace>(channels); }

}  // namespace ng::autoencoder
