#pragma once
// The graph being edited: host core's Graph plus its file, undo stack and validation.
// Every change goes through here as one undoable command, and every command is an exact
// before/after snapshot of the graph's nodes and editor section, so undo restores the
// graph byte for byte. The editor keeps no graph logic of its own: edits call Graph's
// helpers, files go through graph_io, problems come from validate().
#include <QObject>
#include <QPointF>
#include <QString>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "noisegraph/host/graph.hpp"
#include "noisegraph/host/graph_diff.hpp"
#include "noisegraph/host/problem.hpp"
#include "param_editors.hpp"

class QUndoStack;

namespace ng::host {
class PluginRegistry;
struct NodeType;
}  // namespace ng::host

namespace ng::editor {

/// The parts of a Graph that edits change (what an undo step restores). Graph inputs are
/// part of it: renaming or deleting a node rewrites their targets, and undo must put
/// them back with the node.
struct GraphState {
  host::OrderedMap<host::GraphNode> nodes;
  host::EditorSection editor;
  host::OrderedMap<host::GraphInput> inputs;
};

/// An input port of a node ("sample", "latent"), the target of a link.
struct InputRef {
  std::string node, input;
};

class GraphDocument : public QObject {
  Q_OBJECT
 public:
  explicit GraphDocument(const host::PluginRegistry& registry, QObject* parent = nullptr);
  ~GraphDocument() override;

  const host::Graph& graph() const { return graph_; }
  const host::PluginRegistry& registry() const { return registry_; }
  QUndoStack* undo_stack() const { return undo_; }

  // ---- files -------------------------------------------------------------------------
  /// The YAML file this graph is saved to; "" while untitled (new, or opened from a PNG).
  QString file_path() const { return file_path_; }
  /// Folder relative paths in parameters resolve against ("" = none yet).
  QString graph_dir() const;
  /// Unsaved edits exist.
  bool is_modified() const;
  /// "generate.yaml", or "Untitled".
  QString display_name() const;

  void new_graph();
  /// Loads a YAML graph file. On failure returns false with the loader's message
  /// (file:line:column) in `error` and leaves the current graph untouched.
  bool open(const QString& path, QString* error = nullptr);
  /// Loads a graph from text (e.g. a PNG's "noisegraph" chunk). The document stays
  /// untitled; `base_dir` is where relative paths resolve until it is saved.
  bool open_text(const std::string& yaml, const QString& origin, const QString& base_dir,
                 QString* error = nullptr);
  /// Saves to file_path() (must not be untitled). An unedited graph saved to the file it
  /// came from is left byte-identical.
  bool save(QString* error = nullptr);
  bool save_as(const QString& path, QString* error = nullptr);

  // ---- edits (each is one undo step; false = nothing changed) ------------------------
  /// Adds a node of an installed type at `pos`; returns its id ("" for an unknown type).
  std::string add_node(const std::string& type, QPointF pos, const std::string& preferred_id = {});
  /// Adds a node and links one of its ports to an existing port, as one step (dragging a
  /// link into empty space and picking a node). `port` is an output of `node` when
  /// `from_output`, else an input; the new node's first compatible port is used.
  std::string add_node_connected(const std::string& type, QPointF pos, const std::string& node,
                                 const std::string& port, bool from_output);
  /// Links `from`.`output` to `to`.`input`, replacing a link already on that input. Refused
  /// (false, reason in `why`) when link_refusal() says so.
  bool connect_ports(const std::string& from, const std::string& output, const std::string& to,
                     const std::string& input, QString* why = nullptr);
  bool disconnect_input(const std::string& node, const std::string& input);
  /// Removes nodes (with their links) and links, as one step.
  bool remove(const std::vector<std::string>& nodes, const std::vector<InputRef>& links = {});
  bool set_param(const std::string& node, const std::string& name, const ng::ParamValue& value);
  bool reset_param(const std::string& node, const std::string& name);
  bool rename_node(const std::string& from, const std::string& to, QString* why = nullptr);
  /// Stores canvas positions (rounded to whole units), as one step.
  bool move_nodes(const std::map<std::string, QPointF>& positions, const QString& label = {});
  /// Pastes a YAML fragment (see copy_fragment) with its top-left node at `anchor`; returns
  /// the new ids. Links to nodes outside the fragment are dropped, unless
  /// `keep_outside_links` and the linked node exists here (duplicate).
  std::vector<std::string> paste_fragment(const std::string& yaml, QPointF anchor,
                                          bool keep_outside_links = false, QString* error = nullptr);
  /// Seed "after run" modes, kept in the editor section (`seed_modes: {node.param: mode}`).
  SeedMode seed_mode(const std::string& node, const std::string& param) const;
  bool set_seed_mode(const std::string& node, const std::string& param, SeedMode mode);
  /// Applies every seed's after-run mode (increment / new random value) as one step. A
  /// graph input whose first target advanced carries the new value to its other targets.
  bool advance_seeds();

