#pragma once
// Help > Plugins: what was loaded (with node counts) and what was refused, with why.
#include <QDialog>

namespace ng::host {
class PluginRegistry;
}

namespace ng::editor {

class PluginsDialog : public QDialog {
  Q_OBJECT
 public:
  PluginsDialog(const host::PluginRegistry& registry, QWidget* parent = nullptr);
};

}  // namespace ng::editor
