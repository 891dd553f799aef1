#pragma once
/// @file safetensors.hpp
/// Reading and writing .safetensors files (https://github.com/huggingface/safetensors):
/// 8 bytes little-endian header length N, N bytes of JSON header, then the raw tensor
/// bytes. The header maps tensor names to {dtype, shape, data_offsets} (offsets relative
/// to the start of the byte buffer) plus an optional "__metadata__" string->string map.
/// Nothing in the file is ever executed.
///
/// The reader is hardened for untrusted files. It throws ng::Error naming the file for:
/// a file shorter than its header claims (truncated), a header larger than 100 MB,
/// invalid JSON, an unknown dtype, negative or non-integer shapes, offsets outside the
/// buffer, offsets that overlap or leave holes, and a byte count that does not match
/// dtype x shape. It never reads outside the file.
///
/// NoiseGraph models store their description in the metadata (see nn/model_files.hpp).
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>

#include "noisegraph/export.hpp"

namespace ng::io {

/// Element types written to disk. Loading converts F32/F16/BF16/F64 to float32 and
/// I64/I32/I16/I8/U8/BOOL to int64 (so callers handle two types only).
enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

/// The largest header the reader accepts.
inline constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

/// A loaded file: name -> tensor (float32 or int64, contiguous, CPU) and metadata.
struct NG_API TensorFile {
  std::map<std::string, at::Tensor> tensors;
  std::map<std::string, std::string> metadata;

  /// The tensor `name`; throws ng::Error naming `source` (a file) when absent.
  const at::Tensor& get(const std::string& name) const;
  /// The metadata value for `key`; throws ng::Error when absent.
  const std::string& meta(const std::string& key) const;
  /// The metadata value for `key`, or `fallback` when absent.
  std::string meta_or(const std::string& key, const std::string& fallback) const;
  std::string source;  ///< file name, used in error messages
};

/// Loads a whole file. Throws ng::Error("<path>: ...") on any problem.
NG_API TensorFile load_safetensors(const std::filesystem::path& path);

/// Parses the bytes of a safetensors file held in memory; `source` names it in errors.
NG_API TensorFile parse_safetensors(const std::string& bytes, const std::string& source);

/// Reads only the header metadata (cheap: does not read tensor data).
NG_API std::map<std::string, std::string> read_safetensors_metadata(const std::filesystem::path& path);

/// Serialises tensors and metadata. Floating tensors are stored as `float_dtype`
/// (F32, F16 or BF16); integer and bool tensors keep an integer type (I64). Tensors are
/// written in name order, header padded with spaces to an 8-byte boundary.
NG_API std::string serialize_safetensors(const std::map<std::string, at::Tensor>& tensors,
                                         const std::map<std::string, std::string>& metadata,
                                         DType float_dtype = DType::F32);

/// Writes a file atomically: to a temporary file next to `path`, flushed, then renamed
/// over `path`, so readers never see a half-written file. Creates parent folders.
NG_API void save_safetensors(const std::filesystem::path& path,
                             const std::map<std::string, at::Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata,
                             DType float_dtype = DType::F32);

/// Writes bytes to `path` atomically (temp file + rename). Throws ng::Error on failure.
NG_API void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

/// "F32", "F16", ... as in the safetensors header.
NG_API const char* dtype_name(DType d);

}  // namespace ng::io
