#pragma once
#include <QUrl>
// The editor window: canvas in the middle, palette on the left, inspector and results
// on the right, problems and log below; menus and a toolbar with every action. It wires
// the parts together and owns no graph logic.
#include <QMainWindow>
#include <QPointF>
#include <QString>

#include <string>

namespace ng::host {
class PluginRegistry;
struct RunResult;
}  // namespace ng::host

class QLabel;
class QMenu;
class QMimeData;
class QPlainTextEdit;
class QProgressBar;

namespace ng::editor {

class ServerRunController;

class GraphDocument;
class GraphScene;
class GraphView;
class InputsPanel;
class Inspector;
class NodeSearchPopup;
class Palette;
class PreviewPanel;
class ProblemsPanel;
class RunController;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(const host::PluginRegistry& registry, QWidget* parent = nullptr);
  ~MainWindow() override;

  GraphDocument* document() const { return doc_; }
  GraphScene* scene() const { return scene_; }
  GraphView* view() const { return view_; }
  Inspector* inspector() const { return inspector_; }
  /// The "Graph inputs" dock's form.
  InputsPanel* inputs_panel() const { return inputs_; }
  Palette* palette() const { return palette_; }
  PreviewPanel* preview() const { return preview_; }
  ProblemsPanel* problems() const { return problems_; }
  RunController* runner() const { return runner_; }
  NodeSearchPopup* search_popup() const { return search_; }
  /// An action by object name ("file_save", "edit_undo", "run_run", ...; see the .cpp).
  QAction* action(const QString& name) const;

  /// Opens a graph file or a PNG with an embedded graph. Asks about unsaved changes
  /// first unless `ask` is false. Errors go to a message box when `error` is null.
  bool open_file(const QString& path, QString* error = nullptr, bool ask = true);
  /// Opens the first local file of a drop (graph or PNG); false when there was none or it
  /// could not be opened.
  bool open_dropped(const QMimeData* mime);
  /// Where runs write their images (default: the user's Pictures/NoiseGraph folder).
  QString output_dir() const { return output_dir_; }
  /// `remember`: keep it for the next session (the Run menu does; --output-dir does not).
  void set_output_dir(const QString& dir, bool remember = true);
  /// Starts running the graph; false when a run is going or the graph cannot start.
  bool run_graph();
  /// Submits the graph to a `noisegraph serve` server and shows the run like a local one;
  /// outputs are downloaded into the output folder. False when a run is going.
  bool run_on_server(const QUrl& server, const QString& token = {});

  // Selection editing (also bound to menu actions).
  void copy_selection();
  void paste(QPointF at);
  void duplicate_selection();
  void delete_selection();
  enum class Align { Left, Right, Top, Bottom, CenterH, CenterV, DistributeH, DistributeV };
  void align_selection(Align how);
  /// Shows the add-node popup at a scene position (optionally for a dragged port).
  void open_add_node(QPointF scene_pos, const QString& node = {}, const QString& port = {}, bool from_output = false,
                     const QString& port_type = {});
  /// Adds `type` the way the popup does once a type is picked.
  std::string add_node_from_popup(const QString& type);

  /// Renders the window into a PNG (used by --screenshot, tests and docs).
  bool save_screenshot(const QString& path);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void build_actions();
  void build_docks();
  void size_docks();
  /// Brings a dock to the front of its tab group ("dock_inspector", "dock_inputs").
  void raise_dock(const char* name);
  void build_menus_and_toolbar();
  void update_title();
  void update_actions();
  void update_recent_menu();
  void remember_recent(const QString& path);
  bool maybe_save();
  bool save();
  bool save_as();
  void on_selection_changed();
  void show_canvas_menu(QPoint view_pos);
  void on_run_finished(const host::RunResult& result);
  void prepare_run_display(const QString& log_line);
  /// Removes the last run's failure from the problems, the canvas and the toolbar.
  void clear_run_error();
  /// What a failure of node `failed` depends on, as text to compare: the YAML of the
  /// node and its upstream ("" node: the whole graph's nodes), or a marker when the
  /// node is gone or no output node uses it any more. Positions are not part of it.
  std::string failure_context(const std::string& failed) const;
  void status(const QString& text, int ms = 6000);
  QAction* make_action(const QString& name, const QString& text, const QKeySequence& key = {});

  const host::PluginRegistry& registry_;
  GraphDocument* doc_;
  GraphScene* scene_;
  GraphView* view_;
  Inspector* inspector_;
  InputsPanel* inputs_;
  Palette* palette_;
  PreviewPanel* preview_;
  ProblemsPanel* problems_;
  QPlainTextEdit* log_;
  RunController* runner_;
  ServerRunController* server_runner_;
  NodeSearchPopup* search_;
  QProgressBar* progress_;
  QLabel* run_label_;
  QLabel* problems_label_;
  QMenu* recent_menu_ = nullptr;
  QString output_dir_;
  bool docks_sized_ = false;

  struct PendingAdd {
    QPointF pos;
    QString node, port;
    bool from_output = false;
  } pending_add_;

  std::string failed_node_;     ///< node of the run error shown ("" for a graph-wide one)
  std::string failed_context_;  ///< failure_context(failed_node_) when it failed
  bool stale_run_ = false;      ///< the run going belongs to a graph replaced since (New/Open)

  int run_total_ = 0;       ///< nodes queued in the current run
  int run_finished_ = 0;    ///< nodes done or cached
  int run_cached_ = 0;
};

}  // namespace ng::editor
