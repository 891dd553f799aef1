#pragma once
// Parameter values as short text (card summaries, tooltips, undo labels).
#include <QString>

#include "noisegraph/node.hpp"

namespace ng::editor {

/// "20", "3.5", "on", "karras", "“a red boot…”", "models/x.safetensors".
QString format_param(const ng::ParamValue& value, int max_chars = 28);

/// The few parameters worth showing on a card: the first `max_lines` non-multiline ones,
/// then prompts shortened (a prompt is often what identifies a node at a glance).
QVector<QPair<QString, QString>> param_summary(const ng::NodeSpec& spec,
                                               const std::map<std::string, ng::ParamValue>& values,
                                               int max_lines = 4);

}  // namespace ng::editor
