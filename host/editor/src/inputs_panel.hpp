#pragma once
// The "Graph inputs" dock: the graph's declared inputs (`inputs:` in the file) as a form,
// one generated editor per input (see param_editors.hpp), made for the parameter of its
// first target. An edit sets the value on every target as one undoable step. The form is
// rebuilt only when the set of inputs changes; value changes (including the user's own
// typing coming back through the document) just update the editors in place.
#include <QWidget>

#include <map>
#include <string>
#include <vector>

class QLabel;
class QScrollArea;

namespace ng::editor {

class GraphDocument;
class ParamEditor;

class InputsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit InputsPanel(GraphDocument* doc, QWidget* parent = nullptr);

  /// Names of the inputs shown, in file order.
  std::vector<std::string> shown_inputs() const;
  /// The editor of input `name`; nullptr when there is none (unknown input, or a target
  /// that cannot be edited: see row_problem).
  ParamEditor* editor_for(const std::string& name) const;
  /// Why the row of input `name` is disabled ("" = it is editable).
  QString row_problem(const std::string& name) const;
  /// How many times the form was built (tests check that edits do not rebuild it).
  int builds() const { return builds_; }

 public Q_SLOTS:
  /// Re-reads the document: rebuilds when the inputs changed, else updates the values.
  void refresh();

 Q_SIGNALS:
  /// A message for the status bar (a typed value that was clamped, ...).
  void status_message(const QString& text);
  /// The user clicked the node an input sets.
  void node_activated(const QString& node);

 private:
  struct Row {
    ParamEditor* editor = nullptr;  ///< null for a disabled row
    QString problem;
  };
  /// Everything the form's layout depends on (not the values), to tell whether to rebuild.
  std::string layout_key() const;
  void rebuild();
  void update_values();

  GraphDocument* doc_;
  QScrollArea* scroll_;
  std::string shown_key_;
  bool built_ = false;
  std::vector<std::string> order_;
  std::map<std::string, Row> rows_;
  int builds_ = 0;
};

}  // namespace ng::editor
