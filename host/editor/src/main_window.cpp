#include "main_window.hpp"

#include "file_chooser.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>

#include <algorithm>

#include "edge_item.hpp"
#include "graph_document.hpp"
#include "graph_scene.hpp"
#include "graph_view.hpp"
#include "node_item.hpp"
#include "server_run.hpp"
#include "noisegraph/host/output_dir.hpp"
#include "inputs_panel.hpp"
#include "inspector.hpp"
#include "node_search_popup.hpp"
#include "noisegraph/host/executor.hpp"
#include "noisegraph/host/graph_io.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "noisegraph/host/validate.hpp"
#include "palette.hpp"
#include "plugins_dialog.hpp"
#include "png_graph.hpp"
#include "preview_panel.hpp"
#include "problems_panel.hpp"
#include "run_controller.hpp"

namespace ng::editor {

namespace {

constexpr int kMaxRecent = 8;
constexpr const char* kFragmentMime = "application/x-noisegraph-fragment";

QString q(const std::string& s) { return QString::fromStdString(s); }

// The same default as the CLI: $NOISEGRAPH_OUTPUT_DIR, else ~/Pictures/NoiseGraph.
QString default_output_dir() { return QString::fromStdString(host::default_output_dir().string()); }

}  // namespace

MainWindow::MainWindow(const host::PluginRegistry& registry, QWidget* parent)
    : QMainWindow(parent), registry_(registry) {
  doc_ = new GraphDocument(registry_, this);
  scene_ = new GraphScene(doc_, this);
  view_ = new GraphView(scene_);
  setCentralWidget(view_);
  inspector_ = new Inspector(doc_);
  inputs_ = new InputsPanel(doc_);
  palette_ = new Palette(registry_);
  preview_ = new PreviewPanel;
  problems_ = new ProblemsPanel;
  log_ = new QPlainTextEdit;
  log_->setObjectName(QStringLiteral("log"));
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  runner_ = new RunController(registry_, this);
  server_runner_ = new ServerRunController(this);
  search_ = new NodeSearchPopup(registry_, this);
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setFixedWidth(180);
  progress_->setTextVisible(false);
  progress_->setVisible(false);
  run_label_ = new QLabel;
  run_label_->setObjectName(QStringLiteral("run_status"));
  run_label_->setProperty("role", "dim");
  problems_label_ = new QLabel;
  setAcceptDrops(true);

  QSettings settings;
  output_dir_ = settings.value(QStringLiteral("output_dir"), default_output_dir()).toString();

  build_actions();
  build_docks();
  build_menus_and_toolbar();

  connect(doc_, &GraphDocument::file_state_changed, this, [this] { update_title(); });
  connect(doc_, &GraphDocument::changed, this, [this] {
    problems_->set_graph_empty(doc_->graph().nodes.empty());
    problems_->set_problems(doc_->problems());
    // A run error is about the graph as it ran: once what led to the failure changed, it
    // no longer describes the graph (the next run will tell). Moving cards, or editing a
    // branch the failed node does not depend on, changes nothing about it.
    if (problems_->has_run_error() && failure_context(failed_node_) != failed_context_) clear_run_error();
    update_actions();
  });
  connect(doc_, &GraphDocument::reset, this, [this] {
    // Another graph: nothing of the previous one's run stays on screen.
    if (runner_->is_running()) {
      runner_->cancel();
      stale_run_ = true;
    }
    clear_run_error();
    preview_->clear();
    progress_->setVisible(false);
    run_label_->clear();
    inspector_->set_node({});
    // A graph with inputs opens on its form: that is what a user of the graph changes.
    raise_dock(doc_->graph().inputs.empty() ? "dock_inspector" : "dock_inputs");
  });
  connect(inspector_, &Inspector::status_message, this, [this](const QString& t) { status(t); });
  connect(inputs_, &InputsPanel::status_message, this, [this](const QString& t) { status(t); });
  connect(inputs_, &InputsPanel::node_activated, this, [this](const QString& node) {
    if (NodeItem* item = scene_->node_item(node.toStdString())) {
      scene_->select_nodes({node.toStdString()});
      view_->centerOn(item);
    }
  });
  connect(preview_, &PreviewPanel::status_message, this, [this](const QString& t) { status(t); });
  connect(doc_->undo_stack(), &QUndoStack::indexChanged, this, [this] { update_actions(); });
  connect(scene_, &QGraphicsScene::selectionChanged, this, [this] { on_selection_changed(); });
  connect(scene_, &GraphScene::status_message, this, [this](const QString& t) { status(t); });
  connect(scene_, &GraphScene::add_node_requested, this, &MainWindow::open_add_node);
  view_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(view_, &QWidget::customContextMenuRequested, this, &MainWindow::show_canvas_menu);
  connect(view_, &GraphView::files_dropped, this, [this](const QStringList& paths) { open_file(paths.first()); });
  connect(view_, &GraphView::node_type_dropped, this, [this](const QString& type, QPointF pos) {
    const std::string id = doc_->add_node(type.toStdString(), pos);
    if (!id.empty()) scene_->select_nodes({id});
  });
  connect(palette_, &Palette::add_requested, this, [this](const QString& type) {
    QPointF pos = view_->mapToScene(view_->viewport()->rect().center()) - QPointF(90, 40);
    const std::string id = doc_->add_node(type.toStdString(), pos);
    if (!id.empty()) scene_->select_nodes({id});
  });
  connect(search_, &NodeSearchPopup::chosen, this, [this](const QString& type) { add_node_from_popup(type); });
  connect(problems_, &ProblemsPanel::node_activated, this, [this](const QString& node) {
    if (NodeItem* item = scene_->node_item(node.toStdString())) {
      scene_->select_nodes({node.toStdString()});
      view_->centerOn(item);
    }
  });

  // Local runs and runs on a server report the same signals and look the same on screen.
  auto wire = [this](auto* r) {
    using R = std::remove_pointer_t<decltype(r)>;
    connect(r, &R::node_state, this, [this](const QString& node, NodeRunState s, const QString& m) {
      if (stale_run_) return;
      scene_->set_run_state(node.toStdString(), s, m);
      if (s == NodeRunState::Queued) ++run_total_;
      if (s == NodeRunState::Done || s == NodeRunState::Cached) ++run_finished_;
      if (s == NodeRunState::Cached) ++run_cached_;
      if (s == NodeRunState::Running) {
        run_label_->setText(tr("running %1").arg(node));
        if (NodeItem* item = scene_->node_item(node.toStdString())) item->set_note({});
      }
      if (s == NodeRunState::Failed) problems_->set_run_error(node, m);
      if (run_total_ > 0) progress_->setValue(1000 * run_finished_ / run_total_);
    });
    connect(r, &R::progress, this, [this](const QString& node, double f, const QString& m) {
      if (stale_run_) return;
      scene_->set_progress(node.toStdString(), f);
      if (run_total_ > 0) progress_->setValue(int(1000 * (run_finished_ + std::clamp(f, 0.0, 1.0)) / run_total_));
      if (!m.isEmpty()) run_label_->setText(QStringLiteral("%1: %2").arg(node, m));
    });
    connect(r, &R::preview, this, [this](const QString& node, const QImage& img, int step, int total) {
      if (stale_run_) return;
      preview_->show_live(img, tr("%1  ·  step %2/%3").arg(node).arg(step).arg(total));
    });
    connect(r, &R::file_written, this, [this](const QString& node, const QString& path) {
      log_->appendPlainText(tr("%1 wrote %2").arg(node, QDir::toNativeSeparators(path)));
      if (!stale_run_) preview_->add_output(path);
    });
    connect(r, &R::log, this, [this](const QString& node, int level, const QString& text) {
      if (stale_run_) return;
      // A node's first info line of a run (a loader's "SD 1.x, eps, 1.07B params ...") stays on its card.
      if (level == int(ng::LogLevel::Info) && !node.isEmpty())
        if (NodeItem* item = scene_->node_item(node.toStdString()); item && item->note().isEmpty()) item->set_note(text);
      static const char* names[] = {"debug", "info", "warning", "error"};
      log_->appendPlainText(QStringLiteral("%1%2: %3")
                                .arg(node.isEmpty() ? QString() : node + QStringLiteral(" "))
                                .arg(QString::fromLatin1(names[std::clamp(level, 0, 3)]), text));
    });
    connect(r, &R::finished, this, &MainWindow::on_run_finished);
  };
  wire(runner_);
  wire(server_runner_);

  resize(1480, 920);
  doc_->new_graph();
  update_title();
  update_actions();
  problems_->set_problems(doc_->problems());
}

MainWindow::~MainWindow() {
  // Stop a run first (its results would land in half-destroyed widgets), then take the
  // views down before the document they show.
  delete runner_;
  doc_->disconnect(this);
  doc_->undo_stack()->disconnect(this);
  scene_->disconnect(this);
  delete view_;
  delete scene_;
  delete inspector_;
  delete inputs_;
  delete doc_;
}

// ------------------------------------------------------------------------------ actions

QAction* MainWindow::make_action(const QString& name, const QString& text, const QKeySequence& key) {
  auto* a = new QAction(text, this);
  a->setObjectName(name);
  if (!key.isEmpty()) a->setShortcut(key);
  addAction(a);
  return a;
}

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

void MainWindow::build_actions() {
  connect(make_action("file_new", tr("&New"), QKeySequence::New), &QAction::triggered, this, [this] {
    if (maybe_save()) doc_->new_graph();
  });
  connect(make_action("file_open", tr("&Open…"), QKeySequence::Open), &QAction::triggered, this, [this] {
    if (!maybe_save()) return;
    const QString path = choose_path(this, {PathChoice::OpenFile, tr("Open graph"), QFileInfo(doc_->file_path()).absolutePath(),
                                                   tr("Graphs and images (*.yaml *.yml *.png);;All files (*)")});
    if (!path.isEmpty()) open_file(path, nullptr, false);
  });
  connect(make_action("file_save", tr("&Save"), QKeySequence::Save), &QAction::triggered, this, [this] { save(); });
  // Explicit: QKeySequence::SaveAs is empty on platforms without a desktop theme (plain
  // X11, Xvfb), which left Save As without a shortcut.
  QAction* save_as_action = make_action("file_save_as", tr("Save &As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
  connect(save_as_action, &QAction::triggered, this, [this] { save_as(); });
  connect(make_action("file_quit", tr("&Quit"), QKeySequence::Quit), &QAction::triggered, this, &QWidget::close);

  QAction* undo = doc_->undo_stack()->createUndoAction(this, tr("&Undo"));
  undo->setObjectName("edit_undo");
  undo->setShortcut(QKeySequence::Undo);
  addAction(undo);
  QAction* redo = doc_->undo_stack()->createRedoAction(this, tr("&Redo"));
  redo->setObjectName("edit_redo");
  redo->setShortcuts({QKeySequence::Redo, QKeySequence(Qt::CTRL | Qt::Key_Y)});
  addAction(redo);
  connect(make_action("edit_cut", tr("Cu&t"), QKeySequence::Cut), &QAction::triggered, this, [this] {
    copy_selection();
    delete_selection();
  });
  connect(make_action("edit_copy", tr("&Copy"), QKeySequence::Copy), &QAction::triggered, this, &MainWindow::copy_selection);
  connect(make_action("edit_paste", tr("&Paste"), QKeySequence::Paste), &QAction::triggered, this,
          [this] { paste(view_->paste_position()); });
  connect(make_action("edit_duplicate", tr("&Duplicate"), QKeySequence(Qt::CTRL | Qt::Key_D)), &QAction::triggered, this,
          &MainWindow::duplicate_selection);
  QAction* del = make_action("edit_delete", tr("&Delete"));
  del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
  connect(del, &QAction::triggered, this, &MainWindow::delete_selection);
  connect(make_action("edit_select_all", tr("Select &All"), QKeySequence::SelectAll), &QAction::triggered, this, [this] {
    std::vector<std::string> all;
    for (const auto& [id, n] : doc_->graph().nodes) all.push_back(id);
    scene_->select_nodes(all);
  });
  connect(make_action("edit_add_node", tr("Add &Node…"), QKeySequence(Qt::SHIFT | Qt::Key_A)), &QAction::triggered, this,
          [this] { open_add_node(view_->paste_position()); });
  const std::pair<const char*, Align> aligns[] = {
      {"align_left", Align::Left},       {"align_right", Align::Right},      {"align_top", Align::Top},
      {"align_bottom", Align::Bottom},   {"align_center_h", Align::CenterH}, {"align_center_v", Align::CenterV},
      {"distribute_h", Align::DistributeH}, {"distribute_v", Align::DistributeV}};
  const QString align_names[] = {tr("Align &Left"), tr("Align &Right"), tr("Align &Top"), tr("Align &Bottom"),
                                 tr("Align Centres &Horizontally"), tr("Align Centres &Vertically"),
                                 tr("Distribute H&orizontally"), tr("Distribute V&ertically")};
  for (int i = 0; i < 8; ++i) {
    const Align how = aligns[i].second;
    connect(make_action(aligns[i].first, align_names[i]), &QAction::triggered, this, [this, how] { align_selection(how); });
  }

  connect(make_action("view_fit", tr("&Fit to View"), QKeySequence(Qt::Key_F)), &QAction::triggered, this,
          [this] { view_->fit_to_nodes(); });
  connect(make_action("view_zoom_in", tr("Zoom &In"), QKeySequence::ZoomIn), &QAction::triggered, this,
          [this] { view_->zoom_by(1.25); });
  connect(make_action("view_zoom_out", tr("Zoom &Out"), QKeySequence::ZoomOut), &QAction::triggered, this,
          [this] { view_->zoom_by(0.8); });
  connect(make_action("view_zoom_reset", tr("&Actual Size"), QKeySequence(Qt::CTRL | Qt::Key_0)), &QAction::triggered,
          this, [this] { view_->reset_zoom(); });

  QAction* run = make_action("run_run", tr("&Run"), QKeySequence(Qt::CTRL | Qt::Key_R));
  run->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::CTRL | Qt::Key_Return)});
  run->setToolTip(tr("Run the graph (Ctrl+R). Unchanged nodes come from the cache."));
  connect(run, &QAction::triggered, this, [this] { run_graph(); });
  QAction* cancel = make_action("run_cancel", tr("&Cancel"), QKeySequence(Qt::CTRL | Qt::Key_Period));
  cancel->setToolTip(tr("Stop the run (within one sampler step)"));
  connect(cancel, &QAction::triggered, this, [this] {
    runner_->cancel();
    server_runner_->cancel();
    run_label_->setText(tr("cancelling…"));
  });
  QAction* remote = make_action("run_on_server", tr("Run on &Server…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
  remote->setToolTip(tr("Submit the graph to a `noisegraph serve` server and follow it here (docs/server.md)"));
  connect(remote, &QAction::triggered, this, [this] {
    QSettings settings;
    bool ok = false;
    const QString url = QInputDialog::getText(this, tr("Run on server"), tr("Server URL:"), QLineEdit::Normal,
                                              settings.value("server_url", "http://127.0.0.1:8188").toString(), &ok);
    if (!ok || url.isEmpty()) return;
    const QString token = QInputDialog::getText(this, tr("Run on server"), tr("Token (empty if the server needs none):"),
                                                QLineEdit::Password, qEnvironmentVariable("NOISEGRAPH_TOKEN"), &ok);
    if (!ok) return;
    settings.setValue("server_url", url);
    run_on_server(QUrl(url), token);
  });
  connect(make_action("run_output_dir", tr("&Output Folder…")), &QAction::triggered, this, [this] {
    const QString dir = choose_path(this, {PathChoice::Folder, tr("Output folder"), output_dir_, {}});
    if (!dir.isEmpty()) set_output_dir(dir);
  });
  connect(make_action("help_plugins", tr("&Plugins…")), &QAction::triggered, this, [this] {
    PluginsDialog dialog(registry_, this);
    dialog.exec();
  });
  connect(make_action("help_about", tr("&About NoiseGraph")), &QAction::triggered, this, [this] {
    QMessageBox::about(this, tr("About NoiseGraph"),
                       tr("<b>NoiseGraph editor</b><br>Build diffusion graphs from plugin nodes, run them, "
                          "and save them as YAML the <tt>noisegraph</tt> CLI runs unchanged."));
  });
}

void MainWindow::build_docks() {
  auto dock = [this](const QString& name, const QString& title, QWidget* w, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
    addDockWidget(area, d);
    return d;
  };
  dock("dock_palette", tr("Nodes"), palette_, Qt::LeftDockWidgetArea);
  auto* insp = dock("dock_inspector", tr("Inspector"), inspector_, Qt::RightDockWidgetArea);
  auto* prev = dock("dock_preview", tr("Result"), preview_, Qt::RightDockWidgetArea);
  auto* probs = dock("dock_problems", tr("Problems"), problems_, Qt::BottomDockWidgetArea);
  auto* log = dock("dock_log", tr("Log"), log_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(probs, log);
  probs->raise();
  splitDockWidget(insp, prev, Qt::Vertical);
  // After the split: splitting a tabbed dock would add the Result as a third tab.
  auto* inputs = dock("dock_inputs", tr("Graph inputs"), inputs_, Qt::RightDockWidgetArea);
  tabifyDockWidget(insp, inputs);
  insp->raise();
  setTabPosition(Qt::RightDockWidgetArea, QTabWidget::North);  // the tabs read as the panel's title
  setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
  setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
}

void MainWindow::size_docks() {
  // The canvas gets most of the room; side panels just what they need.
  auto* pal = findChild<QDockWidget*>("dock_palette");
  auto* insp = findChild<QDockWidget*>("dock_inspector");
  auto* prev = findChild<QDockWidget*>("dock_preview");
  auto* probs = findChild<QDockWidget*>("dock_problems");
  resizeDocks({pal, insp}, {220, 330}, Qt::Horizontal);
  resizeDocks({insp, prev}, {height() / 2, height() / 2}, Qt::Vertical);
  resizeDocks({probs}, {120}, Qt::Vertical);
}

void MainWindow::raise_dock(const char* name) {
  // Picks the dock's tab; a dock the user closed stays closed.
  if (auto* d = findChild<QDockWidget*>(QString::fromLatin1(name))) d->raise();
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (!docks_sized_) {
    docks_sized_ = true;
    size_docks();
  }
}

void MainWindow::build_menus_and_toolbar() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(action("file_new"));
  file->addAction(action("file_open"));
  recent_menu_ = file->addMenu(tr("Open &Recent"));
  file->addSeparator();
  file->addAction(action("file_save"));
  file->addAction(action("file_save_as"));
  file->addSeparator();
  file->addAction(action("file_quit"));
  update_recent_menu();

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  for (const char* n : {"edit_undo", "edit_redo", "", "edit_cut", "edit_copy", "edit_paste", "edit_duplicate",
                        "edit_delete", "", "edit_select_all", "edit_add_node"}) {
    if (!*n) edit->addSeparator();
    else edit->addAction(action(n));
  }
  QMenu* align = edit->addMenu(tr("A&lign"));
  for (const char* n : {"align_left", "align_right", "align_top", "align_bottom", "align_center_h", "align_center_v",
                        "distribute_h", "distribute_v"})
    align->addAction(action(n));

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (const char* n : {"view_fit", "view_zoom_in", "view_zoom_out", "view_zoom_reset"}) view->addAction(action(n));
  view->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(action("run_run"));
  run->addAction(action("run_cancel"));
  run->addAction(action("run_on_server"));
  run->addSeparator();
  run->addAction(action("run_output_dir"));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(action("help_plugins"));
  help->addAction(action("help_about"));

  QToolBar* bar = addToolBar(tr("Main"));
  bar->setObjectName("toolbar_main");
  bar->setMovable(false);
  bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  // Toolbar twins of undo/redo with short labels (the menu ones say what they undo).
  auto* undo_short = new QAction(tr("Undo"), this);
  auto* redo_short = new QAction(tr("Redo"), this);
  undo_short->setObjectName("toolbar_undo");
  redo_short->setObjectName("toolbar_redo");
  QUndoStack* stack = doc_->undo_stack();
  connect(undo_short, &QAction::triggered, stack, &QUndoStack::undo);
  connect(redo_short, &QAction::triggered, stack, &QUndoStack::redo);
  connect(stack, &QUndoStack::canUndoChanged, undo_short, &QAction::setEnabled);
  connect(stack, &QUndoStack::canRedoChanged, redo_short, &QAction::setEnabled);
  connect(stack, &QUndoStack::undoTextChanged, undo_short, [undo_short](const QString& t) { undo_short->setToolTip(tr("Undo %1").arg(t)); });
  connect(stack, &QUndoStack::redoTextChanged, redo_short, [redo_short](const QString& t) { redo_short->setToolTip(tr("Redo %1").arg(t)); });
  undo_short->setEnabled(false);
  redo_short->setEnabled(false);
  for (const char* n : {"file_new", "file_open", "file_save", "", "toolbar_undo", "toolbar_redo", "", "view_fit"}) {
    if (!*n) bar->addSeparator();
    else if (QString(n).startsWith("toolbar_")) bar->addAction(QString(n) == "toolbar_undo" ? undo_short : redo_short);
    else bar->addAction(action(n));
  }
  bar->addSeparator();
  bar->addAction(action("run_run"));
  bar->addAction(action("run_cancel"));
  auto* spacer = new QWidget;
  spacer->setFixedWidth(8);
  bar->addWidget(spacer);
  bar->addWidget(progress_);
  auto* spacer2 = new QWidget;
  spacer2->setFixedWidth(8);
  bar->addWidget(spacer2);
  bar->addWidget(run_label_);
  statusBar()->addPermanentWidget(problems_label_);
  connect(problems_, &ProblemsPanel::count_changed, this, [this](int n) {
    problems_label_->setText(n > 0                     ? tr("<span style='color:#ffb74d'>⚠ %n problem(s)</span>", nullptr, n)
                             : problems_->graph_empty() ? tr("<span style='color:#9aa0a8'>empty graph</span>")
                                                        : tr("<span style='color:#66bb6a'>✓ ready to run</span>"));
  });
  problems_->set_problems(doc_->problems());
}

void MainWindow::update_title() {
  setWindowTitle(QStringLiteral("%1[*] — NoiseGraph").arg(doc_->display_name()));
  setWindowModified(doc_->is_modified());
}

void MainWindow::update_actions() {
  const bool running = runner_->is_running() || server_runner_->is_running();
  action("run_run")->setEnabled(!running);
  action("run_cancel")->setEnabled(running);
  const bool any = !scene_->selected_nodes().empty();
  for (const char* n : {"edit_copy", "edit_cut", "edit_duplicate"}) action(n)->setEnabled(any);
  action("edit_delete")->setEnabled(any || !scene_->selected_links().empty());
}

void MainWindow::status(const QString& text, int ms) { statusBar()->showMessage(text, ms); }

// ------------------------------------------------------------------------------ files

void MainWindow::update_recent_menu() {
  if (!recent_menu_) return;
  recent_menu_->clear();
  const QStringList recent = QSettings().value(QStringLiteral("recent_files")).toStringList();
  for (const QString& path : recent) {
    QAction* a = recent_menu_->addAction(QFileInfo(path).fileName());
    a->setToolTip(path);
    connect(a, &QAction::triggered, this, [this, path] { open_file(path); });
  }
  recent_menu_->setEnabled(!recent.isEmpty());
}

void MainWindow::remember_recent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value(QStringLiteral("recent_files")).toStringList();
  const QString abs = QFileInfo(path).absoluteFilePath();
  recent.removeAll(abs);
  recent.prepend(abs);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue(QStringLiteral("recent_files"), recent);
  update_recent_menu();
}

bool MainWindow::open_file(const QString& path, QString* error, bool ask) {
  if (ask && !maybe_save()) return false;
  QString why;
  bool ok;
  if (looks_like_png(path)) {
    auto yaml = graph_from_png(path, &why);
    ok = yaml && doc_->open_text(*yaml, path, QFileInfo(path).absolutePath(), &why);
  } else {
    ok = doc_->open(path, &why);
  }
  if (!ok) {
    if (error) *error = why;
    else QMessageBox::warning(this, tr("Open graph"), tr("Cannot open %1:\n\n%2").arg(QFileInfo(path).fileName(), why));
    return false;
  }
  remember_recent(path);
  scene_->clearSelection();
  view_->fit_to_nodes();
  status(tr("Opened %1").arg(QDir::toNativeSeparators(path)));
  return true;
}

bool MainWindow::save() {
  if (doc_->file_path().isEmpty()) return save_as();
  QString error;
  if (!doc_->save(&error)) {
    QMessageBox::warning(this, tr("Save"), error);
    return false;
  }
  status(tr("Saved %1").arg(doc_->file_path()));
  return true;
}

bool MainWindow::save_as() {
  QString start = doc_->file_path();
  if (start.isEmpty()) start = QDir(doc_->graph_dir().isEmpty() ? QDir::currentPath() : doc_->graph_dir()).filePath("untitled.yaml");
  QString path = choose_path(this, {PathChoice::SaveFile, tr("Save graph"), start, tr("Graphs (*.yaml *.yml)")});
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".yaml");
  QString error;
  if (!doc_->save_as(path, &error)) {
    QMessageBox::warning(this, tr("Save"), error);
    return false;
  }
  remember_recent(path);
  status(tr("Saved %1").arg(path));
  return true;
}

