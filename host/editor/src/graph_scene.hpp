#pragma once
// The canvas: draws a GraphDocument (cards, ports, curved links) and turns gestures into
// document edits: drag a port to another to link, drag out of a connected input to move
// or drop its link, drag cards to move them. It re-syncs from the document after every
// change, so the document is the only source of truth.
#include <QGraphicsScene>
#include <QHash>
#include <QPointF>
#include <QString>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph_document.hpp"
#include "node_item.hpp"

namespace ng::editor {

class EdgeItem;
class PortItem;

class GraphScene : public QGraphicsScene {
  Q_OBJECT
 public:
  explicit GraphScene(GraphDocument* doc, QObject* parent = nullptr);
  ~GraphScene() override;

  GraphDocument* document() const { return doc_; }
  NodeItem* node_item(const std::string& id) const;
  EdgeItem* edge_into(const std::string& node, const std::string& input) const;
  std::vector<std::string> selected_nodes() const;  ///< in graph order
  std::vector<InputRef> selected_links() const;
  void select_nodes(const std::vector<std::string>& ids);
  /// Where every node is drawn (stored or auto-laid-out position).
  std::map<std::string, host::Point> shown_positions() const;
  /// Bounding rectangle of all cards.
  QRectF nodes_rect() const;

  void set_run_state(const std::string& node, NodeRunState state, const QString& message = {});
  void set_progress(const std::string& node, double fraction);
  void clear_run_states();
  /// Failed cards go back to idle (their error no longer describes the edited graph).
  void clear_failed_states();
  /// After a run: nodes still waiting in the queue (the run stopped before them) go back
  /// to idle, so only what happened keeps a badge.
  void finish_run_states();
  NodeRunState run_state(const std::string& node) const;

  /// Cards created and cards refreshed (summary and problem) by sync() so far: an edit
  /// touches only the cards it changed (tests and the executor bench read these).
  int cards_built() const { return cards_built_; }
  int cards_refreshed() const { return cards_refreshed_; }

 public Q_SLOTS:
  /// Brings items in line with the document.
  void sync();

 Q_SIGNALS:
  /// A message for the status bar (why a link was refused, ...).
  void status_message(const QString& text);
  /// The user asked to add a node at `scene_pos`: a double-click on empty canvas (node
  /// and port empty), or a link dragged from `node`.`port` into empty space (then only
  /// node types with a matching port should be offered).
  void add_node_requested(QPointF scene_pos, const QString& node, const QString& port, bool from_output,
                          const QString& port_type);

 protected:
  void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseMoveEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) override;

 private:
  struct LinkDrag {
    PortItem* anchor = nullptr;  ///< the fixed end
    std::optional<InputRef> detached;  ///< the existing link picked up from an input
    EdgeItem* preview = nullptr;
    PortItem* hovered = nullptr;
  };

  NodeLook look_for(const std::string& id) const;
  void remove_node_item(const std::string& id);
  void remove_edges_of(NodeItem* item);
  void update_edges_of(NodeItem* item);
  PortItem* port_at(QPointF scene_pos) const;
  void begin_link_drag(PortItem* port);
  void end_link_drag(QPointF scene_pos);
  void clear_hints();
  QString refusal(const PortItem* a, const PortItem* b) const;

  GraphDocument* doc_;
  std::map<std::string, NodeItem*> nodes_;
  /// key: "<node>\n<input>" of the input end.
  QHash<QString, EdgeItem*> edges_;
  std::map<std::string, std::pair<NodeRunState, QString>> run_states_;
  std::optional<LinkDrag> drag_;
  std::map<std::string, QPointF> press_positions_;
  bool syncing_ = false;
  int cards_built_ = 0, cards_refreshed_ = 0;
};

}  // namespace ng::editor
