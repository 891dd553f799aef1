#include "plugins_dialog.hpp"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "noisegraph/host/plugin_registry.hpp"
#include "theme.hpp"

namespace ng::editor {

PluginsDialog::PluginsDialog(const host::PluginRegistry& registry, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Plugins"));
  resize(760, 460);
  auto* layout = new QVBoxLayout(this);
  auto* summary = new QLabel(tr("%1 plugins loaded, %2 node types, %3 failed.")
                                 .arg(registry.plugins().size())
                                 .arg(registry.node_types().size())
                                 .arg(registry.failures().size()));
  layout->addWidget(summary);

  auto* loaded = new QTreeWidget;
  loaded->setHeaderLabels({tr("Plugin"), tr("Nodes"), tr("File")});
  loaded->setRootIsDecorated(false);
  loaded->setObjectName(QStringLiteral("loaded_plugins"));
  for (const auto& p : registry.plugins())
    new QTreeWidgetItem(loaded, {QString::fromStdString(p.name), QString::number(p.node_count),
                                 QString::fromStdString(p.file.string())});
  loaded->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  layout->addWidget(loaded, 2);

  auto* failed_label = new QLabel(registry.failures().empty() ? tr("No plugin failed to load.") : tr("Not loaded:"));
  layout->addWidget(failed_label);
  auto* failed = new QTreeWidget;
  failed->setHeaderLabels({tr("File"), tr("Why")});
  failed->setRootIsDecorated(false);
  failed->setWordWrap(true);
  failed->setObjectName(QStringLiteral("failed_plugins"));
  for (const auto& f : registry.failures()) {
    auto* item = new QTreeWidgetItem(failed, {QString::fromStdString(f.file.string()), QString::fromStdString(f.reason)});
    item->setForeground(1, colors::error);
    item->setToolTip(1, QString::fromStdString(f.reason));
  }
  failed->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  failed->setVisible(!registry.failures().empty());
  layout->addWidget(failed, 1);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
}

}  // namespace ng::editor
