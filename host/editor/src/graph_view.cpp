#include "graph_view.hpp"

#include <QDragEnterEvent>
#include <QMimeData>
#include <QScrollBar>
#include <QWheelEvent>
#include <QtMath>

#include <cmath>

#include "graph_scene.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {
constexpr double kMinZoom = 0.15, kMaxZoom = 3.0;
constexpr int kGrid = 24, kMajorEvery = 5;
}  // namespace

const char* GraphView::node_type_mime() { return "application/x-noisegraph-node-type"; }

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
  setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
  setViewportUpdateMode(QGraphicsView::FullViewportUpdate);  // the grid is drawn per view
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setResizeAnchor(QGraphicsView::AnchorViewCenter);
  setDragMode(QGraphicsView::RubberBandDrag);
  setRubberBandSelectionMode(Qt::IntersectsItemShape);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setFrameShape(QFrame::NoFrame);
  setAcceptDrops(true);
  setFocusPolicy(Qt::StrongFocus);
}

double GraphView::zoom() const { return transform().m11(); }

void GraphView::zoom_by(double factor) {
  const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
  const double f = target / zoom();
  scale(f, f);
}

void GraphView::reset_zoom() { zoom_by(1.0 / zoom()); }

void GraphView::fit_to_nodes() {
  QRectF r = scene_->nodes_rect();
  if (r.isEmpty()) {
    resetTransform();
    centerOn(0, 0);
    return;
  }
  r.adjust(-60, -60, 60, 60);
  fitInView(r, Qt::KeepAspectRatio);
  if (zoom() > 1.0) reset_zoom();
  if (zoom() < kMinZoom) zoom_by(kMinZoom / zoom());
  centerOn(r.center());
}

QPointF GraphView::paste_position() const {
  const QPoint p = viewport()->mapFromGlobal(QCursor::pos());
  if (viewport()->rect().contains(p)) return mapToScene(p);
  return mapToScene(viewport()->rect().center());
}

void GraphView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps == 0) return;
  zoom_by(std::pow(1.15, steps));
  event->accept();
}

void GraphView::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && space_held_)) {
    panning_ = true;
    last_pan_ = event->pos();
    viewport()->setCursor(Qt::ClosedHandCursor);
    event->accept();
    return;
  }
  QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseMoveEvent(QMouseEvent* event) {
  if (panning_) {
    const QPoint delta = event->pos() - last_pan_;
    last_pan_ = event->pos();
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
    verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
    event->accept();
    return;
  }
  QGraphicsView::mouseMoveEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event) {
  if (panning_ && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
    panning_ = false;
    viewport()->setCursor(space_held_ ? Qt::OpenHandCursor : Qt::ArrowCursor);
    event->accept();
    return;
  }
  QGraphicsView::mouseReleaseEvent(event);
}

void GraphView::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
    space_held_ = true;
    viewport()->setCursor(Qt::OpenHandCursor);
    event->accept();
    return;
  }
  QGraphicsView::keyPressEvent(event);
}

void GraphView::keyReleaseEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
    space_held_ = false;
    if (!panning_) viewport()->setCursor(Qt::ArrowCursor);
    event->accept();
    return;
  }
  QGraphicsView::keyReleaseEvent(event);
}

void GraphView::drawBackground(QPainter* painter, const QRectF& rect) {
  painter->fillRect(rect, colors::canvas);
  if (zoom() < 0.35) return;  // a dense grid at low zoom is noise
  const qreal left = std::floor(rect.left() / kGrid) * kGrid;
  const qreal top = std::floor(rect.top() / kGrid) * kGrid;
  QVector<QLineF> minor, major;
  for (qreal x = left; x < rect.right(); x += kGrid)
    (int(std::lround(x / kGrid)) % kMajorEvery == 0 ? major : minor).push_back(QLineF(x, rect.top(), x, rect.bottom()));
  for (qreal y = top; y < rect.bottom(); y += kGrid)
    (int(std::lround(y / kGrid)) % kMajorEvery == 0 ? major : minor).push_back(QLineF(rect.left(), y, rect.right(), y));
  painter->setPen(QPen(colors::grid_minor, 0));
  painter->drawLines(minor);
  painter->setPen(QPen(colors::grid_major, 0));
  painter->drawLines(major);
}

void GraphView::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasFormat(node_type_mime()) || event->mimeData()->hasUrls()) event->acceptProposedAction();
  else QGraphicsView::dragEnterEvent(event);
}

void GraphView::dragMoveEvent(QDragMoveEvent* event) {
  if (event->mimeData()->hasFormat(node_type_mime()) || event->mimeData()->hasUrls()) event->acceptProposedAction();
  else QGraphicsView::dragMoveEvent(event);
}

void GraphView::dropEvent(QDropEvent* event) {
  const QMimeData* mime = event->mimeData();
  if (mime->hasFormat(node_type_mime())) {
    Q_EMIT node_type_dropped(QString::fromUtf8(mime->data(node_type_mime())), mapToScene(event->position().toPoint()));
    event->acceptProposedAction();
    return;
  }
  if (mime->hasUrls()) {
    QStringList paths;
    for (const QUrl& url : mime->urls())
      if (url.isLocalFile()) paths << url.toLocalFile();
    if (!paths.isEmpty()) Q_EMIT files_dropped(paths);
    event->acceptProposedAction();
    return;
  }
  QGraphicsView::dropEvent(event);
}

}  // namespace ng::editor
