#include "param_editors.hpp"

#include "file_chooser.hpp"

#include "theme.hpp"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRandomGenerator>
#include <QRegularExpressionValidator>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <type_traits>

namespace ng::editor {

namespace {

template <class T>
T value_or(const ng::ParamValue& v, T fallback) {
  if (auto* p = std::get_if<T>(&v)) return *p;
  return fallback;
}

double as_double(const ng::ParamValue& v, double fallback = 0) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return double(*i);
  return fallback;
}

QString tooltip_for(const ng::ParamSpec& s) {
  QString tip = QStringLiteral("<b>%1</b>").arg(QString::fromStdString(s.name).toHtmlEscaped());
  if (!s.description.empty()) tip += QStringLiteral("<br>") + QString::fromStdString(s.description).toHtmlEscaped();
  if (s.min || s.max) {
    tip += QStringLiteral("<br><span style='color:#9aa0a8'>range %1 … %2</span>")
               .arg(s.min ? QString::number(*s.min) : QStringLiteral("−∞"),
                    s.max ? QString::number(*s.max) : QStringLiteral("∞"));
  }
  return tip;
}

/// Turns a user action into edited() without re-entering while set_value() runs.
struct Guard {
  bool active = false;
};

/// A spin box that lets the user type a number outside its range and, when the value is
/// committed, takes the nearest bound and remembers what was typed, so the editor can say
/// so. (Qt's own refuse the keystroke that leaves the range: typing 5000 into a field
/// limited to 500 silently gave 500.)
template <class Base, class T>
class BoundedSpinBox : public Base {
 public:
  struct Clamp {
    T typed, bound;
  };
  /// What the last commit clamped, once.
  std::optional<Clamp> take_clamp() {
    auto c = clamp_;
    clamp_.reset();
    return c;
  }

 protected:
  QValidator::State validate(QString& text, int& pos) const override {
    const QValidator::State state = Base::validate(text, pos);
    if (state == QValidator::Invalid && number(text)) return QValidator::Intermediate;
    return state;
  }
  void fixup(QString& text) const override {
    if (auto v = number(text); v && (*v > this->maximum() || *v < this->minimum())) {
      const T bound = *v > this->maximum() ? T(this->maximum()) : T(this->minimum());
      clamp_ = Clamp{*v, bound};
      text = this->textFromValue(bound);
      return;
    }
    Base::fixup(text);
  }

 private:
  std::optional<T> number(QString text) const {
    text = text.trimmed();
    if (!this->prefix().isEmpty() && text.startsWith(this->prefix())) text.remove(0, this->prefix().size());
    if (!this->suffix().isEmpty() && text.endsWith(this->suffix())) text.chop(this->suffix().size());
    bool ok = false;
    T v;
    if constexpr (std::is_integral_v<T>) v = T(this->locale().toLongLong(text.trimmed(), &ok));
    else v = T(this->locale().toDouble(text.trimmed(), &ok));
    if (!ok) return std::nullopt;
    return v;
  }
  mutable std::optional<Clamp> clamp_;
};

using IntSpinBox = BoundedSpinBox<QSpinBox, int64_t>;
using FloatSpinBox = BoundedSpinBox<QDoubleSpinBox, double>;

/// The note for a typed value that was out of range.
template <class T>
QString clamp_notice(T typed, T bound, bool above, const std::function<QString(T)>& text) {
  return above ? QObject::tr("%1 is above the maximum, %2: set to %2.").arg(text(typed), text(bound))
               : QObject::tr("%1 is below the minimum, %2: set to %2.").arg(text(typed), text(bound));
}

// ---------------------------------------------------------------- Int
class IntEditor : public ParamEditor {
 public:
  IntEditor(const ng::ParamSpec& s, QWidget* parent) : ParamEditor(s, parent), box_(new IntSpinBox) {
    box_->setKeyboardTracking(false);
    box_->setRange(lo(), hi());
    box_->setSingleStep(std::max(1, int(s.step.value_or(1))));
    box_->setAccelerated(true);
    set_content(box_);
    connect(box_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int v) {
      if (guard_.active) return;
      report_clamp(true);
      Q_EMIT edited(ng::ParamValue(int64_t{v}));
    });
    // A typed value clamped to the bound the field already had changes nothing: no
    // valueChanged, but the user still learns why the field did not take it.
    connect(box_, &QAbstractSpinBox::editingFinished, this, [this] { report_clamp(false); });
  }
  void set_value(const ng::ParamValue& v) override {
    const int64_t x = value_or<int64_t>(v, 0);
    if (!notice().isEmpty() && x != box_->value()) set_notice({});  // undo, reset, another edit
    guard_.active = true;
    // Widen the range for an out-of-range value from a file, so the field shows the real
    // value (in red, via the validator) instead of silently clamping it.
    box_->setRange(int(std::min<int64_t>(lo(), std::max<int64_t>(x, INT_MIN))),
                   int(std::max<int64_t>(hi(), std::min<int64_t>(x, INT_MAX))));
    box_->setValue(int(std::clamp<int64_t>(x, INT_MIN, INT_MAX)));
    guard_.active = false;
  }
  ng::ParamValue value() const override { return int64_t{box_->value()}; }

