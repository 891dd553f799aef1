#include "inputs_panel.hpp"

#include <QFormLayout>
#include <QLabel>
#include <QScrollArea>
#include <QStringList>
#include <QVBoxLayout>

#include "graph_document.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "param_editors.hpp"
#include "theme.hpp"

namespace ng::editor {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }


QString targets_text(const host::GraphInput& input, bool links) {
  QStringList names;
  for (const auto& t : input.to) {
    const QString text = q(t.node + "." + t.param).toHtmlEscaped();
    names << (links ? QStringLiteral("<a href='%1' style='color:#9aa0a8'>%2</a>").arg(q(t.node).toHtmlEscaped(), text)
                    : text);
  }
  return names.join(QStringLiteral(", "));
}
}  // namespace

InputsPanel::InputsPanel(GraphDocument* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  scroll_ = new QScrollArea;
  scroll_->setWidgetResizable(true);
  scroll_->setFrameShape(QFrame::NoFrame);
  outer->addWidget(scroll_);
  connect(doc_, &GraphDocument::changed, this, &InputsPanel::refresh);
  refresh();
}

std::vector<std::string> InputsPanel::shown_inputs() const { return order_; }

ParamEditor* InputsPanel::editor_for(const std::string& name) const {
  auto it = rows_.find(name);
  return it == rows_.end() ? nullptr : it->second.editor;
}

QString InputsPanel::row_problem(const std::string& name) const {
  auto it = rows_.find(name);
  return it == rows_.end() ? QString() : it->second.problem;
}

std::string InputsPanel::layout_key() const {
  // Names, descriptions, targets, the target's node type and whether it can be edited:
  // what the rows are made of. Values are left out, so an edit never rebuilds the form.
  std::string key;
  for (const auto& [name, input] : doc_->graph().inputs) {
    key += name + '\n' + input.description + '\n';
    for (const auto& t : input.to) key += t.node + "." + t.param + ' ';
    if (!input.to.empty())
      if (const host::GraphNode* n = doc_->graph().find(input.to.front().node)) key += n->type;
    key += '\n' + doc_->input_problem(name).toStdString() + '\x1f';
  }
  return key;
}

void InputsPanel::refresh() {
  const std::string key = layout_key();
  if (!built_ || key != shown_key_) {
    shown_key_ = key;
    rebuild();
  }
  update_values();
}

void InputsPanel::rebuild() {
  built_ = true;
  ++builds_;
  order_.clear();
  rows_.clear();
  if (QWidget* old = scroll_->takeWidget()) {
    // Later: a signal of one of its editors may be what led here.
    old->hide();
    old->deleteLater();
  }
  auto* content = new QWidget;
  auto* body = new QVBoxLayout(content);
  body->setContentsMargins(10, 8, 10, 10);
  body->setSpacing(6);
  scroll_->setWidget(content);

  const host::Graph& g = doc_->graph();
  if (g.inputs.empty()) {
    auto* hint = dim_label(
        tr("This graph declares no inputs.<br><br>Graph inputs are the values a user of the graph is meant to "
           "change: they appear here as a form, and <tt>noisegraph run graph.yaml name=value</tt> sets them from "
           "the command line.<br><br>To add one, right-click a parameter in the Inspector and choose "
           "<i>Expose as graph input</i>, or declare it in the file:<pre>inputs:\n"
           "  seed: {to: sample.seed, describe: \"noise seed\"}</pre>"));
    hint->setObjectName(QStringLiteral("inputs_empty_hint"));
    hint->setTextFormat(Qt::RichText);
    body->addWidget(hint);
    body->addStretch();
    return;
  }

  auto* intro = dim_label(tr("Each value is stored in the parameters it sets, so the graph runs with it as saved."));
  body->addWidget(intro);
  auto* form = new QFormLayout;
  form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  ParamEditorOptions options;
  options.graph_dir = [this] { return doc_->graph_dir(); };
  for (const auto& [name, input] : g.inputs) {
    order_.push_back(name);
    Row& r = rows_[name];
    r.problem = doc_->input_problem(name);

    QString tip = QStringLiteral("<b>%1</b>").arg(q(name).toHtmlEscaped());
    if (!input.description.empty()) tip += QStringLiteral("<br>") + q(input.description).toHtmlEscaped();
    tip += QStringLiteral("<br><span style='color:#9aa0a8'>%1 %2</span>").arg(tr("sets"), targets_text(input, false));

    auto* row = new QWidget;
    row->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    auto* v = new QVBoxLayout(row);
    v->setContentsMargins(0, 0, 0, 4);
    v->setSpacing(2);
    auto* label = new QLabel(q(name));
    label->setToolTip(tip);

    if (!r.problem.isEmpty()) {
      auto* why = new QLabel(r.problem);
      why->setWordWrap(true);
      why->setProperty("role", "error");
      v->addWidget(why);
      label->setEnabled(false);
    } else {
      const host::InputTarget& first = input.to.front();
      const ng::ParamSpec* spec = doc_->node_type(first.node)->spec.find_param(first.param);
      r.editor = make_param_editor(*spec, options, nullptr);
      r.editor->setToolTip(tip);
      v->addWidget(r.editor);
      connect(r.editor, &ParamEditor::edited, this, [this, name](const ng::ParamValue& value) {
        doc_->set_input(name, value);
      });
      connect(r.editor, &ParamEditor::notice_changed, this, [this, name](const QString& text) {
        if (!text.isEmpty()) Q_EMIT status_message(QStringLiteral("%1: %2").arg(q(name), text));
      });
      if (auto* seed = qobject_cast<SeedEditor*>(r.editor)) {
        // After-run modes live on a parameter; advance_seeds() carries the first target's
        // new value to the others.
        const std::string node = first.node, param = first.param;
        connect(seed, &SeedEditor::mode_changed, this,
                [this, node, param](SeedMode m) { doc_->set_seed_mode(node, param, m); });
      }
    }
    QString secondary = input.description.empty() ? QString() : q(input.description).toHtmlEscaped() + QStringLiteral("<br>");
    secondary += QStringLiteral("%1 %2").arg(tr("sets"), targets_text(input, true));
    auto* sub = dim_label(secondary);
    sub->setTextFormat(Qt::RichText);
    connect(sub, &QLabel::linkActivated, this, [this](const QString& node) { Q_EMIT node_activated(node); });
    v->addWidget(sub);
    row->setEnabled(r.problem.isEmpty());
    form->addRow(label, row);
  }
  body->addLayout(form);
  body->addStretch();
}

void InputsPanel::update_values() {
  for (const auto& [name, r] : rows_) {
    if (!r.editor) continue;
    const host::GraphInput* input = doc_->graph().inputs.find(name);
    if (!input || input->to.empty()) continue;
    const host::InputTarget& t = input->to.front();
    // As the inspector: show what the file says, even when it is out of range.
    std::optional<ng::ParamValue> value = doc_->raw_param(t.node, t.param);
    if (!value) {
      const auto values = doc_->params(t.node);
      auto it = values.find(t.param);
      if (it == values.end()) continue;
      value = it->second;
    }
    r.editor->set_value(*value);
    r.editor->set_error(doc_->param_problem(t.node, t.param));
    if (auto* seed = qobject_cast<SeedEditor*>(r.editor)) seed->set_mode(doc_->seed_mode(t.node, t.param));
  }
}

}  // namespace ng::editor
