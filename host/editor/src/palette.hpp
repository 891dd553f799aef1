#pragma once
// The node palette: every installed node type grouped by category, filtered as you type
// (name, id, category or port type). Double-click or Enter adds the node; entries can be
// dragged onto the canvas.
#include <QWidget>

class QLineEdit;
class QTreeWidget;

namespace ng::host {
class PluginRegistry;
}

namespace ng::editor {

class Palette : public QWidget {
  Q_OBJECT
 public:
  Palette(const host::PluginRegistry& registry, QWidget* parent = nullptr);
  /// Rebuilds the list (after plugins were loaded).
  void refresh();
  void set_filter_text(const QString& text);
  /// Type ids currently listed, in display order.
  QStringList visible_types() const;
  QLineEdit* search_field() const { return search_; }

 Q_SIGNALS:
  void add_requested(const QString& type);

 private:
  const host::PluginRegistry& registry_;
  QLineEdit* search_;
  QTreeWidget* tree_;
};

}  // namespace ng::editor
