#include "graph_document.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
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
#include "noisegraph/io/atomic_write.hpp"
#include "noisegraph/host/graph_edit.hpp"

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
  last_changes_.reset();  // a new graph: everything
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

int GraphDocument::rebase_path_params(host::Graph& g, const QString& from, const QString& to) const {
  if (from.isEmpty()) return 0;
  return host::rebase_read_paths(g, registry_, QDir(from).absolutePath().toStdString(),
                                 QDir(to).absolutePath().toStdString(), from_png_);
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
      ng::io::write_file_atomic(fs::path(QFile::encodeName(absolute).toStdString()), original_text_);
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
    last_changes_.reset();
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
  if (host::diff_graphs(graph_, work).empty()) return false;
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
  undo_->push(new GraphEditCommand(this, label, state(), {work.nodes, work.editor, work.inputs}, merge_key));
  return true;
}

void GraphDocument::restore(const GraphState& s) {
  host::Graph after = graph_;
  after.nodes = s.nodes;
  after.editor = s.editor;
  after.inputs = s.inputs;
  last_changes_ = host::diff_graphs(graph_, after);
  graph_.nodes = s.nodes;
  graph_.editor = s.editor;
  graph_.inputs = s.inputs;
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
      if (host::port_accepts(in.type, existing->type)) {
        new_port = in.variadic ? in.name + "_1" : in.name;
        break;
      }
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
    for (const auto& n : nodes) g.remove_node(n);  // also drops their seed modes and input targets
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
    if (!g.rename(from, to)) throw std::invalid_argument("rename refused");  // links, inputs, seed modes follow
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
  std::vector<std::string> added;
  edit(frag.nodes.size() == 1 ? tr("Paste node") : tr("Paste %1 nodes").arg(frag.nodes.size()), [&](host::Graph& g) {
    const auto new_ids = host::merge_fragment(g, frag, rounded(anchor), keep_outside_links);
    added.clear();
    for (const auto& [id, node] : frag.nodes) added.push_back(new_ids.at(id));
  });
  return added;
}

std::string GraphDocument::copy_fragment(const std::vector<std::string>& nodes) const {
  const auto shown = position_provider_ ? position_provider_() : std::map<std::string, host::Point>{};
  return yaml_of(host::extract_fragment(graph_, nodes, shown));
}

SeedMode GraphDocument::seed_mode(const std::string& node, const std::string& param) const {
  const auto& modes = graph_.editor.seed_modes;
  auto it = modes.find(node);
  if (it == modes.end()) return SeedMode::Fixed;
  auto p = it->second.find(param);
  return p == it->second.end() ? SeedMode::Fixed : p->second;
}

bool GraphDocument::set_seed_mode(const std::string& node, const std::string& param, SeedMode mode) {
  return edit(tr("Seed mode of %1.%2").arg(QString::fromStdString(node), QString::fromStdString(param)),
              [&](host::Graph& g) {
                auto& modes = g.editor.seed_modes;
                if (mode != SeedMode::Fixed) {
                  modes[node][param] = mode;
                } else if (auto it = modes.find(node); it != modes.end()) {
                  it->second.erase(param);
                  if (it->second.empty()) modes.erase(it);
                }
              });
}

