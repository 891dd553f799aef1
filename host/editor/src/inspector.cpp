#include "inspector.hpp"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include "graph_document.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "param_editors.hpp"
#include "param_format.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }


QLabel* section_label(const QString& text) {
  auto* l = new QLabel(text.toUpper());
  l->setStyleSheet(QStringLiteral("color: #9aa0a8; font-size: 8pt; font-weight: 600; letter-spacing: 1px; padding-top: 8px;"));
  return l;
}
}  // namespace

Inspector::Inspector(GraphDocument* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* content = new QWidget;
  body_ = new QVBoxLayout(content);
  body_->setContentsMargins(10, 8, 10, 10);
  body_->setSpacing(6);
  scroll->setWidget(content);
  outer->addWidget(scroll);
  connect(doc_, &GraphDocument::changed, this, &Inspector::refresh);
  rebuild();
}

ParamEditor* Inspector::editor_for(const std::string& param) const {
  auto it = editors_.find(param);
  return it == editors_.end() ? nullptr : it->second;
}

void Inspector::set_node(const std::string& node) {
  if (node == node_) return;
  node_ = node;
  rebuild();
}

void Inspector::clear_body() {
  editors_.clear();
  reset_buttons_.clear();
  param_labels_.clear();
  title_ = subtitle_ = inputs_label_ = nullptr;
  id_edit_ = nullptr;
  while (QLayoutItem* item = body_->takeAt(0)) {
    if (QWidget* w = item->widget()) {
      w->hide();
      w->deleteLater();
    }
    if (QLayout* l = item->layout()) {
      while (QLayoutItem* inner = l->takeAt(0)) {
        if (QWidget* w = inner->widget()) {
          w->hide();
          w->deleteLater();
        }
        delete inner;
      }
    }
    delete item;
  }
}

void Inspector::rebuild() {
  clear_body();
  const host::GraphNode* n = doc_->graph().find(node_);
  if (!n) {
    node_.clear();
    shown_type_.clear();
    auto* hint = dim_label(tr("Select a node to see its parameters.\n\nDouble-click the canvas or drag from a port "
                              "into empty space to add nodes."),
                           true);
    hint->setAlignment(Qt::AlignCenter);
    body_->addStretch();
    body_->addWidget(hint);
    body_->addStretch();
    return;
  }
  shown_type_ = n->type;
  const host::NodeType* t = doc_->node_type(node_);

  title_ = new QLabel;
  title_->setProperty("role", "heading");
  title_->setWordWrap(true);
  body_->addWidget(title_);
  subtitle_ = dim_label({}, true);
  body_->addWidget(subtitle_);
  if (t && !t->spec.description().empty()) {
    auto* d = new QLabel(q(t->spec.description()));
    d->setWordWrap(true);
    body_->addWidget(d);
  }

  auto* idrow = new QFormLayout;
  idrow->setContentsMargins(0, 6, 0, 0);
  id_edit_ = new QLineEdit(q(node_));
  id_edit_->setToolTip(tr("The node's id in the graph file (links refer to it)"));
  idrow->addRow(tr("id"), id_edit_);
  body_->addLayout(idrow);
  connect(id_edit_, &QLineEdit::editingFinished, this, [this] {
    const std::string to = id_edit_->text().trimmed().toStdString();
    if (to == node_) return;
    QString why;
    const std::string from = node_;
    if (doc_->rename_node(from, to, &why)) {
      set_node(to);
    } else {
      id_edit_->setText(q(node_));
      id_edit_->setToolTip(why);
    }
  });

  if (!t) {
    auto* missing = new QLabel(tr("No loaded plugin provides <b>%1</b>. The node and its values are kept as written "
                                  "and saved unchanged.").arg(q(n->type).toHtmlEscaped()));
    missing->setWordWrap(true);
    missing->setProperty("role", "error");
    body_->addWidget(missing);
    if (!n->params.empty()) {
      body_->addWidget(section_label(tr("Parameters")));
      auto* form = new QFormLayout;
      for (const auto& [name, value] : n->params) form->addRow(q(name), dim_label(q(value.text), true));
      body_->addLayout(form);
    }
    body_->addStretch();
    refresh();
    return;
  }

  const ng::NodeSpec& spec = t->spec;
  if (!spec.inputs().empty()) {
    body_->addWidget(section_label(tr("Inputs")));
    inputs_label_ = new QLabel;
    inputs_label_->setWordWrap(true);
    inputs_label_->setTextFormat(Qt::RichText);
    body_->addWidget(inputs_label_);
  }
  if (!spec.params().empty()) {
    body_->addWidget(section_label(tr("Parameters")));
    auto* form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    ParamEditorOptions options;
    options.graph_dir = [this] { return doc_->graph_dir(); };
    for (const auto& p : spec.params()) {
      ParamEditor* editor = make_param_editor(p, options, nullptr);
      editors_[p.name] = editor;
      auto* row = new QWidget;
      // Rows never take extra height: in a tall inspector a growing row (the prompt box
      // is vertically expanding) centred its field away from the label above it.
      row->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
      auto* h = new QHBoxLayout(row);
      h->setContentsMargins(0, 0, 0, 0);
      h->setSpacing(2);
      h->addWidget(editor, 1, Qt::AlignTop);
      auto* reset = new QToolButton;
      reset->setText(QStringLiteral("↺"));
      reset->setAutoRaise(true);
      reset->setToolTip(tr("Reset to the default (%1)").arg(format_param(p.default_value)));
      h->addWidget(reset, 0, Qt::AlignTop);
      reset_buttons_[p.name] = reset;
      auto* label = new QLabel(q(p.name));
      label->setToolTip(editor->toolTip() + tr("<br><i>Right-click to expose it as a graph input.</i>"));
      label->setContextMenuPolicy(Qt::CustomContextMenu);
      label->setTextFormat(Qt::RichText);
      param_labels_[p.name] = label;
      form->addRow(label, row);
      const std::string name = p.name;
      connect(label, &QWidget::customContextMenuRequested, this, [this, name, label](const QPoint& pos) {
        QMenu menu(this);
        fill_param_menu(&menu, name);
        menu.exec(label->mapToGlobal(pos));
      });
      connect(editor, &ParamEditor::edited, this, [this, name](const ng::ParamValue& v) {
        doc_->set_param(node_, name, v);
      });
      connect(reset, &QToolButton::clicked, this, [this, name] { doc_->reset_param(node_, name); });
      connect(editor, &ParamEditor::notice_changed, this, [this, name](const QString& text) {
        if (!text.isEmpty()) Q_EMIT status_message(QStringLiteral("%1.%2: %3").arg(q(node_), q(name), text));
      });
      if (auto* seed = qobject_cast<SeedEditor*>(editor))
        connect(seed, &SeedEditor::mode_changed, this, [this, name](SeedMode m) { doc_->set_seed_mode(node_, name, m); });
    }
    body_->addLayout(form);
  }
  body_->addStretch();
  refresh();
}

