// Inference schedules (sigmas.hpp). All maths in double, results float32 with a final 0.
#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "noisegraph/diffusion/model_sampling.hpp"
#include "noisegraph/diffusion/sigmas.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

at::Tensor to_sigmas(std::vector<double> v, bool append_zero = true) {
  if (append_zero) v.push_back(0.0);
  return at::tensor(v, at::TensorOptions().dtype(at::kDouble)).to(at::kFloat);
}

void check_steps(int64_t n, const char* what) {
  if (n < 1) throw Error(std::string(what) + ": steps must be at least 1, got " + std::to_string(n));
}

void check_range(double lo, double hi, const char* what) {
  if (!(lo > 0.0) || !(hi > lo) || !std::isfinite(hi)) {
    std::ostringstream s;
    s << what << ": expected 0 < sigma_min < sigma_max, got sigma_min=" << lo << " sigma_max=" << hi;
    throw Error(s.str());
  }
}

// Sigma at a continuous table index, interpolating log sigma (like DiscreteVPSampling::sigma_at).
double table_at(const at::Tensor& table, double idx) {
  const auto* p = table.data_ptr<double>();
  const int64_t T = table.size(0);
  idx = std::clamp(idx, 0.0, double(T - 1));
  const int64_t lo = std::min<int64_t>(int64_t(std::floor(idx)), T - 2);
  const double w = idx - double(lo);
  return std::exp((1.0 - w) * std::log(p[lo]) + w * std::log(p[lo + 1]));
}

}  // namespace

at::Tensor karras_sigmas(int64_t n, double sigma_min, double sigma_max, double rho) {
  check_steps(n, "karras schedule");
  check_range(sigma_min, sigma_max, "karras schedule");
  if (!(rho > 0.0)) throw Error("karras schedule: rho must be > 0");
  const double a = std::pow(sigma_max, 1.0 / rho), b = std::pow(sigma_min, 1.0 / rho);
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i) {
    const double r = n == 1 ? 0.0 : double(i) / double(n - 1);
    s.push_back(std::pow(a + r * (b - a), rho));
  }
  return to_sigmas(s);
}

at::Tensor exponential_sigmas(int64_t n, double sigma_min, double sigma_max) {
  check_steps(n, "exponential schedule");
  check_range(sigma_min, sigma_max, "exponential schedule");
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i) {
    const double r = n == 1 ? 0.0 : double(i) / double(n - 1);
    s.push_back(std::exp(std::log(sigma_max) + r * (std::log(sigma_min) - std::log(sigma_max))));
  }
  return to_sigmas(s);
}

at::Tensor flow_sigmas(int64_t n, double shift) {
  check_steps(n, "flow schedule");
  if (!(shift > 0.0)) throw Error("flow schedule: shift must be > 0");
  std::vector<double> s;
  for (int64_t i = 0; i <= n; ++i) {
    const double t = 1.0 - double(i) / double(n);
    s.push_back(shift * t / (1.0 + (shift - 1.0) * t));
  }
  return to_sigmas(s, false);
}

at::Tensor sigma_table(const ModelSampling& sampling) {
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  if (auto* vp = dynamic_cast<const DiscreteVPSampling*>(&sampling)) return vp->sigmas();
  constexpr int64_t T = 1000;
  auto table = at::empty({T}, f64);
  auto* p = table.data_ptr<double>();
  if (auto* flow = dynamic_cast<const FlowSampling*>(&sampling)) {
    for (int64_t i = 0; i < T; ++i) p[i] = flow->shifted(double(i + 1) / double(T));
    return table;
  }
  const auto ends = sampling.timestep(at::tensor({sampling.sigma_min(), sampling.sigma_max()}, f64));
  const auto ts = at::linspace(ends[0].item<double>(), ends[1].item<double>(), T, f64);
  return sampling.sigma_at(ts).to(at::kDouble).cpu().contiguous();
}

std::vector<std::string> timestep_spacing_names() { return {"linspace", "leading", "trailing"}; }

TimestepSpacing timestep_spacing_from_name(const std::string& name) {
  if (name == "linspace") return TimestepSpacing::Linspace;
  if (name == "leading") return TimestepSpacing::Leading;
  if (name == "trailing") return TimestepSpacing::Trailing;
  throw Error("unknown timestep spacing '" + name + "': expected linspace, leading or trailing");
}

at::Tensor uniform_sigmas(const ModelSampling& sampling, int64_t n, TimestepSpacing spacing,
                          int64_t steps_offset) {
  check_steps(n, "uniform schedule");
  const auto table = sigma_table(sampling);
  const int64_t T = table.size(0);
  if (n > T) throw Error("uniform schedule: " + std::to_string(n) + " steps exceed the model's " +
                         std::to_string(T) + " training timesteps");
  const auto* p = table.data_ptr<double>();
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i) {
    int64_t t = 0;
    switch (spacing) {
      case TimestepSpacing::Linspace:  // descending: i = 0 is T-1
        t = n == 1 ? T - 1 : int64_t(std::llround(double(T - 1) * double(n - 1 - i) / double(n - 1)));
        break;
      case TimestepSpacing::Leading:
        t = (T / n) * (n - 1 - i) + steps_offset;
        break;
      case TimestepSpacing::Trailing:
        t = int64_t(std::llround(double(T) - double(i) * double(T) / double(n))) - 1;
        break;
    }
    s.push_back(p[std::clamp<int64_t>(t, 0, T - 1)]);
  }
  return to_sigmas(s);
}

