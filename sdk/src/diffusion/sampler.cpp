// Sampler registry, the shared per-run plumbing and sample_latent() (samplers.hpp).
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <limits>

#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"
#include "sampler_run.hpp"

namespace ng::diffusion {
namespace detail {

SamplerRun::SamplerRun(Guider& guider, const at::Tensor& sigmas, const NoiseSource& noise, Context& ctx,
                       const StepCallback& callback, int64_t batch)
    : guider_(guider), frame_(NoiseFrame::of(guider.sampling())), source_(noise), batch_(batch),
      ctx_(ctx), callback_(callback) {
  check_sigmas(sigmas, "sampler");
  const auto d = sigmas.to(at::kDouble).cpu().contiguous();
  sigmas_.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

at::Tensor SamplerRun::denoise(const at::Tensor& x, double sigma, int i) {
  const auto s = at::full({x.size(0)}, sigma, x.options());
  auto d = guider_.predict(x, s, GuideStep{i, steps()});
  if (!d.defined() || d.sizes() != x.sizes())
    throw Error("guider returned a prediction of the wrong shape");
  // NaN or infinity here (corrupt weights, overflow) would end as an all-black image and
  // exit 0: fail at the step where it appears, naming the model.
  if (at::isfinite(d).all().item<bool>() == false) {
    std::string model = guider_.model() ? guider_.model()->describe() : std::string();
    if (model.empty()) model = "the model";
    throw Error("the denoised prediction holds NaN or infinite values at step " + std::to_string(i + 1) + "/" +
                std::to_string(steps()) + " (sigma " + std::to_string(sigma) + "); " + model +
                " is corrupt or unstable at this setting");
  }
  last_denoised = d;
  return d;
}

at::Tensor SamplerRun::noise(const at::Tensor& x) {
  if (!stream_) stream_ = source_.stream(batch_);
  return stream_->next(x);
}

at::Tensor SamplerRun::end_step(int i, at::Tensor x, const at::Tensor& denoised) {
  if (callback_) {
    StepState st{i, steps(), sigma(i), sigma(i + 1), x, denoised};
    callback_(st);
    if (!st.x.defined() || st.x.sizes() != x.sizes())
      throw Error("sampler step callback replaced x with a tensor of another shape");
    x = st.x;
  }
  ctx_.report_step(i + 1, steps(), denoised);
  return x;
}

double ve_sigma(const NoiseFrame& f, double sigma) {
  const double a = f.alpha(sigma);
  return a > 0.0 ? f.std(sigma) / a : std::numeric_limits<double>::infinity();
}

}  // namespace detail

namespace {

struct Entry {
  const char* name;
  detail::SamplerFn fn;
  double default_eta;  ///< eta when the options leave it unset; < 0: the sampler has no eta
  bool always_noisy;   ///< draws noise whatever eta is (ddpm)
};

const Entry kSamplers[] = {
    {"euler", &detail::sample_euler, -1.0, false},
    {"euler_ancestral", &detail::sample_euler_ancestral, 1.0, false},
    {"heun", &detail::sample_heun, -1.0, false},
    {"lms", &detail::sample_lms, -1.0, false},
    {"ddim", &detail::sample_ddim, 0.0, false},
    {"ddpm", &detail::sample_ddpm, -1.0, true},
    {"dpmpp_2m", &detail::sample_dpmpp_2m, -1.0, false},
    {"dpmpp_2m_sde", &detail::sample_dpmpp_2m_sde, 1.0, false},
};

class FunctionSampler final : public Sampler {
 public:
  FunctionSampler(const Entry& e, SamplerOptions o) : entry_(e), options_(std::move(o)) {}
  std::string name() const override { return entry_.name; }
  bool stochastic() const override {
    return entry_.always_noisy || (entry_.default_eta >= 0.0 && options_.eta.value_or(entry_.default_eta) > 0.0);
  }
  std::string describe() const override { return std::string("sampler ") + entry_.name; }

