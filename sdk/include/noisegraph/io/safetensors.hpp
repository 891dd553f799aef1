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
#include <vector>

#include "noisegraph/export.hpp"
#include "noisegraph/io/atomic_write.hpp"  // write_file_atomic, used by save_safetensors

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

/// Writes a file atomically with write_file_atomic() (atomic_write.hpp): readers never
/// see a half-written file. Creates parent folders.
NG_API void save_safetensors(const std::filesystem::path& path,
                             const std::map<std::string, at::Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata,
                             DType float_dtype = DType::F32);

/// A safetensors file opened for lazy reading: the file is memory-mapped, the header is
/// parsed and checked (same checks as load_safetensors) when it is opened, and each tensor
/// is converted only when asked for. Used for large checkpoints (Stable Diffusion files
/// of several GB), where reading the whole file into memory first would double the peak
/// memory. After a tensor is converted its pages are released again, so the resident
/// memory of a load is the converted tensors, not the file.
///
/// Refuses anything that is not a regular file (FIFO, device, folder) with an ng::Error,
/// so a path like /dev/zero is never read.
class NG_API MappedTensorFile {
 public:
  struct TensorInfo {
    DType dtype;
    std::vector<int64_t> shape;
  };

  /// Maps `path`; throws ng::Error("<path>: ...") when it is missing, not a regular file,
  /// truncated or its header is invalid.
  explicit MappedTensorFile(const std::filesystem::path& path);
  ~MappedTensorFile();
  MappedTensorFile(const MappedTensorFile&) = delete;
  MappedTensorFile& operator=(const MappedTensorFile&) = delete;

  /// Every tensor's dtype and shape, by name (from the header; no data is read).
  const std::map<std::string, TensorInfo>& tensors() const { return infos_; }
  bool contains(const std::string& name) const { return infos_.count(name) > 0; }
  /// The header's "__metadata__" map.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// A copy of tensor `name` converted to `type` (floating types to a floating `type`,
  /// integer types to an integer `type`), contiguous on the CPU. Throws ng::Error naming
  /// the file when the tensor is absent.
  at::Tensor load(const std::string& name, at::ScalarType type) const;
  /// Size of the file in bytes.
  uint64_t file_size() const { return size_; }
  const std::string& source() const { return source_; }

 private:
  struct Span {
    uint64_t begin, end;
  };
  std::string source_;
  void* map_ = nullptr;
  uint64_t size_ = 0, data_start_ = 0;
  std::map<std::string, TensorInfo> infos_;
  std::map<std::string, Span> spans_;
  std::map<std::string, std::string> metadata_;
};

/// "F32", "F16", ... as in the safetensors header.
NG_API const char* dtype_name(DType d);

}  // namespace ng::io
