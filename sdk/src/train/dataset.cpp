// Fashion-MNIST IDX reader (gzip via zlib, which also reads uncompressed files), PNG image
// folders and the PNG sample grids of training monitors (both through io/png.hpp).
#include "noisegraph/train/dataset.hpp"

#include <ATen/ATen.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "noisegraph/error.hpp"
#include "noisegraph/io/atomic_write.hpp"
#include "noisegraph/io/png.hpp"
#include "noisegraph/train/train.hpp"

namespace ng::train {

namespace {

std::filesystem::path find_idx(const std::filesystem::path& dir, const std::string& stem) {
  for (const char* ext : {".gz", ""}) {
    auto p = dir / (stem + ext);
    if (std::filesystem::exists(p)) return p;
  }
  throw Error(dir.string() + ": missing " + stem + "[.gz] (Fashion-MNIST IDX file; install dataset-fashion-mnist or "
              "set NOISEGRAPH_FASHION_MNIST)");
}

// Reads an IDX file: magic 0x0000 08 <ndim>, ndim big-endian u32 sizes, then uint8 data.
at::Tensor read_idx(const std::filesystem::path& path, int expected_dims, int64_t limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(path.string() + ": cannot open");
  auto read_exact = [&](void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      int got = gzread(f, static_cast<char*>(dst) + done, unsigned(std::min<size_t>(n - done, 1 << 30)));
      if (got <= 0) {
        gzclose(f);
        throw Error(path.string() + ": truncated or corrupt IDX file");
      }
      done += size_t(got);
    }
  };
  unsigned char magic[4];
  read_exact(magic, 4);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != expected_dims) {
    gzclose(f);
    throw Error(path.string() + ": not a uint8 IDX file with " + std::to_string(expected_dims) + " dimensions");
  }
  std::vector<int64_t> shape;
  for (int i = 0; i < expected_dims; ++i) {
    unsigned char b[4];
    read_exact(b, 4);
    shape.push_back((int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | int64_t(b[3]));
  }
  int64_t per = 1;
  for (size_t i = 1; i < shape.size(); ++i) per *= shape[i];
  if (shape[0] > 10'000'000 || per > 1'000'000) {
    gzclose(f);
    throw Error(path.string() + ": implausible IDX dimensions");
  }
  if (limit > 0 && limit < shape[0]) shape[0] = limit;
  at::Tensor t = at::empty(shape, at::kByte);
  if (t.numel()) read_exact(t.data_ptr(), size_t(t.numel()));
  gzclose(f);
  return t;
}

// A decoded PNG as 8-bit grey [H,W]: each sample at 8 bits (16-bit files by their high
// byte), colour by ITU-R BT.601 luminance as image.to_grayscale; alpha is ignored.
at::Tensor grey_levels(const io::PngImage& img) {
  const bool deep = img.header.bit_depth == 16;
  const at::Tensor c = img.colour.contiguous();
  const float* p = c.data_ptr<float>();
  const int64_t n = c.size(1) * c.size(2);
  auto level = [&](float v) { return deep ? int(std::lround(v * 65535.0)) >> 8 : int(std::lround(v * 255.0)); };
  at::Tensor out = at::empty({c.size(1), c.size(2)}, at::kByte);
  uint8_t* o = out.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i)
    o[i] = c.size(0) == 1 ? uint8_t(level(p[i]))
                          : uint8_t(std::lround(0.299 * level(p[i]) + 0.587 * level(p[n + i]) + 0.114 * level(p[2 * n + i])));
  return out;
}

}  // namespace

