#include "palette.hpp"

#include <QDrag>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMimeData>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <map>

#include "graph_view.hpp"
#include "node_filter.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {

constexpr int kTypeRole = Qt::UserRole + 1;

/// A tree whose leaves drag as node types.
class PaletteTree : public QTreeWidget {
 public:
  using QTreeWidget::QTreeWidget;

 protected:
  QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override {
    if (items.isEmpty() || items.first()->data(0, kTypeRole).toString().isEmpty()) return nullptr;
    auto* mime = new QMimeData;
    mime->setData(GraphView::node_type_mime(), items.first()->data(0, kTypeRole).toString().toUtf8());
    return mime;
  }
  QStringList mimeTypes() const override { return {QString::fromLatin1(GraphView::node_type_mime())}; }
};

}  // namespace

Palette::Palette(const host::PluginRegistry& registry, QWidget* parent)
    : QWidget(parent), registry_(registry), search_(new QLineEdit), tree_(new PaletteTree) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->setSpacing(6);
  search_->setPlaceholderText(tr("Search nodes, categories, types…"));
  search_->setClearButtonEnabled(true);
  layout->addWidget(search_);
  tree_->setHeaderHidden(true);
  tree_->setColumnCount(1);
  tree_->setDragEnabled(true);
  tree_->setDragDropMode(QAbstractItemView::DragOnly);
  tree_->setIndentation(12);
  tree_->setRootIsDecorated(true);
  tree_->setUniformRowHeights(true);
  layout->addWidget(tree_);
  connect(search_, &QLineEdit::textChanged, this, [this] { refresh(); });
  connect(search_, &QLineEdit::returnPressed, this, [this] {
    const QStringList types = visible_types();
    if (types.size() >= 1) Q_EMIT add_requested(types.first());
  });
  connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
    const QString type = item->data(0, kTypeRole).toString();
    if (!type.isEmpty()) Q_EMIT add_requested(type);
  });
  refresh();
}

void Palette::set_filter_text(const QString& text) { search_->setText(text); }

void Palette::refresh() {
  tree_->clear();
  const QString query = search_->text();
  std::map<QString, QTreeWidgetItem*> categories;
  for (const host::NodeType* t : find_node_types(registry_, query)) {
    const ng::NodeSpec& s = t->spec;
    QString category = QString::fromStdString(s.category_name());
    if (category.isEmpty()) category = QString::fromStdString(t->plugin);
    QTreeWidgetItem*& group = categories[category];
    if (!group) {
      group = new QTreeWidgetItem(tree_, {category});
      group->setFlags(Qt::ItemIsEnabled);
      QFont f = group->font(0);
      f.setBold(true);
      group->setFont(0, f);
      group->setForeground(0, category_color(category).lighter(170));
    }
    auto* item = new QTreeWidgetItem(group, {QString::fromStdString(s.display_name())});
    item->setData(0, kTypeRole, QString::fromStdString(s.id()));
    item->setToolTip(0, node_tooltip(s) + QStringLiteral("<br><span style='color:#9aa0a8'>") +
                            port_signature(s).toHtmlEscaped() + QStringLiteral("</span>"));
  }
  tree_->sortItems(0, Qt::AscendingOrder);
  tree_->expandAll();
}

QStringList Palette::visible_types() const {
  QStringList out;
  for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
    QTreeWidgetItem* group = tree_->topLevelItem(i);
    for (int j = 0; j < group->childCount(); ++j) out << group->child(j)->data(0, kTypeRole).toString();
  }
  return out;
}

}  // namespace ng::editor
