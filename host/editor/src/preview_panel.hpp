#pragma once
// Results: the sampler's live estimate while a run goes, then the images the run wrote
// (thumbnails below, wrapping into a grid; click one to view it, zoom with the wheel,
// Save As to copy it).
#include <QImage>
#include <QLabel>
#include <QWidget>

class QListWidget;
class QProgressBar;
class QToolButton;

namespace ng::editor {

class ImageView;

/// A one-line label that elides its text in the middle when narrow (so a file name keeps
/// its start and its number) and shows the whole text as a tooltip.
class ElidedLabel : public QLabel {
  Q_OBJECT
 public:
  using QLabel::QLabel;
  void set_full_text(const QString& text);
  const QString& full_text() const { return full_; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  void elide();
  QString full_;
};

class PreviewPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PreviewPanel(QWidget* parent = nullptr);

  /// Shows an in-progress estimate with a caption ("sample · step 7/20").
  void show_live(const QImage& image, const QString& caption);
  /// Adds a written image file to the strip and shows it.
  void add_output(const QString& path);
  void clear_outputs();
  /// Back to the state of a fresh window: no outputs, no image, the "no results" caption.
  void clear();
  /// The caption above the image (file name and size, or the live step), unelided.
  QString caption() const;
  /// The "saved as" note shown after Save As ("" when hidden).
  QString saved_note() const;
  ImageView* view() const { return view_; }
  /// The Fit button (for tests).
  QToolButton* fit_button() const { return fit_; }
  QStringList outputs() const;
  /// The image in the large view.
  QImage current_image() const;
  /// Path of the file shown ("" for a live preview).
  QString current_path() const { return current_path_; }
  /// Saves what is shown: the written file is copied as is (so an embedded graph stays),
  /// a live preview is encoded. On success the panel says where (next to the buttons and
  /// in status_message); false with a message on failure.
  bool save_current(const QString& path, QString* error = nullptr);

 Q_SIGNALS:
  /// A message for the status bar ("Saved image to ...").
  void status_message(const QString& text);

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  void show_file(const QString& path);
  void save_as_dialog();
  /// The thumbnails wrap into rows; the list grows to two rows, then scrolls.
  void fit_strip_height();
  void confirm_saved(const QString& path);

  ImageView* view_;
  ElidedLabel* caption_;
  ElidedLabel* saved_ = nullptr;  ///< "✓ saved as ..." after Save As, until the image changes
  QListWidget* strip_;
  QToolButton* fit_ = nullptr;
  QString current_path_;
};

}  // namespace ng::editor
