#pragma once
// The side panel for the selected node: its name, type and description, where its
// inputs come from, and one generated editor per parameter (see param_editors.hpp).
// Every change goes to the document as an undoable edit; invalid values are outlined in
// red with the validator's message.
#include <QWidget>

#include <map>
#include <string>

class QFormLayout;
class QLabel;
class QLineEdit;
class QMenu;
class QVBoxLayout;

namespace ng::editor {

class GraphDocument;
class ParamEditor;

class Inspector : public QWidget {
  Q_OBJECT
 public:
  explicit Inspector(GraphDocument* doc, QWidget* parent = nullptr);

  /// Shows `node` ("" shows a hint instead).
  void set_node(const std::string& node);
  const std::string& node() const { return node_; }
  /// The editor of a parameter of the shown node (nullptr when none).
  ParamEditor* editor_for(const std::string& param) const;
  /// Adds the actions of a parameter's context menu (right-click on its name): "Expose
  /// as graph input", or "Remove graph input" when an input already sets it.
  void fill_param_menu(QMenu* menu, const std::string& param);

 public Q_SLOTS:
  /// Re-reads values and problems from the document (rebuilds if the node's type changed).
  void refresh();

 Q_SIGNALS:
  /// A message for the status bar (a typed value that was out of range, ...).
  void status_message(const QString& text);

 private:
  void rebuild();
  void clear_body();

  GraphDocument* doc_;
  std::string node_;
  std::string shown_type_;
  QVBoxLayout* body_;
  QLabel* title_ = nullptr;
  QLabel* subtitle_ = nullptr;
  QLineEdit* id_edit_ = nullptr;
  QLabel* inputs_label_ = nullptr;
  std::map<std::string, ParamEditor*> editors_;
  std::map<std::string, QWidget*> reset_buttons_;
  std::map<std::string, QLabel*> param_labels_;
};

}  // namespace ng::editor
