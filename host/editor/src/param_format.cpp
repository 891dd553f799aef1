#include "param_format.hpp"

#include <QVector>

#include <cmath>

namespace ng::editor {

QString format_param(const ng::ParamValue& value, int max_chars) {
  QString text;
  if (auto* i = std::get_if<int64_t>(&value)) {
    text = QString::number(*i);
  } else if (auto* u = std::get_if<uint64_t>(&value)) {
    text = QString::number(*u);
  } else if (auto* d = std::get_if<double>(&value)) {
    // Shortest text that reads back to the same double, but at most 6 significant digits
    // for display.
    text = QString::number(*d, 'g', 6);
    if (std::isfinite(*d) && !text.contains('.') && !text.contains('e')) text += QStringLiteral(".0");
  } else if (auto* b = std::get_if<bool>(&value)) {
    text = *b ? QStringLiteral("on") : QStringLiteral("off");
  } else if (auto* s = std::get_if<std::string>(&value)) {
    text = QString::fromStdString(*s).simplified();
  }
  if (max_chars > 1 && text.size() > max_chars) text = text.left(max_chars - 1) + QChar(0x2026);
  return text;
}

QVector<QPair<QString, QString>> param_summary(const ng::NodeSpec& spec,
                                               const std::map<std::string, ng::ParamValue>& values,
                                               int max_lines) {
  QVector<QPair<QString, QString>> lines;
  for (const auto& p : spec.params()) {
    if (lines.size() >= max_lines) break;
    auto it = values.find(p.name);
    const ng::ParamValue& v = it != values.end() ? it->second : p.default_value;
    QString shown = format_param(v, p.multiline ? 24 : 28);
    if (p.multiline) shown = QChar(0x201c) + shown + QChar(0x201d);
    if (shown.isEmpty() && !p.multiline) shown = p.kind == ng::ParamKind::Path ? QStringLiteral("(none)") : QStringLiteral("—");
    lines.push_back({QString::fromStdString(p.name), shown});
  }
  return lines;
}

}  // namespace ng::editor
