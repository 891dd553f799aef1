#pragma once
// Private: functional building blocks shared by the SD networks (weights by name, no
// torch::nn modules, so a network is exactly its checkpoint's tensors).
#include <ATen/ATen.h>

#include <string>

#include "noisegraph/sd/layout.hpp"

namespace ng::sd::ops {

/// Weight `prefix + ".weight"` (and ".bias" when present in `w`).
at::Tensor linear(const Weights& w, const std::string& prefix, const at::Tensor& x);
at::Tensor conv2d(const Weights& w, const std::string& prefix, const at::Tensor& x, int64_t stride = 1,
                  int64_t padding = -1);  // -1: "same" padding for odd kernels
at::Tensor group_norm(const Weights& w, const std::string& prefix, const at::Tensor& x, double eps,
                      int64_t groups = 32);
at::Tensor layer_norm(const Weights& w, const std::string& prefix, const at::Tensor& x, double eps = 1e-5);

/// Multi-head attention: q [B,Tq,H*d], k/v [B,Tk,H*d] -> [B,Tq,H*d], softmax(q k^T / sqrt(d)) v.
/// key_mask [B,Tk] (1 keep, 0 drop; undefined = keep all); causal masks keys after each
/// query. Queries are processed in slices so the score matrix stays below ~64 MB.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                     const at::Tensor& key_mask = {}, bool causal = false);

/// SiLU applied in place (the tensor is a fresh intermediate), returned for chaining.
inline at::Tensor silu_(at::Tensor t) {
  at::silu_(t);
  return t;
}

/// Layout helpers: shapes of conv, linear and norm weights.
void add_conv(Layout& l, const std::string& prefix, int64_t out, int64_t in, int64_t k, bool bias = true);
void add_linear(Layout& l, const std::string& prefix, int64_t out, int64_t in, bool bias = true);
void add_norm(Layout& l, const std::string& prefix, int64_t channels);

}  // namespace ng::sd::ops
