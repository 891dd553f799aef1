#pragma once
// The editor's look in one place: the dark application palette and the colours that
// carry meaning on the canvas (port types, node categories, run states).
#include <QColor>
#include <QIcon>
#include <QString>

class QApplication;
class QLabel;

namespace ng::editor {

/// Installs the Fusion style with a dark palette and the editor's style sheet.
void apply_dark_theme(QApplication& app);

/// A word-wrapped label in the dim secondary text colour (style sheet role "dim"), for
/// hints and subtitles; `selectable` lets the user copy its text.
QLabel* dim_label(const QString& text, bool selectable = false);

/// Colour of a port type ("IMAGE", "LATENT", ...). Known types have fixed colours chosen
/// to be told apart at a glance; unknown (third-party) types get a stable colour derived
/// from the name, so the same type always looks the same.
QColor port_color(const QString& type);

/// Header colour of a node card for a category ("image", "sample", ...), same scheme.
QColor category_color(const QString& category);

/// A small die (the "randomise seed" button); drawn, so no icon files are needed.
QIcon dice_icon();

namespace colors {
inline const QColor canvas{0x1b, 0x1d, 0x21};
inline const QColor grid_minor{0x25, 0x28, 0x2d};
inline const QColor grid_major{0x2e, 0x32, 0x38};
inline const QColor card{0x2a, 0x2d, 0x33};
inline const QColor card_border{0x3a, 0x3e, 0x46};
inline const QColor text{0xe6, 0xe8, 0xeb};
inline const QColor text_dim{0x9a, 0xa0, 0xa8};
inline const QColor accent{0x4c, 0x9a, 0xff};
inline const QColor error{0xef, 0x53, 0x50};
inline const QColor warning{0xff, 0xb7, 0x4d};
inline const QColor ok{0x66, 0xbb, 0x6a};
}  // namespace colors

}  // namespace ng::editor
