// Active entries, regions and batched evaluation for the guiders (cond_rows.hpp).
#include "cond_rows.hpp"

#include <ATen/ATen.h>

#include <cmath>

#include "noisegraph/diffusion/samplers.hpp"
#include "noisegraph/error.hpp"

namespace ng::diffusion::detail {

at::Tensor sigma_rows(const at::Tensor& sigma, const at::Tensor& x) {
  if (!x.defined() || x.dim() < 2) throw Error("guider: expected x as [B,C,...]");
  const int64_t B = x.size(0);
  auto s = sigma.to(x.options());
  if (s.dim() == 0) return s.expand({B}).contiguous();
  if (s.dim() != 1 || s.size(0) != B)
    throw Error("guider: sigma must be a scalar or [" + std::to_string(B) + "], got " +
                std::to_string(s.numel()) + " values");
  return s;
}

double fraction_if_needed(const ModelSampling& sampling, const at::Tensor& sigma,
                          const std::vector<const Conditioning*>& lists) {
  for (const auto* list : lists)
    for (const auto& e : *list)
      if (e.start > 0.0 || e.end < 1.0)
        return noise_fraction(sampling, sigma.flatten()[0].item<double>());
  return 0.0;
}

at::Tensor predict_by_row(const at::Tensor& x, const at::Tensor& sigma, const std::vector<const Conditioning*>& lists,
                          const GroupPredict& predict) {
  int64_t rows = 0;
  for (const auto* list : lists) {
    const int64_t r = prompt_rows(*list);
    if (r > 0 && rows > 0 && r != rows)
      throw Error("conditioning with " + std::to_string(rows) + " prompt rows meets one with " + std::to_string(r) +
                  "; give every input the same number of rows, or one prompt for all rows");
    if (r > 0) rows = r;
  }
  if (rows == 0) return predict(x, sigma, lists);
  const int64_t B = x.size(0);
  if (B % rows != 0)
    throw Error("a batch of " + std::to_string(B) + " image(s) cannot be split into " + std::to_string(rows) +
                " prompt rows; use a batch that is a multiple of " + std::to_string(rows));
  const int64_t per_row = B / rows;
  std::vector<at::Tensor> out;
  out.reserve(size_t(rows));
  for (int64_t g = 0; g < rows; ++g) {
    std::vector<Conditioning> group(lists.size());
    std::vector<const Conditioning*> group_lists;
    for (size_t i = 0; i < lists.size(); ++i) {
      for (const auto& e : *lists[i])
        if (e.row < 0 || e.row == g) group[i].push_back(e);
      group_lists.push_back(&group[i]);
    }
    out.push_back(predict(x.narrow(0, g * per_row, per_row), sigma.narrow(0, g * per_row, per_row), group_lists));
  }
  return at::cat(out, 0);
}

bool active(const ConditioningEntry& e, double fraction) {
  return fraction >= e.start && fraction <= e.end;
}

bool has_region(const ConditioningEntry& e) { return e.area.has_value() || e.mask.defined(); }

at::Tensor region(const ConditioningEntry& e, const at::Tensor& x, int64_t scale) {
  if (!has_region(e)) return {};
  const int64_t h = x.size(-2), w = x.size(-1);
  auto opts = x.options();
  at::Tensor r = at::ones({1, 1, h, w}, opts);
  if (e.area) {
    const auto& a = *e.area;
    scale = std::max<int64_t>(scale, 1);
    // Cells touched by the pixel rectangle (floor of the start, ceil of the end).
    const int64_t x0 = std::clamp<int64_t>(a.x / scale, 0, w);
    const int64_t y0 = std::clamp<int64_t>(a.y / scale, 0, h);
    const int64_t x1 = std::clamp<int64_t>((a.x + a.width + scale - 1) / scale, 0, w);
    const int64_t y1 = std::clamp<int64_t>((a.y + a.height + scale - 1) / scale, 0, h);
    r.zero_();
    if (x1 > x0 && y1 > y0) r.slice(2, y0, y1).slice(3, x0, x1).fill_(1.0);
  }
  if (e.mask.defined()) {
    auto m = e.mask;
    if (m.dim() == 2) m = m.unsqueeze(0).unsqueeze(0);
    if (m.dim() == 3) m = m.unsqueeze(1);
    if (m.dim() != 4 || m.size(1) != 1)
      throw Error("conditioning mask must be [1,1,H,W] (or [H,W]), got " + std::to_string(m.dim()) + " dims");
    r = r * resize_mask(m, h, w).to(opts);
  }
  return r;
}

int RowBatch::add(const ConditioningEntry* entry) {
  for (size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i] == entry) return int(i);
  rows_.push_back(entry);
  return int(rows_.size() - 1);
}

