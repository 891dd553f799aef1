#pragma once
// A typed connection point on the edge of a node card.
#include <QGraphicsItem>
#include <QString>

namespace ng::editor {

class NodeItem;

enum class PortDirection { Input, Output };

class PortItem : public QGraphicsItem {
 public:
  enum { Type = UserType + 2 };
  /// How the port looks while the user drags a connection.
  enum class Hint { None, Compatible, Incompatible };

  PortItem(NodeItem* node, PortDirection direction, QString name, QString type, bool optional,
           QString description);

  int type() const override { return Type; }
  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override;

  NodeItem* node() const { return node_; }
  PortDirection direction() const { return direction_; }
  bool is_input() const { return direction_ == PortDirection::Input; }
  const QString& name() const { return name_; }
  const QString& port_type() const { return type_; }
  bool optional() const { return optional_; }
  /// Centre of the port circle in scene coordinates (where connections attach).
  QPointF anchor() const { return scenePos(); }

  void set_connected(bool yes);
  bool connected() const { return connected_; }
  void set_hint(Hint hint);

 protected:
  void hoverEnterEvent(QGraphicsSceneHoverEvent*) override;
  void hoverLeaveEvent(QGraphicsSceneHoverEvent*) override;

 private:
  NodeItem* node_;
  PortDirection direction_;
  QString name_, type_;
  bool optional_;
  bool connected_ = false;
  bool hovered_ = false;
  Hint hint_ = Hint::None;
};

}  // namespace ng::editor
