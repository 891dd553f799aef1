#pragma once
// Views of multi-view denoising ("Visual Anagrams", Geng, Park & Owens, CVPR 2024): fixed
// linear maps of a sample [B,C,H,W]. A view must be orthogonal (a permutation of pixels, a
// sign flip, or both): then it maps N(0, I) noise to N(0, I) noise, so the transformed noisy
// sample is still a sample the model was trained on, at the same noise level (paper, sec. 3.2).
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ng::illusion {

/// One view. apply()/invert() act on samples; spatial_*() move per-pixel quantities (such as
/// a learned variance) without the sign flip.
class View {
 public:
  /// Accepted names: identity, flip_h, flip_v, rot90, rot180, rot270, transpose, negate,
  /// patch_permute (seeded permutation of patch x patch tiles), pixel_permute (seeded
  /// permutation of pixel positions). Known non-orthogonal views (blur, zoom, scale, skew,
  /// colour_invert, ...) and unknown names throw ng::Error with the reason. rot90, rot270 and
  /// transpose need square samples; patch_permute needs a patch size dividing H and W.
  View(const std::string& name, int64_t height, int64_t width, uint64_t seed = 0, int64_t patch = 4);

  at::Tensor apply(const at::Tensor& x) const;
  at::Tensor invert(const at::Tensor& y) const;
  at::Tensor spatial_apply(const at::Tensor& x) const;
  at::Tensor spatial_invert(const at::Tensor& y) const;
  const std::string& name() const { return name_; }
  int64_t height() const { return h_; }
  int64_t width() const { return w_; }

 private:
  at::Tensor move(const at::Tensor& x, bool inverse) const;
  std::string name_;
  int64_t h_, w_;
  at::Tensor perm_, inv_perm_;  // flat pixel index permutation (permute views)
};

/// The accepted view names, for parameter descriptions.
std::vector<std::string> view_names();

/// max |A^T A - I| and max |A^-1 A - I| for the view's matrix A on samples of `channels`
/// channels, built column by column from basis images (float64; 0 for an exact orthogonal
/// view). Memory grows as (C H W)^2: for tests and small latents.
double orthogonality_defect(const View& v, int64_t channels);

/// An IMAGE in [0,1] seen through a view: negation is 1 - x there (the model's -x in [-1, 1]);
/// with `cell` > 1 pixels per sample cell, permutations move whole cells, so a latent model's
/// jigsaw (made on its latent grid) is shown on the decoded image.
at::Tensor view_image(const at::Tensor& image, const std::string& name, uint64_t seed, int64_t patch, int64_t cell,
                      bool inverse = false);

}  // namespace ng::illusion