std::vector<at::Tensor> RowBatch::run(Denoiser& model, const at::Tensor& x, const at::Tensor& sigma) const {
  const int64_t B = x.size(0), R = int64_t(rows_.size());
  if (R == 0) return {};
  std::vector<const ConditioningEntry*> per_row;
  per_row.reserve(size_t(R * B));
  for (const auto* e : rows_)
    for (int64_t b = 0; b < B; ++b) per_row.push_back(e);
  const auto cond = stack_conditions(per_row);
  const auto xs = R == 1 ? x : at::cat(std::vector<at::Tensor>(size_t(R), x));
  const auto ss = R == 1 ? sigma : sigma.repeat({R});
  const auto out = model.denoise(xs, ss, cond);
  if (!out.defined() || out.sizes() != xs.sizes())
    throw Error("denoiser returned a tensor of the wrong shape (expected the shape of its input)");
  return R == 1 ? std::vector<at::Tensor>{out} : out.chunk(R, 0);
}

bool Branch::needs_fallback() const {
  double unrestricted = 0.0;
  for (const auto* e : entries)
    if (!has_region(*e)) unrestricted += e->strength;
  return unrestricted < 1.0;
}

Branch make_branch(const Conditioning& list, double fraction, RowBatch& batch, bool allow_negative,
                   const char* what) {
  Branch b;
  for (const auto& e : list) {
    if (!std::isfinite(e.strength))
      throw Error(std::string(what) + ": conditioning strength must be finite");
    if (!allow_negative && e.strength < 0.0)
      throw Error(std::string(what) + ": conditioning strength " + std::to_string(e.strength) +
                  " is negative; negative weights (NOT) need guidance.compose");
    if (!active(e, fraction) || e.strength == 0.0) continue;
    b.entries.push_back(&e);
    b.rows.push_back(batch.add(&e));
  }
  return b;
}

at::Tensor blend(const Branch& branch, const std::vector<at::Tensor>& d, const at::Tensor& fallback,
                 const at::Tensor& x, int64_t spatial_scale) {
  // Fast path: one unrestricted entry of strength >= 1 is just its own prediction.
  if (branch.entries.size() == 1 && !has_region(*branch.entries[0]) && branch.entries[0]->strength >= 1.0)
    return d[size_t(branch.rows[0])];
  if (branch.entries.empty()) return fallback;
  at::Tensor num, den;
  for (size_t i = 0; i < branch.entries.size(); ++i) {
    const auto& e = *branch.entries[i];
    auto r = region(e, x, spatial_scale);
    auto w = r.defined() ? r * e.strength : at::scalar_tensor(e.strength, x.options());
    auto term = d[size_t(branch.rows[i])] * w;
    num = num.defined() ? num + term : term;
    den = den.defined() ? den + w : w;
  }
  if (fallback.defined()) {
    const auto f = (1.0 - den).clamp_min(0.0);
    num = num + f * fallback;
    den = den + f;
  }
  return num / den.clamp_min(1e-12);
}

}  // namespace ng::diffusion::detail