void Inspector::fill_param_menu(QMenu* menu, const std::string& param) {
  const std::string node = node_;
  const auto inputs = doc_->inputs_targeting(node, param);
  if (inputs.empty()) {
    QAction* expose = menu->addAction(tr("Expose as graph input"));
    expose->setObjectName(QStringLiteral("expose_input"));
    expose->setToolTip(tr("Lists %1.%2 in the Graph inputs form and lets `noisegraph run` set it by name")
                           .arg(q(node), q(param)));
    connect(expose, &QAction::triggered, this, [this, node, param] {
      const std::string name = doc_->expose_param(node, param);
      if (!name.empty()) Q_EMIT status_message(tr("%1.%2 is now graph input '%3'").arg(q(node), q(param), q(name)));
    });
  } else {
    QStringList names;
    for (const auto& n : inputs) names << q(n);
    QAction* remove = menu->addAction(tr("Remove graph input %1").arg(names.join(QStringLiteral(", "))));
    remove->setObjectName(QStringLiteral("unexpose_input"));
    connect(remove, &QAction::triggered, this, [this, node, param] { doc_->unexpose_param(node, param); });
  }
}

void Inspector::refresh() {
  const host::GraphNode* n = doc_->graph().find(node_);
  if (!n || n->type != shown_type_) {
    // Deleted, renamed away or changed type: start over (an undo may bring it back).
    if (!node_.empty() || title_) {
      if (!n) node_.clear();
      rebuild();
    }
    return;
  }
  const host::NodeType* t = doc_->node_type(node_);
  title_->setText(t ? q(t->spec.display_name()) : q(n->type));
  subtitle_->setText(t ? QStringLiteral("%1  ·  v%2.%3").arg(q(n->type)).arg(t->spec.version().major).arg(t->spec.version().minor)
                       : q(n->type));
  if (id_edit_ && !id_edit_->hasFocus()) id_edit_->setText(q(node_));
  if (!t) return;

  if (inputs_label_) {
    QStringList lines;
    for (const auto& in : t->spec.inputs()) {
      const host::Link* link = n->inputs.find(in.name);
      const QString colour = port_color(q(in.type)).name();
      QString source = link ? QStringLiteral("← %1.%2").arg(q(link->node).toHtmlEscaped(), q(link->output).toHtmlEscaped())
                            : in.optional ? tr("<span style='color:#9aa0a8'>optional, not connected</span>")
                                          : tr("<span style='color:#ef5350'>not connected</span>");
      lines << QStringLiteral("<span style='color:%1'>●</span> %2 %3").arg(colour, q(in.name).toHtmlEscaped(), source);
    }
    inputs_label_->setText(lines.join(QStringLiteral("<br>")));
  }
  const auto values = doc_->params(node_);
  for (auto& [name, editor] : editors_) {
    std::optional<ng::ParamValue> value = doc_->raw_param(node_, name);
    if (!value) value = values.at(name);
    editor->set_value(*value);
    editor->set_error(doc_->param_problem(node_, name));
    if (auto* seed = qobject_cast<SeedEditor*>(editor)) seed->set_mode(doc_->seed_mode(node_, name));
    reset_buttons_[name]->setVisible(n->params.contains(name));
    // A parameter a graph input sets says so next to its name.
    const auto inputs = doc_->inputs_targeting(node_, name);
    QLabel* label = param_labels_[name];
    label->setText(inputs.empty() ? q(name).toHtmlEscaped()
                                  : QStringLiteral("%1 <span style='color:#9aa0a8; font-size:8pt'>⇠ %2</span>")
                                        .arg(q(name).toHtmlEscaped(), q(inputs.front()).toHtmlEscaped()));
  }
}

}  // namespace ng::editor
