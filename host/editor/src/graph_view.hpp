#pragma once
// The canvas widget: wheel zoom around the cursor, pan with the middle button or with
// space + drag, rubber-band selection, fit to view, a subtle grid, and drops (node types
// from the palette, graph files and PNGs from the desktop).
#include <QGraphicsView>
#include <QStringList>

namespace ng::editor {

class GraphScene;

class GraphView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);

  /// Fits all cards (with a margin), never zooming in past 100 %.
  void fit_to_nodes();
  void zoom_by(double factor);
  void reset_zoom();
  double zoom() const;
  /// The scene point under the mouse if it is over the view, else the view's centre.
  QPointF paste_position() const;

  /// Mime type a palette entry carries when dragged (the node type id as UTF-8).
  static const char* node_type_mime();

 Q_SIGNALS:
  void files_dropped(const QStringList& paths);
  void node_type_dropped(const QString& type, QPointF scene_pos);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  void drawBackground(QPainter* painter, const QRectF& rect) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dragMoveEvent(QDragMoveEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  GraphScene* scene_;
  bool panning_ = false;
  bool space_held_ = false;
  QPoint last_pan_;
};

}  // namespace ng::editor