 protected:
  QWidget* field() const override { return box_; }

 private:
  int lo() const { return spec().min ? int(std::max<double>(*spec().min, INT_MIN)) : INT_MIN; }
  int hi() const { return spec().max ? int(std::min<double>(*spec().max, INT_MAX)) : INT_MAX; }
  /// Shows (or, for a plain edit, clears) the note about a typed value that was clamped.
  void report_clamp(bool clear_otherwise) {
    if (auto c = box_->take_clamp())
      set_notice(clamp_notice<int64_t>(c->typed, c->bound, c->typed > c->bound,
                                       [](int64_t x) { return QString::number(x); }));
    else if (clear_otherwise)
      set_notice({});
  }
  IntSpinBox* box_;
  Guard guard_;
};

// ---------------------------------------------------------------- Float
class FloatEditor : public ParamEditor {
 public:
  FloatEditor(const ng::ParamSpec& s, QWidget* parent) : ParamEditor(s, parent), box_(new FloatSpinBox) {
    const double lo = s.min.value_or(-1e9), hi = s.max.value_or(1e9);
    double step = s.step.value_or(s.min && s.max ? (hi - lo) / 100.0 : 0.1);
    if (!(step > 0)) step = 0.1;
    box_->setKeyboardTracking(false);
    box_->setRange(lo, hi);
    box_->setSingleStep(step);
    box_->setDecimals(std::clamp(int(std::ceil(-std::log10(step))) + 1, 2, 6));
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    if (s.min && s.max && hi > lo) {
      slider_ = new QSlider(Qt::Horizontal);
      slider_->setRange(0, 1000);
      h->addWidget(slider_, 3);
      connect(slider_, &QSlider::valueChanged, this, [this, lo, hi, step](int pos) {
        if (guard_.active) return;
        double v = lo + (hi - lo) * pos / 1000.0;
        v = std::clamp(lo + std::round((v - lo) / step) * step, lo, hi);  // snap to the step grid
        guard_.active = true;
        box_->setValue(v);
        guard_.active = false;
        Q_EMIT edited(ng::ParamValue(box_->value()));
      });
    }
    h->addWidget(box_, 2);
    set_content(row);
    connect(box_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
      if (guard_.active) return;
      sync_slider(v);
      report_clamp(true);
      Q_EMIT edited(ng::ParamValue(v));
    });
    connect(box_, &QAbstractSpinBox::editingFinished, this, [this] { report_clamp(false); });
  }
  void set_value(const ng::ParamValue& v) override {
    const double x = as_double(v);
    if (!notice().isEmpty() && x != box_->value()) set_notice({});
    guard_.active = true;
    box_->setRange(std::min(spec().min.value_or(-1e9), x), std::max(spec().max.value_or(1e9), x));
    box_->setValue(x);
    sync_slider(x);
    guard_.active = false;
  }
  ng::ParamValue value() const override { return box_->value(); }

 protected:
  QWidget* field() const override { return box_; }

 private:
  void sync_slider(double v) {
    if (!slider_) return;
    const double lo = *spec().min, hi = *spec().max;
    const bool was = guard_.active;
    guard_.active = true;
    slider_->setValue(int(std::lround(std::clamp((v - lo) / (hi - lo), 0.0, 1.0) * 1000)));
    guard_.active = was;
  }
  void report_clamp(bool clear_otherwise) {
    if (auto c = box_->take_clamp())
      set_notice(clamp_notice<double>(c->typed, c->bound, c->typed > c->bound,
                                      [](double x) { return QString::number(x, 'g', 10); }));
    else if (clear_otherwise)
      set_notice({});
  }
  FloatSpinBox* box_;
  QSlider* slider_ = nullptr;
  Guard guard_;
};

