#include "graph_document.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "noisegraph/host/executor.hpp"
#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "noisegraph/host/validate.hpp"
#include "seed_modes.hpp"

namespace ng::editor {

namespace fs = std::filesystem;

namespace {

host::Point rounded(QPointF p) { return {std::round(p.x()), std::round(p.y())}; }

std::string yaml_of(const host::Graph& g) {
  try {
    return host::to_yaml(g);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

GraphDocument::GraphDocument(const host::PluginRegistry& registry, QObject* parent)
    : QObject(parent), registry_(registry), undo_(new QUndoStack(this)) {
  undo_->setUndoLimit(1000);
  QObject::connect(undo_, &QUndoStack::cleanChanged, this, [this] { Q_EMIT file_state_changed(); });
  revalidate();
}

GraphDocument::~GraphDocument() {
  // The stack's commands point back here; drop them before our members go, quietly (the
  // views listening to the stack may already be half destroyed).
  undo_->blockSignals(true);
  undo_->clear();
}

// ------------------------------------------------------------------------------ files

QString GraphDocument::graph_dir() const {
  if (!file_path_.isEmpty()) return QFileInfo(file_path_).absolutePath();
  return base_dir_;
}

bool GraphDocument::is_modified() const { return !undo_->isClean(); }

QString GraphDocument::display_name() const {
  return file_path_.isEmpty() ? tr("Untitled") : QFileInfo(file_path_).fileName();
}

void GraphDocument::new_graph() {
  base_dir_.clear();
  load(host::Graph{}, {}, {});
}

void GraphDocument::load(host::Graph graph, const QString& path, std::string original_text) {
  undo_->clear();
  graph_ = std::move(graph);
  file_path_ = path;
  original_text_ = std::move(original_text);
  from_png_ = false;
  if (!path.isEmpty()) base_dir_.clear();
  revalidate();
  Q_EMIT reset();
  Q_EMIT changed();
  Q_EMIT file_state_changed();
}

bool GraphDocument::open(const QString& path, QString* error) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  try {
    host::Graph g = host::load_graph(absolute.toStdString());
    std::ifstream f(absolute.toStdString(), std::ios::binary);
    std::stringstream text;
    text << f.rdbuf();
    load(std::move(g), absolute, text.str());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

bool GraphDocument::open_text(const std::string& yaml, const QString& origin, const QString& base_dir,
                              QString* error) {
  try {
    host::Graph g = host::load_graph_from_string(yaml, origin.toStdString());
    // Untitled: Save asks for a name instead of overwriting the image.
    g.source_file = QDir(base_dir).filePath(QStringLiteral("untitled.yaml")).toStdString();
    base_dir_ = base_dir;
    load(std::move(g), {}, yaml);
    base_dir_ = base_dir;
    from_png_ = true;
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

bool GraphDocument::save(QString* error) {
  if (file_path_.isEmpty()) {
    if (error) *error = tr("The graph has no file name yet; use Save As.");
    return false;
  }
  return save_as(file_path_, error);
}

namespace {

// True when relative path `p` names a file in one of the model folders (how a run finds
// a path that is not next to the graph, see ng::Context::resolve).
bool found_in_model_folders(const fs::path& p) {
  std::error_code ec;
  for (const auto& dir : host::default_model_search_path())
    if (fs::exists(dir / p, ec)) return true;
  return false;
}

// The relative path `value` written for a graph in `from`, rewritten for a graph in `to`
// so that it names the same file; nullopt when it stays as is. A path that does not exist
// next to the old graph stays as written when it is a bare name or found in the model
// folders (a model-search-path lookup either way), or when `from` is only a guess (a graph
// read from a PNG: its paths are relative to the original graph's folder, which is
// unknown, so inventing a folder for them would only break them).
std::optional<std::string> rebased_path(const std::string& value, const fs::path& from, const fs::path& to,
                                        bool from_is_guess) {
  const fs::path p(value);
  if (value.empty() || p.is_absolute()) return std::nullopt;
  std::error_code ec;
  const fs::path target = (from / p).lexically_normal();
  if (!fs::exists(target, ec) && (from_is_guess || !p.has_parent_path() || found_in_model_folders(p)))
    return std::nullopt;
  const fs::path moved = target.lexically_relative(to);
  const std::string text = moved.empty() ? target.string() : moved.generic_string();
  if (text == value) return std::nullopt;
  return text;
}

}  // namespace

int GraphDocument::rebase_path_params(host::Graph& g, const QString& from, const QString& to) const {
  if (from.isEmpty() || QDir(from) == QDir(to)) return 0;
  const fs::path old_dir = QDir(from).absolutePath().toStdString(), new_dir = QDir(to).absolutePath().toStdString();
  int changed = 0;
  for (auto& [id, node] : g.nodes) {
    const host::NodeType* t = registry_.find(node.type);
    if (!t) continue;
    for (auto& [name, value] : node.params) {
      const ng::ParamSpec* spec = t->spec.find_param(name);
      // Write paths are inside the output folder, wherever the graph lives: never rebased.
      if (!spec || spec->kind != ng::ParamKind::Path || spec->writes()) continue;
      if (auto text = rebased_path(value.text, old_dir, new_dir, from_png_)) {
        value = host::Scalar::from(ng::ParamValue(*text));
        ++changed;
      }
    }
  }
  return changed;
}

bool GraphDocument::save_as(const QString& path, QString* error) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  // Relative file paths keep naming the same files when the graph moves to another folder.
  host::Graph rebased = graph_;
  const bool paths_moved = rebase_path_params(rebased, graph_dir(), QFileInfo(absolute).absolutePath()) > 0;
  try {
    if (paths_moved) {
      rebased.source_file = absolute.toStdString();
      host::save_graph(rebased, rebased.source_file);
      original_text_ = host::to_yaml(rebased);
      graph_.nodes = rebased.nodes;
    } else if (!is_modified() && !original_text_.empty()) {
      // Unedited: write exactly what was read (comments and formatting included).
      QSaveFile f(absolute);
      if (!f.open(QIODevice::WriteOnly) ||
          f.write(original_text_.data(), qint64(original_text_.size())) != qint64(original_text_.size()) ||
          !f.commit()) {
        throw std::runtime_error("cannot save graph: " + f.errorString().toStdString());
      }
    } else {
      host::Graph copy = graph_;
      copy.source_file = absolute.toStdString();
      host::save_graph(copy, copy.source_file);
      original_text_ = host::to_yaml(copy);
    }
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  graph_.source_file = absolute.toStdString();
  file_path_ = absolute;
  base_dir_.clear();
  from_png_ = false;
  undo_->setClean();
  if (paths_moved) {
    revalidate();
    Q_EMIT changed();
  }
  Q_EMIT file_state_changed();
  return true;
}

// ------------------------------------------------------------------------------ edits

bool GraphDocument::edit(const QString& label, const std::function<void(host::Graph&)>& fn,
                         const std::string& merge_key) {
  host::Graph work = graph_;
  try {
    fn(work);
  } catch (const std::exception&) {
    return false;
  }
  if (yaml_of(work) == yaml_of(graph_)) return false;
  // Pin auto-laid-out nodes where they are shown, so the layout never jumps after an edit.
  if (position_provider_) {
    bool missing = false;
    for (const auto& [id, node] : work.nodes) missing = missing || !work.editor.positions.contains(id);
    if (missing) {
      const auto shown = position_provider_();
      for (const auto& [id, node] : work.nodes) {
        if (work.editor.positions.contains(id)) continue;
        if (auto it = shown.find(id); it != shown.end()) work.editor.positions.set(id, it->second);
      }
    }
  }
  undo_->push(new GraphEditCommand(this, label, state(), {work.nodes, work.editor}, merge_key));
  return true;
}

void GraphDocument::restore(const GraphState& s) {
  graph_.nodes = s.nodes;
  graph_.editor = s.editor;
  revalidate();
  Q_EMIT changed();
}

std::string GraphDocument::add_node(const std::string& type, QPointF pos, const std::string& preferred_id) {
  const host::NodeType* t = registry_.find(type);
  if (!t) return {};
  std::string id;
  edit(tr("Add %1").arg(QString::fromStdString(t->spec.display_name())), [&](host::Graph& g) {
    id = g.add_node(type, t->spec.version(), preferred_id).id;
    g.editor.positions.set(id, rounded(pos));
  });
  return id;
}

std::string GraphDocument::add_node_connected(const std::string& type, QPointF pos, const std::string& node,
                                              const std::string& port, bool from_output) {
  const host::NodeType* t = registry_.find(type);
  const host::NodeType* other = node_type(node);
  if (!t || !other) return {};
  const ng::PortSpec* existing = from_output ? other->spec.find_output(port) : other->spec.find_input(port);
  if (!existing) return {};
  std::string new_port;
  if (from_output) {
    for (const auto& in : t->spec.inputs())
      if (host::port_accepts(in.type, existing->type)) { new_port = in.name; break; }
  } else {
    for (const auto& out : t->spec.outputs())
      if (host::port_accepts(existing->type, out.type)) { new_port = out.name; break; }
  }
  if (new_port.empty()) return {};
  std::string id;
  edit(tr("Add %1").arg(QString::fromStdString(t->spec.display_name())), [&](host::Graph& g) {
    id = g.add_node(type, t->spec.version()).id;
    g.editor.positions.set(id, rounded(pos));
    if (from_output) g.connect(node, port, id, new_port);
    else g.connect(id, new_port, node, port);
  });
  return id;
}

bool GraphDocument::connect_ports(const std::string& from, const std::string& output, const std::string& to,
                                  const std::string& input, QString* why) {
  const QString refusal = link_refusal(from, output, to, input);
  if (!refusal.isEmpty()) {
    if (why) *why = refusal;
    return false;
  }
  return edit(tr("Connect %1.%2 → %3.%4")
                  .arg(QString::fromStdString(from), QString::fromStdString(output), QString::fromStdString(to),
                       QString::fromStdString(input)),
              [&](host::Graph& g) { g.connect(from, output, to, input); });
}

bool GraphDocument::disconnect_input(const std::string& node, const std::string& input) {
  return edit(tr("Disconnect %1.%2").arg(QString::fromStdString(node), QString::fromStdString(input)),
              [&](host::Graph& g) { g.disconnect(node, input); });
}

bool GraphDocument::remove(const std::vector<std::string>& nodes, const std::vector<InputRef>& links) {
  QString label = nodes.empty() ? tr("Delete link") : nodes.size() == 1 ? tr("Delete %1").arg(QString::fromStdString(nodes[0]))
                                                                         : tr("Delete %1 nodes").arg(nodes.size());
  return edit(label, [&](host::Graph& g) {
    for (const auto& l : links) g.disconnect(l.node, l.input);
    for (const auto& n : nodes) g.remove_node(n);
    // Seed modes of deleted nodes would linger in the file: drop them too.
    auto modes = read_seed_modes(g.editor.extra_yaml);
    bool pruned = false;
    for (auto it = modes.begin(); it != modes.end();) {
      const std::string owner = it->first.substr(0, it->first.find('.'));
      if (!g.nodes.contains(owner)) { it = modes.erase(it); pruned = true; }
      else ++it;
    }
    if (pruned) g.editor.extra_yaml = write_seed_modes(g.editor.extra_yaml, modes);
  });
}

bool GraphDocument::set_param(const std::string& node, const std::string& name, const ng::ParamValue& value) {
  return edit(tr("Set %1.%2").arg(QString::fromStdString(node), QString::fromStdString(name)),
              [&](host::Graph& g) { g.set_param(node, name, value); }, "param:" + node + "." + name);
}

bool GraphDocument::reset_param(const std::string& node, const std::string& name) {
  return edit(tr("Reset %1.%2").arg(QString::fromStdString(node), QString::fromStdString(name)),
              [&](host::Graph& g) { g.reset_param(node, name); });
}

bool GraphDocument::rename_node(const std::string& from, const std::string& to, QString* why) {
  if (!host::Graph::is_valid_id(to)) {
    if (why) *why = tr("'%1' is not a valid node id: use letters, digits, '_' and '-'.").arg(QString::fromStdString(to));
    return false;
  }
  if (graph_.find(to)) {
    if (why) *why = tr("A node named '%1' already exists.").arg(QString::fromStdString(to));
    return false;
  }
  return edit(tr("Rename %1 to %2").arg(QString::fromStdString(from), QString::fromStdString(to)), [&](host::Graph& g) {
    if (!g.rename(from, to)) throw std::invalid_argument("rename refused");
    auto modes = read_seed_modes(g.editor.extra_yaml);
    std::map<std::string, std::string> renamed;
    for (const auto& [k, v] : modes) {
      const auto dot = k.find('.');
      renamed[k.substr(0, dot) == from ? to + k.substr(dot) : k] = v;
    }
    if (renamed != modes) g.editor.extra_yaml = write_seed_modes(g.editor.extra_yaml, renamed);
  });
}

bool GraphDocument::move_nodes(const std::map<std::string, QPointF>& positions, const QString& label) {
  return edit(label.isEmpty() ? tr("Move") : label, [&](host::Graph& g) {
    for (const auto& [id, p] : positions)
      if (g.nodes.contains(id)) g.editor.positions.set(id, rounded(p));
  });
}

std::vector<std::string> GraphDocument::paste_fragment(const std::string& yaml, QPointF anchor, bool keep_outside_links,
                                                       QString* error) {
  host::Graph frag;
  try {
    frag = host::load_graph_from_string(yaml, "<clipboard>");
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return {};
  }
  if (frag.nodes.empty()) return {};
  // Top-left of the fragment's stored positions; unplaced nodes go in a diagonal run.
  double left = 1e300, top = 1e300;
  for (const auto& [id, p] : frag.editor.positions) { left = std::min(left, p.x); top = std::min(top, p.y); }
  if (left > 1e299) left = top = 0;

  std::vector<std::string> added;
  edit(frag.nodes.size() == 1 ? tr("Paste node") : tr("Paste %1 nodes").arg(frag.nodes.size()), [&](host::Graph& g) {
    added.clear();
    std::map<std::string, std::string> new_id;
    for (const auto& [id, node] : frag.nodes) {
      new_id[id] = g.unique_id(id);
      g.nodes.set(new_id[id], host::GraphNode{});  // reserve the id for the next unique_id()
    }
    int unplaced = 0;
    for (const auto& [id, node] : frag.nodes) {
      host::GraphNode copy;
      copy.id = new_id[id];
      copy.type = node.type;
      copy.version = node.version;
      for (auto [name, value] : node.params) {
        value.location = {};
        copy.params.set(name, value);
      }
      for (const auto& [port, link] : node.inputs) {
        host::Link l;
        l.output = link.output;
        if (auto it = new_id.find(link.node); it != new_id.end()) l.node = it->second;
        else if (keep_outside_links && g.nodes.contains(link.node)) l.node = link.node;
        else continue;
        copy.inputs.set(port, l);
      }
      g.nodes.set(copy.id, copy);
      QPointF offset(unplaced * 30.0, unplaced * 30.0);
      if (const auto* p = frag.editor.positions.find(id)) offset = QPointF(p->x - left, p->y - top);
      else ++unplaced;
      g.editor.positions.set(copy.id, rounded(anchor + offset));
      added.push_back(copy.id);
    }
    auto modes = read_seed_modes(g.editor.extra_yaml);
    const auto before = modes;
    for (const auto& [k, v] : read_seed_modes(frag.editor.extra_yaml)) {
      const auto dot = k.find('.');
      if (auto it = new_id.find(k.substr(0, dot)); it != new_id.end()) modes[it->second + k.substr(dot)] = v;
    }
    if (modes != before) g.editor.extra_yaml = write_seed_modes(g.editor.extra_yaml, modes);
  });
  return added;
}

std::string GraphDocument::copy_fragment(const std::vector<std::string>& nodes) const {
  host::Graph frag;
  const auto shown = position_provider_ ? position_provider_() : std::map<std::string, host::Point>{};
  std::map<std::string, std::string> modes;
  const auto all_modes = read_seed_modes(graph_.editor.extra_yaml);
  for (const auto& [id, node] : graph_.nodes) {
    if (std::find(nodes.begin(), nodes.end(), id) == nodes.end()) continue;
    frag.nodes.set(id, node);
    if (const auto* p = graph_.editor.positions.find(id)) frag.editor.positions.set(id, *p);
    else if (auto it = shown.find(id); it != shown.end()) frag.editor.positions.set(id, it->second);
    for (const auto& [k, v] : all_modes)
      if (k.substr(0, k.find('.')) == id) modes[k] = v;
  }
  frag.editor.extra_yaml = write_seed_modes({}, modes);
  return yaml_of(frag);
}

SeedMode GraphDocument::seed_mode(const std::string& node, const std::string& param) const {
  const auto modes = read_seed_modes(graph_.editor.extra_yaml);
  auto it = modes.find(node + "." + param);
  return it == modes.end() ? SeedMode::Fixed : seed_mode_from_name(QString::fromStdString(it->second));
}

bool GraphDocument::set_seed_mode(const std::string& node, const std::string& param, SeedMode mode) {
  return edit(tr("Seed mode of %1.%2").arg(QString::fromStdString(node), QString::fromStdString(param)),
              [&](host::Graph& g) {
                auto modes = read_seed_modes(g.editor.extra_yaml);
                if (mode == SeedMode::Fixed) modes.erase(node + "." + param);
                else modes[node + "." + param] = seed_mode_name(mode).toStdString();
                g.editor.extra_yaml = write_seed_modes(g.editor.extra_yaml, modes);
              });
}

bool GraphDocument::advance_seeds() {
  const auto modes = read_seed_modes(graph_.editor.extra_yaml);
  if (modes.empty()) return false;
  return edit(tr("Seeds after run"), [&](host::Graph& g) {
    for (const auto& [key, mode_name] : modes) {
      const auto dot = key.find('.');
      const std::string node = key.substr(0, dot), param = key.substr(dot + 1);
      const host::NodeType* t = node_type(node);
      const ng::ParamSpec* spec = t ? t->spec.find_param(param) : nullptr;
      if (!spec || spec->kind != ng::ParamKind::Seed) continue;
      const auto values = params(node);
      const int64_t current = std::get<int64_t>(values.at(param));
      const SeedMode mode = seed_mode_from_name(QString::fromStdString(mode_name));
      if (mode == SeedMode::Increment) g.set_param(node, param, ng::ParamValue(current + 1));
      else if (mode == SeedMode::Random) g.set_param(node, param, ng::ParamValue(SeedEditor::random_seed()));
    }
  });
}

// ------------------------------------------------------------------------------ queries

const host::NodeType* GraphDocument::node_type(const std::string& node) const {
  const host::GraphNode* n = graph_.find(node);
  return n ? registry_.find(n->type) : nullptr;
}

std::map<std::string, ng::ParamValue> GraphDocument::params(const std::string& node) const {
  const host::GraphNode* n = graph_.find(node);
  const host::NodeType* t = node_type(node);
  if (!n || !t) return {};
  return host::resolve_params(*n, t->spec, graph_.source_file.string());
}

QString GraphDocument::param_problem(const std::string& node, const std::string& name) const {
  const host::GraphNode* n = graph_.find(node);
  const host::NodeType* t = node_type(node);
  if (!n || !t) return {};
  const host::Scalar* value = n->params.find(name);
  const ng::ParamSpec* spec = t->spec.find_param(name);
  if (!value || !spec) return {};
  host::Problem p;
  if (host::parse_param(*value, *spec, &p)) return {};
  QString text = QString::fromStdString(p.message);
  if (!p.hint.empty()) text += QStringLiteral(" (") + QString::fromStdString(p.hint) + QStringLiteral(")");
  return text;
}

std::optional<ng::ParamValue> GraphDocument::raw_param(const std::string& node, const std::string& name) const {
  const host::GraphNode* n = graph_.find(node);
  const host::NodeType* t = node_type(node);
  if (!n || !t) return std::nullopt;
  const host::Scalar* value = n->params.find(name);
  const ng::ParamSpec* spec = t->spec.find_param(name);
  if (!value || !spec) return std::nullopt;
  // Same kind without range or choices: reads what the file says even when invalid.
  ng::ParamSpec relaxed = *spec;
  relaxed.min.reset();
  relaxed.max.reset();
  if (relaxed.kind == ng::ParamKind::Enum) relaxed.kind = ng::ParamKind::String;
  return host::parse_param(*value, relaxed);
}

QString GraphDocument::link_refusal(const std::string& from, const std::string& output, const std::string& to,
                                    const std::string& input) const {
  auto q = [](const std::string& s) { return QString::fromStdString(s); };
  if (!graph_.find(from)) return tr("There is no node '%1'.").arg(q(from));
  if (!graph_.find(to)) return tr("There is no node '%1'.").arg(q(to));
  if (from == to) return tr("A node cannot feed its own input.");
  const host::NodeType* ft = node_type(from);
  const host::NodeType* tt = node_type(to);
  if (!ft) return tr("'%1' has type '%2', which no loaded plugin provides, so its ports are unknown.")
                   .arg(q(from), q(graph_.find(from)->type));
  if (!tt) return tr("'%1' has type '%2', which no loaded plugin provides, so its ports are unknown.")
                   .arg(q(to), q(graph_.find(to)->type));
  const ng::PortSpec* out = ft->spec.find_output(output);
  const ng::PortSpec* in = tt->spec.find_input(input);
  if (!out) return tr("'%1' has no output '%2'.").arg(q(from), q(output));
  if (!in) return tr("'%1' has no input '%2'.").arg(q(to), q(input));
  if (!host::port_accepts(in->type, out->type))
    return tr("Cannot connect %1.%2 (%3) to %4.%5 (%6): the input takes %6, the output gives %3.")
        .arg(q(from), q(output), q(out->type), q(to), q(input), q(in->type));
  try {
    const auto upstream = host::upstream_order(graph_, {from});
    if (std::find(upstream.begin(), upstream.end(), to) != upstream.end())
      return tr("Cannot connect %1 to %2: %1 already depends on %2, so the link would make a cycle.").arg(q(from), q(to));
  } catch (const std::exception&) {
    // The graph already has a cycle elsewhere; validation reports it.
  }
  return {};
}

std::optional<QPointF> GraphDocument::position(const std::string& node) const {
  if (const auto* p = graph_.editor.positions.find(node)) return QPointF(p->x, p->y);
  return std::nullopt;
}

void GraphDocument::revalidate() {
  try {
    problems_ = host::validate(graph_, registry_);
  } catch (const std::exception& e) {
    problems_ = {host::Problem{graph_.source_file.string(), 0, 0, {}, "internal", e.what(), {}}};
  }
  // The executor refuses a graph without an output node (nothing would run); say so
  // before the user presses Run instead of promising that the graph can run.
  if (graph_.nodes.empty()) return;
  for (const auto& [id, node] : graph_.nodes) {
    const host::NodeType* t = registry_.find(node.type);
    if (!t || t->spec.is_output_node()) return;  // an unknown type is already a problem
  }
  problems_.push_back({graph_.source_file.string(), 0, 0, {}, "no_output_node",
                       tr("The graph has no output node, so nothing would run.").toStdString(),
                       tr("add a node that writes a result, e.g. Save image (image.save)").toStdString()});
}

}  // namespace ng::editor
