#include "png_graph.hpp"

#include <QFile>
#include <QFileInfo>
#include <QObject>

#include <noisegraph/error.hpp>
#include <noisegraph/io/png.hpp>

namespace ng::editor {

bool looks_like_png(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return false;
  return f.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8);
}

std::optional<std::string> graph_from_png(const QString& path, QString* error) {
  // The SDK's reader keeps each text chunk verbatim (newlines included) and checks the
  // whole file without keeping its pixels.
  ng::io::PngReadOptions options;
  options.pixels = false;
  std::map<std::string, std::string> text;
  try {
    text = ng::io::read_png(std::filesystem::path(QFile::encodeName(path).toStdString()), options).text;
  } catch (const ng::Error& e) {
    if (error) *error = QObject::tr("%1 is not a readable PNG image (%2).").arg(path, QString::fromStdString(e.what()));
    return std::nullopt;
  }
  const auto it = text.find(kPngGraphKey);
  if (it == text.end() || it->second.empty()) {
    if (error)
      *error = QObject::tr("%1 has no embedded graph (no \"%2\" text chunk). Images saved by image.save with "
                           "embed_graph on carry one.")
                   .arg(QFileInfo(path).fileName(), QString::fromLatin1(kPngGraphKey));
    return std::nullopt;
  }
  return it->second;
}

}  // namespace ng::editor
