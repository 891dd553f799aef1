// Private helpers of the guiders: which entries are active, their region weights, and the
// one batched denoiser call that evaluates every row.
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "noisegraph/diffusion/guider.hpp"

namespace ng::diffusion::detail {

/// A guider's prediction for one group of images: x and sigma [b] of the group, and the
/// conditioning lists restricted to the group's entries.
using GroupPredict =
    std::function<at::Tensor(const at::Tensor& x, const at::Tensor& sigma, const std::vector<const Conditioning*>& lists)>;

/// Prompt rows (values.hpp, ConditioningEntry::row): when no entry of `lists` names a row,
/// one call of `predict` for the whole batch. Otherwise the batch [B] splits into R equal
/// consecutive groups, R = the lists' row count (each list has R rows or none), and group
/// g is predicted with the entries of row g plus those for every row. Each group is the
/// same computation as a graph with one prompt per sampler, so rows do not depend on
/// how many other rows share the batch. sigma must be [B] (sigma_rows()).
at::Tensor predict_by_row(const at::Tensor& x, const at::Tensor& sigma, const std::vector<const Conditioning*>& lists,
                          const GroupPredict& predict);

/// sigma as [B] in x's dtype and device (a 0-dim sigma is expanded).
at::Tensor sigma_rows(const at::Tensor& sigma, const at::Tensor& x);

/// Noise fraction of the first row's sigma, computed only when some entry has a time range.
double fraction_if_needed(const ModelSampling& sampling, const at::Tensor& sigma,
                          const std::vector<const Conditioning*>& lists);

bool active(const ConditioningEntry& e, double fraction);
bool has_region(const ConditioningEntry& e);

/// Region of an entry in x's latent grid, [1|B,1,h,w] in [0,1] (area rectangle or resized
/// mask); undefined when the entry has no region.
at::Tensor region(const ConditioningEntry& e, const at::Tensor& x, int64_t spatial_scale);

/// Rows of one batched denoiser call. nullptr = the unconditional row (added once).
class RowBatch {
 public:
  int add(const ConditioningEntry* entry);
  /// One x0 estimate [B,...] per added row, from a single Denoiser::denoise call.
  std::vector<at::Tensor> run(Denoiser& model, const at::Tensor& x, const at::Tensor& sigma) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<const ConditioningEntry*> rows_;
};

/// A weighted set of active entries that together make one prediction (the positive or
/// the negative side). Weights are strength * region; positions whose total weight is
/// below 1 take the remainder from a fallback prediction.
struct Branch {
  std::vector<const ConditioningEntry*> entries;
  std::vector<int> rows;
  int fallback_row = -1;  ///< row of the unconditional prediction when this branch needs it
  /// True when the active unrestricted entries' strengths sum to less than 1, so some
  /// position needs the fallback.
  bool needs_fallback() const;
};

/// Collects the active entries of `list` into a branch; adds their rows to `batch`.
/// `allow_negative` = false rejects negative strengths with a clear error.
Branch make_branch(const Conditioning& list, double fraction, RowBatch& batch, bool allow_negative,
                   const char* what);

/// sum_i w_i D_i + f D_fallback over sum_i w_i + f, with f = max(0, 1 - sum_i w_i).
at::Tensor blend(const Branch& branch, const std::vector<at::Tensor>& d, const at::Tensor& fallback,
                 const at::Tensor& x, int64_t spatial_scale);

}  // namespace ng::diffusion::detail
