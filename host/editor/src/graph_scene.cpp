#include "graph_scene.hpp"

#include <QCursor>
#include <QGraphicsSceneMouseEvent>
#include <QToolTip>
#include <QUndoStack>

#include <algorithm>
#include <set>

#include "auto_layout.hpp"
#include "edge_item.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "param_format.hpp"
#include "port_item.hpp"

namespace ng::editor {

namespace {

QString edge_key(const std::string& node, const std::string& input) {
  return QString::fromStdString(node) + QLatin1Char('\n') + QString::fromStdString(input);
}

bool same_ports(const std::vector<NodeLook::Port>& a, const std::vector<NodeLook::Port>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].type != b[i].type || a[i].optional != b[i].optional) return false;
  return true;
}

bool same_look(const NodeLook& a, const NodeLook& b) {
  return a.type_id == b.type_id && a.title == b.title && a.missing_type == b.missing_type &&
         same_ports(a.inputs, b.inputs) && same_ports(a.outputs, b.outputs);
}

}  // namespace

GraphScene::GraphScene(GraphDocument* doc, QObject* parent) : QGraphicsScene(parent), doc_(doc) {
  setSceneRect(-50000, -50000, 100000, 100000);
  setItemIndexMethod(QGraphicsScene::NoIndex);  // items move constantly; graphs are small
  connect(doc_, &GraphDocument::changed, this, &GraphScene::sync);
  connect(doc_, &GraphDocument::reset, this, [this] {
    // Another graph: nothing of the previous one's run stays on the cards (a card with the
    // same id and type is reused, so its badge and note must go explicitly).
    run_states_.clear();
    for (const auto& [id, item] : nodes_) {
      item->set_run_state(NodeRunState::Idle);
      item->set_note({});
    }
  });
  doc_->set_position_provider([this] { return shown_positions(); });
  sync();
}

GraphScene::~GraphScene() { doc_->set_position_provider({}); }

NodeItem* GraphScene::node_item(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second;
}

EdgeItem* GraphScene::edge_into(const std::string& node, const std::string& input) const {
  return edges_.value(edge_key(node, input), nullptr);
}

// ------------------------------------------------------------------------------ sync

NodeLook GraphScene::look_for(const std::string& id) const {
  const host::Graph& g = doc_->graph();
  const host::GraphNode& node = *g.find(id);
  NodeLook look;
  look.id = QString::fromStdString(id);
  look.type_id = QString::fromStdString(node.type);
  if (const host::NodeType* t = doc_->registry().find(node.type)) {
    const ng::NodeSpec& s = t->spec;
    look.title = QString::fromStdString(s.display_name());
    look.category = QString::fromStdString(s.category_name());
    look.description = QString::fromStdString(s.description());
    look.output_node = s.is_output_node();
    for (const auto& p : s.inputs()) {
      if (!p.variadic) {
        look.inputs.push_back({QString::fromStdString(p.name), QString::fromStdString(p.type),
                               QString::fromStdString(p.description), p.optional});
        continue;
      }
      // Any number of links: the connected NAME_k ports and one free one after them.
      int last = 0;
      for (const auto& [port, link] : node.inputs) last = std::max(last, ng::variadic_index(port, p.name));
      for (int k = 1; k <= last + 1; ++k)
        look.inputs.push_back({QString::fromStdString(p.name + "_" + std::to_string(k)), QString::fromStdString(p.type),
                               QString::fromStdString(p.description), true});
    }
    for (const auto& p : s.outputs())
      look.outputs.push_back({QString::fromStdString(p.name), QString::fromStdString(p.type),
                              QString::fromStdString(p.description), false});
    return look;
  }
  // No plugin provides this type: keep the node (and its links) visible with the ports
  // the graph itself mentions, so nothing is lost and the user sees what is missing.
  look.missing_type = true;
  look.title = look.type_id;
  for (const auto& [port, link] : node.inputs) {
    QString type = QStringLiteral("?");
    if (const host::NodeType* src = doc_->node_type(link.node))
      if (const auto* out = src->spec.find_output(link.output)) type = QString::fromStdString(out->type);
    look.inputs.push_back({QString::fromStdString(port), type, {}, false});
  }
  std::set<std::string> outs;
  for (const auto& [other_id, other] : g.nodes)
    for (const auto& [port, link] : other.inputs)
      if (link.node == id && outs.insert(link.output).second) {
        QString type = QStringLiteral("?");
        if (const host::NodeType* dst = doc_->registry().find(other.type))
          if (const auto* in = dst->spec.find_input(port)) type = QString::fromStdString(in->type);
        look.outputs.push_back({QString::fromStdString(link.output), type, {}, false});
      }
  return look;
}

