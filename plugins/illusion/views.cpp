// Views of multi-view denoising (views.hpp).
#include "views.hpp"

#include <algorithm>
#include <map>

#include "noisegraph/context.hpp"
#include "noisegraph/error.hpp"

namespace ng::illusion {

namespace {

// Why common image transforms are refused: each breaks the Gaussian noise the model expects.
const std::map<std::string, std::string>& refused() {
  static const std::map<std::string, std::string> m = {
      {"blur", "a blur is not orthogonal: it shrinks the high frequencies of the noise, so the view of a noisy "
               "sample is no longer noised at the sampler's level"},
      {"zoom", "zooming interpolates pixels, which is not orthogonal: it correlates the noise"},
      {"scale", "scaling changes the noise variance (not orthogonal)"},
      {"skew", "a skew resamples pixels by interpolation (not orthogonal): it correlates the noise"},
      {"rotate", "rotation by an arbitrary angle interpolates pixels (not orthogonal); use rot90, rot180 or rot270"},
      {"colour_invert", "x -> 1 - x is affine, not an orthogonal linear map (it shifts the noise); in the model's [-1, 1] space inversion is 'negate'"},
      {"color_invert", "x -> 1 - x is affine, not an orthogonal linear map (it shifts the noise); in the model's [-1, 1] space inversion is 'negate'"},
      {"greyscale", "greyscale projects away the colour noise (not invertible); use illusion.factorized for grey/colour"},
      {"grayscale", "greyscale projects away the colour noise (not invertible); use illusion.factorized for grey/colour"},
      {"low_pass", "a low-pass filter is a projection, not orthogonal; use illusion.factorized for hybrid images"},
      {"high_pass", "a high-pass filter is a projection, not orthogonal; use illusion.factorized for hybrid images"},
  };
  return m;
}

}  // namespace

std::vector<std::string> view_names() {
  return {"identity", "flip_h",    "flip_v", "rot90",         "rot180",
          "rot270",   "transpose", "negate", "patch_permute", "pixel_permute"};
}

View::View(const std::string& name, int64_t height, int64_t width, uint64_t seed, int64_t patch)
    : name_(name), h_(height), w_(width) {
  const auto names = view_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    auto it = refused().find(name);
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    if (it != refused().end()) throw Error("view '" + name + "' is refused: " + it->second + ". Orthogonal views: " + all);
    throw Error("unknown view '" + name + "': expected one of " + all + " (only orthogonal views keep the noise Gaussian)");
  }
  if ((name == "rot90" || name == "rot270" || name == "transpose") && height != width)
    throw Error("view '" + name + "' needs a square sample, got " + std::to_string(height) + "x" + std::to_string(width));
  if (name == "patch_permute" || name == "pixel_permute") {
    auto gen = Context::make_generator(seed);
    if (name == "pixel_permute") {
      perm_ = at::randperm(height * width, gen, at::TensorOptions().dtype(at::kLong));
    } else {
      if (patch < 1 || height % patch || width % patch)
        throw Error("view 'patch_permute': patch size " + std::to_string(patch) + " must divide the sample size " +
                    std::to_string(height) + "x" + std::to_string(width));
      const int64_t ph = height / patch, pw = width / patch;
      const auto tiles = at::randperm(ph * pw, gen, at::TensorOptions().dtype(at::kLong));
      // Destination pixel (ty*patch + y, tx*patch + x) takes source tile tiles[ty*pw + tx].
      auto idx = at::empty({height, width}, at::kLong);
      auto* p = idx.data_ptr<int64_t>();
      const auto* t = tiles.data_ptr<int64_t>();
      for (int64_t r = 0; r < height; ++r)
        for (int64_t c = 0; c < width; ++c) {
          const int64_t src = t[(r / patch) * pw + c / patch];
          p[r * width + c] = ((src / pw) * patch + r % patch) * width + (src % pw) * patch + c % patch;
        }
      perm_ = idx.flatten();
    }
    inv_perm_ = at::argsort(perm_);
  }
}

at::Tensor View::move(const at::Tensor& x, bool inverse) const {
  if (x.dim() != 4 || x.size(2) != h_ || x.size(3) != w_)
    throw Error("view '" + name_ + "' was made for " + std::to_string(h_) + "x" + std::to_string(w_) +
                " samples, got shape " + c10::str(x.sizes()));
  if (name_ == "identity" || name_ == "negate") return x;
  if (name_ == "flip_h") return x.flip({3});
  if (name_ == "flip_v") return x.flip({2});
  if (name_ == "rot180") return x.flip({2, 3});
  if (name_ == "transpose") return x.transpose(2, 3).contiguous();
  if (name_ == "rot90" || name_ == "rot270") {
    const bool ccw = (name_ == "rot90") != inverse;  // rot90 = counter-clockwise quarter turn
    return at::rot90(x, ccw ? 1 : -1, {2, 3});
  }
  // Permutations: y[..., i] = x[..., perm[i]]; the inverse gathers with argsort(perm).
  const auto& p = inverse ? inv_perm_ : perm_;
  return x.flatten(2).index_select(2, p.to(x.device())).view(x.sizes());
}

at::Tensor View::spatial_apply(const at::Tensor& x) const { return move(x, false); }
at::Tensor View::spatial_invert(const at::Tensor& y) const { return move(y, true); }
at::Tensor View::apply(const at::Tensor& x) const { return name_ == "negate" ? -move(x, false) : move(x, false); }
at::Tensor View::invert(const at::Tensor& y) const { return name_ == "negate" ? -move(y, true) : move(y, true); }

double orthogonality_defect(const View& v, int64_t channels) {
  // The view's matrix A, column k = A e_k, from the basis images; then max |A^T A - I| and
  // the round trip A^-1 A = I on the same basis.
  const int64_t n = channels * v.height() * v.width();
  const auto basis = at::eye(n, at::kDouble).view({n, channels, v.height(), v.width()});
  const auto a = v.apply(basis).reshape({n, n});  // row k = (A e_k)^T
  const auto gram = at::matmul(a, a.transpose(0, 1));
  double defect = (gram - at::eye(n, at::kDouble)).abs().max().item<double>();
  defect = std::max(defect, (v.invert(v.apply(basis)) - basis).abs().max().item<double>());
  return defect;
}

at::Tensor view_image(const at::Tensor& image, const std::string& name, uint64_t seed, int64_t patch, int64_t cell,
                      bool inverse) {
  if (image.dim() != 4) throw Error("illusion.view: expected an IMAGE [B,C,H,W]");
  const bool permute = name == "patch_permute" || name == "pixel_permute";
  at::Tensor out;
  if (permute && cell > 1) {
    if (image.size(2) % cell || image.size(3) % cell)
      throw Error("illusion.view: image size must be a multiple of cell (" + std::to_string(cell) + ")");
    const View v(name, image.size(2) / cell, image.size(3) / cell, seed, patch);
    const auto cells = at::pixel_unshuffle(image, cell);
    out = at::pixel_shuffle(inverse ? v.spatial_invert(cells) : v.spatial_apply(cells), cell);
  } else {
    const View v(name, image.size(2), image.size(3), seed, patch);
    out = inverse ? v.spatial_invert(image) : v.spatial_apply(image);
  }
  return name == "negate" ? 1.0 - out : out;
}

}  // namespace ng::illusion
