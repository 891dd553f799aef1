#include "image_view.hpp"

#include <QGraphicsPixmapItem>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "theme.hpp"

namespace ng::editor {

ImageView::ImageView(QWidget* parent) : QGraphicsView(parent), item_(new QGraphicsPixmapItem) {
  setScene(new QGraphicsScene(this));
  scene()->addItem(item_);
  setBackgroundBrush(colors::canvas.darker(115));
  setDragMode(QGraphicsView::ScrollHandDrag);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setFrameShape(QFrame::NoFrame);
  setAlignment(Qt::AlignCenter);
}

void ImageView::set_image(const QImage& image) {
  const bool same_size = !image_.isNull() && image.size() == image_.size();
  image_ = image;
  item_->setPixmap(QPixmap::fromImage(image));
  scene()->setSceneRect(item_->boundingRect());
  if (fitting_ || !same_size) fit();
}

void ImageView::fit() {
  fitting_ = true;
  if (image_.isNull()) return;
  resetTransform();
  const QSizeF avail = QSizeF(viewport()->size()) - QSizeF(16, 16);
  double f = std::min(avail.width() / image_.width(), avail.height() / image_.height());
  // From 2x up, whole-number magnification keeps pixel art even at little cost in size;
  // between 1x and 2x rounding down would not enlarge at all, so fill the view instead.
  if (f >= 2) f = std::floor(f);
  f = std::max(f, 0.01);
  scale(f, f);
  update_smoothing();
}

void ImageView::zoom_by(double factor) {
  fitting_ = false;
  const double target = std::clamp(zoom() * factor, 0.05, 64.0);
  scale(target / zoom(), target / zoom());
  update_smoothing();
}

void ImageView::actual_size() {
  fitting_ = false;
  resetTransform();
  update_smoothing();
}

void ImageView::update_smoothing() {
  // Crisp pixels at whole-number zoom; smooth when shrinking or at a fractional zoom,
  // where nearest-neighbour would make uneven pixel rows.
  const double z = zoom();
  const bool whole = z >= 1.0 && std::abs(z - std::round(z)) < 1e-6;
  item_->setTransformationMode(whole || z >= 4.0 ? Qt::FastTransformation : Qt::SmoothTransformation);
}

void ImageView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) zoom_by(std::pow(1.2, steps));
  event->accept();
}

void ImageView::resizeEvent(QResizeEvent* event) {
  QGraphicsView::resizeEvent(event);
  if (fitting_) fit();
}

}  // namespace ng::editor
