#include "file_chooser.hpp"

#include <QFileDialog>

namespace ng::editor {

namespace {

PathChooser& override_chooser() {
  static PathChooser chooser;
  return chooser;
}

QString qt_dialog(QWidget* parent, const PathRequest& r) {
  switch (r.kind) {
    case PathChoice::OpenFile:
      return QFileDialog::getOpenFileName(parent, r.title, r.start, r.filter);
    case PathChoice::SaveFile:
      return QFileDialog::getSaveFileName(parent, r.title, r.start, r.filter);
    case PathChoice::Folder:
      return QFileDialog::getExistingDirectory(parent, r.title, r.start);
  }
  return {};
}

}  // namespace

QString choose_path(QWidget* parent, const PathRequest& request) {
  const PathChooser& chooser = override_chooser();
  return chooser ? chooser(parent, request) : qt_dialog(parent, request);
}

void set_path_chooser(PathChooser chooser) { override_chooser() = std::move(chooser); }

}  // namespace ng::editor
