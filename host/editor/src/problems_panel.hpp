#pragma once
// Lists what validation found (and why a run failed). Clicking a problem selects its node.
#include <QWidget>

#include <vector>

#include "noisegraph/host/problem.hpp"

class QLabel;
class QTreeWidget;

namespace ng::editor {

class ProblemsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ProblemsPanel(QWidget* parent = nullptr);
  void set_problems(const std::vector<host::Problem>& problems);
  /// Adds the run failure on top; an empty message removes it.
  void set_run_error(const QString& node, const QString& message);
  bool has_run_error() const { return !run_message_.isEmpty(); }
  /// An empty graph has no problems but cannot run either: the panel says so instead of
  /// "the graph can run".
  void set_graph_empty(bool empty);
  bool graph_empty() const { return graph_empty_; }
  /// The line shown when there is nothing to list.
  QString empty_text() const;
  int count() const;
  /// Activates row `row` as a click would (for tests).
  void activate(int row);

 Q_SIGNALS:
  void node_activated(const QString& node);
  void count_changed(int count);

 private:
  void rebuild();
  std::vector<host::Problem> problems_;
  QString run_node_, run_message_;
  bool graph_empty_ = false;
  QTreeWidget* tree_;
  QLabel* empty_;
};

}  // namespace ng::editor