bool MainWindow::maybe_save() {
  if (!doc_->is_modified()) return true;
  const auto answer = QMessageBox::warning(this, tr("Unsaved changes"),
                                           tr("%1 has unsaved changes. Save them?").arg(doc_->display_name()),
                                           QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  if (answer == QMessageBox::Save) return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!maybe_save()) {
    event->ignore();
    return;
  }
  if (runner_->is_running()) {
    runner_->cancel();
    runner_->wait(10000);
  }
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  if (open_dropped(event->mimeData())) event->acceptProposedAction();
}

bool MainWindow::open_dropped(const QMimeData* mime) {
  for (const QUrl& url : mime->urls())
    if (url.isLocalFile()) return open_file(url.toLocalFile());
  return false;
}

// ------------------------------------------------------------------------------ editing

void MainWindow::on_selection_changed() {
  const auto nodes = scene_->selected_nodes();
  if (nodes.size() == 1 && nodes.front() != inspector_->node()) raise_dock("dock_inspector");
  if (nodes.size() == 1) inspector_->set_node(nodes.front());
  else if (nodes.empty() && doc_->graph().find(inspector_->node()) == nullptr) inspector_->set_node({});
  else if (nodes.size() > 1) inspector_->set_node({});
  update_actions();
}

void MainWindow::show_canvas_menu(QPoint view_pos) {
  const QPointF scene_pos = view_->mapToScene(view_pos);
  // Right-clicking an unselected card acts on that card.
  for (QGraphicsItem* item : scene_->items(scene_pos)) {
    if (item->type() != NodeItem::Type) continue;
    if (!item->isSelected()) {
      scene_->clearSelection();
      item->setSelected(true);
    }
    break;
  }
  QMenu menu(this);
  QAction* add = menu.addAction(tr("Add Node…"));
  menu.addSeparator();
  for (const char* n : {"edit_cut", "edit_copy"}) menu.addAction(action(n));
  QAction* paste_here = menu.addAction(tr("Paste Here"));
  paste_here->setEnabled(QApplication::clipboard()->mimeData() && QApplication::clipboard()->mimeData()->hasText());
  for (const char* n : {"edit_duplicate", "edit_delete"}) menu.addAction(action(n));
  if (scene_->selected_nodes().size() > 1) {
    QMenu* align = menu.addMenu(tr("Align"));
    for (const char* n : {"align_left", "align_right", "align_top", "align_bottom", "align_center_h", "align_center_v",
                          "distribute_h", "distribute_v"})
      align->addAction(action(n));
  }
  menu.addSeparator();
  menu.addAction(action("view_fit"));
  QAction* chosen = menu.exec(view_->viewport()->mapToGlobal(view_pos));
  if (chosen == add) open_add_node(scene_pos);
  else if (chosen == paste_here) paste(scene_pos);
}