  SampleResult sample(Guider& guider, const at::Tensor& sigmas, const at::Tensor& x,
                      const NoiseSource& noise, Context& ctx, const StepCallback& callback) const override {
    if (!x.defined() || x.dim() < 2) throw Error(name() + ": expected a latent [B,C,...]");
    c10::NoGradGuard no_grad;  // guiders that need gradients (classifier guidance) re-enable them
    detail::SamplerRun run(guider, sigmas, noise, ctx, callback, x.size(0));
    auto out = entry_.fn(run, x, options_);
    return {out, run.last_denoised.defined() ? run.last_denoised : out};
  }

 private:
  Entry entry_;
  SamplerOptions options_;
};

}  // namespace

Sampler::~Sampler() = default;

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const auto& e : kSamplers) names.emplace_back(e.name);
  return names;
}

std::shared_ptr<Sampler> make_sampler(const std::string& name, const SamplerOptions& o) {
  if (o.eta && (!(*o.eta >= 0.0) || !std::isfinite(*o.eta))) throw Error("sampler: eta must be >= 0");
  if (!(o.s_noise >= 0.0) || !std::isfinite(o.s_noise)) throw Error("sampler: s_noise must be >= 0");
  if (o.order < 1 || o.order > 4) throw Error("sampler: lms order must lie in 1..4, got " + std::to_string(o.order));
  if (o.variance != "fixed_small" && o.variance != "fixed_large" && o.variance != "learned")
    throw Error("sampler: variance must be fixed_small, fixed_large or learned, got '" + o.variance + "'");
  if (!(o.clip_x0 >= 0.0)) throw Error("sampler: clip_x0 must be >= 0 (0 = off)");
  for (const auto& e : kSamplers)
    if (name == e.name) return std::make_shared<FunctionSampler>(e, o);
  std::string all;
  for (const auto& n : sampler_names()) all += (all.empty() ? "" : ", ") + n;
  throw Error("unknown sampler '" + name + "': expected one of " + all);
}

at::Tensor resize_mask(const at::Tensor& mask, int64_t h, int64_t w) {
  if (!mask.defined() || mask.dim() != 4 || mask.size(1) != 1)
    throw Error("mask must be [B,1,H,W]");
  auto m = mask.to(at::kFloat);
  // Shrinking averages over each cell's area (so partial coverage and thin features
  // survive, matching mask.resize); growing interpolates bilinearly.
  if (m.size(2) >= h && m.size(3) >= w && (m.size(2) != h || m.size(3) != w))
    m = at::adaptive_avg_pool2d(m, {h, w});
  else if (m.size(2) != h || m.size(3) != w)
    m = at::upsample_bilinear2d(m, {h, w}, false);
  return m.clamp(0.0, 1.0);
}

SampleResult sample_latent(const Sampler& sampler, Guider& guider, const at::Tensor& sigmas,
                           const at::Tensor& latent, const NoiseSource& noise, Context& ctx,
                           const at::Tensor& noise_mask) {
  check_sigmas(sigmas, "sample");
  if (!latent.defined() || latent.dim() != 4) throw Error("sample: expected a latent [B,C,h,w]");
  const auto& ms = guider.sampling();
  const auto n0 = noise.initial(latent);
  const auto s0 = at::scalar_tensor(sigmas[0].item<double>(), latent.options());
  auto x = ms.noise_scaling(s0, n0, latent);
  if (!noise_mask.defined()) return sampler.sample(guider, sigmas, x, noise, ctx);

  auto m = resize_mask(noise_mask, latent.size(2), latent.size(3)).to(latent.options());
  if (m.size(0) != 1 && m.size(0) != latent.size(0))
    throw Error("sample: noise mask has batch " + std::to_string(m.size(0)) + " but the latent has " +
                std::to_string(latent.size(0)));
  // The known region follows the forward process of the input latent with the same noise,
  // so it stays consistent with what the model sees elsewhere (RePaint-style re-injection
  // without resampling; Lugmayr et al. 2022, eq. 8).
  StepCallback keep = [&](StepState& st) {
    const auto sn = at::scalar_tensor(st.sigma_next, latent.options());
    st.x = m * st.x + (1.0 - m) * ms.noise_scaling(sn, n0, latent);
  };
  auto r = sampler.sample(guider, sigmas, x, noise, ctx, keep);
  r.denoised = m * r.denoised + (1.0 - m) * latent;
  return r;
}

}  // namespace ng::diffusion
