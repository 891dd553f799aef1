#include "problems_panel.hpp"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "theme.hpp"

namespace ng::editor {

namespace {
constexpr int kNodeRole = Qt::UserRole + 1;
}

ProblemsPanel::ProblemsPanel(QWidget* parent) : QWidget(parent), tree_(new QTreeWidget), empty_(new QLabel) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  tree_->setColumnCount(3);
  tree_->setHeaderLabels({tr("Node"), tr("Problem"), tr("Where")});
  tree_->setRootIsDecorated(false);
  tree_->setAlternatingRowColors(true);
  tree_->setWordWrap(true);
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setSectionResizeMode(1, QHeaderView::Stretch);
  tree_->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
  tree_->header()->setStretchLastSection(false);
  layout->addWidget(tree_);
  empty_->setWordWrap(true);
  layout->addWidget(empty_);
  connect(tree_, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
    const QString node = item->data(0, kNodeRole).toString();
    if (!node.isEmpty()) Q_EMIT node_activated(node);
  });
  rebuild();
}

void ProblemsPanel::set_problems(const std::vector<host::Problem>& problems) {
  problems_ = problems;
  rebuild();
}

void ProblemsPanel::set_run_error(const QString& node, const QString& message) {
  run_node_ = node;
  run_message_ = message;
  rebuild();
}

void ProblemsPanel::set_graph_empty(bool empty) {
  if (empty == graph_empty_) return;
  graph_empty_ = empty;
  rebuild();
}

QString ProblemsPanel::empty_text() const { return empty_->text(); }

int ProblemsPanel::count() const { return tree_->topLevelItemCount(); }

void ProblemsPanel::activate(int row) {
  if (QTreeWidgetItem* item = tree_->topLevelItem(row)) {
    tree_->setCurrentItem(item);
    Q_EMIT tree_->itemClicked(item, 0);
  }
}

void ProblemsPanel::rebuild() {
  tree_->clear();
  if (!run_message_.isEmpty()) {
    auto* item = new QTreeWidgetItem(tree_, {run_node_, tr("Run failed: %1").arg(run_message_), QString()});
    item->setData(0, kNodeRole, run_node_);
    item->setForeground(1, colors::error);
    item->setToolTip(1, run_message_);
  }
  for (const auto& p : problems_) {
    QString text = QString::fromStdString(p.message);
    if (!p.hint.empty()) text += QStringLiteral("  —  ") + QString::fromStdString(p.hint);
    QString where;
    if (p.line > 0) where = QStringLiteral("line %1:%2").arg(p.line).arg(p.column);
    auto* item = new QTreeWidgetItem(tree_, {QString::fromStdString(p.node), text, where});
    item->setData(0, kNodeRole, QString::fromStdString(p.node));
    item->setToolTip(1, QStringLiteral("%1 [%2]").arg(text, QString::fromStdString(p.code)));
    item->setForeground(1, colors::warning);
  }
  if (graph_empty_) {
    empty_->setText(tr("The graph is empty: drag nodes in from the Nodes panel, or double-click the canvas."));
    empty_->setStyleSheet(QStringLiteral("color: #9aa0a8; padding: 8px;"));
  } else {
    empty_->setText(tr("✓  No problems: the graph can run."));
    empty_->setStyleSheet(QStringLiteral("color: #66bb6a; padding: 8px;"));
  }
  tree_->setVisible(tree_->topLevelItemCount() > 0);
  empty_->setVisible(tree_->topLevelItemCount() == 0);
  Q_EMIT count_changed(tree_->topLevelItemCount());
}

}  // namespace ng::editor
