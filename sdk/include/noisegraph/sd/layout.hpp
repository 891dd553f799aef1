#pragma once
/// @file sd/layout.hpp
/// Names and shapes of network weights, before any weight is read. The Stable Diffusion
/// networks (sd/unet.hpp, sd/vae.hpp, sd/clip_text.hpp) infer their architecture from a
/// checkpoint's Layout, list the Layout they expect for that architecture, and compare the
/// two before allocating anything: a wrong, incomplete or oversized file is refused with
/// the keys that differ, never half-built.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::sd {

using Shape = std::vector<int64_t>;

/// Tensor name -> shape.
using Layout = std::map<std::string, Shape>;

/// Tensor name -> float32 weight, as a network computes with them.
using Weights = std::map<std::string, at::Tensor>;

/// "[320, 4, 3, 3]".
NG_API std::string shape_string(const Shape& shape);

/// Checks that `found` holds exactly the tensors of `expected` with the same shapes.
/// Throws ng::Error "<source>: <what>: ..." listing (at most 10 each, with the counts) the
/// missing keys, the unexpected keys, and for a shape mismatch the key with the expected
/// and the found shape.
NG_API void check_layout(const Layout& expected, const Layout& found, const std::string& what,
                         const std::string& source);

/// The entries of `layout` whose names start with `prefix`, with the prefix removed.
NG_API Layout sub_layout(const Layout& layout, const std::string& prefix);

/// True when `layout` has a tensor `name`.
inline bool has(const Layout& layout, const std::string& name) { return layout.count(name) > 0; }

/// Number of elements of all tensors of a layout.
NG_API int64_t parameter_count(const Layout& layout);

/// The weight `name` of `w`; throws ng::Error when absent (a bug: layouts are checked first).
NG_API const at::Tensor& weight(const Weights& w, const std::string& name);

}  // namespace ng::sd
