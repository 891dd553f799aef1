// Composable diffusion: D = D_u + sum_i w_i m_i (D_i - D_u) (Liu et al. 2022, eq. 10 and 13).
#include <ATen/ATen.h>

#include "cond_rows.hpp"
#include "noisegraph/diffusion/guider.hpp"

namespace ng::diffusion {

ComposableGuider::ComposableGuider(std::shared_ptr<Denoiser> model, Conditioning terms,
                                   Conditioning negative)
    : Guider(std::move(model)), terms_(std::move(terms)), negative_(std::move(negative)) {}

at::Tensor ComposableGuider::predict(const at::Tensor& x_all, const at::Tensor& sigma, const GuideStep&) {
  return detail::predict_by_row(x_all, detail::sigma_rows(sigma, x_all), {&terms_, &negative_},
                                [&](const at::Tensor& x, const at::Tensor& s, const std::vector<const Conditioning*>& lists) {
    const Conditioning &term_list = *lists[0], &negative = *lists[1];
    const double frac = detail::fraction_if_needed(sampling(), s, {&term_list, &negative});
    detail::RowBatch batch;
    const auto terms = detail::make_branch(term_list, frac, batch, true, "compose");
    auto neg = detail::make_branch(negative, frac, batch, false, "compose negative");
    const int uncond = neg.needs_fallback() ? batch.add(nullptr) : -1;

    const auto d = batch.run(*model_, x, s);
    const int64_t scale = model_->spatial_scale();
    const auto d_u = detail::blend(neg, d, uncond >= 0 ? d[size_t(uncond)] : at::Tensor(), x, scale);
    auto out = d_u.clone();
    for (size_t i = 0; i < terms.entries.size(); ++i) {
      const auto& e = *terms.entries[i];
      auto w = detail::region(e, x, scale);
      auto diff = d[size_t(terms.rows[i])] - d_u;
      out += w.defined() ? diff * w * e.strength : diff * e.strength;
    }
    return out;
  });
}

std::string ComposableGuider::describe() const {
  return "composable guidance, " + std::to_string(terms_.size()) + " term(s)";
}

}  // namespace ng::diffusion
