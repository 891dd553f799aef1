#pragma once
// A zoomable, pannable view of one image. Small images (28 px Fashion-MNIST samples)
// are magnified with crisp pixels rather than blurred.
#include <QGraphicsView>
#include <QImage>

class QGraphicsPixmapItem;

namespace ng::editor {

class ImageView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit ImageView(QWidget* parent = nullptr);
  void set_image(const QImage& image);
  const QImage& image() const { return image_; }
  /// Fit the image in the view, enlarging small images (whole-number zoom from 2x up),
  /// and keep fitting on resize until the user zooms.
  void fit();
  void zoom_by(double factor);
  void actual_size();
  double zoom() const { return transform().m11(); }

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void update_smoothing();
  QGraphicsPixmapItem* item_;
  QImage image_;
  bool fitting_ = true;
};

}  // namespace ng::editor
