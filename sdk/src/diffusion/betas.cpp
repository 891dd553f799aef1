// Beta schedules of discrete-time diffusion models and their closed forms (schedule.hpp).
#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "noisegraph/diffusion/schedule.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion {
namespace {

const auto kF64 = at::TensorOptions().dtype(at::kDouble);

void check_betas(const at::Tensor& betas, const std::string& what) {
  if (betas.size(0) < 2)
    throw Error(what + ": a schedule needs at least 2 steps, got " + std::to_string(betas.size(0)));
  const double lo = betas.min().item<double>(), hi = betas.max().item<double>();
  if (!(lo > 0.0) || !(hi < 1.0)) {
    std::ostringstream s;
    s << what << ": betas must lie in (0, 1), found values in [" << lo << ", " << hi << "]";
    throw Error(s.str());
  }
}

// Nichol & Dhariwal 2021, eq. 17: abar(t) = f(t)/f(0), f(t) = cos^2(pi/2 (t/T + s)/(1 + s)).
// Betas are 1 - abar(t+1)/abar(t), clipped to 0.999 "to prevent singularities near t = T".
at::Tensor cosine_betas(int64_t T) {
  constexpr double s = 0.008;
  auto f = [&](double t) {
    const double c = std::cos((t / double(T) + s) / (1.0 + s) * M_PI / 2.0);
    return c * c;
  };
  auto betas = at::empty({T}, kF64);
  auto* b = betas.data_ptr<double>();
  for (int64_t i = 0; i < T; ++i) b[i] = std::min(1.0 - f(double(i + 1)) / f(double(i)), 0.999);
  return betas;
}

}  // namespace

std::vector<std::string> beta_schedule_names() {
  return {"linear", "scaled_linear", "cosine", "sigmoid"};
}

at::Tensor make_betas(const std::string& kind, int64_t T, double beta_start, double beta_end) {
  if (T < 2) throw Error("beta schedule '" + kind + "': T must be at least 2, got " + std::to_string(T));
  at::Tensor betas;
  if (kind == "linear") {
    betas = at::linspace(beta_start, beta_end, T, kF64);
  } else if (kind == "scaled_linear") {
    betas = at::linspace(std::sqrt(beta_start), std::sqrt(beta_end), T, kF64).pow(2);
  } else if (kind == "cosine") {
    betas = cosine_betas(T);
  } else if (kind == "sigmoid") {
    betas = at::sigmoid(at::linspace(-6.0, 6.0, T, kF64)) * (beta_end - beta_start) + beta_start;
  } else {
    throw Error("unknown beta schedule '" + kind +
                "': expected linear, scaled_linear, cosine or sigmoid");
  }
  check_betas(betas, "beta schedule '" + kind + "'");
  return betas;
}

at::Tensor make_betas_from_list(const std::vector<double>& values) {
  auto betas = at::tensor(values, kF64);
  check_betas(betas, "explicit beta list");
  return betas;
}

at::Tensor alphas_cumprod(const at::Tensor& betas) {
  return at::cumprod(1.0 - betas.to(at::kDouble).cpu(), 0);
}

at::Tensor vp_sigmas(const at::Tensor& abar) {
  const auto a = abar.to(at::kDouble).cpu();
  return ((1.0 - a) / a).sqrt();
}

}  // namespace ng::diffusion