void MainWindow::copy_selection() {
  const auto nodes = scene_->selected_nodes();
  if (nodes.empty()) return;
  const std::string yaml = doc_->copy_fragment(nodes);
  auto* mime = new QMimeData;
  mime->setText(q(yaml));
  mime->setData(kFragmentMime, QByteArray::fromStdString(yaml));
  QApplication::clipboard()->setMimeData(mime);
  status(tr("Copied %n node(s)", nullptr, int(nodes.size())));
}

void MainWindow::paste(QPointF at) {
  const QMimeData* mime = QApplication::clipboard()->mimeData();
  if (!mime) return;
  std::string yaml;
  if (mime->hasFormat(kFragmentMime)) yaml = mime->data(kFragmentMime).toStdString();
  else if (mime->hasText()) yaml = mime->text().toStdString();
  if (yaml.empty()) return;
  QString error;
  const auto ids = doc_->paste_fragment(yaml, at, false, &error);
  if (ids.empty()) {
    status(error.isEmpty() ? tr("Nothing to paste") : tr("Cannot paste: %1").arg(error));
    return;
  }
  scene_->select_nodes(ids);
}

void MainWindow::duplicate_selection() {
  const auto nodes = scene_->selected_nodes();
  if (nodes.empty()) return;
  QPointF top_left(1e18, 1e18);
  for (const auto& id : nodes)
    if (NodeItem* item = scene_->node_item(id))
      top_left = QPointF(std::min(top_left.x(), item->pos().x()), std::min(top_left.y(), item->pos().y()));
  const auto ids = doc_->paste_fragment(doc_->copy_fragment(nodes), top_left + QPointF(40, 40), true);
  scene_->select_nodes(ids);
}