  // ---- graph inputs (`inputs:` in the file) ------------------------------------------
  /// Sets graph input `name` on all its targets, as one undo step (consecutive edits of
  /// the same input, e.g. a slider drag, fold into one). False when nothing changed.
  bool set_input(const std::string& name, const ng::ParamValue& value);
  /// Declares a new graph input setting `node`.`param`, named after the parameter and
  /// made unique ("seed", "seed_2", ...). Returns its name ("" when the node has no such
  /// parameter).
  std::string expose_param(const std::string& node, const std::string& param);
  /// Removes `node`.`param` from every input that targets it; an input left without
  /// targets goes too. One undo step; false when no input targeted it.
  bool unexpose_param(const std::string& node, const std::string& param);
  /// Names of the inputs that set `node`.`param`, in file order.
  std::vector<std::string> inputs_targeting(const std::string& node, const std::string& param) const;
  /// Why input `name` cannot be edited here ("" = it can): its first target's node is
  /// missing, of an unknown type, or has no such parameter.
  QString input_problem(const std::string& name) const;

  // ---- queries -----------------------------------------------------------------------
  /// The installed type of a node, or nullptr (unknown type or node).
  const host::NodeType* node_type(const std::string& node) const;
  /// The node's parameters as typed values, every declared one present (defaults where
  /// absent or invalid). Empty when the type is unknown.
  std::map<std::string, ng::ParamValue> params(const std::string& node) const;
  /// Why a parameter's current value is invalid ("" = valid or not set).
  QString param_problem(const std::string& node, const std::string& name) const;
  /// The value as written, even when out of range (so the inspector can show what the
  /// file says next to the validator's message); nullopt when unset or unreadable.
  std::optional<ng::ParamValue> raw_param(const std::string& node, const std::string& name) const;
  /// Why `from`.`output` -> `to`.`input` cannot be linked ("" = it can): unknown node or
  /// port, different types (both named), a self link, or a cycle.
  QString link_refusal(const std::string& from, const std::string& output, const std::string& to,
                       const std::string& input) const;
  /// Validation problems of the current graph (refreshed after every change), plus
  /// "no_output_node" for a non-empty graph the executor would refuse for lack of one.
  const std::vector<host::Problem>& problems() const { return problems_; }
  /// Stored canvas position of a node, if any.
  std::optional<QPointF> position(const std::string& node) const;
  /// A YAML fragment (a complete small graph) with these nodes, the links among them and
  /// their positions: what Copy puts on the clipboard.
  std::string copy_fragment(const std::vector<std::string>& nodes) const;

  /// Called before each edit for nodes without a stored position: returns where they are
  /// shown, so the first edit pins the auto-laid-out nodes where the user sees them.
  void set_position_provider(std::function<std::map<std::string, host::Point>()> provider) {
    position_provider_ = std::move(provider);
  }

  /// What the last change() was, node by node (graph_diff.hpp), so views update only what
  /// changed; nullopt when everything may have (a graph was opened, created or moved).
  const std::optional<std::vector<host::GraphChange>>& last_changes() const { return last_changes_; }

  /// Replaces the nodes and editor section (used by undo commands).
  void restore(const GraphState& state);
  GraphState state() const { return {graph_.nodes, graph_.editor, graph_.inputs}; }

 Q_SIGNALS:
  /// The graph changed (edit, undo, redo, open, new).
  void changed();
  /// A different graph was loaded or created (views reset selection, zoom, run state).
  void reset();
  /// file_path() or is_modified() changed.
  void file_state_changed();

 private:
  /// Runs `fn` on a copy of the graph and pushes the result as one undo step. `merge_key`
  /// lets consecutive steps with the same key fold into one (dragging a slider).
  bool edit(const QString& label, const std::function<void(host::Graph&)>& fn,
            const std::string& merge_key = {});
  void load(host::Graph graph, const QString& path, std::string original_text);
  /// Rewrites the relative Path parameters of `g`, written for a graph in folder `from`,
  /// so they name the same files from folder `to` (paths found nowhere stay as written,
  /// see rebased_path in the .cpp). Returns how many changed.
  int rebase_path_params(host::Graph& g, const QString& from, const QString& to) const;
  void revalidate();

  const host::PluginRegistry& registry_;
  host::Graph graph_;
  QUndoStack* undo_;
  QString file_path_;
  QString base_dir_;            ///< for untitled graphs opened from a PNG
  /// Opened from a PNG and not saved since: its relative paths were written for the
  /// original graph's folder, which is unknown (base_dir_ is only the image's folder).
  bool from_png_ = false;
  std::string original_text_;   ///< the file as read (kept for byte-identical Save As)
  std::vector<host::Problem> problems_;
  std::function<std::map<std::string, host::Point>()> position_provider_;
  std::optional<std::vector<host::GraphChange>> last_changes_;
};

}  // namespace ng::editor
