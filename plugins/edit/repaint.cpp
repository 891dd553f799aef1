// RePaint resampling as a sampler wrapper (repaint.hpp).
#include "repaint.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include <noisegraph/diffusion/guider.hpp>
#include <noisegraph/diffusion/sigmas.hpp>
#include <noisegraph/error.hpp>

namespace ng::edit {
namespace {

using diffusion::mix_seed;

// Salts that separate the jump noise and each pass's sampler noise from the run's own streams.
constexpr uint64_t kJumpSalt = 0x52655061696e744aULL;  // "RePaintJ"
constexpr uint64_t kPassSalt = 0x52655061696e7450ULL;  // "RePaintP"

// Per-image generators seeded from (seed + k, salt): image k's noise depends on its own
// seed only, as the NOISE promise requires.
class SaltedStream final : public diffusion::NoiseStream {
 public:
  SaltedStream(uint64_t seed, uint64_t salt, int64_t batch) {
    for (int64_t k = 0; k < batch; ++k)
      gens_.push_back(Context::make_generator(mix_seed(mix_seed(seed + uint64_t(k)) ^ salt)));
  }
  at::Tensor next(const at::Tensor& like) override {
    if (like.size(0) != int64_t(gens_.size()))
      throw Error("repaint: noise stream made for " + std::to_string(gens_.size()) + " images asked for " +
                  std::to_string(like.size(0)));
    auto row = like.sizes().vec();
    row.erase(row.begin());
    std::vector<at::Tensor> rows;
    for (auto& g : gens_) rows.push_back(at::randn(row, g, at::TensorOptions().dtype(at::kFloat)));
    return at::stack(rows).to(like.options());
  }

 private:
  std::vector<at::Generator> gens_;
};

// The run's noise with a salt: what a stochastic inner sampler draws from in one pass.
class SaltedNoise final : public diffusion::NoiseSource {
 public:
  SaltedNoise(uint64_t seed, uint64_t salt) : NoiseSource(seed), salt_(salt) {}
  at::Tensor initial(const at::Tensor& like) const override { return SaltedStream(seed(), salt_, like.size(0)).next(like); }
  std::unique_ptr<diffusion::NoiseStream> stream(int64_t batch) const override {
    return std::make_unique<SaltedStream>(seed(), salt_, batch);
  }

 private:
  uint64_t salt_;
};

// Forwards everything to the caller's context; step reports count across all passes.
class PassContext final : public Context {
 public:
  PassContext(Context& outer, int total) : outer_(outer), total_(total) {}
  int done = 0;

  void report_progress(double f, const std::string& m) override { outer_.report_progress(f, m); }
  void report_step(int step, int, const at::Tensor& preview) override { outer_.report_step(done + step, total_, preview); }
  bool is_cancelled() const override { return outer_.is_cancelled(); }
  void log(LogLevel level, const std::string& m) override { outer_.log(level, m); }
  c10::Device device() const override { return outer_.device(); }
  std::filesystem::path graph_dir() const override { return outer_.graph_dir(); }
  std::filesystem::path output_dir() const override { return outer_.output_dir(); }
  std::vector<std::filesystem::path> model_search_path() const override { return outer_.model_search_path(); }
  std::string graph_yaml() const override { return outer_.graph_yaml(); }
  void report_file(const std::filesystem::path& f) override { outer_.report_file(f); }

 private:
  Context& outer_;
  int total_;
};

}  // namespace

std::vector<RePaintPass> repaint_passes(int steps, const RePaintOptions& o) {
  if (o.jump_length < 1) throw Error("repaint: jump_length must be at least 1, got " + std::to_string(o.jump_length));
  if (o.resamples < 1) throw Error("repaint: resamples must be at least 1, got " + std::to_string(o.resamples));
  std::vector<RePaintPass> out;
  for (int a = 0; a < steps; a += o.jump_length) {
    const int b = std::min(a + o.jump_length, steps);
    for (int p = 0; p < o.resamples; ++p) out.push_back({a, b, p > 0});
  }
  return out;
}

at::Tensor renoise(const ModelSampling& sampling, const at::Tensor& x, double sigma_b, double sigma_a,
                   const at::Tensor& z) {
  if (!(sigma_a >= sigma_b)) throw Error("repaint: can only re-noise to a higher level");
  // NoiseFrame::of() is not exported from the SDK; this is its rule.
  const diffusion::NoiseFrame f{sampling.parameterization() == "flow"};
  const double ab = f.alpha(sigma_b), aa = f.alpha(sigma_a);
  if (!(ab > 0.0)) throw Error("repaint: cannot re-noise from a level with no signal left");
  const double r = aa / ab;
  const double var = f.std(sigma_a) * f.std(sigma_a) - r * r * f.std(sigma_b) * f.std(sigma_b);
  return x * r + z * std::sqrt(std::max(var, 0.0));
}

RePaintSampler::RePaintSampler(std::shared_ptr<const diffusion::Sampler> inner, RePaintOptions options)
    : inner_(std::move(inner)), options_(options) {
  if (!inner_) throw Error("repaint: no sampler given");
  repaint_passes(1, options_);  // validates the options
}

std::string RePaintSampler::name() const { return "repaint(" + inner_->name() + ")"; }

std::string RePaintSampler::describe() const {
  std::ostringstream o;
  o << "RePaint over " << inner_->name() << ": jump " << options_.jump_length << " steps, " << options_.resamples
    << " passes";
  return o.str();
}

diffusion::SampleResult RePaintSampler::sample(diffusion::Guider& guider, const at::Tensor& sigmas,
                                               const at::Tensor& x_in, const diffusion::NoiseSource& noise,
                                               Context& ctx, const diffusion::StepCallback& callback) const {
  diffusion::check_sigmas(sigmas, "repaint");
  const int n = int(sigmas.size(0)) - 1;
  if (options_.resamples == 1 || n < 1) return inner_->sample(guider, sigmas, x_in, noise, ctx, callback);
  if (!x_in.defined() || x_in.dim() < 2) throw Error("repaint: expected a latent [B,C,...]");

  const auto levels = sigmas.to(at::kDouble).cpu().contiguous();
  const auto passes = repaint_passes(n, options_);
  int total = 0;
  for (const auto& p : passes) total += p.last - p.first;

  const bool silent = dynamic_cast<const diffusion::ZeroNoise*>(&noise) != nullptr;
  SaltedStream jumps(noise.seed(), kJumpSalt, x_in.size(0));
  PassContext pctx(ctx, total);
  diffusion::SampleResult result{x_in, x_in};
  at::Tensor x = x_in;
  for (size_t i = 0; i < passes.size(); ++i) {
    const auto& p = passes[i];
    ctx.check_cancelled();
    if (p.renoise) {
      const double hi = levels[p.first].item<double>(), lo = levels[p.last].item<double>();
      const auto z = silent ? at::zeros_like(x) : jumps.next(x);
      x = renoise(guider.sampling(), x, lo, hi, z);
    }
    diffusion::StepCallback mapped;
    if (callback)
      mapped = [&callback, first = p.first, n](diffusion::StepState& st) {
        st.index += first;
        st.total = n;
        callback(st);
      };
    const auto slice = sigmas.slice(0, p.first, p.last + 1);
    if (silent || !inner_->stochastic()) {
      result = inner_->sample(guider, slice, x, noise, pctx, mapped);
    } else {
      SaltedNoise pass_noise(noise.seed(), kPassSalt + uint64_t(i));
      result = inner_->sample(guider, slice, x, pass_noise, pctx, mapped);
    }
    x = result.samples;
    pctx.done += p.last - p.first;
  }
  return result;
}

}  // namespace ng::edit