// ---------------------------------------------------------------- Bool
class BoolEditor : public ParamEditor {
 public:
  BoolEditor(const ng::ParamSpec& s, QWidget* parent) : ParamEditor(s, parent), box_(new QCheckBox) {
    set_content(box_);
    connect(box_, &QCheckBox::toggled, this, [this](bool on) {
      if (!guard_.active) Q_EMIT edited(ng::ParamValue(on));
    });
  }
  void set_value(const ng::ParamValue& v) override {
    guard_.active = true;
    box_->setChecked(value_or<bool>(v, false));
    guard_.active = false;
  }
  ng::ParamValue value() const override { return box_->isChecked(); }

 protected:
  QWidget* field() const override { return box_; }

 private:
  QCheckBox* box_;
  Guard guard_;
};

// ---------------------------------------------------------------- Enum
class EnumEditor : public ParamEditor {
 public:
  EnumEditor(const ng::ParamSpec& s, QWidget* parent) : ParamEditor(s, parent), box_(new QComboBox) {
    fill();
    set_content(box_);
    connect(box_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) {
      if (!guard_.active) Q_EMIT edited(value());
    });
  }
  void set_value(const ng::ParamValue& v) override {
    const QString text = QString::fromStdString(value_or<std::string>(v, {}));
    guard_.active = true;
    fill();
    int i = box_->findData(text);
    if (i < 0) {  // a value from a file that is not a choice: show it, the validator says why
      box_->addItem(text + QStringLiteral(" (not a choice)"), text);
      i = box_->count() - 1;
    }
    box_->setCurrentIndex(i);
    guard_.active = false;
  }
  ng::ParamValue value() const override { return box_->currentData().toString().toStdString(); }

 protected:
  QWidget* field() const override { return box_; }

 private:
  void fill() {
    box_->clear();
    for (const auto& c : spec().choices) box_->addItem(QString::fromStdString(c), QString::fromStdString(c));
  }
  QComboBox* box_;
  Guard guard_;
};

// ---------------------------------------------------------------- String (one line)
class LineEditor : public ParamEditor {
 public:
  LineEditor(const ng::ParamSpec& s, QWidget* parent) : ParamEditor(s, parent), edit_(new QLineEdit) {
    set_content(edit_);
    connect(edit_, &QLineEdit::editingFinished, this, [this] {
      if (edit_->text() != last_) {
        last_ = edit_->text();
        Q_EMIT edited(value());
      }
    });
  }
  void set_value(const ng::ParamValue& v) override {
    last_ = QString::fromStdString(value_or<std::string>(v, {}));
    if (edit_->text() != last_) edit_->setText(last_);
  }
  ng::ParamValue value() const override { return edit_->text().toStdString(); }

 protected:
  QWidget* field() const override { return edit_; }

 private:
  QLineEdit* edit_;
  QString last_;
};

// ---------------------------------------------------------------- String (prompt)
class TextEditor : public ParamEditor {
 public:
  TextEditor(const ng::ParamSpec& s, QWidget* parent)
      : ParamEditor(s, parent), edit_(new QPlainTextEdit), timer_(new QTimer(this)) {
    edit_->setTabChangesFocus(true);
    edit_->setFixedHeight(84);
    edit_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    set_content(edit_);
    // Commit after a short pause in typing, so undo steps are phrases, not keystrokes.
    timer_->setSingleShot(true);
    timer_->setInterval(500);
    connect(edit_, &QPlainTextEdit::textChanged, this, [this] {
      if (!guard_.active) timer_->start();
    });
    connect(timer_, &QTimer::timeout, this, [this] { commit(); });
    edit_->installEventFilter(this);
  }
  void set_value(const ng::ParamValue& v) override {
    last_ = QString::fromStdString(value_or<std::string>(v, {}));
    if (edit_->toPlainText() == last_) return;
    guard_.active = true;
    edit_->setPlainText(last_);
    guard_.active = false;
  }
  ng::ParamValue value() const override { return edit_->toPlainText().toStdString(); }