at::Tensor simple_sigmas(const ModelSampling& sampling, int64_t n) {
  check_steps(n, "simple schedule");
  const auto table = sigma_table(sampling);
  const int64_t T = table.size(0);
  const auto* p = table.data_ptr<double>();
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i) {
    const auto k = int64_t(std::floor(double(i) * double(T) / double(n)));
    s.push_back(p[std::clamp<int64_t>(T - 1 - k, 0, T - 1)]);
  }
  return to_sigmas(s);
}

at::Tensor normal_sigmas(const ModelSampling& sampling, int64_t n) {
  check_steps(n, "normal schedule");
  const auto table = sigma_table(sampling);
  const double top = double(table.size(0) - 1);
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i)
    s.push_back(table_at(table, n == 1 ? top : top * double(n - 1 - i) / double(n - 1)));
  return to_sigmas(s);
}

at::Tensor sgm_uniform_sigmas(const ModelSampling& sampling, int64_t n) {
  check_steps(n, "sgm_uniform schedule");
  const auto table = sigma_table(sampling);
  const double top = double(table.size(0) - 1);
  std::vector<double> s;
  for (int64_t i = 0; i < n; ++i) s.push_back(table_at(table, top * double(n - i) / double(n)));
  return to_sigmas(s);
}

std::vector<std::string> scheduler_names() {
  return {"normal", "karras", "exponential", "simple", "sgm_uniform", "flow",
          "linspace", "leading", "trailing"};
}

int64_t denoise_total_steps(int64_t n, double denoise) {
  check_steps(n, "schedule");
  if (!(denoise >= 0.0 && denoise <= 1.0))
    throw Error("denoise must lie in [0, 1], got " + std::to_string(denoise));
  if (denoise == 0.0) return 0;
  // The epsilon keeps e.g. 10 / 0.1 = 99.999... from rounding down to 99.
  return std::max<int64_t>(n, int64_t(std::floor(double(n) / denoise + 1e-9)));
}

at::Tensor denoise_tail(const at::Tensor& full, int64_t n) {
  if (!full.defined()) return at::zeros({1}, at::kFloat);
  return full.slice(0, full.size(0) - (n + 1)).contiguous();
}

at::Tensor scheduler_sigmas(const std::string& name, const ModelSampling& ms, int64_t n, double denoise) {
  auto full = [&](int64_t steps) -> at::Tensor {
    if (name == "normal") return normal_sigmas(ms, steps);
    if (name == "karras") return karras_sigmas(steps, ms.sigma_min(), ms.sigma_max());
    if (name == "exponential") return exponential_sigmas(steps, ms.sigma_min(), ms.sigma_max());
    if (name == "simple") return simple_sigmas(ms, steps);
    if (name == "sgm_uniform") return sgm_uniform_sigmas(ms, steps);
    if (name == "flow") {
      auto* flow = dynamic_cast<const FlowSampling*>(&ms);
      if (!flow) throw Error("the flow schedule needs a flow-matching model; this one is '" +
                             ms.parameterization() + "' (try normal or karras)");
      return flow_sigmas(steps, flow->shift());
    }
    if (name == "linspace" || name == "leading" || name == "trailing")
      return uniform_sigmas(ms, steps, timestep_spacing_from_name(name), name == "leading" ? 1 : 0);
    throw Error("unknown scheduler '" + name +
                "': expected normal, karras, exponential, simple, sgm_uniform, flow, linspace, leading or trailing");
  };
  return apply_denoise(full, n, denoise);
}

void check_sigmas(const at::Tensor& sigmas, const std::string& what) {
  if (!sigmas.defined() || sigmas.dim() != 1 || sigmas.size(0) < 1)
    throw Error(what + ": expected a 1-D tensor with at least one noise level");
  const auto d = sigmas.to(at::kDouble).cpu();
  if (!at::isfinite(d).all().item<bool>() || (d < 0).any().item<bool>())
    throw Error(what + ": noise levels must be finite and >= 0");
}

std::pair<at::Tensor, at::Tensor> split_sigmas(const at::Tensor& sigmas, int64_t step) {
  check_sigmas(sigmas, "split_sigmas");
  if (step < 0 || step >= sigmas.size(0))
    throw Error("split_sigmas: step " + std::to_string(step) + " outside [0, " +
                std::to_string(sigmas.size(0) - 1) + "]");
  return {sigmas.slice(0, 0, step + 1).contiguous(), sigmas.slice(0, step).contiguous()};
}

at::Tensor flip_sigmas(const at::Tensor& sigmas) {
  check_sigmas(sigmas, "flip_sigmas");
  auto out = sigmas.flip({0}).contiguous().clone();
  if (out[0].item<double>() == 0.0) out[0] = 1e-4;
  return out;
}

at::Tensor concat_sigmas(const at::Tensor& a, const at::Tensor& b) {
  check_sigmas(a, "concat_sigmas (first)");
  check_sigmas(b, "concat_sigmas (second)");
  const bool shared = a[-1].item<double>() == b[0].item<double>();
  return at::cat({a.to(at::kFloat), (shared ? b.slice(0, 1) : b).to(at::kFloat)}).contiguous();
}

}  // namespace ng::diffusion
