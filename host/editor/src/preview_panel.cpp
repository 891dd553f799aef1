#include "preview_panel.hpp"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QToolButton>
#include <QVBoxLayout>

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

PreviewPanel::PreviewPanel(QWidget* parent)
    : QWidget(parent), view_(new ImageView), caption_(new QLabel), strip_(new QListWidget) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->setSpacing(4);
  auto* bar = new QHBoxLayout;
  caption_->setProperty("role", "dim");
  caption_->setMinimumWidth(40);  // long captions are elided by the layout, not widening the dock
  caption_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  caption_->setText(tr("No results yet. Run the graph (Ctrl+R)."));
  bar->addWidget(caption_, 1);
  auto* zoom_in = tool(QStringLiteral("+"), tr("Zoom in"));
  auto* zoom_out = tool(QStringLiteral("−"), tr("Zoom out"));
  auto* fit = tool(tr("Fit"), tr("Fit the image in the panel"));
  auto* one = tool(QStringLiteral("1:1"), tr("Actual size"));
  auto* save = tool(tr("Save As…"), tr("Save the shown image"));
  for (auto* b : {zoom_in, zoom_out, fit, one, save}) bar->addWidget(b);
  layout->addLayout(bar);
  layout->addWidget(view_, 1);
  strip_->setViewMode(QListView::IconMode);
  strip_->setFlow(QListView::LeftToRight);
  strip_->setWrapping(false);
  strip_->setIconSize(QSize(56, 56));
  strip_->setGridSize(QSize(64, 64));
  strip_->setFixedHeight(80);
  strip_->setMovement(QListView::Static);
  strip_->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
  strip_->setStyleSheet(QStringLiteral(
      "QListWidget { background: transparent; }"
      "QListWidget::item { border: 2px solid transparent; border-radius: 4px; padding: 1px; }"
      "QListWidget::item:selected { border-color: #4c9aff; background: transparent; }"));
  strip_->hide();
  layout->addWidget(strip_);

  connect(zoom_in, &QToolButton::clicked, this, [this] { view_->zoom_by(1.25); });
  connect(zoom_out, &QToolButton::clicked, this, [this] { view_->zoom_by(0.8); });
  connect(fit, &QToolButton::clicked, this, [this] { view_->fit(); });
  connect(one, &QToolButton::clicked, this, [this] { view_->actual_size(); });
  connect(save, &QToolButton::clicked, this, [this] { save_as_dialog(); });
  connect(strip_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) show_file(item->data(kPathRole).toString());
  });
}

void PreviewPanel::show_live(const QImage& image, const QString& caption) {
  current_path_.clear();
  view_->set_image(image);
  caption_->setText(caption);
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
  strip_->setCurrentItem(item);
  show_file(path);
}

void PreviewPanel::show_file(const QString& path) {
  QImage image = read_image(path);
  if (image.isNull()) return;
  current_path_ = path;
  view_->set_image(image);
  caption_->setText(QStringLiteral("%1  ·  %2×%3").arg(QFileInfo(path).fileName()).arg(image.width()).arg(image.height()));
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
    if (QFileInfo(path).absoluteFilePath() == QFileInfo(current_path_).absoluteFilePath()) return true;
    QFile::remove(path);
    if (QFile::copy(current_path_, path)) return true;
    if (error) *error = tr("Cannot copy %1 to %2.").arg(current_path_, path);
    return false;
  }
  if (view_->image().isNull()) {
    if (error) *error = tr("There is no image to save.");
    return false;
  }
  if (view_->image().save(path)) return true;
  if (error) *error = tr("Cannot write %1.").arg(path);
  return false;
}

void PreviewPanel::save_as_dialog() {
  if (view_->image().isNull()) return;
  const QString suggested = current_path_.isEmpty() ? QStringLiteral("preview.png") : QFileInfo(current_path_).fileName();
  const QString path = QFileDialog::getSaveFileName(this, tr("Save image"), suggested, tr("PNG images (*.png)"));
  if (path.isEmpty()) return;
  QString error;
  if (!save_current(path, &error)) QMessageBox::warning(this, tr("Save image"), error);
}

}  // namespace ng::editor