 protected:
  QWidget* field() const override { return edit_; }
  bool eventFilter(QObject* watched, QEvent* e) override {
    if (watched == edit_ && e->type() == QEvent::FocusOut) commit();
    return ParamEditor::eventFilter(watched, e);
  }

 private:
  void commit() {
    timer_->stop();
    if (edit_->toPlainText() == last_) return;
    last_ = edit_->toPlainText();
    Q_EMIT edited(value());
  }
  QPlainTextEdit* edit_;
  QTimer* timer_;
  QString last_;
  Guard guard_;
};

// ---------------------------------------------------------------- Path
class PathEditor : public ParamEditor {
 public:
  PathEditor(const ng::ParamSpec& s, const ParamEditorOptions& options, QWidget* parent)
      : ParamEditor(s, parent), edit_(new QLineEdit), options_(options) {
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit_, 1);
    auto* browse = new QToolButton;
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a file (stored relative to the graph file)"));
    h->addWidget(browse);
    set_content(row);
    edit_->setPlaceholderText(tr("relative to the graph file"));
    connect(edit_, &QLineEdit::editingFinished, this, [this] { commit(edit_->text()); });
    connect(browse, &QToolButton::clicked, this, [this] { choose(); });
  }
  void set_value(const ng::ParamValue& v) override {
    last_ = QString::fromStdString(value_or<std::string>(v, {}));
    if (edit_->text() != last_) edit_->setText(last_);
  }
  ng::ParamValue value() const override { return edit_->text().toStdString(); }

 protected:
  QWidget* field() const override { return edit_; }

 private:
  void choose() {
    const QString dir = options_.graph_dir ? options_.graph_dir() : QString();
    QString start = edit_->text();
    if (!start.isEmpty() && QFileInfo(start).isRelative() && !dir.isEmpty()) start = QDir(dir).filePath(start);
    if (start.isEmpty()) start = dir;
    const QString picked = choose_path(this, {PathChoice::OpenFile, tr("Choose %1").arg(QString::fromStdString(spec().name)), start, {}});
    if (picked.isEmpty()) return;
    edit_->setText(stored_path(picked, dir));
    commit(edit_->text());
  }
  void commit(const QString& text) {
    if (text == last_) return;
    last_ = text;
    Q_EMIT edited(value());
  }
  QLineEdit* edit_;
  ParamEditorOptions options_;
  QString last_;
};

}  // namespace

// ---------------------------------------------------------------- base

QString stored_path(const QString& absolute, const QString& graph_dir) {
  if (graph_dir.isEmpty()) return absolute;
  // Relative paths travel with the graph; a file far outside its tree stays absolute.
  const QString rel = QDir(graph_dir).relativeFilePath(absolute);
  return rel.startsWith(QLatin1String("../../../")) ? absolute : rel;
}

QString seed_mode_name(SeedMode mode) { return QString::fromLatin1(host::to_string(mode)); }

ParamEditor::ParamEditor(const ng::ParamSpec& spec, QWidget* parent) : QWidget(parent), spec_(spec) {
  setToolTip(tooltip_for(spec_));
}

void ParamEditor::set_content(QWidget* content) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(0, 0, 0, 0);
  v->setSpacing(2);
  v->addWidget(content);
  error_label_ = new QLabel;
  error_label_->setProperty("role", "error");
  error_label_->setWordWrap(true);
  error_label_->hide();
  v->addWidget(error_label_);
  notice_label_ = new QLabel;
  notice_label_->setObjectName(QStringLiteral("param_notice"));
  notice_label_->setStyleSheet(QStringLiteral("color: #ffb74d;"));
  notice_label_->setWordWrap(true);
  notice_label_->hide();
  v->addWidget(notice_label_);
}

void ParamEditor::set_notice(const QString& message) {
  if (message == notice_) return;
  notice_ = message;
  if (notice_label_) {
    notice_label_->setText(message);
    notice_label_->setVisible(!message.isEmpty());
  }
  Q_EMIT notice_changed(message);
}

