// Seeded, batch-layout independent noise (noise.hpp).
#include <ATen/ATen.h>

#include "noisegraph/context.hpp"
#include "noisegraph/diffusion/noise.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

// Row k of `like` from its own generator; float32 on the CPU, then the caller's options.
at::Tensor rows_from(std::vector<at::Generator>& gens, const at::Tensor& like) {
  if (!like.defined() || like.dim() < 1) throw Error("noise: expected a [B,...] tensor");
  if (like.size(0) != int64_t(gens.size()))
    throw Error("noise: stream made for " + std::to_string(gens.size()) + " images asked for " +
                std::to_string(like.size(0)));
  auto row_shape = like.sizes().vec();
  row_shape.erase(row_shape.begin());
  std::vector<at::Tensor> rows;
  rows.reserve(gens.size());
  for (auto& g : gens) rows.push_back(at::randn(row_shape, g, at::TensorOptions().dtype(at::kFloat)));
  return at::stack(rows).to(like.options());
}

class SeededStream final : public NoiseStream {
 public:
  SeededStream(uint64_t seed, int64_t batch) {
    for (int64_t k = 0; k < batch; ++k)
      gens_.push_back(Context::make_generator(mix_seed(seed + uint64_t(k))));
  }
  at::Tensor next(const at::Tensor& like) override { return rows_from(gens_, like); }

 private:
  std::vector<at::Generator> gens_;
};

class ZeroStream final : public NoiseStream {
 public:
  at::Tensor next(const at::Tensor& like) override { return at::zeros_like(like); }
};

}  // namespace

NoiseStream::~NoiseStream() = default;

uint64_t mix_seed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

at::Tensor NoiseSource::initial(const at::Tensor& like) const {
  if (!like.defined() || like.dim() < 1) throw Error("noise: expected a [B,...] tensor");
  std::vector<at::Generator> gens;
  for (int64_t k = 0; k < like.size(0); ++k) gens.push_back(Context::make_generator(seed_ + uint64_t(k)));
  return rows_from(gens, like);
}

std::unique_ptr<NoiseStream> NoiseSource::stream(int64_t batch) const {
  return std::make_unique<SeededStream>(seed_, batch);
}

std::string NoiseSource::describe() const { return "Gaussian noise, seed " + std::to_string(seed_); }

at::Tensor ZeroNoise::initial(const at::Tensor& like) const { return at::zeros_like(like); }
std::unique_ptr<NoiseStream> ZeroNoise::stream(int64_t) const { return std::make_unique<ZeroStream>(); }
std::string ZeroNoise::describe() const { return "no noise"; }

}  // namespace ng::diffusion
