#pragma once
// Results: the sampler's live estimate while a run goes, then the images the run wrote
// (thumbnails below; click one to view it, zoom with the wheel, Save As to copy it).
#include <QImage>
#include <QWidget>

class QLabel;
class QListWidget;
class QProgressBar;

namespace ng::editor {

class ImageView;

class PreviewPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PreviewPanel(QWidget* parent = nullptr);

  /// Shows an in-progress estimate with a caption ("sample · step 7/20").
  void show_live(const QImage& image, const QString& caption);
  /// Adds a written image file to the strip and shows it.
  void add_output(const QString& path);
  void clear_outputs();
  QStringList outputs() const;
  /// The image in the large view.
  QImage current_image() const;
  /// Path of the file shown ("" for a live preview).
  QString current_path() const { return current_path_; }
  /// Saves what is shown: the written file is copied as is (so an embedded graph stays),
  /// a live preview is encoded. False with a message on failure.
  bool save_current(const QString& path, QString* error = nullptr);

 private:
  void show_file(const QString& path);
  void save_as_dialog();

  ImageView* view_;
  QLabel* caption_;
  QListWidget* strip_;
  QString current_path_;
};

}  // namespace ng::editor
