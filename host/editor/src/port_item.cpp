#include "port_item.hpp"

#include <QCursor>
#include <QPainter>

#include "node_item.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {
constexpr qreal kRadius = 5.0;
constexpr qreal kHitRadius = 10.0;
}  // namespace

PortItem::PortItem(NodeItem* node, PortDirection direction, QString name, QString type,
                   bool optional, QString description)
    : QGraphicsItem(node), node_(node), direction_(direction), name_(std::move(name)),
      type_(std::move(type)), optional_(optional) {
  setAcceptHoverEvents(true);
  setCursor(Qt::CrossCursor);
  QString tip = QStringLiteral("<b>%1</b> : %2").arg(name_.toHtmlEscaped(), type_.toHtmlEscaped());
  if (optional_) tip += QStringLiteral(" (optional)");
  if (!description.isEmpty()) tip += QStringLiteral("<br>") + description.toHtmlEscaped();
  setToolTip(tip);
}

QRectF PortItem::boundingRect() const {
  return QRectF(-kHitRadius, -kHitRadius, 2 * kHitRadius, 2 * kHitRadius);
}

QPainterPath PortItem::shape() const {
  QPainterPath p;
  p.addEllipse(boundingRect());
  return p;
}

void PortItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  QColor c = port_color(type_);
  if (hint_ == Hint::Incompatible) c = QColor(0x55, 0x58, 0x5e);
  const qreal r = (hovered_ || hint_ == Hint::Compatible) ? kRadius + 1.5 : kRadius;
  if (hint_ == Hint::Compatible) {
    painter->setPen(Qt::NoPen);
    QColor glow = c;
    glow.setAlpha(70);
    painter->setBrush(glow);
    painter->drawEllipse(QPointF(0, 0), r + 4, r + 4);
  }
  painter->setPen(QPen(c, 1.6));
  // Filled when connected (or for outputs, which are always a source); hollow inputs show
  // what still needs wiring. Optional inputs get a dimmer ring.
  if (connected_ || !is_input()) {
    painter->setBrush(c);
  } else {
    painter->setBrush(colors::card);
    if (optional_) painter->setPen(QPen(c.darker(140), 1.4, Qt::DashLine));
  }
  painter->drawEllipse(QPointF(0, 0), r, r);
}

void PortItem::set_connected(bool yes) {
  if (connected_ == yes) return;
  connected_ = yes;
  update();
}

void PortItem::set_hint(Hint hint) {
  if (hint_ == hint) return;
  hint_ = hint;
  update();
}

void PortItem::hoverEnterEvent(QGraphicsSceneHoverEvent*) {
  hovered_ = true;
  update();
}

void PortItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*) {
  hovered_ = false;
  update();
}

}  // namespace ng::editor