void MainWindow::delete_selection() {
  const auto nodes = scene_->selected_nodes();
  const auto links = scene_->selected_links();
  if (nodes.empty() && links.empty()) return;
  doc_->remove(nodes, links);
}

void MainWindow::align_selection(Align how) {
  const auto ids = scene_->selected_nodes();
  if (ids.size() < 2) return;
  std::vector<NodeItem*> items;
  for (const auto& id : ids)
    if (NodeItem* item = scene_->node_item(id)) items.push_back(item);
  auto rect = [](NodeItem* i) { return QRectF(i->pos(), QSizeF(i->boundingRect().width() - 8, i->boundingRect().height() - 8)); };
  QRectF all;
  for (auto* i : items) all = all.united(rect(i));
  std::map<std::string, QPointF> target;
  for (auto* i : items) {
    QRectF r = rect(i);
    QPointF p = i->pos();
    switch (how) {
      case Align::Left: p.setX(all.left()); break;
      case Align::Right: p.setX(all.right() - r.width()); break;
      case Align::Top: p.setY(all.top()); break;
      case Align::Bottom: p.setY(all.bottom() - r.height()); break;
      case Align::CenterH: p.setY(all.center().y() - r.height() / 2); break;
      case Align::CenterV: p.setX(all.center().x() - r.width() / 2); break;
      default: break;
    }
    target[i->id().toStdString()] = p;
  }
  if (how == Align::DistributeH || how == Align::DistributeV) {
    // Equal gaps between neighbours, keeping the outermost two in place.
    const bool h = how == Align::DistributeH;
    std::sort(items.begin(), items.end(), [h](NodeItem* a, NodeItem* b) { return h ? a->x() < b->x() : a->y() < b->y(); });
    double total = 0;
    for (auto* i : items) total += h ? rect(i).width() : rect(i).height();
    const double span = h ? all.width() : all.height();
    const double gap = (span - total) / double(items.size() - 1);
    double cursor = h ? all.left() : all.top();
    for (auto* i : items) {
      QPointF p = i->pos();
      (h ? p.rx() : p.ry()) = cursor;
      target[i->id().toStdString()] = p;
      cursor += (h ? rect(i).width() : rect(i).height()) + gap;
    }
  }
  doc_->move_nodes(target, tr("Align"));
}

