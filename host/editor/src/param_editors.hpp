#pragma once
// One input widget per parameter, generated from its ng::ParamSpec: the kind picks the
// widget, min/max/step/choices configure it, the description becomes its tooltip.
#include <QString>
#include <QWidget>

#include <functional>

#include "noisegraph/node.hpp"
#include <noisegraph/host/graph.hpp>

class QComboBox;
class QLabel;
class QLineEdit;

namespace ng::editor {

/// What to do with a seed after each successful run (as in ComfyUI's "control after
/// generate"): typed data of the graph's editor section (host::EditorSection::seed_modes).
using SeedMode = host::SeedMode;
QString seed_mode_name(SeedMode mode);               ///< "fixed", "increment", "random"

/// Base of the generated editors. set_value() never emits edited(); user changes do.
class ParamEditor : public QWidget {
  Q_OBJECT
 public:
  ParamEditor(const ng::ParamSpec& spec, QWidget* parent);
  const ng::ParamSpec& spec() const { return spec_; }
  virtual void set_value(const ng::ParamValue& value) = 0;
  virtual ng::ParamValue value() const = 0;
  /// Shows the validator's message under the field and outlines it in red; "" clears.
  void set_error(const QString& message);
  QString error() const { return error_; }
  /// Shows a note under the field that is not an error (e.g. "5000 is above the maximum
  /// 500, so it was set to 500"); "" hides it. Emits notice_changed.
  void set_notice(const QString& message);
  QString notice() const { return notice_; }

 Q_SIGNALS:
  void edited(const ng::ParamValue& value);
  /// set_notice() showed a new note ("" when it was hidden).
  void notice_changed(const QString& message);

 protected:
  /// The widget that gets the red outline.
  virtual QWidget* field() const = 0;
  /// Lays out `content` over the (hidden until needed) error label.
  void set_content(QWidget* content);

 private:
  ng::ParamSpec spec_;
  QLabel* error_label_ = nullptr;
  QLabel* notice_label_ = nullptr;
  QString error_, notice_;
};

struct ParamEditorOptions {
  /// Folder the graph file lives in ("" for an unsaved graph): Path parameters picked in
  /// a file dialog are stored relative to it.
  std::function<QString()> graph_dir;
};

/// How a Path parameter stores a file the user picked: relative to the graph's folder, or
/// absolute while the graph is untitled (`graph_dir` empty).
QString stored_path(const QString& absolute, const QString& graph_dir);

/// Builds the editor for `spec` (never null; unknown kinds get a text field).
ParamEditor* make_param_editor(const ng::ParamSpec& spec, const ParamEditorOptions& options,
                               QWidget* parent);

/// Seed editors also carry their after-run mode and a "randomise now" button.
class SeedEditor : public ParamEditor {
  Q_OBJECT
 public:
  SeedEditor(const ng::ParamSpec& spec, QWidget* parent);
  void set_value(const ng::ParamValue& value) override;
  ng::ParamValue value() const override;
  void set_mode(SeedMode mode);
  SeedMode mode() const;
  /// A fresh seed in [0, 2^32) (fits every sampler's generator and reads well).
  static uint64_t random_seed();

 Q_SIGNALS:
  void mode_changed(ng::editor::SeedMode mode);

 protected:
  QWidget* field() const override;

 private:
  QLineEdit* edit_;
  QComboBox* mode_;
};

}  // namespace ng::editor