std::filesystem::path default_fashion_mnist_dir() {
  if (const char* env = std::getenv("NOISEGRAPH_FASHION_MNIST"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

ImageDataset load_fashion_mnist(const std::filesystem::path& dir_in, const std::string& split, int64_t limit) {
  if (split != "train" && split != "t10k")
    throw Error("Fashion-MNIST split must be 'train' or 't10k', got '" + split + "'");
  const auto dir = dir_in.empty() ? default_fashion_mnist_dir() : dir_in;
  ImageDataset d;
  d.pixels = read_idx(find_idx(dir, split + "-images-idx3-ubyte"), 3, limit);
  const auto label_path = find_idx(dir, split + "-labels-idx1-ubyte");
  d.labels = read_idx(label_path, 1, limit).to(at::kLong);
  if (d.labels.size(0) != d.pixels.size(0))
    throw Error(label_path.string() + ": label count does not match the image count");
  if (d.labels.numel() && d.labels.max().item<int64_t>() > 9)
    throw Error(label_path.string() + ": label outside 0..9");
  return d;
}

ImageDataset load_image_folder(const std::filesystem::path& dir, int64_t limit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": image folder not found");
  std::vector<std::pair<int64_t, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "test") continue;  // the held-out split of the same layout (test_data())
    if (name.size() != 1 || name[0] < '0' || name[0] > '9')
      throw Error(entry.path().string() + ": label folders must be named 0..9");
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      std::string ext = f.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      if (f.is_regular_file() && ext == ".png") files.emplace_back(name[0] - '0', f.path());
    }
  }
  if (ec) throw Error(dir.string() + ": cannot list the folder: " + ec.message());
  if (files.empty()) throw Error(dir.string() + ": no PNG images in label folders 0..9 (expected <label>/<name>.png)");
  std::sort(files.begin(), files.end());
  if (limit > 0 && int64_t(files.size()) > limit) files.resize(size_t(limit));
  ImageDataset d;
  d.pixels = at::empty({int64_t(files.size()), 28, 28}, at::kByte);
  d.labels = at::empty({int64_t(files.size())}, at::kLong);
  auto* px = d.pixels.data_ptr<uint8_t>();
  io::PngReadOptions options;
  options.max_pixels = 4096 * 4096;  // only 28x28 is used; larger files are refused from the header
  for (size_t i = 0; i < files.size(); ++i) {
    const auto img = io::read_png(files[i].second, options);
    if (img.header.width != 28 || img.header.height != 28)
      throw Error(files[i].second.string() + ": image is " + std::to_string(img.header.width) + "x" +
                  std::to_string(img.header.height) + ", expected 28x28 (the Fashion-MNIST size)");
    const at::Tensor grey = grey_levels(img);
    std::copy_n(grey.data_ptr<uint8_t>(), 28 * 28, px + i * 28 * 28);
    d.labels[int64_t(i)] = files[i].first;
  }
  return d;
}

at::Tensor to_images(const ImageDataset& data, const at::Tensor& indices) {
  auto px = data.pixels.index_select(0, indices.to(at::kLong)).to(at::kFloat).div_(255.0).unsqueeze(1);
  return at::constant_pad_nd(px, {2, 2, 2, 2}, 0.0);
}

void write_png_grid(const std::filesystem::path& path, const at::Tensor& images, int64_t columns) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw Error("write_png_grid: expected IMAGE [B,1|3,H,W]");
  const int64_t B = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
  columns = std::max<int64_t>(1, std::min(columns, B));
  const int64_t rows = (B + columns - 1) / columns;
  auto grid = at::zeros({C, rows * H, columns * W}, at::kFloat);
  for (int64_t i = 0; i < B; ++i)
    grid.narrow(1, (i / columns) * H, H).narrow(2, (i % columns) * W, W).copy_(images[i].detach().to(at::kFloat));
  io::write_file_atomic(path, io::encode_png(grid));
}

ImageDataset training_data(const CommonConfig& c) {
  return c.data_folder.empty() ? load_fashion_mnist(c.data_dir, "train", c.limit_examples)
                               : load_image_folder(c.data_folder, c.limit_examples);
}

ImageDataset test_data(const CommonConfig& c, int64_t limit) {
  if (!c.data_folder.empty() && std::filesystem::is_directory(c.data_folder / "test"))
    return load_image_folder(c.data_folder / "test", limit);
  return load_fashion_mnist(c.data_dir, "t10k", limit);
}

std::string data_description(const CommonConfig& c, int64_t examples) {
  if (c.data_folder.empty()) return "Fashion-MNIST train (" + std::to_string(examples) + " images";
  return "PNG folder " + c.data_folder.generic_string() + " (" + std::to_string(examples) + " images";
}

}  // namespace ng::train
