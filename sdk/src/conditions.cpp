// stack_conditions: one ConditioningEntry per batch row -> the tensors a Denoiser reads.
#include <ATen/ATen.h>

#include "noisegraph/error.hpp"
#include "noisegraph/models.hpp"

namespace ng {

int64_t DenoiserCondition::batch() const {
  if (context.defined()) return context.size(0);
  if (class_ids.defined()) return class_ids.size(0);
  return 0;
}

DenoiserCondition stack_conditions(const std::vector<const ConditioningEntry*>& rows) {
  DenoiserCondition out;
  const auto n = int64_t(rows.size());
  int64_t max_tokens = 0, width = 0;
  bool any_class = false;
  for (const auto* e : rows) {
    if (!e) continue;
    if (e->class_id >= 0) any_class = true;
    if (!e->tokens.defined()) continue;
    if (e->tokens.dim() != 2) throw Error("conditioning tokens must be [T,D]");
    if (width && e->tokens.size(1) != width)
      throw Error("conditioning entries have different token widths (" + std::to_string(width) +
                  " and " + std::to_string(e->tokens.size(1)) + "): were they made by different prompt encoders?");
    width = e->tokens.size(1);
    max_tokens = std::max(max_tokens, e->tokens.size(0));
  }
  if (width > 0) {
    out.context = at::zeros({n, max_tokens, width});
    out.context_mask = at::zeros({n, max_tokens});
    for (int64_t i = 0; i < n; ++i) {
      const auto* e = rows[size_t(i)];
      if (!e || !e->tokens.defined()) continue;
      const auto t = e->tokens.size(0);
      out.context[i].narrow(0, 0, t).copy_(e->tokens.to(at::kFloat));
      if (e->token_mask.defined())
        out.context_mask[i].narrow(0, 0, t).copy_(e->token_mask.to(at::kFloat));
      else
        out.context_mask[i].narrow(0, 0, t).fill_(1.0);
    }
  }
  if (any_class || width == 0) {
    out.class_ids = at::full({n}, -1, at::kLong);
    for (int64_t i = 0; i < n; ++i)
      if (rows[size_t(i)]) out.class_ids[i] = rows[size_t(i)]->class_id;
  }
  return out;
}

}  // namespace ng
