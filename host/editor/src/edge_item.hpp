#pragma once
// A connection drawn as a cubic curve from an output port to an input port, coloured by
// the output's type. Also used, with a loose end, as the preview while dragging.
#include <QGraphicsPathItem>
#include <QPointer>

namespace ng::editor {

class PortItem;

class EdgeItem : public QGraphicsPathItem {
 public:
  enum { Type = UserType + 3 };

  /// A finished connection; either may be null only for a drag preview.
  EdgeItem(PortItem* from, PortItem* to);

  int type() const override { return Type; }
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override;

  PortItem* from() const { return from_; }
  PortItem* to() const { return to_; }
  /// Recomputes the curve from the ports' positions (call when a node moves).
  void update_path();
  /// For drag previews: where the loose end is.
  void set_loose_end(QPointF scene_pos);
  void set_refused(bool refused);

  /// The curve between two anchors; control points pull horizontally out of the ports.
  static QPainterPath curve(QPointF out, QPointF in);

 protected:
  void hoverEnterEvent(QGraphicsSceneHoverEvent*) override;
  void hoverLeaveEvent(QGraphicsSceneHoverEvent*) override;

 private:
  PortItem* from_;
  PortItem* to_;
  QPointF loose_;
  bool hovered_ = false;
  bool refused_ = false;
};

}  // namespace ng::editor
