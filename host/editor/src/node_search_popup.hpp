#pragma once
// The quick-add popup: opens at the cursor (double-click on the canvas, or a link dropped
// into empty space), filters as you type, Enter or click picks a node type.
#include <QFrame>

#include "node_filter.hpp"

class QLabel;
class QLineEdit;
class QListWidget;

namespace ng::editor {

class NodeSearchPopup : public QFrame {
  Q_OBJECT
 public:
  NodeSearchPopup(const host::PluginRegistry& registry, QWidget* parent = nullptr);
  /// Shows the popup at `global_pos` offering the types that pass `filter`.
  void open_at(QPoint global_pos, const PortFilter& filter = {});
  QLineEdit* search_field() const { return search_; }
  /// Type ids currently offered, best first.
  QStringList offered_types() const;

 Q_SIGNALS:
  void chosen(const QString& type);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void refresh();
  void choose_current();

  const host::PluginRegistry& registry_;
  PortFilter filter_;
  QLabel* title_;
  QLineEdit* search_;
  QListWidget* list_;
};

}  // namespace ng::editor
