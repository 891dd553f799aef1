#include "preview_panel.hpp"

#include "file_chooser.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "image_view.hpp"

namespace ng::editor {

namespace {
constexpr int kPathRole = Qt::UserRole + 1;

QToolButton* tool(const QString& text, const QString& tip) {
  auto* b = new QToolButton;
  b->setText(text);
  b->setToolTip(tip);
  b->setAutoRaise(true);
  return b;
}

QImage read_image(const QString& path) {
  QImageReader reader(path);
  reader.setAutoTransform(true);
  return reader.read();
}
}  // namespace

void ElidedLabel::set_full_text(const QString& text) {
  full_ = text;
  setToolTip(text);
  elide();
}

void ElidedLabel::resizeEvent(QResizeEvent* event) {
  QLabel::resizeEvent(event);
  elide();
}

void ElidedLabel::elide() { setText(fontMetrics().elidedText(full_, Qt::ElideMiddle, std::max(0, width() - 2))); }

PreviewPanel::PreviewPanel(QWidget* parent)
    : QWidget(parent), view_(new ImageView), caption_(new ElidedLabel), strip_(new QListWidget) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->setSpacing(4);
  // The caption has a row of its own, so the buttons never squeeze the file name.
  caption_->setObjectName(QStringLiteral("result_caption"));
  caption_->setProperty("role", "dim");
  caption_->setMinimumWidth(40);  // long captions are elided, not widening the dock
  caption_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  caption_->set_full_text(tr("No results yet. Run the graph (Ctrl+R)."));
  layout->addWidget(caption_);
  auto* bar = new QHBoxLayout;
  auto* zoom_in = tool(QStringLiteral("+"), tr("Zoom in"));
  auto* zoom_out = tool(QStringLiteral("−"), tr("Zoom out"));
  fit_ = tool(tr("Fit"), tr("Fit the image in the panel"));
  auto* one = tool(QStringLiteral("1:1"), tr("Actual size"));
  auto* save = tool(tr("Save As…"), tr("Save the shown image"));
  for (auto* b : {zoom_in, zoom_out, fit_, one}) bar->addWidget(b);
  saved_ = new ElidedLabel;
  saved_->setStyleSheet(QStringLiteral("color: #66bb6a;"));
  saved_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  saved_->setMinimumWidth(20);
  saved_->hide();
  bar->addWidget(saved_, 1);
  bar->addWidget(save);
  layout->addLayout(bar);
  layout->addWidget(view_, 1);
  strip_->setViewMode(QListView::IconMode);
  strip_->setFlow(QListView::LeftToRight);
  strip_->setWrapping(true);
  strip_->setResizeMode(QListView::Adjust);
  strip_->setIconSize(QSize(56, 56));
  strip_->setGridSize(QSize(64, 64));
  strip_->setFixedHeight(80);
  strip_->setMovement(QListView::Static);
  strip_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
  strip_->setStyleSheet(QStringLiteral(
      "QListWidget { background: transparent; }"
      "QListWidget::item { border: 2px solid transparent; border-radius: 4px; padding: 1px; }"
      "QListWidget::item:selected { border-color: #4c9aff; background: transparent; }"));
  strip_->hide();
  layout->addWidget(strip_);

  connect(zoom_in, &QToolButton::clicked, this, [this] { view_->zoom_by(1.25); });
  connect(zoom_out, &QToolButton::clicked, this, [this] { view_->zoom_by(0.8); });
  connect(fit_, &QToolButton::clicked, this, [this] { view_->fit(); });
  connect(one, &QToolButton::clicked, this, [this] { view_->actual_size(); });
  connect(save, &QToolButton::clicked, this, [this] { save_as_dialog(); });
  connect(strip_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) show_file(item->data(kPathRole).toString());
  });
}

void PreviewPanel::show_live(const QImage& image, const QString& caption) {
  saved_->hide();
  current_path_.clear();
  view_->set_image(image);
  caption_->set_full_text(caption);
}

QString PreviewPanel::caption() const { return caption_->full_text(); }

