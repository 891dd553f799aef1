#include "png_graph.hpp"

#include <QFile>
#include <QFileInfo>
#include <QImageReader>

namespace ng::editor {

bool looks_like_png(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return false;
  return f.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8);
}

std::optional<std::string> graph_from_png(const QString& path, QString* error) {
  QImageReader reader(path);
  if (!reader.canRead()) {
    if (error) *error = QObject::tr("%1 is not a readable image (%2).").arg(path, reader.errorString());
    return std::nullopt;
  }
  // QImageReader::text() folds newlines (it goes through the handler's one-line
  // description); the decoded image keeps each chunk verbatim.
  const QImage image = reader.read();
  const QString text = image.text(QString::fromLatin1(kPngGraphKey));
  if (text.isEmpty()) {
    if (error)
      *error = QObject::tr("%1 has no embedded graph (no \"%2\" text chunk). Images saved by image.save with "
                           "embed_graph on carry one.")
                   .arg(QFileInfo(path).fileName(), QString::fromLatin1(kPngGraphKey));
    return std::nullopt;
  }
  return text.toStdString();
}

}  // namespace ng::editor
