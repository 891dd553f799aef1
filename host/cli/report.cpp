#include "report.hpp"

#include <ctime>

#include <noisegraph/abi.hpp>

namespace ng::cli {

namespace json = ng::json;

json::Value param_json(const ng::ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return json::Value(*i);
  // JSON numbers are exact only up to 2^53 in most readers: large seeds travel as text.
  if (auto* u = std::get_if<uint64_t>(&v)) return *u < (uint64_t(1) << 53) ? json::Value(int64_t(*u)) : json::Value(std::to_string(*u));
  if (auto* d = std::get_if<double>(&v)) return json::Value(*d);
  if (auto* b = std::get_if<bool>(&v)) return json::Value(*b);
  return json::Value(std::get<std::string>(v));
}

json::Value problem_json(const host::Problem& p) {
  return json::Object{{"file", p.file},       {"line", p.line},       {"column", p.column},
                      {"node", p.node},       {"code", p.code},       {"message", p.message},
                      {"hint", p.hint}};
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

json::Value run_report_json(const host::RunResult& r, const RunInfo& info) {
  json::Array nodes;
  for (const auto& n : r.nodes)
    nodes.push_back(json::Object{{"id", n.id}, {"type", n.type}, {"wall_ms", n.wall_ms}, {"cached", n.cached}});
  json::Array files;
  for (const auto& f : r.files) files.push_back(json::Object{{"node", f.node}, {"path", f.path.string()}});
  json::Array problems;
  for (const auto& p : r.problems) problems.push_back(problem_json(p));
  json::Array overrides;
  for (const auto& o : info.overrides) overrides.push_back(o);
  return json::Object{
      {"noisegraph_report", 1},
      {"noisegraph_version", NOISEGRAPH_VERSION},
      {"libtorch_version", NOISEGRAPH_TORCH_VERSION},
      {"started_at", info.started_at},
      {"graph", info.graph.string()},
      {"status", host::to_string(r.status)},
      {"exit_code", info.exit_code},
      {"failed_node", r.failed_node.empty() ? json::Value() : json::Value(r.failed_node)},
      {"failed_type", r.failed_type.empty() ? json::Value() : json::Value(r.failed_type)},
      {"message", r.message},
      {"wall_ms", r.wall_ms},
      {"output_dir", info.output_dir.string()},
      {"seed", info.seed ? param_json(ng::ParamValue(*info.seed)) : json::Value()},
      {"device", info.device},
      {"threads", info.threads},
      {"overrides", overrides},
      {"nodes", nodes},
      {"files", files},
      {"problems", problems},
  };
}

json::Value node_type_json(const host::NodeType& t) {
  const ng::NodeSpec& s = t.spec;
  auto ports = [](const std::vector<ng::PortSpec>& list, bool inputs) {
    json::Array a;
    for (const auto& p : list) {
      json::Object o{{"name", p.name}, {"type", p.type}};
      if (inputs) o.emplace_back("optional", p.optional);
      if (inputs && p.variadic) o.emplace_back("variadic", true);  // links on NAME_1, NAME_2, ...
      o.emplace_back("description", p.description);
      a.push_back(std::move(o));
    }
    return a;
  };
  json::Array params;
  for (const auto& p : s.params()) {
    json::Object o{{"name", p.name}, {"kind", kind_name(p.kind)}, {"default", param_json(p.default_value)}};
    o.emplace_back("min", p.min ? json::Value(*p.min) : json::Value());
    o.emplace_back("max", p.max ? json::Value(*p.max) : json::Value());
    o.emplace_back("step", p.step ? json::Value(*p.step) : json::Value());
    if (p.kind == ng::ParamKind::Enum) {
      json::Array choices;
      for (const auto& c : p.choices) choices.push_back(c);
      o.emplace_back("choices", choices);
    }
    if (p.multiline) o.emplace_back("multiline", true);
    o.emplace_back("description", p.description);
    params.push_back(std::move(o));
  }
  return json::Object{
      {"id", s.id()},
      {"version", std::to_string(s.version().major) + "." + std::to_string(s.version().minor)},
      {"display_name", s.display_name()},
      {"category", s.category_name()},
      {"description", s.description()},
      {"output_node", s.is_output_node()},
      {"plugin", t.plugin},
      {"file", t.file.string()},
      {"inputs", ports(s.inputs(), true)},
      {"outputs", ports(s.outputs(), false)},
      {"params", params},
  };
}

json::Value plugins_json(const host::PluginRegistry& registry) {
  json::Array loaded, failed;
  for (const auto& p : registry.plugins())
    loaded.push_back(json::Object{{"name", p.name}, {"file", p.file.string()}, {"nodes", int64_t(p.node_count)}});
  for (const auto& f : registry.failures())
    failed.push_back(json::Object{{"file", f.file.string()}, {"reason", f.reason}});
  return json::Object{{"loaded", loaded}, {"failed", failed}};
}

}  // namespace ng::cli
