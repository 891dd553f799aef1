#pragma once
// The illusion guiders: multi-view denoising (Geng, Park & Owens, "Visual Anagrams", CVPR
// 2024) and factorized denoising (Geng, Park & Owens, "Factorized Diffusion", 2024), each on
// top of classifier-free guidance, so every sampler drives them.
#include <noisegraph/diffusion/guider.hpp>
#include <noisegraph/diffusion/learned_variance.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "views.hpp"

namespace ng::illusion {

/// Forwards denoise() to a model and, when that model predicts its variance, keeps the v of
/// its last call; the guider that owns it stores the combined v of a step in `combined_v`,
/// which a learned-variance ddpm sampler reads through diffusion::VarianceOutput.
class RecordingModel : public Denoiser {
 public:
  explicit RecordingModel(std::shared_ptr<Denoiser> inner);
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) override;
  const ModelSampling& sampling() const override { return inner_->sampling(); }
  std::vector<int64_t> sample_shape() const override { return inner_->sample_shape(); }
  int64_t spatial_scale() const override { return inner_->spatial_scale(); }
  int64_t context_dim() const override { return inner_->context_dim(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  std::string describe() const override { return inner_->describe(); }
  bool has_variance() const { return variance_ != nullptr; }
  /// v rows [0, batch) of the last call (undefined when the model has none).
  at::Tensor last_v(int64_t batch) const;
  at::Tensor combined_v;

 private:
  std::shared_ptr<Denoiser> inner_;
  const diffusion::VarianceOutput* variance_;
};
/// A RecordingModel that also implements VarianceOutput (made when the model has a variance).
std::shared_ptr<RecordingModel> make_recording_model(std::shared_ptr<Denoiser> inner);

/// A view by name with its seeded parameters; built for each sample size on demand.
struct ViewSpec {
  std::string name;
  uint64_t seed = 0;
  int64_t patch = 4;
};

/// D(x) = 1/n sum_i v_i^-1( G_i(v_i(x)) ), G_i = CFG with view i's conditioning (paper, eq. 1
/// written for x0 instead of eps: the views are linear, so averaging D or eps is the same).
/// A learned variance is averaged the same way (its pixels moved back by v_i^-1, unsigned).
class MultiViewGuider : public diffusion::Guider {
 public:
  /// Throws ng::Error for no views, a refused view or one that does not fit the model's
  /// sample size.
  MultiViewGuider(std::shared_ptr<Denoiser> model, std::vector<std::pair<ViewSpec, Conditioning>> views,
                  Conditioning negative, diffusion::CFGOptions cfg);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const diffusion::GuideStep& step) override;
  std::string describe() const override;

 private:
  const std::vector<View>& views_for(int64_t h, int64_t w);
  std::shared_ptr<RecordingModel> rec_;
  std::vector<ViewSpec> specs_;
  std::vector<std::shared_ptr<diffusion::CFGGuider>> guiders_;
  std::map<std::pair<int64_t, int64_t>, std::vector<View>> views_;
};

/// Splits of a sample into components that sum to it.
///  - "frequency": low = Gaussian blur with std `blur_sigma` (in sample cells), high = x - low
///  - "colour":    grey = channel mean broadcast to every channel, colour = x - grey (3 channels)
at::Tensor low_component(const at::Tensor& x, const std::string& split, double blur_sigma);

/// Factorized diffusion: D = low(G_a(x)) + (G_b(x) - low(G_b(x))), G = CFG with each
/// component's conditioning (paper, eq. 3 in x0 form; the components sum to the identity, so
/// this equals the paper's sum of filtered eps). A learned variance is the mean of the two.
class FactorizedGuider : public diffusion::Guider {
 public:
  FactorizedGuider(std::shared_ptr<Denoiser> model, Conditioning low, Conditioning high, Conditioning negative,
                   diffusion::CFGOptions cfg, std::string split, double blur_sigma);
  at::Tensor predict(const at::Tensor& x, const at::Tensor& sigma, const diffusion::GuideStep& step) override;
  std::string describe() const override;

 private:
  std::shared_ptr<RecordingModel> rec_;
  std::shared_ptr<diffusion::CFGGuider> low_, high_;
  std::string split_;
  double blur_sigma_;
};

}  // namespace ng::illusion
