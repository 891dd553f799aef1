#include "image_io.hpp"

#include <ATen/ATen.h>
#include <QBuffer>
#include <QFile>
#include <QImage>
#include <QImageReader>

#include <cstdint>
#include <cstring>
#include <fstream>

#include "image_ops.hpp"
#include "png_decode.hpp"
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

// The file's bytes; image files over 2 GB are refused before reading (the largest image
// accepted, 256 MP of 16-bit RGBA, compresses to less).
std::string read_bounded(const std::filesystem::path& path) {
  constexpr uintmax_t kMaxFileBytes = uintmax_t(2) << 30;
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error("cannot read image " + quoted(path) + ": " + ec.message());
  if (size > kMaxFileBytes)
    throw Error("image file " + quoted(path) + " is " + std::to_string(size >> 20) + " MB; the limit is " +
                std::to_string(kMaxFileBytes >> 20) + " MB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open image " + quoted(path));
  std::string bytes(size, '\0');
  in.read(bytes.data(), std::streamsize(size));
  bytes.resize(std::size_t(in.gcount()));
  return bytes;
}

bool is_jpeg(const std::string& b) {
  return b.size() >= 3 && uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xD8 && uint8_t(b[2]) == 0xFF;
}

// A complete JPEG ends with the end-of-image marker FF D9 (some writers pad after it with
// zeros or a newline). libjpeg decodes a truncated file "successfully", filling the
// missing rows with grey, so this is checked first.
bool jpeg_is_complete(const std::string& b) {
  std::size_t end = b.size();
  while (end > 2 && b.size() - end < 4096 && (b[end - 1] == '\0' || b[end - 1] == '\n' || b[end - 1] == '\r' ||
                                               b[end - 1] == ' '))
    --end;
  return end >= 4 && uint8_t(b[end - 2]) == 0xFF && uint8_t(b[end - 1]) == 0xD9;
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
  // Reading a FIFO blocks forever and a device never ends: regular files only.
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(quoted(path) + " is not a regular file (a FIFO, device or socket cannot be an image)");

  const std::string bytes = read_bounded(path);

  Planes planes;
  DecodedPng png;
  bool decoded = false;
  if (is_png(bytes)) {
    // Our own decoder: exact channels, tRNS, and refusals instead of invented pixels.
    try {
      decoded = decode_png(bytes, png);
    } catch (const Error& e) {
      throw Error("cannot decode image " + quoted(path) + " (PNG): " + e.what());
    }
  }
  if (decoded) {
    planes.alpha = png.alpha;
    if (mode == ColourMode::Grey) planes.colour = to_grey(png.colour);
    else if (mode == ColourMode::Rgb) planes.colour = with_channels(png.colour, 3);
    else planes.colour = png.colour;  // auto: 1 channel for grey files, else 3
  } else {
    if (is_jpeg(bytes) && !jpeg_is_complete(bytes))
      throw Error("cannot decode image " + quoted(path) +
                  ": truncated JPEG (no end-of-image marker); the missing part would be invented");
    QByteArray data = QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size()));
    QBuffer buffer(&data);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    reader.setAutoTransform(true);  // honour EXIF orientation of camera JPEGs
    const QSize size = reader.size();
    if (size.isValid() && (long double)size.width() * size.height() > (long double)kMaxPixels)
      throw Error("image " + quoted(path) + " is " + std::to_string(size.width()) + " x " +
                  std::to_string(size.height()) + "; image.load accepts at most " +
                  std::to_string(kMaxPixels / 1000000) + " megapixels");
    reader.setAllocationLimit(int(kMaxPixels * 8 / (1024 * 1024)));  // RGBA64 of the largest image
    QImage img;
    if (!reader.read(&img))
      throw Error("cannot decode image " + quoted(path) + ": " + reader.errorString().toStdString() +
                  " (expected a PNG or JPEG file)");
    planes = from_qimage(img, mode);
  }

  LoadedImage out;
  out.image = planes.colour;
  out.has_alpha = planes.alpha.defined();
  out.mask = out.has_alpha ? (1.0 - planes.alpha).contiguous()
                           : at::zeros({1, 1, out.image.size(2), out.image.size(3)}, at::kFloat);
  return out;
}

std::string read_embedded_graph(const std::filesystem::path& png) {
  // QImageReader::text() collapses newlines (it goes through the handler's one-line
  // description), so decode the file and read the chunk from the QImage.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(png, ec))
    throw Error("cannot read image " + quoted(png) + ": not a regular file");
  QImageReader reader(to_qstring(png));
  reader.setAllocationLimit(int(kMaxPixels * 8 / (1024 * 1024)));
  QImage img;
  if (!reader.read(&img))
    throw Error("cannot read image " + quoted(png) + ": " + reader.errorString().toStdString());
  return img.text(QString::fromLatin1(kGraphTextKey)).toStdString();
}

}  // namespace ng::image
