#include "node_filter.hpp"

#include <QStringList>

#include <algorithm>

#include "noisegraph/host/plugin_registry.hpp"
#include "noisegraph/host/validate.hpp"

namespace ng::editor {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

bool has_port(const ng::NodeSpec& spec, const PortFilter& f) {
  const std::string type = f.type.toStdString();
  switch (f.side) {
    case PortFilter::Side::Any: return true;
    case PortFilter::Side::NeedsInput:
      return std::any_of(spec.inputs().begin(), spec.inputs().end(),
                         [&](const ng::PortSpec& p) { return host::port_accepts(p.type, type); });
    case PortFilter::Side::NeedsOutput:
      return std::any_of(spec.outputs().begin(), spec.outputs().end(),
                         [&](const ng::PortSpec& p) { return host::port_accepts(type, p.type); });
  }
  return true;
}

}  // namespace

bool node_matches(const ng::NodeSpec& spec, const QString& query, const PortFilter& filter) {
  if (!has_port(spec, filter)) return false;
  QString hay = q(spec.display_name()) + ' ' + q(spec.id()) + ' ' + q(spec.category_name());
  for (const auto& p : spec.inputs()) hay += ' ' + q(p.type);
  for (const auto& p : spec.outputs()) hay += ' ' + q(p.type);
  for (const QString& word : query.split(' ', Qt::SkipEmptyParts))
    if (!hay.contains(word, Qt::CaseInsensitive)) return false;
  return true;
}

std::vector<const host::NodeType*> find_node_types(const host::PluginRegistry& registry, const QString& query,
                                                   const PortFilter& filter) {
  std::vector<std::pair<int, const host::NodeType*>> ranked;
  const QString trimmed = query.trimmed();
  for (const host::NodeType* t : registry.node_types()) {
    if (!node_matches(t->spec, trimmed, filter)) continue;
    const QString name = q(t->spec.display_name());
    int rank = 2;
    if (!trimmed.isEmpty() && name.startsWith(trimmed, Qt::CaseInsensitive)) rank = 0;
    else if (!trimmed.isEmpty() && name.contains(trimmed, Qt::CaseInsensitive)) rank = 1;
    ranked.push_back({rank, t});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return QString::compare(q(a.second->spec.display_name()), q(b.second->spec.display_name()), Qt::CaseInsensitive) < 0;
  });
  std::vector<const host::NodeType*> out;
  for (const auto& r : ranked) out.push_back(r.second);
  return out;
}

QString port_signature(const ng::NodeSpec& spec) {
  QStringList in, out;
  for (const auto& p : spec.inputs()) in << q(p.type);
  for (const auto& p : spec.outputs()) out << q(p.type);
  in.removeDuplicates();
  out.removeDuplicates();
  return in.join(QStringLiteral(", ")) + QStringLiteral(" → ") + out.join(QStringLiteral(", "));
}

QString node_tooltip(const ng::NodeSpec& spec) {
  QString tip = QStringLiteral("<b>%1</b> <span style='color:#9aa0a8'>%2 v%3.%4</span>")
                    .arg(q(spec.display_name()).toHtmlEscaped(), q(spec.id()).toHtmlEscaped())
                    .arg(spec.version().major)
                    .arg(spec.version().minor);
  if (!spec.description().empty()) tip += QStringLiteral("<br>") + q(spec.description()).toHtmlEscaped();
  auto ports = [](const std::vector<ng::PortSpec>& v) {
    QStringList parts;
    for (const auto& p : v) parts << QStringLiteral("%1 <i>%2</i>").arg(q(p.name).toHtmlEscaped(), q(p.type));
    return parts.join(QStringLiteral(", "));
  };
  if (!spec.inputs().empty()) tip += QStringLiteral("<br><b>in:</b> ") + ports(spec.inputs());
  if (!spec.outputs().empty()) tip += QStringLiteral("<br><b>out:</b> ") + ports(spec.outputs());
  return tip;
}

}  // namespace ng::editor
