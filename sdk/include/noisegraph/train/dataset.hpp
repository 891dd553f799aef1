#pragma once
/// @file dataset.hpp
/// Fashion-MNIST (Xiao et al. 2017) from its IDX files, gzip-compressed or not.
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>

#include "noisegraph/export.hpp"

namespace ng::train {

/// A labelled image set kept compact: uint8 pixels.
struct NG_API ImageDataset {
  at::Tensor pixels;  ///< uint8 [N,28,28] (IDX rows x cols)
  at::Tensor labels;  ///< int64 [N], 0..9
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

/// $NOISEGRAPH_FASHION_MNIST if set, else /usr/share/datasets/fashion-mnist.
NG_API std::filesystem::path default_fashion_mnist_dir();

/// Loads "train" or "t10k" from `dir` (files <split>-images-idx3-ubyte[.gz] and
/// <split>-labels-idx1-ubyte[.gz]). `limit` > 0 keeps the first `limit` examples.
/// Throws ng::Error naming the file for a missing, truncated or malformed file.
NG_API ImageDataset load_fashion_mnist(const std::filesystem::path& dir, const std::string& split,
                                       int64_t limit = 0);

/// A folder of labelled PNG images in the Fashion-MNIST format: `<dir>/<label>/*.png`
/// with label folders named 0..9 and 28x28 images (colour is converted to grey by
/// luminance). Files are taken in (label, file name) order; `limit` > 0 keeps the first
/// `limit`. Throws ng::Error naming the folder or file for an empty folder, a folder that
/// is not a label, an unreadable PNG or a wrong image size.
NG_API ImageDataset load_image_folder(const std::filesystem::path& dir, int64_t limit = 0);

/// Selected examples as IMAGE tensors: float32 [B,1,32,32] in [0,1], the 28x28 digits
/// centred with a 2-pixel black border (so they halve cleanly three times).
NG_API at::Tensor to_images(const ImageDataset& data, const at::Tensor& indices);

/// Writes an IMAGE batch [B,C,H,W] as one PNG grid of `columns` columns (8-bit, grey or
/// RGB), atomically. For training monitors and tests; the image plugin has the full
/// writer.
NG_API void write_png_grid(const std::filesystem::path& path, const at::Tensor& images, int64_t columns);

}  // namespace ng::train