void GraphScene::sync() {
  if (syncing_) return;
  syncing_ = true;
  const host::Graph& g = doc_->graph();

  std::map<std::string, QString> problems;
  for (const auto& p : doc_->problems()) {
    if (p.node.empty()) continue;
    QString& text = problems[p.node];
    if (!text.isEmpty()) text += QLatin1Char('\n');
    text += QString::fromStdString(p.message);
  }
  auto problem_of = [&](const std::string& id) {
    auto it = problems.find(id);
    return it == problems.end() ? QString() : it->second;
  };

  // Which cards to look at: after an edit, undo or redo only those the change touched
  // (host::touched_nodes) and those whose problems changed; after open or new, all.
  std::set<std::string> touched;
  const bool everything = !doc_->last_changes().has_value() || nodes_.empty();
  if (!everything) {
    for (const auto& id : host::touched_nodes(g, *doc_->last_changes())) touched.insert(id);
    for (const auto& [id, item] : nodes_)
      if (item->problem() != problem_of(id)) touched.insert(id);
  }
  auto look_at = [&](const std::string& id) { return everything || touched.count(id) > 0; };

  // Cards: create, recreate when their ports changed, refresh summaries and problems.
  for (const auto& [id, node] : g.nodes) {
    NodeItem* item = node_item(id);
    if (item && !look_at(id)) continue;
    NodeLook look = look_for(id);
    bool was_selected = false;
    if (item && !same_look(item->look(), look)) {
      was_selected = item->isSelected();
      remove_node_item(id);
      item = nullptr;
    }
    if (!item) {
      item = new NodeItem(std::move(look));
      addItem(item);
      nodes_[id] = item;
      item->setSelected(was_selected);
      connect(item, &NodeItem::moved, this, [this, item] { update_edges_of(item); });
      if (auto it = run_states_.find(id); it != run_states_.end())
        item->set_run_state(it->second.first, it->second.second);
      ++cards_built_;
    }
    if (const host::NodeType* t = doc_->node_type(id)) {
      // What the file says, even when invalid (the outline and the inspector say why).
      auto values = doc_->params(id);
      for (auto& [name, value] : values)
        if (auto raw = doc_->raw_param(id, name)) value = *raw;
      item->set_summary(param_summary(t->spec, values));
    }
    item->set_problem(problem_of(id));
    ++cards_refreshed_;
  }
  std::vector<std::string> gone;
  for (const auto& [id, item] : nodes_)
    if (!g.find(id)) gone.push_back(id);
  for (const auto& id : gone) remove_node_item(id);

  // Positions: stored ones, else an automatic layout (computed only when some node needs it).
  bool unplaced = false;
  for (const auto& [id, item] : nodes_) unplaced = unplaced || !doc_->position(id);
  std::map<std::string, host::Point> auto_pos;
  if (unplaced)
    auto_pos = auto_layout(g, [this](const std::string& id) {
      NodeItem* item = node_item(id);
      return item ? item->boundingRect().size() : QSizeF(200, 120);
    });
  std::vector<NodeItem*> moved;
  for (const auto& [id, item] : nodes_) {
    QPointF pos;
    if (auto p = doc_->position(id)) pos = *p;
    else if (auto it = auto_pos.find(id); it != auto_pos.end()) pos = QPointF(it->second.x, it->second.y);
    if (item->pos() != pos) {
      item->setPos(pos);
      moved.push_back(item);
    }
  }

  // Links: one edge per linked input whose ports are drawn.
  QHash<QString, std::pair<PortItem*, PortItem*>> wanted;
  QHash<QString, std::pair<NodeItem*, NodeItem*>> ends;  // edge key -> (from, to) cards
  for (const auto& [id, node] : g.nodes) {
    NodeItem* to = node_item(id);
    for (const auto& [port, link] : node.inputs) {
      NodeItem* from = node_item(link.node);
      PortItem* out = from ? from->output(QString::fromStdString(link.output)) : nullptr;
      PortItem* in = to ? to->input(QString::fromStdString(port)) : nullptr;
      if (out && in) {
        wanted.insert(edge_key(id, port), {out, in});
        ends.insert(edge_key(id, port), {from, to});
      }
    }
  }
  std::set<NodeItem*> reroute(moved.begin(), moved.end());
  for (auto it = edges_.begin(); it != edges_.end();) {
    auto w = wanted.find(it.key());
    if (w == wanted.end() || w->first != it.value()->from() || w->second != it.value()->to()) {
      EdgeItem* gone_edge = it.value();
      it = edges_.erase(it);  // forget it before deleting: deletion can emit selectionChanged
      delete gone_edge;
    } else {
      ++it;
    }
  }
  for (auto it = wanted.begin(); it != wanted.end(); ++it) {
    if (edges_.contains(it.key())) continue;
    auto* edge = new EdgeItem(it->first, it->second);
    addItem(edge);
    edges_.insert(it.key(), edge);
    reroute.insert(ends.value(it.key()).first);  // a card that was rebuilt: both ends re-route
    reroute.insert(ends.value(it.key()).second);
  }
  for (const auto& [id, item] : nodes_) {
    if (!everything && !touched.count(id) && !reroute.count(item)) continue;
    for (auto* p : item->inputs()) p->set_connected(edges_.contains(edge_key(id, p->name().toStdString())));
    update_edges_of(item);
  }
  syncing_ = false;
}

