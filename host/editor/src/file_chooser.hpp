// The editor's file and folder choosers, in one place: every "Open…", "Save As…" and
// "Choose…" goes through choose_path(), so a test can answer them directly instead of
// waiting for a modal QFileDialog to appear (which, on a loaded machine, can take long
// enough to hang the test).
#pragma once

#include <QString>
#include <functional>

class QWidget;

namespace ng::editor {

enum class PathChoice { OpenFile, SaveFile, Folder };

/// What a chooser is asked: the kind, the dialog's title, the path it starts at and, for
/// files, a Qt name filter ("Graphs (*.yaml *.yml)"). It returns the chosen path, or an
/// empty string when the user cancels.
struct PathRequest {
  PathChoice kind = PathChoice::OpenFile;
  QString title;
  QString start;
  QString filter;
};
using PathChooser = std::function<QString(QWidget* parent, const PathRequest& request)>;

/// Asks the user for a path: Qt's file dialogs, or the chooser set by set_path_chooser().
QString choose_path(QWidget* parent, const PathRequest& request);

/// Replaces the dialogs for every later choose_path() call (tests); an empty function
/// restores Qt's dialogs.
void set_path_chooser(PathChooser chooser);

}  // namespace ng::editor
