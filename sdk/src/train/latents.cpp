// Encodes a dataset once with an autoencoder and caches the latents for the run.
#include "latents.hpp"

#include <ATen/ATen.h>

#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"

namespace ng::train::detail {

at::Tensor encode_dataset(const ImageDataset& data, const std::filesystem::path& autoencoder,
                          const std::filesystem::path& run_dir, Context& ctx) {
  const auto cache = run_dir / "latents.safetensors";
  const std::string key = std::filesystem::canonical(autoencoder).string() + "|" +
                          std::to_string(std::filesystem::file_size(autoencoder)) + "|" +
                          std::to_string(std::filesystem::last_write_time(autoencoder).time_since_epoch().count()) +
                          "|" + std::to_string(data.size());
  if (std::filesystem::exists(cache)) {
    auto f = io::load_safetensors(cache);
    if (f.meta_or("autoencoder", "") == key) return f.get("latents");
  }
  auto ae = nn::load_autoencoder(autoencoder);
  std::vector<at::Tensor> parts;
  const int64_t n = data.size(), chunk = 1000;
  for (int64_t i = 0; i < n; i += chunk) {
    ctx.check_cancelled();
    parts.push_back(ae->encode(to_images(data, at::arange(i, std::min(n, i + chunk)))));
    ctx.report_progress(0.0, "encoding training images " + std::to_string(std::min(n, i + chunk)) + "/" +
                                 std::to_string(n));
  }
  auto latents = at::cat(parts);
  io::save_safetensors(cache, {{"latents", latents}}, {{"autoencoder", key}});
  return latents;
}

}  // namespace ng::train::detail
