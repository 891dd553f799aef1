// bench_sd: Stable Diffusion 1.5 at full size with random weights.
//   bench_sd make LAYOUT OUT.safetensors      writes a random F16 checkpoint with the keys and
//                                             shapes of LAYOUT (tests/data/sd1-tiny/sd1_real_layout.txt)
//   bench_sd time CHECKPOINT [--threads N] [--sizes 256,512]
//                                             load time, text encode, U-Net forward at batch 1
//                                             and 2, VAE decode, peak RSS
// Weights are N(0, 1/fan_in) with unit norms, so activations stay in range like a real model's.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "noisegraph/error.hpp"
#include "noisegraph/sd/checkpoint.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / (1024.0 * 1024.0);
}

struct Key {
  std::string name, dtype;
  std::vector<int64_t> shape;
};

std::vector<Key> read_layout(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ng::Error(path + ": cannot open");
  std::vector<Key> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Key k;
    std::string shape;
    std::getline(ss, k.name, '\t');
    std::getline(ss, k.dtype, '\t');
    std::getline(ss, shape, '\t');
    for (char& c : shape)
      if (c == '[' || c == ']' || c == ',') c = ' ';
    std::istringstream dims(shape);
    for (int64_t d; dims >> d;) k.shape.push_back(d);
    keys.push_back(std::move(k));
  }
  return keys;
}

bool ends(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

at::Tensor random_weight(const Key& k, at::Generator& gen) {
  if (k.dtype == "int64") return at::arange(k.shape.back(), at::kLong).reshape(k.shape);
  const bool norm = k.name.find("norm") != std::string::npos || k.name.find(".ln_") != std::string::npos;
  if (ends(k.name, ".bias")) return at::zeros(k.shape);
  if (norm && ends(k.name, ".weight")) return at::ones(k.shape);
  if (k.shape.size() <= 1) {  // schedule buffers and other vectors: something finite and small
    return at::rand(k.shape, gen) * 0.5 + 0.25;
  }
  int64_t fan_in = 1;
  for (size_t i = 1; i < k.shape.size(); ++i) fan_in *= k.shape[i];
  if (k.shape.size() == 2 && k.name.find("embedding") != std::string::npos) fan_in = 1;
  return at::randn(k.shape, gen) / std::sqrt(double(fan_in));
}

int make(const std::string& layout, const std::string& out) {
  const auto keys = read_layout(layout);
  std::string header = "{\"__metadata__\":{\"format\":\"pt\",\"noisegraph.bench\":\"random weights\"}";
  uint64_t offset = 0;
  for (const auto& k : keys) {
    uint64_t n = 1;
    for (auto d : k.shape) n *= uint64_t(d);
    const uint64_t bytes = n * (k.dtype == "int64" ? 8 : 2);
    std::string shape = "[";
    for (size_t i = 0; i < k.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(k.shape[i]);
    header += ",\"" + k.name + "\":{\"dtype\":\"" + (k.dtype == "int64" ? "I64" : "F16") + "\",\"shape\":" + shape +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  while ((8 + header.size()) % 8) header += ' ';
  std::ofstream f(out + ".part", std::ios::binary);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f.put(char((n >> (8 * i)) & 0xFF));
  f << header;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1234);
  for (const auto& k : keys) {
    at::Tensor t = random_weight(k, gen);
    t = (k.dtype == "int64" ? t.to(at::kLong) : t.to(at::kHalf)).contiguous();
    f.write(static_cast<const char*>(t.data_ptr()), std::streamsize(t.numel() * t.element_size()));
  }
  f.close();
  if (!f) throw ng::Error(out + ": write failed");
  std::rename((out + ".part").c_str(), out.c_str());
  std::printf("wrote %s: %zu tensors, %.2f GB\n", out.c_str(), keys.size(), double(8 + n + offset) / 1e9);
  return 0;
}

template <class F>
double best_of(int reps, F fn) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

int time_checkpoint(const std::string& path, const std::vector<int>& sizes) {
  c10::AutoGradMode no_grad(false);
  std::printf("threads %d\n", at::get_num_threads());
  auto t0 = Clock::now();
  ng::sd::CheckpointOptions opt;
  const auto ck = ng::sd::load_checkpoint(path, opt);
  const double load = seconds_since(t0);
  std::printf("%s\n", ck.info.describe().c_str());
  std::printf("load                     %8.2f s   peak RSS %.2f GB (F32 weights %.2f GB)\n", load, peak_rss_gb(),
              double(ck.info.parameters) * 4 / (1024.0 * 1024 * 1024));
  std::vector<std::string> unknown;
  const double enc = best_of(3, [&] { ck.text_encoder->encode("a photograph of an astronaut riding a horse", &unknown); });
  std::printf("text encode (77 tokens)  %8.3f s\n", enc);
  auto ctx = ck.text_encoder->encode("a photograph of an astronaut riding a horse", &unknown).tokens;
  for (int px : sizes) {
    const int64_t h = px / 8;
    for (int64_t b : {1, 2}) {
      const at::Tensor x = at::randn({b, 4, h, h});
      const at::Tensor t = at::full({b}, 500.0, at::kDouble);
      const at::Tensor c = ctx.unsqueeze(0).expand({b, ctx.size(0), ctx.size(1)}).contiguous();
      ck.unet->forward(x, t, c);  // warm-up
      const double s = best_of(2, [&] { ck.unet->forward(x, t, c); });
      std::printf("unet %dx%d batch %lld     %8.3f s   peak RSS %.2f GB\n", px, px, (long long)b, s, peak_rss_gb());
    }
  }
  for (int px : sizes) {
    const at::Tensor z = at::randn({1, 4, px / 8, px / 8});
    const double s = best_of(1, [&] { ck.autoencoder->decode(z); });
    std::printf("vae decode %dx%d        %8.3f s   peak RSS %.2f GB\n", px, px, s, peak_rss_gb());
  }
  std::printf("peak RSS %.2f GB = %.2fx the F32 weights\n", peak_rss_gb(),
              peak_rss_gb() / (double(ck.info.parameters) * 4 / (1024.0 * 1024 * 1024)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines appear as they are measured, also in a log file
  try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    if (a.size() == 3 && a[0] == "make") return make(a[1], a[2]);
    if (a.size() >= 2 && a[0] == "time") {
      std::vector<int> sizes{256, 512};
      for (size_t i = 2; i + 1 < a.size(); i += 2) {
        if (a[i] == "--threads") at::set_num_threads(std::stoi(a[i + 1]));
        if (a[i] == "--sizes") {
          sizes.clear();
          std::istringstream ss(a[i + 1]);
          for (std::string s; std::getline(ss, s, ',');) sizes.push_back(std::stoi(s));
        }
      }
      return time_checkpoint(a[1], sizes);
    }
    std::fprintf(stderr, "usage: bench_sd make LAYOUT OUT | bench_sd time CHECKPOINT [--threads N] [--sizes 256,512]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sd: %s\n", e.what());
    return 1;
  }
}
