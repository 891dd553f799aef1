#pragma once
// Private: the pieces every training function shares - optimiser, EMA, seeded batches,
// checkpoint/resume, loss log and progress.
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "noisegraph/context.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/train/train.hpp"

namespace ng::train::detail {

/// AdamW (Loshchilov & Hutter 2019) with bias correction; state is plain tensors so it
/// checkpoints as safetensors.
struct AdamW {
  AdamW(std::vector<std::pair<std::string, at::Tensor>> named, double weight_decay);
  void zero_grad();
  void step(double lr);
  std::vector<std::pair<std::string, at::Tensor>> params;
  std::vector<at::Tensor> m, v;
  int64_t t = 0;
  double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd;
};

/// Exponential moving average of the weights (Polyak averaging), with the usual warmup
/// decay = min(decay, (1 + step) / (10 + step)).
struct Ema {
  Ema(const std::vector<std::pair<std::string, at::Tensor>>& params, double decay);
  void update(const std::vector<std::pair<std::string, at::Tensor>>& params, int64_t step);
  /// Copies the averaged weights into the live parameters (for sampling / export) and back.
  void swap_into(const std::vector<std::pair<std::string, at::Tensor>>& params);
  std::vector<at::Tensor> shadow;
  double decay;
};

/// A generator for step `step` and stream `stream` of a run seeded with `seed`.
at::Generator step_generator(uint64_t seed, int64_t step, int64_t stream);
/// Example indices of step `step`: consecutive slices of a per-epoch permutation seeded
/// by (seed, epoch), so a resumed run sees exactly the batches it would have seen.
at::Tensor batch_indices(int64_t n, int64_t batch, uint64_t seed, int64_t step);

/// Checkpoint, loss log and progress of one run.
class Run {
 public:
  /// `config_json` identifies the run; a checkpoint with a different one is refused.
  Run(const CommonConfig& cfg, Context& ctx, std::string kind, std::string config_json);

  /// Loads run_dir/checkpoint.safetensors when present; returns its step (0 when none).
  int64_t resume(AdamW& opt, Ema* ema);
  void save_checkpoint(int64_t step, AdamW& opt, Ema* ema);
  /// Records a step's loss: CSV line and progress every log_every steps; checkpoint
  /// every checkpoint_every; throws ng::Cancelled (after checkpointing) when cancelled.
  void end_step(int64_t step, double loss, double lr, AdamW& opt, Ema* ema);
  double lr_at(int64_t step) const;
  bool sample_due(int64_t step) const;
  double recent_loss() const { return recent_loss_; }
  double seconds() const;
  std::filesystem::path file(const std::string& name) const { return cfg_.run_dir / name; }
  Context& ctx() { return ctx_; }
  /// JSON provenance for the final file's metadata.
  std::string provenance(int64_t steps, const std::string& data) const;

 private:
  const CommonConfig& cfg_;
  Context& ctx_;
  std::string kind_, config_json_;
  std::chrono::steady_clock::time_point start_;
  int64_t first_step_ = 0;
  double window_sum_ = 0;
  int64_t window_n_ = 0;
  double recent_loss_ = 0;
};

/// ISO-8601 UTC time, for provenance.
std::string utc_now();
/// Parameters with names as in model files.
std::vector<std::pair<std::string, at::Tensor>> named_params(const torch::nn::Module& m);

}  // namespace ng::train::detail
