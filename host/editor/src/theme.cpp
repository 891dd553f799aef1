#include "theme.hpp"

#include <QApplication>
#include <QHash>
#include <QLabel>
#include <QPainter>
#include <QPalette>
#include <QPixmap>
#include <QStyleFactory>

namespace ng::editor {

namespace {

QColor hashed_color(const QString& name, int saturation, int value) {
  // qHash is seeded per process; a fixed FNV-1a keeps colours stable across runs.
  uint32_t h = 2166136261u;
  for (QChar c : name) h = (h ^ c.unicode()) * 16777619u;
  return QColor::fromHsv(int(h % 360), saturation, value);
}

}  // namespace

QColor port_color(const QString& type) {
  static const QHash<QString, QColor> known = {
      {"IMAGE", QColor(0x64, 0xb5, 0xf6)},        {"MASK", QColor(0x81, 0xc7, 0x84)},
      {"LATENT", QColor(0xf0, 0x62, 0x92)},       {"CONDITIONING", QColor(0xff, 0xb7, 0x4d)},
      {"MODEL", QColor(0xb3, 0x9d, 0xdb)},        {"AUTOENCODER", QColor(0xe5, 0x73, 0x73)},
      {"CLASSIFIER", QColor(0x4d, 0xb6, 0xac)},   {"PROMPT_ENCODER", QColor(0xff, 0xee, 0x58)},
      {"SIGMAS", QColor(0x4d, 0xd0, 0xe1)},       {"SAMPLER", QColor(0xce, 0x93, 0xd8)},
      {"NOISE", QColor(0xbc, 0xaa, 0xa4)},        {"GUIDER", QColor(0x7f, 0x8c, 0xe0)},
      {"INT", QColor(0xae, 0xd5, 0x81)},          {"FLOAT", QColor(0xdc, 0xe7, 0x75)},
      {"BOOL", QColor(0xff, 0xd5, 0x4f)},         {"STRING", QColor(0xa1, 0x88, 0x7f)},
      {"ANY", QColor(0xcf, 0xd8, 0xdc)},
  };
  auto it = known.find(type);
  return it != known.end() ? *it : hashed_color(type, 120, 230);
}

QColor category_color(const QString& category) {
  static const QHash<QString, QColor> known = {
      {"image", QColor(0x2f, 0x5d, 0x8a)},        {"io", QColor(0x2f, 0x5d, 0x8a)},
      {"sample", QColor(0x7a, 0x3b, 0x5e)},       {"sampling", QColor(0x7a, 0x3b, 0x5e)},
      {"schedule", QColor(0x1f, 0x6f, 0x78)},     {"model", QColor(0x5a, 0x4a, 0x8a)},
      {"unet", QColor(0x5a, 0x4a, 0x8a)},         {"autoencoder", QColor(0x8a, 0x3f, 0x3f)},
      {"latent", QColor(0x8a, 0x3f, 0x5a)},       {"conditioning", QColor(0x8a, 0x5e, 0x2a)},
      {"guidance", QColor(0x45, 0x50, 0x8c)},     {"edit", QColor(0x3c, 0x6e, 0x47)},
      {"train", QColor(0x6e, 0x5a, 0x2a)},        {"analytic", QColor(0x3a, 0x6b, 0x6b)},
      {"testing", QColor(0x55, 0x5b, 0x63)},
  };
  auto it = known.find(category.section('/', 0, 0).toLower());
  return it != known.end() ? *it : hashed_color(category, 110, 120);
}

QIcon dice_icon() {
  QPixmap pm(36, 36);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(QPen(colors::text, 2.5));
  p.setBrush(Qt::NoBrush);
  p.drawRoundedRect(QRectF(4, 4, 28, 28), 6, 6);
  p.setPen(Qt::NoPen);
  p.setBrush(colors::text);
  for (QPointF c : {QPointF(11, 11), QPointF(25, 11), QPointF(18, 18), QPointF(11, 25), QPointF(25, 25)})
    p.drawEllipse(c, 2.6, 2.6);
  p.end();
  pm.setDevicePixelRatio(2.0);
  return QIcon(pm);
}

void apply_dark_theme(QApplication& app) {
  app.setStyle(QStyleFactory::create("Fusion"));
  QPalette p;
  const QColor window(0x23, 0x25, 0x2a), base(0x1b, 0x1d, 0x21), alt(0x26, 0x29, 0x2e);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, colors::text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, alt);
  p.setColor(QPalette::ToolTipBase, QColor(0x30, 0x33, 0x3a));
  p.setColor(QPalette::ToolTipText, colors::text);
  p.setColor(QPalette::PlaceholderText, colors::text_dim);
  p.setColor(QPalette::Text, colors::text);
  p.setColor(QPalette::Button, QColor(0x2d, 0x30, 0x36));
  p.setColor(QPalette::ButtonText, colors::text);
  p.setColor(QPalette::BrightText, Qt::white);
  p.setColor(QPalette::Highlight, colors::accent);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Link, colors::accent);
  p.setColor(QPalette::Mid, QColor(0x3a, 0x3e, 0x46));
  p.setColor(QPalette::Dark, QColor(0x18, 0x1a, 0x1d));
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, QColor(0x6b, 0x70, 0x78));
  app.setPalette(p);
  app.setStyleSheet(R"(
    QToolTip { border: 1px solid #3a3e46; padding: 4px; }
    QDockWidget { titlebar-close-icon: none; }
    QDockWidget::title { background: #2a2d33; padding: 5px 8px; }
    QToolBar { border: none; spacing: 4px; padding: 3px; }
    QStatusBar { border-top: 1px solid #33363d; }
    QLineEdit, QComboBox, QPlainTextEdit {
      border: 1px solid #3a3e46; border-radius: 4px; padding: 2px 4px; background: #1b1d21; }
    QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {
      border-color: #4c9aff; }
    QLineEdit[invalid="true"], QComboBox[invalid="true"], QPlainTextEdit[invalid="true"] { border-color: #ef5350; }
    QLabel[role="error"] { color: #ef5350; }
    QLabel[role="dim"] { color: #9aa0a8; }
    QLabel[role="heading"] { font-weight: 600; font-size: 11pt; }
    QListView, QTreeView, QTableView { border: none; }
    QProgressBar { border: 1px solid #3a3e46; border-radius: 4px; text-align: center; height: 14px; }
    QProgressBar::chunk { background: #4c9aff; border-radius: 3px; }
    QPushButton { padding: 4px 10px; border: 1px solid #3a3e46; border-radius: 4px; background: #2d3036; }
    QPushButton:hover { background: #353941; }
    QPushButton:disabled { color: #6b7078; }
  )");
}

QLabel* dim_label(const QString& text, bool selectable) {
  auto* l = new QLabel(text);
  l->setProperty("role", "dim");
  l->setWordWrap(true);
  if (selectable) l->setTextInteractionFlags(Qt::TextSelectableByMouse);
  return l;
}

}  // namespace ng::editor