void MainWindow::open_add_node(QPointF scene_pos, const QString& node, const QString& port, bool from_output,
                               const QString& port_type) {
  pending_add_ = {scene_pos, node, port, from_output};
  PortFilter filter;
  if (!node.isEmpty()) {
    filter.side = from_output ? PortFilter::Side::NeedsInput : PortFilter::Side::NeedsOutput;
    filter.type = port_type;
  }
  search_->open_at(view_->viewport()->mapToGlobal(view_->mapFromScene(scene_pos)), filter);
}

std::string MainWindow::add_node_from_popup(const QString& type) {
  const PendingAdd p = pending_add_;
  pending_add_ = {};
  std::string id;
  if (p.node.isEmpty()) {
    id = doc_->add_node(type.toStdString(), p.pos);
  } else {
    // A node feeding an input goes to the left of the drop point, a consumer to the right.
    const QPointF pos = p.from_output ? p.pos : p.pos - QPointF(200, 20);
    id = doc_->add_node_connected(type.toStdString(), pos, p.node.toStdString(), p.port.toStdString(), p.from_output);
  }
  if (!id.empty()) scene_->select_nodes({id});
  return id;
}

// ------------------------------------------------------------------------------ running

void MainWindow::set_output_dir(const QString& dir, bool remember) {
  output_dir_ = dir;
  if (remember) QSettings().setValue(QStringLiteral("output_dir"), dir);
}