void GraphScene::remove_node_item(const std::string& id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  remove_edges_of(it->second);
  if (drag_ && drag_->anchor && drag_->anchor->node() == it->second) {
    delete drag_->preview;
    drag_.reset();
  }
  NodeItem* item = it->second;
  nodes_.erase(it);  // forget it before deleting: deletion can emit selectionChanged
  delete item;
}

void GraphScene::remove_edges_of(NodeItem* item) {
  for (auto it = edges_.begin(); it != edges_.end();) {
    EdgeItem* e = it.value();
    if (e->from()->node() == item || e->to()->node() == item) {
      it = edges_.erase(it);
      delete e;
    } else {
      ++it;
    }
  }
}

void GraphScene::update_edges_of(NodeItem* item) {
  for (EdgeItem* e : std::as_const(edges_))
    if (e->from()->node() == item || e->to()->node() == item) e->update_path();
  if (drag_ && drag_->anchor && drag_->anchor->node() == item && drag_->preview) drag_->preview->update_path();
}

// ------------------------------------------------------------------------------ queries

std::vector<std::string> GraphScene::selected_nodes() const {
  std::vector<std::string> out;
  for (const auto& [id, node] : doc_->graph().nodes)
    if (NodeItem* item = node_item(id); item && item->isSelected()) out.push_back(id);
  return out;
}

std::vector<InputRef> GraphScene::selected_links() const {
  std::vector<InputRef> out;
  for (auto it = edges_.begin(); it != edges_.end(); ++it)
    if (it.value()->isSelected())
      out.push_back({it.value()->to()->node()->id().toStdString(), it.value()->to()->name().toStdString()});
  return out;
}

void GraphScene::select_nodes(const std::vector<std::string>& ids) {
  clearSelection();
  for (const auto& id : ids)
    if (NodeItem* item = node_item(id)) item->setSelected(true);
}