void ParamEditor::set_error(const QString& message) {
  if (message == error_) return;
  error_ = message;
  if (error_label_) {
    error_label_->setText(message);
    error_label_->setVisible(!message.isEmpty());
  }
  if (QWidget* f = field()) {
    f->setProperty("invalid", !message.isEmpty());
    if (qobject_cast<QAbstractSpinBox*>(f)) {
      // Spin boxes keep Fusion's native look (a style sheet would drop their arrows), so
      // they turn red through the palette instead: theirs and their line edit's, which
      // the style sheet polishes on its own. Clearing sets an empty palette so both
      // inherit again; restoring colours instead left the field red when the error had
      // been set before the widget was first polished (the style sheet kept that palette).
      QWidget* edit = f->findChild<QLineEdit*>();
      for (QWidget* w : {f, edit}) {
        if (!w) continue;
        if (message.isEmpty()) {
          w->setPalette(QPalette());
        } else {
          QPalette p = w->palette();
          p.setColor(QPalette::Base, QColor(0x4a, 0x1f, 0x24));
          p.setColor(QPalette::Text, QColor(0xff, 0xcd, 0xd2));
          w->setPalette(p);
        }
      }
    } else {
      f->style()->unpolish(f);
      f->style()->polish(f);
    }
  }
}

// ---------------------------------------------------------------- Seed

SeedEditor::SeedEditor(const ng::ParamSpec& spec, QWidget* parent)
    : ParamEditor(spec, parent), edit_(new QLineEdit), mode_(new QComboBox) {
  auto* row = new QWidget;
  auto* h = new QHBoxLayout(row);
  h->setContentsMargins(0, 0, 0, 0);
  edit_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,20}")), edit_));
  h->addWidget(edit_, 2);
  auto* dice = new QToolButton;
  dice->setIcon(dice_icon());
  dice->setToolTip(tr("Randomise the seed now"));
  h->addWidget(dice);
  for (auto m : {SeedMode::Fixed, SeedMode::Increment, SeedMode::Random})
    mode_->addItem(seed_mode_name(m), int(m));
  mode_->setItemText(2, tr("random"));
  mode_->setToolTip(tr("What happens to the seed after each run: keep it, add 1, or pick a new random one"));
  h->addWidget(mode_, 2);
  set_content(row);
  connect(edit_, &QLineEdit::editingFinished, this, [this] { Q_EMIT edited(value()); });
  connect(dice, &QToolButton::clicked, this, [this] {
    edit_->setText(QString::number(random_seed()));
    Q_EMIT edited(value());
  });
  connect(mode_, qOverload<int>(&QComboBox::activated), this, [this](int) { Q_EMIT mode_changed(mode()); });
}

void SeedEditor::set_value(const ng::ParamValue& value) {
  const QString text = QString::number(value_or<uint64_t>(value, 0));
  if (edit_->text() != text) edit_->setText(text);
}

ng::ParamValue SeedEditor::value() const {
  bool ok = false;
  const qulonglong v = edit_->text().toULongLong(&ok);  // 20 digits may exceed 2^64-1: keep 0 then
  return uint64_t{ok ? v : 0};
}

void SeedEditor::set_mode(SeedMode mode) { mode_->setCurrentIndex(mode_->findData(int(mode))); }

SeedMode SeedEditor::mode() const { return SeedMode(mode_->currentData().toInt()); }

uint64_t SeedEditor::random_seed() { return QRandomGenerator::global()->generate64(); }

QWidget* SeedEditor::field() const { return edit_; }

ParamEditor* make_param_editor(const ng::ParamSpec& spec, const ParamEditorOptions& options, QWidget* parent) {
  switch (spec.kind) {
    case ng::ParamKind::Int: return new IntEditor(spec, parent);
    case ng::ParamKind::Float: return new FloatEditor(spec, parent);
    case ng::ParamKind::Bool: return new BoolEditor(spec, parent);
    case ng::ParamKind::Enum: return new EnumEditor(spec, parent);
    case ng::ParamKind::Seed: return new SeedEditor(spec, parent);
    case ng::ParamKind::Path: return new PathEditor(spec, options, parent);
    case ng::ParamKind::String:
      if (spec.multiline) return new TextEditor(spec, parent);
      return new LineEditor(spec, parent);
  }
  return new LineEditor(spec, parent);
}

}  // namespace ng::editor