bool MainWindow::run_on_server(const QUrl& server, const QString& token) {
  if (runner_->is_running() || server_runner_->is_running()) return false;
  prepare_run_display(tr("— run %1 on %2 —").arg(doc_->display_name(), server.toString()));
  const bool started = server_runner_->start(doc_->graph(), server, token, output_dir_);
  update_actions();
  return started;
}

void MainWindow::prepare_run_display(const QString& log_line) {
  scene_->clear_run_states();
  clear_run_error();
  stale_run_ = false;
  run_total_ = run_finished_ = run_cached_ = 0;
  progress_->setValue(0);
  progress_->setVisible(true);
  run_label_->setText(tr("starting…"));
  log_->appendPlainText(log_line);
}

bool MainWindow::run_graph() {
  if (runner_->is_running() || server_runner_->is_running()) return false;
  host::RunOptions options;
  options.output_dir = output_dir_.toStdString();
  if (!doc_->graph_dir().isEmpty()) options.graph_dir = doc_->graph_dir().toStdString();
  prepare_run_display(tr("— run %1 —").arg(doc_->display_name()));
  const bool started = runner_->start(doc_->graph(), options);
  update_actions();
  return started;
}

void MainWindow::on_run_finished(const host::RunResult& result) {
  update_actions();
  const QString seconds = QString::number(result.wall_ms / 1000.0, 'f', 2);
  if (stale_run_) {
    // The run of a graph that was replaced (New / Open) while it went: log how it ended,
    // touch nothing on screen.
    stale_run_ = false;
    log_->appendPlainText(tr("— the previous graph's run ended (%1) —").arg(QString::fromLatin1(host::to_string(result.status))));
    return;
  }
  progress_->setVisible(false);
  scene_->finish_run_states();
  int ran = 0, cached = 0;
  for (const auto& n : result.nodes) (n.cached ? cached : ran)++;
  QString outcome;  // for the log: how the run ended, in one line
  switch (result.status) {
    case host::RunResult::Status::Ok:
      run_label_->setText(tr("done in %1 s · %2 ran · %3 cached").arg(seconds).arg(ran).arg(cached));
      outcome = tr("done in %1 s: %2 node(s) ran, %3 cached, %n file(s) written", nullptr, int(result.files.size()))
                    .arg(seconds).arg(ran).arg(cached);
      doc_->advance_seeds();
      break;
    case host::RunResult::Status::Cancelled:
      run_label_->setText(tr("cancelled after %1 s").arg(seconds));
      outcome = result.failed_node.empty() ? tr("cancelled after %1 s").arg(seconds)
                                           : tr("cancelled after %1 s, in %2").arg(seconds, q(result.failed_node));
      break;
    case host::RunResult::Status::Failed:
      if (!result.problems.empty()) {
        run_label_->setText(tr("not run: the graph has problems"));
        outcome = tr("not run: %n problem(s) in the graph (see Problems)", nullptr, int(result.problems.size()));
        problems_->set_problems(result.problems);
        if (auto* d = findChild<QDockWidget*>("dock_problems")) d->raise();
      } else {
        // A failure outside any node (no output node, unusable device) has no node to
        // name: the message is the news.
        const QString where = result.failed_node.empty() ? QString() : tr(" in %1").arg(q(result.failed_node));
        run_label_->setText(tr("failed%1: %2").arg(where, q(result.message)));
        run_label_->setToolTip(q(result.message));
        outcome = tr("failed%1 after %2 s: %3").arg(where, seconds, q(result.message));
        problems_->set_run_error(q(result.failed_node), q(result.message));
        failed_node_ = result.failed_node;
        failed_context_ = failure_context(failed_node_);
        if (!result.failed_node.empty()) scene_->set_run_state(result.failed_node, NodeRunState::Failed, q(result.message));
        if (auto* d = findChild<QDockWidget*>("dock_problems")) d->raise();
      }
      break;
  }
  log_->appendPlainText(QStringLiteral("— %1 —").arg(outcome));
  status(run_label_->text());
}

