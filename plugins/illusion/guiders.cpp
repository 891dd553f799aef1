// Multi-view and factorized guiders (guiders.hpp).
#include "guiders.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "noisegraph/error.hpp"

namespace ng::illusion {

namespace {

class RecordingModelWithVariance : public RecordingModel, public diffusion::VarianceOutput {
 public:
  using RecordingModel::RecordingModel;
  at::Tensor last_variance_interpolation() const override { return combined_v; }
};

// Separable Gaussian blur per channel, replicate padding, radius ceil(3 sigma).
at::Tensor gaussian_blur(const at::Tensor& x, double sigma) {
  if (!(sigma > 0.0)) throw Error("illusion.factorized: blur sigma must be > 0");
  const int64_t r = std::max<int64_t>(1, int64_t(std::ceil(3.0 * sigma)));
  auto k = at::arange(-r, r + 1, x.options()).pow(2).div(-2.0 * sigma * sigma).exp();
  k = k / k.sum();
  const int64_t C = x.size(1);
  const auto kh = k.view({1, 1, 1, 2 * r + 1}).expand({C, 1, 1, 2 * r + 1}).contiguous();
  const auto kv = k.view({1, 1, 2 * r + 1, 1}).expand({C, 1, 2 * r + 1, 1}).contiguous();
  auto y = at::pad(x, {r, r, 0, 0}, "replicate");
  y = at::conv2d(y, kh, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, C);
  y = at::pad(y, {0, 0, r, r}, "replicate");
  return at::conv2d(y, kv, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, C);
}

}  // namespace

RecordingModel::RecordingModel(std::shared_ptr<Denoiser> inner)
    : inner_(std::move(inner)), variance_(dynamic_cast<const diffusion::VarianceOutput*>(inner_.get())) {}

at::Tensor RecordingModel::denoise(const at::Tensor& x, const at::Tensor& sigma, const DenoiserCondition& cond) {
  return inner_->denoise(x, sigma, cond);
}

at::Tensor RecordingModel::last_v(int64_t batch) const {
  if (!variance_) return {};
  auto v = variance_->last_variance_interpolation();
  return v.defined() ? v.narrow(0, 0, batch) : v;
}

std::shared_ptr<RecordingModel> make_recording_model(std::shared_ptr<Denoiser> inner) {
  if (dynamic_cast<const diffusion::VarianceOutput*>(inner.get()))
    return std::make_shared<RecordingModelWithVariance>(std::move(inner));
  return std::make_shared<RecordingModel>(std::move(inner));
}

MultiViewGuider::MultiViewGuider(std::shared_ptr<Denoiser> model, std::vector<std::pair<ViewSpec, Conditioning>> views,
                                 Conditioning negative, diffusion::CFGOptions cfg)
    : Guider(make_recording_model(std::move(model))) {
  rec_ = std::static_pointer_cast<RecordingModel>(model_);
  if (views.empty()) throw Error("illusion.views: give at least one (view, conditioning) pair");
  for (auto& [spec, cond] : views) {
    specs_.push_back(spec);
    guiders_.push_back(std::make_shared<diffusion::CFGGuider>(model_, std::move(cond), negative, cfg));
  }
  const auto shape = rec_->sample_shape();
  if (shape.size() == 3) views_for(shape[1], shape[2]);  // refuse bad views now, not mid-run
}

const std::vector<View>& MultiViewGuider::views_for(int64_t h, int64_t w) {
  auto it = views_.find({h, w});
  if (it != views_.end()) return it->second;
  std::vector<View> built;
  for (const auto& s : specs_) built.emplace_back(s.name, h, w, s.seed, s.patch);
  return views_.emplace(std::make_pair(h, w), std::move(built)).first->second;
}

at::Tensor MultiViewGuider::predict(const at::Tensor& x, const at::Tensor& sigma, const diffusion::GuideStep& step) {
  const auto& views = views_for(x.size(2), x.size(3));
  at::Tensor sum, vsum;
  for (size_t i = 0; i < views.size(); ++i) {
    const auto& view = views[i];
    const auto back = view.invert(guiders_[i]->predict(view.apply(x), sigma, step));
    sum = i == 0 ? back : sum + back;
    if (const auto raw = rec_->last_v(x.size(0)); raw.defined()) {
      const auto v = view.spatial_invert(raw);
      vsum = vsum.defined() ? vsum + v : v;
    }
  }
  // n = 1 returns the single prediction untouched (bit-identical to a plain CFG run).
  const double n = double(views.size());
  if (vsum.defined()) rec_->combined_v = views.size() == 1 ? vsum : vsum / n;
  return views.size() == 1 ? sum : sum / n;
}

std::string MultiViewGuider::describe() const {
  std::ostringstream o;
  o << "multi-view (" << specs_.size() << " views:";
  for (const auto& s : specs_) o << " " << s.name;
  o << ") over " << guiders_.front()->describe();
  return o.str();
}

at::Tensor low_component(const at::Tensor& x, const std::string& split, double blur_sigma) {
  if (split == "frequency") return gaussian_blur(x, blur_sigma);
  if (split == "colour") {
    if (x.size(1) != 3)
      throw Error("illusion.factorized: the colour split needs 3-channel samples (a colour pixel model); this "
                  "model's samples have " + std::to_string(x.size(1)) + " channel(s): use the frequency split");
    return x.mean(1, true).expand_as(x);
  }
  throw Error("illusion.factorized: split must be 'frequency' or 'colour', got '" + split + "'");
}

FactorizedGuider::FactorizedGuider(std::shared_ptr<Denoiser> model, Conditioning low, Conditioning high,
                                   Conditioning negative, diffusion::CFGOptions cfg, std::string split,
                                   double blur_sigma)
    : Guider(make_recording_model(std::move(model))), split_(std::move(split)), blur_sigma_(blur_sigma) {
  rec_ = std::static_pointer_cast<RecordingModel>(model_);
  low_ = std::make_shared<diffusion::CFGGuider>(model_, std::move(low), negative, cfg);
  high_ = std::make_shared<diffusion::CFGGuider>(model_, std::move(high), negative, cfg);
  const auto shape = rec_->sample_shape();
  if (shape.size() == 3) low_component(at::zeros({1, shape[0], shape[1], shape[2]}), split_, blur_sigma_);
}

at::Tensor FactorizedGuider::predict(const at::Tensor& x, const at::Tensor& sigma, const diffusion::GuideStep& step) {
  const auto da = low_->predict(x, sigma, step);
  const auto va = rec_->last_v(x.size(0));
  const auto db = high_->predict(x, sigma, step);
  const auto vb = rec_->last_v(x.size(0));
  if (va.defined() && vb.defined()) rec_->combined_v = (va + vb) / 2.0;
  return low_component(da, split_, blur_sigma_) + (db - low_component(db, split_, blur_sigma_));
}

std::string FactorizedGuider::describe() const {
  std::ostringstream o;
  o << "factorized (" << split_;
  if (split_ == "frequency") o << ", blur sigma " << blur_sigma_;
  o << ") over " << low_->describe();
  return o.str();
}

}  // namespace ng::illusion
