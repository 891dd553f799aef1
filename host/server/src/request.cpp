#include "request.hpp"

#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/path_rule.hpp>
#include <noisegraph/host/plan.hpp>
#include <noisegraph/host/validate.hpp>

namespace ng::server {

namespace fs = std::filesystem;
namespace json = ng::json;

namespace {

json::Value problem_json(const host::Problem& p) {
  return json::Object{{"line", int64_t(p.line)}, {"column", int64_t(p.column)}, {"node", p.node},
                      {"code", p.code},         {"message", p.message},        {"hint", p.hint}};
}

SubmitResult fail(std::string type, std::string message, json::Value problems = json::Array{}) {
  SubmitResult r;
  r.error_type = std::move(type);
  r.message = std::move(message);
  r.problems = std::move(problems);
  return r;
}

// A JSON value as parameter text: strings as they are, numbers and booleans as JSON writes them.
std::optional<std::string> value_text(const json::Value& value) {
  if (value.is_string()) return value.as_string();
  if (value.is_number() || value.is_bool()) return json::dump(value);
  return std::nullopt;
}

}  // namespace

SubmitResult parse_submission(const std::string& body, const host::PluginRegistry& registry, const Sandbox& sandbox) {
  std::string yaml = body, client = "anonymous";
  json::Value sets, inputs;
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return fail("invalid_prompt", "empty request body: send a graph (YAML) or {\"prompt\": ...}");
  if (body[first] == '{') {
    json::Value v;
    try {
      v = json::parse(body, "request body");
    } catch (const std::exception& e) {
      return fail("invalid_json", e.what());
    }
    const json::Value* prompt = v.find("prompt");
    if (!prompt) return fail("invalid_prompt", "JSON body without \"prompt\" (the graph, as YAML text or a JSON object)");
    if (prompt->is_string()) yaml = prompt->as_string();
    else if (prompt->is_object()) yaml = json::dump(*prompt);  // JSON is YAML
    else return fail("invalid_prompt", "\"prompt\" must be the graph as YAML text or a JSON object");
    if (const auto* c = v.find("client_id"); c && c->is_string()) client = c->as_string();
    if (const auto* s = v.find("set")) sets = *s;
    if (const auto* in = v.find("inputs")) inputs = *in;
  }
  if (client.empty() || client.size() > 128 || host::has_control_char(client))
    return fail("invalid_prompt", "client_id must be 1 to 128 printable characters");
  host::Graph g;
  try {
    g = host::load_graph_from_string(yaml, "prompt");
  } catch (const host::GraphError& e) {
    return fail("invalid_graph", host::format_problem(e.problem()), json::Array{problem_json(e.problem())});
  } catch (const std::exception& e) {
    return fail("invalid_graph", e.what());
  }
  g.source_file = sandbox.graph_dir / "prompt.yaml";
  SubmitResult r;
  r.job.id = new_job_id();
  // One plan, as the CLI makes it: the graph's values typed once, the request's values
  // typed into it with the same checks.
  const host::PathRoots roots = sandbox.roots(sandbox.output_store / r.job.id);
  host::Plan plan = host::make_plan(std::move(g), registry, roots);
  auto set_one = [&](const std::string& key, const json::Value& value) -> std::optional<host::Problem> {
    const auto text = value_text(value);
    if (!text) return host::Problem{"set " + key, 0, 0, {}, "param_type", "the value must be a string, number or boolean", {}};
    const auto dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size())
      return host::Problem{"set " + key, 0, 0, {}, "structure", "'" + key + "' is not NODE.PARAM", {}};
    return plan.set_param_text(key.substr(0, dot), key.substr(dot + 1), *text, "set " + key);
  };
  auto refused = [&](const char* type, const host::Problem& p) {
    return fail(type, host::format_problem(p), json::Array{problem_json(p)});
  };
  if (sets.is_object()) {
    for (const auto& [k, v] : sets.as_object())
      if (auto p = set_one(k, v)) return refused("invalid_override", *p);
  } else if (sets.is_array()) {
    for (const auto& s : sets.as_array()) {
      if (!s.is_string() || s.as_string().find('=') == std::string::npos)
        return fail("invalid_override", "\"set\" entries must be \"NODE.PARAM=VALUE\"");
      const std::string& t = s.as_string();
      const auto eq = t.find('=');
      if (auto p = set_one(t.substr(0, eq), json::Value(t.substr(eq + 1)))) return refused("invalid_override", *p);
    }
  } else if (!sets.is_null()) {
    return fail("invalid_override", "\"set\" must be an object {\"node.param\": value} or a list of \"node.param=value\"");
  }
  if (inputs.is_object()) {
    for (const auto& [name, v] : inputs.as_object()) {
      const auto text = value_text(v);
      if (!text) return fail("invalid_input", "input " + name + ": the value must be a string, number or boolean");
      if (auto p = plan.set_input(name, *text, "input " + name)) return refused("invalid_input", *p);
    }
  } else if (!inputs.is_null()) {
    return fail("invalid_input", "\"inputs\" must be an object {\"name\": value} (the graph's declared inputs)");
  }
  const auto& problems = plan.problems;
  if (!problems.empty()) {
    json::Array list;
    std::string text;
    for (const auto& p : problems) {
      list.push_back(problem_json(p));
      if (text.empty()) text = host::format_problem(p);
    }
    return fail("invalid_graph", text + (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : ""),
                json::Value(std::move(list)));
  }
  r.job.graph_yaml = host::to_yaml(plan.graph);
  r.job.client_id = client;
  r.job.timings = json::Object{{"queued_at", now_ms()}};
  return r;
}

std::optional<fs::path> resolve_view_path(const fs::path& store, const std::string& subfolder, const std::string& filename,
                                          std::string* problem) {
  auto refuse = [&](const std::string& why) -> std::optional<fs::path> {
    if (problem) *problem = why;
    return std::nullopt;
  };
  if (filename.empty()) return refuse("filename is required");
  for (const std::string* part : {&subfolder, &filename}) {
    if (host::has_control_char(*part)) return refuse("control characters in the file name");
    const fs::path p(*part);
    if (p.is_absolute()) return refuse("absolute paths are not allowed");
    for (const auto& c : p)
      if (c == "..") return refuse("'..' is not allowed");
  }
  std::error_code ec;
  const fs::path root = fs::canonical(store, ec);
  if (ec) return refuse("the output store does not exist");
  const fs::path full = fs::canonical(store / subfolder / filename, ec);
  if (ec) return refuse("no such output file");
  const auto rel = full.lexically_relative(root);
  if (rel.empty() || *rel.begin() == ".." || rel.string().rfind(".partial", 0) == 0)
    return refuse("the file is outside the output store");
  if (!fs::is_regular_file(full)) return refuse("not a regular file");
  return full;
}

}  // namespace ng::server