void MainWindow::clear_run_error() {
  if (!problems_->has_run_error()) return;
  problems_->set_run_error({}, {});
  failed_node_.clear();
  failed_context_.clear();
  run_label_->setToolTip({});
  scene_->clear_failed_states();
}

std::string MainWindow::failure_context(const std::string& failed) const {
  const host::Graph& g = doc_->graph();
  host::Graph part;
  try {
    if (failed.empty()) {
      part.nodes = g.nodes;  // a failure of the whole graph (no output node, device)
    } else {
      if (!g.find(failed)) return "(removed)";
      std::vector<std::string> outputs;
      for (const auto& [id, n] : g.nodes)
        if (const host::NodeType* t = registry_.find(n.type); t && t->spec.is_output_node()) outputs.push_back(id);
      const auto used = host::upstream_order(g, outputs);
      if (std::find(used.begin(), used.end(), failed) == used.end()) return "(unused)";  // nothing runs it now
      for (const auto& id : host::upstream_order(g, {failed})) part.nodes.set(id, *g.find(id));
    }
    return host::to_yaml(part);
  } catch (const std::exception&) {
    return "(invalid)";  // e.g. a cycle: not the graph that failed either
  }
}

// ------------------------------------------------------------------------------ screenshot

bool MainWindow::save_screenshot(const QString& path) {
  QApplication::processEvents();
  const QPixmap shot = grab();
  const QString dir = QFileInfo(path).absolutePath();
  QDir().mkpath(dir);
  return shot.save(path);
}

}  // namespace ng::editor
