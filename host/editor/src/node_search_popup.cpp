#include "node_search_popup.hpp"

#include <QGuiApplication>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QScreen>
#include <QVBoxLayout>

#include "noisegraph/host/plugin_registry.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {
constexpr int kTypeRole = Qt::UserRole + 1;
}

NodeSearchPopup::NodeSearchPopup(const host::PluginRegistry& registry, QWidget* parent)
    : QFrame(parent, Qt::Popup), registry_(registry), title_(new QLabel), search_(new QLineEdit),
      list_(new QListWidget) {
  setFrameShape(QFrame::StyledPanel);
  setObjectName(QStringLiteral("node_search_popup"));
  setStyleSheet(QStringLiteral("#node_search_popup { background: #26292e; border: 1px solid #4c9aff; border-radius: 6px; }"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->setSpacing(4);
  title_->setProperty("role", "dim");
  layout->addWidget(title_);
  search_->setPlaceholderText(tr("Add node…"));
  layout->addWidget(search_);
  list_->setUniformItemSizes(true);
  layout->addWidget(list_);
  resize(340, 360);
  search_->installEventFilter(this);
  connect(search_, &QLineEdit::textChanged, this, [this] { refresh(); });
  connect(search_, &QLineEdit::returnPressed, this, [this] { choose_current(); });
  connect(list_, &QListWidget::itemActivated, this, [this] { choose_current(); });
  connect(list_, &QListWidget::itemClicked, this, [this] { choose_current(); });
}

void NodeSearchPopup::open_at(QPoint global_pos, const PortFilter& filter) {
  filter_ = filter;
  switch (filter.side) {
    case PortFilter::Side::Any: title_->setText(tr("Add a node")); break;
    case PortFilter::Side::NeedsInput: title_->setText(tr("Add a node that takes %1").arg(filter.type)); break;
    case PortFilter::Side::NeedsOutput: title_->setText(tr("Add a node that gives %1").arg(filter.type)); break;
  }
  search_->clear();
  refresh();
  QPoint pos = global_pos;
  if (QScreen* screen = QGuiApplication::screenAt(global_pos)) {
    const QRect avail = screen->availableGeometry();
    pos.setX(std::min(pos.x(), avail.right() - width()));
    pos.setY(std::min(pos.y(), avail.bottom() - height()));
  }
  move(pos);
  show();
  search_->setFocus();
}

void NodeSearchPopup::refresh() {
  list_->clear();
  for (const host::NodeType* t : find_node_types(registry_, search_->text(), filter_)) {
    const ng::NodeSpec& s = t->spec;
    auto* item = new QListWidgetItem(QStringLiteral("%1   %2").arg(QString::fromStdString(s.display_name()),
                                                                   QString::fromStdString(s.category_name())));
    item->setData(kTypeRole, QString::fromStdString(s.id()));
    item->setToolTip(node_tooltip(s));
    list_->addItem(item);
  }
  if (list_->count() > 0) list_->setCurrentRow(0);
}

QStringList NodeSearchPopup::offered_types() const {
  QStringList out;
  for (int i = 0; i < list_->count(); ++i) out << list_->item(i)->data(kTypeRole).toString();
  return out;
}

void NodeSearchPopup::choose_current() {
  QListWidgetItem* item = list_->currentItem();
  if (!item) return;
  const QString type = item->data(kTypeRole).toString();
  hide();
  Q_EMIT chosen(type);
}

bool NodeSearchPopup::eventFilter(QObject* watched, QEvent* event) {
  // Arrow keys move through the list while typing continues in the field.
  if (watched == search_ && event->type() == QEvent::KeyPress) {
    auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() == Qt::Key_Down || key->key() == Qt::Key_Up) {
      const int row = list_->currentRow() + (key->key() == Qt::Key_Down ? 1 : -1);
      if (row >= 0 && row < list_->count()) list_->setCurrentRow(row);
      return true;
    }
    if (key->key() == Qt::Key_Escape) {
      hide();
      return true;
    }
  }
  return QFrame::eventFilter(watched, event);
}

}  // namespace ng::editor
