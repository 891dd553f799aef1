#pragma once
/// @file values.hpp
/// The C++ shapes of the values that travel on ports (see types.hpp for their names).
///
/// Conventions every plugin relies on:
///  - IMAGE: float32 [B,C,H,W], values in [0,1], C = 1 (grey) or 3 (RGB), on the CPU.
///  - MASK: float32 [B,1,H,W] in [0,1]; 1 marks the region to regenerate, 0 the region
///    to keep. A mask with B = 1 applies to every image of a batch.
///  - LATENT: model-space samples (already multiplied by the autoencoder's scaling
///    factor) plus an optional noise mask in the latent's resolution or any other (it
///    is resized where used).
///  - SIGMAS: 1-D float32 tensor of noise levels, descending, the last one 0.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng {

/// Base of every handle type that travels on ports (models, samplers, guiders, ...).
/// Handles are shared and immutable once published: a node that wants a modified model
/// makes a new object (which may share weights with the old one).
class NG_API Object {
 public:
  virtual ~Object();
  /// Short human description shown by the CLI and the editor ("UNet 3.1M params, eps").
  virtual std::string describe() const { return {}; }
};

/// A batch of samples in a model's working space.
struct Latent {
  at::Tensor samples;     ///< [B,C,h,w] float32
  at::Tensor noise_mask;  ///< optional [B|1,1,H,W]; 1 = denoise here, 0 = keep the input
};

/// A rectangle in image pixels (of the decoded image, not the latent).
struct Area {
  int64_t x = 0, y = 0, width = 0, height = 0;
};

/// One condition: what the model should generate, and where and when it applies.
struct ConditioningEntry {
  std::string text;          ///< the prompt it came from, for display; may be empty
  at::Tensor tokens;         ///< [T,D] token embeddings for cross-attention; undefined = unconditional
  at::Tensor token_mask;     ///< [T] 1 for real tokens, 0 for padding; undefined = all real
  int64_t class_id = -1;     ///< for class-conditional models; -1 = none
  double strength = 1.0;     ///< weight of this entry when several are combined
  std::optional<Area> area;  ///< restrict to a rectangle (regional prompts)
  at::Tensor mask;           ///< optional [1,1,H,W] in [0,1]: restrict to a soft region
  double start = 0.0;        ///< apply from this fraction of the schedule (0 = first step)
  double end = 1.0;          ///< ... until this fraction (1 = last step)
  /// Prompt row: -1 = every image of the batch; k >= 0 = only the images of row k. A
  /// CONDITIONING whose entries name rows 0..R-1 splits the batch into R equal consecutive
  /// groups (B must be a multiple of R): "ten prompts, one image row each".
  int64_t row = -1;
};

/// CONDITIONING: a list of entries. Several entries are combined by the guider (composable
/// diffusion, regions); an empty list means "unconditional". Entries with a `row` apply to
/// that row's images only (see prompt_rows()).
using Conditioning = std::vector<ConditioningEntry>;

/// Number of prompt rows of `c`: 1 + the largest ConditioningEntry::row, or 0 when no
/// entry names a row (every entry applies to every image).
inline int64_t prompt_rows(const Conditioning& c) {
  int64_t rows = 0;
  for (const auto& e : c) rows = e.row + 1 > rows ? e.row + 1 : rows;
  return rows;
}

/// A value on a port. Which alternative is held follows from the port type (types.hpp):
/// IMAGE, MASK and SIGMAS hold at::Tensor; LATENT holds Latent; CONDITIONING holds
/// Conditioning; MODEL, AUTOENCODER, ... hold std::shared_ptr<Object> of the matching
/// interface; INT/FLOAT/BOOL/STRING hold the scalar.
class Value {
 public:
  using Storage = std::variant<std::monostate, int64_t, double, bool, std::string, at::Tensor,
                               Latent, Conditioning, std::shared_ptr<Object>>;

  Value() = default;
  Value(int v) : data(int64_t{v}) {}
  Value(int64_t v) : data(v) {}
  Value(double v) : data(v) {}
  Value(bool v) : data(v) {}
  Value(std::string v) : data(std::move(v)) {}
  Value(const char* v) : data(std::string(v)) {}
  Value(at::Tensor v) : data(std::move(v)) {}
  Value(Latent v) : data(std::move(v)) {}
  Value(Conditioning v) : data(std::move(v)) {}
  template <class T, class = std::enable_if_t<std::is_base_of_v<Object, T>>>
  Value(std::shared_ptr<T> v) : data(std::shared_ptr<Object>(std::move(v))) {}

  bool empty() const { return std::holds_alternative<std::monostate>(data); }
  template <class T>
  bool holds() const { return std::holds_alternative<T>(data); }

  Storage data;
};

}  // namespace ng
