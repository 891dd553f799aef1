#include "edge_item.hpp"

#include <QPainter>
#include <QPainterPathStroker>

#include <algorithm>
#include <cmath>

#include "port_item.hpp"
#include "theme.hpp"

namespace ng::editor {

EdgeItem::EdgeItem(PortItem* from, PortItem* to) : from_(from), to_(to) {
  setZValue(0);
  if (from_ && to_) {
    setFlag(ItemIsSelectable);
    setAcceptHoverEvents(true);
  } else {
    setZValue(10);  // a drag preview floats above the cards
  }
  update_path();
}

QPainterPath EdgeItem::curve(QPointF out, QPointF in) {
  const qreal dx = std::max<qreal>(50.0, std::abs(in.x() - out.x()) * 0.5);
  QPainterPath p(out);
  p.cubicTo(out + QPointF(dx, 0), in - QPointF(dx, 0), in);
  return p;
}

void EdgeItem::update_path() {
  QPointF a = from_ ? from_->anchor() : loose_;
  QPointF b = to_ ? to_->anchor() : loose_;
  // A preview dragged out of an input runs backwards: keep the curve shape natural.
  setPath(curve(a, b));
}

void EdgeItem::set_loose_end(QPointF scene_pos) {
  loose_ = scene_pos;
  update_path();
}

void EdgeItem::set_refused(bool refused) {
  if (refused_ == refused) return;
  refused_ = refused;
  update();
}

QPainterPath EdgeItem::shape() const {
  QPainterPathStroker s;
  s.setWidth(10);
  return s.createStroke(path());
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  const PortItem* typed = from_ ? from_ : to_;
  QColor c = typed ? port_color(typed->port_type()) : colors::text_dim;
  if (refused_) c = colors::error;
  qreal w = 2.2;
  if (isSelected()) {
    painter->setPen(QPen(QColor(255, 255, 255, 90), 6, Qt::SolidLine, Qt::RoundCap));
    painter->drawPath(path());
    w = 2.8;
  } else if (hovered_) {
    w = 3.0;
  }
  if (!(from_ && to_)) c.setAlpha(200);
  painter->setPen(QPen(c, w, (from_ && to_) ? Qt::SolidLine : Qt::DashLine, Qt::RoundCap));
  painter->setBrush(Qt::NoBrush);
  painter->drawPath(path());
}

void EdgeItem::hoverEnterEvent(QGraphicsSceneHoverEvent*) {
  hovered_ = true;
  update();
}

void EdgeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*) {
  hovered_ = false;
  update();
}

}  // namespace ng::editor
