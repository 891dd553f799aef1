#include "image_io.hpp"

#include <ATen/ATen.h>
#include <QFile>
#include <QImage>
#include <QImageReader>

#include <cstdint>
#include <cstring>

#include "image_ops.hpp"
#include "noisegraph/error.hpp"

namespace ng::image {
namespace {

QString to_qstring(const std::filesystem::path& p) { return QFile::decodeName(p.c_str()); }

// Absolute in messages, so the user sees where the file was looked for.
std::string quoted(const std::filesystem::path& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return "'" + (ec ? p : abs.lexically_normal()).string() + "'";
}

bool is_greyscale_file(const QImage& img) {
  switch (img.format()) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Grayscale16:
      return true;
    case QImage::Format_Mono:
    case QImage::Format_MonoLSB:
    case QImage::Format_Indexed8:
      return img.isGrayscale();  // palette of greys
    default:
      return false;
  }
}

bool is_deep(const QImage& img) {
  // Formats with more than 8 bits per channel: keep their precision.
  return img.format() == QImage::Format_Grayscale16 || img.depth() > 32;
}

// Copies K interleaved channels of every row into a [H,W,K] tensor scaled to [0,1].
template <class Sample>
at::Tensor interleaved_to_tensor(const QImage& img, int64_t k) {
  const int64_t h = img.height(), w = img.width();
  const auto dtype = sizeof(Sample) == 1 ? at::kByte : at::kInt;
  auto out = at::empty({h, w, k}, at::TensorOptions().dtype(dtype));
  for (int64_t y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const Sample*>(img.constScanLine(int(y)));
    if constexpr (sizeof(Sample) == 1) {
      std::memcpy(out[y].data_ptr<uint8_t>(), row, size_t(w * k));
    } else {
      int32_t* dst = out[y].data_ptr<int32_t>();
      for (int64_t i = 0; i < w * k; ++i) dst[i] = row[i];
    }
  }
  const float scale = sizeof(Sample) == 1 ? 255.0f : 65535.0f;
  return out.to(at::kFloat).div_(scale);
}

}  // namespace

ColourMode parse_colour_mode(const std::string& name) {
  if (name == "auto") return ColourMode::Auto;
  if (name == "grey") return ColourMode::Grey;
  if (name == "rgb") return ColourMode::Rgb;
  throw Error("unknown colour mode '" + name + "' (expected auto, grey or rgb)");
}

Planes from_qimage(const QImage& img, ColourMode mode) {
  if (img.isNull()) throw Error("empty image");
  const bool grey_file = is_greyscale_file(img);
  const bool deep = is_deep(img);
  const bool alpha = img.hasAlphaChannel();
  const int64_t channels = mode == ColourMode::Grey ? 1 : mode == ColourMode::Rgb ? 3 : (grey_file ? 1 : 3);

  at::Tensor grey, rgb, a;  // [H,W,1], [H,W,3], [H,W,1]
  if (grey_file && !alpha) {
    grey = deep ? interleaved_to_tensor<uint16_t>(img.convertToFormat(QImage::Format_Grayscale16), 1)
                : interleaved_to_tensor<uint8_t>(img.convertToFormat(QImage::Format_Grayscale8), 1);
  } else {
    // Non-premultiplied RGBA so colour values stay exact where alpha < 1.
    auto rgba = deep ? interleaved_to_tensor<uint16_t>(img.convertToFormat(QImage::Format_RGBA64), 4)
                     : interleaved_to_tensor<uint8_t>(img.convertToFormat(QImage::Format_RGBA8888), 4);
    rgb = rgba.narrow(2, 0, 3);
    if (alpha) a = rgba.narrow(2, 3, 1);
    if (grey_file) grey = rgba.narrow(2, 0, 1);  // R = G = B already
  }

  Planes out;
  if (channels == 1) {
    if (grey.defined()) out.colour = grey.permute({2, 0, 1}).unsqueeze(0).contiguous();
    else out.colour = to_grey(rgb.permute({2, 0, 1}).unsqueeze(0).contiguous());
  } else {
    if (rgb.defined()) out.colour = rgb.permute({2, 0, 1}).unsqueeze(0).contiguous();
    else out.colour = with_channels(grey.permute({2, 0, 1}).unsqueeze(0).contiguous(), 3);
  }
  if (a.defined()) out.alpha = a.permute({2, 0, 1}).unsqueeze(0).contiguous();
  return out;
}

QImage to_qimage(const at::Tensor& chw) {
  if (!chw.defined() || chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3))
    throw Error("expected one image [C,H,W] with C = 1 or 3");
  const int64_t c = chw.size(0), h = chw.size(1), w = chw.size(2);
  auto bytes = at::nan_to_num(chw.to(at::kFloat), 0.0, 1.0, 0.0)
                   .clamp(0.0, 1.0)
                   .mul(255.0)
                   .round()
                   .to(at::kByte)
                   .permute({1, 2, 0})
                   .contiguous();
  QImage out(int(w), int(h), c == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
  if (out.isNull()) throw Error("cannot allocate a " + std::to_string(w) + "x" + std::to_string(h) + " image");
  for (int64_t y = 0; y < h; ++y)
    std::memcpy(out.scanLine(int(y)), bytes[y].data_ptr<uint8_t>(), size_t(w * c));
  return out;
}

LoadedImage load_image(const std::filesystem::path& path, ColourMode mode) {
  if (path.empty()) throw Error("no image file given (the path is empty)");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error("image file not found: " + quoted(path));
  if (std::filesystem::is_directory(path, ec))
    throw Error(quoted(path) + " is a folder, expected an image file");

  QImageReader reader(to_qstring(path));
  reader.setAutoTransform(true);  // honour EXIF orientation of camera JPEGs
  QImage img;
  if (!reader.read(&img))
    throw Error("cannot decode image " + quoted(path) + ": " + reader.errorString().toStdString() +
                " (expected a PNG or JPEG file)");

  auto planes = from_qimage(img, mode);
  LoadedImage out;
  out.image = planes.colour;
  out.has_alpha = planes.alpha.defined();
  out.mask = out.has_alpha ? (1.0 - planes.alpha).contiguous()
                           : at::zeros({1, 1, img.height(), img.width()}, at::kFloat);
  return out;
}

std::string read_embedded_graph(const std::filesystem::path& png) {
  // QImageReader::text() collapses newlines (it goes through the handler's one-line
  // description), so decode the file and read the chunk from the QImage.
  QImageReader reader(to_qstring(png));
  QImage img;
  if (!reader.read(&img))
    throw Error("cannot read image " + quoted(png) + ": " + reader.errorString().toStdString());
  return img.text(QString::fromLatin1(kGraphTextKey)).toStdString();
}

}  // namespace ng::image
