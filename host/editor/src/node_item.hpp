#pragma once
// A node drawn as a card: category-coloured header with the node's id as its title, its
// type's display name below in smaller text, and a run-state badge;
// typed ports on the left (inputs) and right (outputs), a short summary of key parameters,
// and the error text when the node failed.
#include <QGraphicsObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <vector>

#include "port_item.hpp"

namespace ng::editor {

/// Run state shown as a badge on the card (mirrors the executor's node states).
enum class NodeRunState { Idle, Queued, Running, Cached, Done, Failed, Cancelled };

QString run_state_name(NodeRunState state);

/// What a card shows, independent of where it came from (a node type from a plugin, or
/// a placeholder for a type no loaded plugin provides).
struct NodeLook {
  struct Port {
    QString name, type, description;
    bool optional = false;
  };
  QString id;        ///< node id in the graph (unique): the card's title
  QString type_id;   ///< e.g. "sample.ksampler"
  QString title;     ///< display name of the type, shown under the id
  QString category;
  QString description;
  std::vector<Port> inputs, outputs;
  bool missing_type = false;  ///< no loaded plugin provides type_id
  bool output_node = false;
};

class NodeItem : public QGraphicsObject {
  Q_OBJECT
 public:
  enum { Type = UserType + 1 };

  explicit NodeItem(NodeLook look);

  int type() const override { return Type; }
  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override;

  const QString& id() const { return look_.id; }
  /// The header's first line (the node id, which tells cards of one type apart) and
  /// second, smaller line (the type's display name).
  const QString& title() const { return look_.id; }
  const QString& subtitle() const { return look_.title; }
  const NodeLook& look() const { return look_; }
  PortItem* input(const QString& name) const;
  PortItem* output(const QString& name) const;
  const std::vector<PortItem*>& inputs() const { return inputs_; }
  const std::vector<PortItem*>& outputs() const { return outputs_; }

  /// Lines "name value" under the ports (first few parameters).
  void set_summary(const QVector<QPair<QString, QString>>& lines);
  void set_run_state(NodeRunState state, const QString& error = {});
  NodeRunState run_state() const { return state_; }
  const QString& error_text() const { return error_; }
  /// Fraction of the running node's work, shown as a thin bar; < 0 hides it.
  void set_progress(double fraction);
  /// Marks a validation problem (orange outline, message as tooltip).
  void set_problem(const QString& message);
  const QString& problem() const { return problem_; }
  /// What the node reported about itself in the last run (e.g. a loader's "SD 1.x, eps,
  /// 1.07B params"), shown in small text at the bottom of the card; empty hides it.
  void set_note(const QString& note);
  const QString& note() const { return note_; }

 Q_SIGNALS:
  /// Emitted while the card is dragged so connections follow.
  void moved();

 protected:
  QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

 private:
  void layout();
  QRectF card_rect() const { return QRectF(0, 0, width_, height_); }
  QRectF note_rect() const;

  NodeLook look_;
  std::vector<PortItem*> inputs_, outputs_;
  QVector<QPair<QString, QString>> summary_;
  NodeRunState state_ = NodeRunState::Idle;
  QString error_, problem_, note_;
  double progress_ = -1;
  qreal width_ = 180, height_ = 60;
  qreal ports_top_ = 0, summary_top_ = 0, note_top_ = 0;
};

}  // namespace ng::editor