QString PreviewPanel::saved_note() const { return saved_->isHidden() ? QString() : saved_->full_text(); }

void PreviewPanel::clear() {
  saved_->hide();
  clear_outputs();
  current_path_.clear();
  view_->set_image({});
  caption_->set_full_text(tr("No results yet. Run the graph (Ctrl+R)."));
}

void PreviewPanel::fit_strip_height() {
  if (strip_->count() == 0) return;
  const int per_row = std::max(1, (strip_->viewport()->width() - 4) / strip_->gridSize().width());
  const int rows = std::clamp((strip_->count() + per_row - 1) / per_row, 1, 2);
  strip_->setFixedHeight(rows * strip_->gridSize().height() + 16);
}

void PreviewPanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  fit_strip_height();
}

void PreviewPanel::add_output(const QString& path) {
  QImage image = read_image(path);
  if (image.isNull()) return;  // not an image (e.g. a weights file): nothing to show
  const QPixmap thumb = QPixmap::fromImage(
      image.scaled(56, 56, Qt::KeepAspectRatio, image.width() < 56 ? Qt::FastTransformation : Qt::SmoothTransformation));
  QIcon icon;
  icon.addPixmap(thumb, QIcon::Normal);
  icon.addPixmap(thumb, QIcon::Selected);  // untinted: the frame shows the selection
  auto* item = new QListWidgetItem(icon, QString());
  item->setData(kPathRole, path);
  item->setSizeHint(QSize(62, 62));
  item->setToolTip(path);
  strip_->addItem(item);
  strip_->show();
  fit_strip_height();
  strip_->setCurrentItem(item);
  show_file(path);
}

void PreviewPanel::show_file(const QString& path) {
  QImage image = read_image(path);
  if (image.isNull()) return;
  saved_->hide();
  current_path_ = path;
  view_->set_image(image);
  caption_->set_full_text(
      QStringLiteral("%1  ·  %2×%3").arg(QFileInfo(path).fileName()).arg(image.width()).arg(image.height()));
}

void PreviewPanel::clear_outputs() {
  strip_->clear();
  strip_->hide();
}

QStringList PreviewPanel::outputs() const {
  QStringList out;
  for (int i = 0; i < strip_->count(); ++i) out << strip_->item(i)->data(kPathRole).toString();
  return out;
}

QImage PreviewPanel::current_image() const { return view_->image(); }

bool PreviewPanel::save_current(const QString& path, QString* error) {
  if (!current_path_.isEmpty()) {
    if (QFileInfo(path).absoluteFilePath() != QFileInfo(current_path_).absoluteFilePath()) {
      QFile::remove(path);
      if (!QFile::copy(current_path_, path)) {
        if (error) *error = tr("Cannot copy %1 to %2.").arg(current_path_, path);
        return false;
      }
    }
    confirm_saved(path);
    return true;
  }
  if (view_->image().isNull()) {
    if (error) *error = tr("There is no image to save.");
    return false;
  }
  if (!view_->image().save(path)) {
    if (error) *error = tr("Cannot write %1.").arg(path);
    return false;
  }
  confirm_saved(path);
  return true;
}

void PreviewPanel::save_as_dialog() {
  if (view_->image().isNull()) return;
  const QString suggested = current_path_.isEmpty() ? QStringLiteral("preview.png") : QFileInfo(current_path_).fileName();
  const QString path = choose_path(this, {PathChoice::SaveFile, tr("Save image"), suggested, tr("PNG images (*.png)")});
  if (path.isEmpty()) return;
  QString error;
  if (!save_current(path, &error)) QMessageBox::warning(this, tr("Save image"), error);
}

void PreviewPanel::confirm_saved(const QString& path) {
  const QString text = tr("Saved image to %1").arg(QDir::toNativeSeparators(path));
  saved_->set_full_text(tr("✓ saved as %1").arg(QFileInfo(path).fileName()));
  saved_->setToolTip(text);
  saved_->show();
  Q_EMIT status_message(text);
}

}  // namespace ng::editor