std::map<std::string, host::Point> GraphScene::shown_positions() const {
  std::map<std::string, host::Point> out;
  for (const auto& [id, item] : nodes_) out[id] = {item->pos().x(), item->pos().y()};
  return out;
}

QRectF GraphScene::nodes_rect() const {
  QRectF r;
  for (const auto& [id, item] : nodes_) r = r.united(item->sceneBoundingRect());
  return r;
}

// ------------------------------------------------------------------------------ run state

void GraphScene::set_run_state(const std::string& node, NodeRunState state, const QString& message) {
  run_states_[node] = {state, message};
  if (NodeItem* item = node_item(node)) item->set_run_state(state, message);
}

void GraphScene::set_progress(const std::string& node, double fraction) {
  if (NodeItem* item = node_item(node)) item->set_progress(fraction);
}

void GraphScene::clear_run_states() {
  run_states_.clear();
  for (const auto& [id, item] : nodes_) item->set_run_state(NodeRunState::Idle);
}

void GraphScene::clear_failed_states() {
  for (auto it = run_states_.begin(); it != run_states_.end();) {
    if (it->second.first == NodeRunState::Failed) {
      if (NodeItem* item = node_item(it->first)) item->set_run_state(NodeRunState::Idle);
      it = run_states_.erase(it);
    } else {
      ++it;
    }
  }
}

void GraphScene::finish_run_states() {
  for (auto it = run_states_.begin(); it != run_states_.end();) {
    if (it->second.first == NodeRunState::Queued || it->second.first == NodeRunState::Running) {
      if (NodeItem* item = node_item(it->first)) item->set_run_state(NodeRunState::Idle);
      it = run_states_.erase(it);
    } else {
      ++it;
    }
  }
}

NodeRunState GraphScene::run_state(const std::string& node) const {
  auto it = run_states_.find(node);
  return it == run_states_.end() ? NodeRunState::Idle : it->second.first;
}

// ------------------------------------------------------------------------------ gestures

PortItem* GraphScene::port_at(QPointF scene_pos) const {
  for (QGraphicsItem* item : items(scene_pos))
    if (item->type() == PortItem::Type) return static_cast<PortItem*>(item);
  return nullptr;
}

QString GraphScene::refusal(const PortItem* a, const PortItem* b) const {
  if (a->is_input() == b->is_input())
    return a->is_input() ? tr("Both ends are inputs: link an output to an input.")
                         : tr("Both ends are outputs: link an output to an input.");
  const PortItem* out = a->is_input() ? b : a;
  const PortItem* in = a->is_input() ? a : b;
  return doc_->link_refusal(out->node()->id().toStdString(), out->name().toStdString(),
                            in->node()->id().toStdString(), in->name().toStdString());
}

void GraphScene::begin_link_drag(PortItem* port) {
  LinkDrag d;
  d.anchor = port;
  if (port->is_input()) {
    // Dragging out of a connected input picks its link up (to move or drop it).
    if (EdgeItem* e = edge_into(port->node()->id().toStdString(), port->name().toStdString())) {
      d.detached = InputRef{port->node()->id().toStdString(), port->name().toStdString()};
      d.anchor = e->from();
      e->hide();
    }
  }
  d.preview = d.anchor->is_input() ? new EdgeItem(nullptr, d.anchor) : new EdgeItem(d.anchor, nullptr);
  addItem(d.preview);
  drag_ = d;
  for (const auto& [id, item] : nodes_) {
    const auto& candidates = drag_->anchor->is_input() ? item->outputs() : item->inputs();
    for (PortItem* p : candidates)
      p->set_hint(refusal(drag_->anchor, p).isEmpty() ? PortItem::Hint::Compatible : PortItem::Hint::Incompatible);
  }
}

void GraphScene::clear_hints() {
  for (const auto& [id, item] : nodes_) {
    for (PortItem* p : item->inputs()) p->set_hint(PortItem::Hint::None);
    for (PortItem* p : item->outputs()) p->set_hint(PortItem::Hint::None);
  }
}