bool GraphDocument::advance_seeds() {
  const auto modes = graph_.editor.seed_modes;
  if (modes.empty()) return false;
  auto has_mode = [&](const std::string& node, const std::string& param) {
    auto it = modes.find(node);
    return it != modes.end() && it->second.count(param) > 0;
  };
  return edit(tr("Seeds after run"), [&](host::Graph& g) {
    for (const auto& [node, by_param] : modes) {
      const host::NodeType* t = node_type(node);
      for (const auto& [param, mode] : by_param) {
        const ng::ParamSpec* spec = t ? t->spec.find_param(param) : nullptr;
        if (!spec || spec->kind != ng::ParamKind::Seed) continue;
        const uint64_t current = std::get<uint64_t>(params(node).at(param));  // wraps at 2^64, as ComfyUI
        if (mode == SeedMode::Increment) g.set_param(node, param, ng::ParamValue(uint64_t(current + 1)));
        else if (mode == SeedMode::Random) g.set_param(node, param, ng::ParamValue(SeedEditor::random_seed()));
      }
    }
    // An input's value is its first target's: keep the others equal to it.
    for (const auto& [name, input] : g.inputs) {
      if (input.to.empty()) continue;
      const auto& first = input.to.front();
      if (!has_mode(first.node, first.param)) continue;
      if (const host::GraphNode* n = g.find(first.node); n && n->params.contains(first.param))
        g.set_input(name, n->params.at(first.param));
    }
  });
}

// ------------------------------------------------------------------------------ graph inputs

bool GraphDocument::set_input(const std::string& name, const ng::ParamValue& value) {
  return edit(tr("Set input %1").arg(QString::fromStdString(name)),
              [&](host::Graph& g) { g.set_input(name, host::Scalar::from(value)); }, "input:" + name);
}

std::string GraphDocument::expose_param(const std::string& node, const std::string& param) {
  const host::NodeType* t = node_type(node);
  if (!t || !t->spec.find_param(param)) return {};
  std::string name = param;
  for (int n = 2; graph_.inputs.contains(name); ++n) name = param + "_" + std::to_string(n);
  host::GraphInput input;
  input.name = name;
  input.to.push_back({node, param, {}});
  const bool done = edit(tr("Expose %1.%2 as input %3")
                             .arg(QString::fromStdString(node), QString::fromStdString(param), QString::fromStdString(name)),
                         [&](host::Graph& g) { g.inputs.set(name, input); });
  return done ? name : std::string();
}

bool GraphDocument::unexpose_param(const std::string& node, const std::string& param) {
  if (inputs_targeting(node, param).empty()) return false;
  return edit(tr("Remove graph input of %1.%2").arg(QString::fromStdString(node), QString::fromStdString(param)),
              [&](host::Graph& g) {
                std::vector<std::string> emptied;
                for (auto& [name, input] : g.inputs) {
                  auto& to = input.to;
                  to.erase(std::remove_if(to.begin(), to.end(),
                                          [&](const host::InputTarget& t) { return t.node == node && t.param == param; }),
                           to.end());
                  if (to.empty()) emptied.push_back(name);
                }
                for (const auto& name : emptied) g.inputs.erase(name);
              });
}

std::vector<std::string> GraphDocument::inputs_targeting(const std::string& node, const std::string& param) const {
  std::vector<std::string> names;
  for (const auto& [name, input] : graph_.inputs)
    for (const auto& t : input.to)
      if (t.node == node && t.param == param) {
        names.push_back(name);
        break;
      }
  return names;
}

QString GraphDocument::input_problem(const std::string& name) const {
  auto q = [](const std::string& s) { return QString::fromStdString(s); };
  const host::GraphInput* input = graph_.inputs.find(name);
  if (!input) return tr("There is no graph input '%1'.").arg(q(name));
  if (input->to.empty()) return tr("Input '%1' sets no parameter.").arg(q(name));
  const host::InputTarget& t = input->to.front();
  const host::GraphNode* n = graph_.find(t.node);
  if (!n) return tr("It sets %1.%2, but there is no node '%1'.").arg(q(t.node), q(t.param));
  const host::NodeType* type = node_type(t.node);
  if (!type) return tr("It sets %1.%2, but no loaded plugin provides '%3', so the parameter is unknown.")
                 .arg(q(t.node), q(t.param), q(n->type));
  if (!type->spec.find_param(t.param))
    return tr("It sets %1.%2, but '%1' (%3) has no parameter '%2'.").arg(q(t.node), q(t.param), q(n->type));
  return {};
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
