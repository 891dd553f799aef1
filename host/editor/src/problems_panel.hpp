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
  /// Adds the run failure on top (cleared by the next set_problems with clear_run = true).
  void set_run_error(const QString& node, const QString& message);
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
  QTreeWidget* tree_;
  QLabel* empty_;
};

}  // namespace ng::editor