void GraphScene::end_link_drag(QPointF scene_pos) {
  LinkDrag d = *drag_;
  drag_.reset();
  delete d.preview;
  clear_hints();
  if (d.detached)
    if (EdgeItem* e = edge_into(d.detached->node, d.detached->input)) e->show();

  PortItem* target = port_at(scene_pos);
  if (!target) {
    if (d.detached) {
      doc_->disconnect_input(d.detached->node, d.detached->input);
    } else {
      Q_EMIT add_node_requested(scene_pos, d.anchor->node()->id(), d.anchor->name(), !d.anchor->is_input(),
                                d.anchor->port_type());
    }
    return;
  }
  if (target == d.anchor) return;
  if (d.detached && target->is_input() && target->node()->id().toStdString() == d.detached->node &&
      target->name().toStdString() == d.detached->input)
    return;  // put back where it was
  const QString why = refusal(d.anchor, target);
  if (!why.isEmpty()) {
    QToolTip::showText(QCursor::pos(), why);
    Q_EMIT status_message(why);
    return;
  }
  const PortItem* out = d.anchor->is_input() ? target : d.anchor;
  const PortItem* in = d.anchor->is_input() ? d.anchor : target;
  if (d.detached) doc_->undo_stack()->beginMacro(tr("Move link"));
  if (d.detached) doc_->disconnect_input(d.detached->node, d.detached->input);
  doc_->connect_ports(out->node()->id().toStdString(), out->name().toStdString(), in->node()->id().toStdString(),
                      in->name().toStdString());
  if (d.detached) doc_->undo_stack()->endMacro();
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* event) {
  if (event->button() == Qt::LeftButton && !drag_) {
    if (PortItem* port = port_at(event->scenePos())) {
      begin_link_drag(port);
      drag_->preview->set_loose_end(event->scenePos());
      event->accept();
      return;
    }
  }
  QGraphicsScene::mousePressEvent(event);
  press_positions_.clear();
  if (event->button() == Qt::LeftButton)
    for (const auto& [id, item] : nodes_)
      if (item->isSelected()) press_positions_[id] = item->pos();
}

void GraphScene::mouseMoveEvent(QGraphicsSceneMouseEvent* event) {
  if (drag_) {
    PortItem* over = port_at(event->scenePos());
    QPointF end = event->scenePos();
    QString why;
    if (over && over != drag_->anchor) {
      why = refusal(drag_->anchor, over);
      if (why.isEmpty()) end = over->anchor();  // snap onto a port that accepts the link
    }
    drag_->preview->set_loose_end(end);
    drag_->preview->set_refused(!why.isEmpty());
    if (over != drag_->hovered) {
      drag_->hovered = over;
      if (!why.isEmpty()) Q_EMIT status_message(why);
    }
    event->accept();
    return;
  }
  QGraphicsScene::mouseMoveEvent(event);
}

void GraphScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
  if (drag_ && event->button() == Qt::LeftButton) {
    end_link_drag(event->scenePos());
    event->accept();
    return;
  }
  QGraphicsScene::mouseReleaseEvent(event);
  if (event->button() != Qt::LeftButton || press_positions_.empty()) return;
  std::map<std::string, QPointF> moved;
  for (const auto& [id, before] : press_positions_)
    if (NodeItem* item = node_item(id); item && item->pos() != before) moved[id] = item->pos();
  press_positions_.clear();
  if (!moved.empty()) {
    doc_->move_nodes(moved, moved.size() == 1 ? tr("Move %1").arg(QString::fromStdString(moved.begin()->first))
                                               : tr("Move %1 nodes").arg(moved.size()));
    sync();  // snap to the stored (rounded) positions even if nothing changed
  }
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) {
  if (event->button() == Qt::LeftButton && !itemAt(event->scenePos(), QTransform())) {
    Q_EMIT add_node_requested(event->scenePos(), {}, {}, false, {});
    event->accept();
    return;
  }
  QGraphicsScene::mouseDoubleClickEvent(event);
}

}  // namespace ng::editor
