#pragma once
/// @file context.hpp
/// What a running node may ask of the host: progress, cancellation, seeded randomness,
/// the device, logging and where files go. The host implements it; tests and tools can
/// use BasicContext.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "noisegraph/error.hpp"
#include "noisegraph/export.hpp"

namespace ng {

enum class LogLevel { Debug, Info, Warning, Error };

class NG_API Context {
 public:
  virtual ~Context();

  /// Progress of the current node in [0,1], with a short message ("step 3/20").
  virtual void report_progress(double fraction, const std::string& message);
  /// A sampler finished step `step` (1-based) of `total`. `preview` is the current x0
  /// estimate as an IMAGE (or an undefined tensor when none is cheap to make).
  virtual void report_step(int step, int total, const at::Tensor& preview);
  /// True once the user asked to stop. Long loops call check_cancelled() each iteration.
  virtual bool is_cancelled() const;
  /// Throws ng::Cancelled when is_cancelled(); call it once per sampler step.
  void check_cancelled() const {
    if (is_cancelled()) throw Cancelled();
  }
  virtual void log(LogLevel level, const std::string& message);
  void warn(const std::string& message) { log(LogLevel::Warning, message); }

  /// Device for model computation (CPU unless the user chose otherwise).
  virtual c10::Device device() const;
  /// Folder of the graph file; relative paths in parameters resolve against it.
  virtual std::filesystem::path graph_dir() const;
  /// Where output nodes write files.
  virtual std::filesystem::path output_dir() const;
  /// Folders searched for model files after graph_dir() (e.g. the shipped models/).
  virtual std::vector<std::filesystem::path> model_search_path() const;
  /// The running graph as YAML text, for embedding in saved images ("" when unknown).
  virtual std::string graph_yaml() const;
  /// An output node wrote `file` (call it once per file, after the file is complete).
  /// The CLI lists these files at the end of a run and the editor offers to open them.
  /// The default logs "wrote <file>" at Info level.
  virtual void report_file(const std::filesystem::path& file);

  /// A CPU generator seeded with `seed`. Noise is always drawn on the CPU with it and then
  /// moved to device(), so results do not depend on device or batch layout.
  static at::Generator make_generator(uint64_t seed);

  /// Resolves a path parameter: absolute paths stay; relative ones are looked up in
  /// graph_dir(), then in model_search_path(). Returns the graph_dir() candidate when the
  /// file exists nowhere (so the error message names the place the user expected).
  std::filesystem::path resolve(const std::filesystem::path& p) const;
};

/// A Context with settable fields, no progress output and no cancellation unless
/// cancel() is called. For tests, benchmarks and tools.
class NG_API BasicContext : public Context {
 public:
  bool is_cancelled() const override { return cancelled_; }
  void log(LogLevel level, const std::string& message) override;
  std::filesystem::path graph_dir() const override { return graph_dir_; }
  std::filesystem::path output_dir() const override { return output_dir_; }
  std::vector<std::filesystem::path> model_search_path() const override { return models_; }

  void cancel() { cancelled_ = true; }
  std::filesystem::path graph_dir_ = ".";
  std::filesystem::path output_dir_ = ".";
  std::vector<std::filesystem::path> models_;
  std::vector<std::string> messages;  ///< every log() line, "level: text"

 private:
  bool cancelled_ = false;
};

}  // namespace ng
