// `noisegraph nodes`, `describe` and `plugins`: what the loaded plugins offer.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plan.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace ng::cli {

namespace {

bool is_abbreviation_end(const std::string& text, std::size_t dot) {
  static const char* kAbbreviations[] = {"e.g", "i.e", "etc", "vs", "approx", "cf", "resp", "Fig", "Eq"};
  for (const char* a : kAbbreviations) {
    const std::size_t n = std::strlen(a);
    if (dot >= n && text.compare(dot - n, n, a) == 0 && (dot == n || !std::isalnum((unsigned char)text[dot - n - 1])))
      return true;
  }
  return false;
}

// The first sentence of a description: up to a '.', '!' or '?' that ends a sentence
// (followed by a blank line, the end, or a space and a capital letter), never inside
// "e.g." or a number like 0.5.
std::string first_sentence(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "\n\n") == 0) return text.substr(0, i);
    const char c = text[i];
    if (c != '.' && c != '!' && c != '?') continue;
    if (i + 1 == text.size()) return text;
    std::size_t j = i + 1;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\n')) ++j;
    if (j == i + 1) continue;  // "0.5", "a.b"
    if (j == text.size()) return text.substr(0, i + 1);
    if (!std::isupper((unsigned char)text[j]) && text[j] != '`') continue;
    if (c == '.' && is_abbreviation_end(text, i)) continue;
    return text.substr(0, i + 1);
  }
  return text;
}

// Words of `text` wrapped to lines of at most `width` characters (a longer word gets a
// line of its own); later lines are indented by `indent`.
std::string wrap(const std::string& text, std::size_t indent, std::size_t width) {
  std::string out, line;
  std::size_t limit = width > indent + 20 ? width - indent : 20;
  std::size_t start = 0;
  auto flush = [&] {
    if (!out.empty()) out += "\n" + std::string(indent, ' ');
    out += line;
    line.clear();
  };
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \n", start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > limit) flush();
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || out.empty()) flush();
  return out;
}

std::size_t terminal_width() {
  if (const char* c = std::getenv("COLUMNS")) {
    long v = std::strtol(c, nullptr, 10);
    if (v >= 40 && v <= 1000) return std::size_t(v);
  }
  struct winsize ws {};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 100;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower((unsigned char)c));
  return s;
}

std::string version_text(ng::NodeVersion v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }

std::string value_text(const ng::ParamValue& v) {
  if (auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
  return ng::json::dump(param_json(v));
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

// Test fixtures: the `testing` plugin is built for the test suite (never installed);
// in a build tree it sits next to the real plugins, so listings leave it out.
bool is_test_only(const host::NodeType& t) { return t.plugin == "testing"; }

// "sampling" matches "sampling" and "sampling/guidance".
bool in_category(const host::NodeType& t, const std::string& category) {
  const std::string c = lower(t.spec.category_name()), want = lower(category);
  return c == want || c.compare(0, want.size() + 1, want + "/") == 0;
}

bool mentions(const host::NodeType& t, const std::string& text) {
  const std::string want = lower(text);
  for (const std::string& field : {t.spec.id(), t.spec.display_name(), t.spec.category_name(), t.spec.description()})
    if (lower(field).find(want) != std::string::npos) return true;
  return false;
}

struct InfoArgs {
  std::vector<std::string> plugins;
  bool json = false;
};

struct NodesArgs : InfoArgs {
  std::string text, category;
  bool all = false;
};

int list_nodes(const CLI::App& command, const NodesArgs& args) {
  reject_extras(command);
  host::PluginRegistry registry;
  load_plugins(registry, args.plugins);
  std::vector<const host::NodeType*> types, visible;
  for (const auto* t : registry.node_types())
    if (args.all || !is_test_only(*t)) visible.push_back(t);
  if (!args.category.empty()) {
    std::vector<std::string> categories;
    for (const auto* t : visible) {
      const std::string& c = t->spec.category_name();
      if (!c.empty() && std::find(categories.begin(), categories.end(), c) == categories.end()) categories.push_back(c);
      if (in_category(*t, args.category)) types.push_back(t);
    }
    if (types.empty()) {
      std::sort(categories.begin(), categories.end());
      auto close = host::did_you_mean(args.category, categories);
      std::string known;
      for (const auto& c : categories) known += (known.empty() ? "" : ", ") + c;
      throw UsageError("--category: no node type is in category '" + args.category + "'" +
                       (close.empty() ? " (categories: " + known + ")" : "; did you mean '" + close.front() + "'?"));
    }
  } else {
    types = visible;
  }
  if (!args.text.empty()) {
    std::vector<const host::NodeType*> matching;
    for (const auto* t : types)
      if (mentions(*t, args.text)) matching.push_back(t);
    types = matching;
  }
  if (args.json) {
    ng::json::Array list;
    for (const auto* t : types) list.push_back(node_type_json(*t));
    std::printf("%s\n", ng::json::dump(list, true).c_str());
    return kOk;
  }
  std::size_t width = 0;
  for (const auto* t : types) width = std::max(width, t->spec.id().size());
  const std::size_t indent = width + 8;
  for (const auto* t : types) {
    const std::string about = first_sentence(t->spec.description().empty() ? t->spec.display_name() : t->spec.description());
    std::printf("%s  %-5s %s\n", pad(t->spec.id(), width).c_str(), version_text(t->spec.version()).c_str(),
                wrap(about, indent, terminal_width()).c_str());
  }
  std::fprintf(stderr, "%zu node type(s)%s from %zu plugin(s)%s\n", types.size(),
               args.text.empty() && args.category.empty() ? "" : " matching", registry.plugins().size(),
               registry.failures().empty() ? "" : "; some plugins failed to load, see 'noisegraph plugins'");
  if (types.empty() && !args.text.empty()) return kGraphError;
  return kOk;
}

int describe_node(const CLI::App& command, const std::string& id, const InfoArgs& args);
int list_plugins(const CLI::App& command, const InfoArgs& args);

}  // namespace

Command add_nodes_command(CLI::App& app) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* c = app.add_subcommand("nodes", "List node types (all, or those matching TEXT or a category)");
  c->allow_extras();
  c->add_option("text", args->text, "Only node types whose id, name, category or description contains TEXT")
      ->type_name("TEXT");
  c->add_option("-c,--category", args->category, "Only node types in CATEGORY or its subcategories (e.g. sampling)")
      ->type_name("CATEGORY");
  c->add_flag("--all", args->all, "Also list the test suite's fixture nodes (plugin 'testing')");
  c->add_flag("--json", args->json, "Print full descriptions as JSON");
  add_plugins_option(*c, args->plugins);
  return [c, args] { return list_nodes(*c, *args); };
}

Command add_describe_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  auto id = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand("describe", "Show a node type's ports and parameters, or a graph's inputs");
  c->allow_extras();
  c->add_option("type", *id, "Node type id (e.g. sample.ksampler) or a graph file")->required()->type_name("TYPE|GRAPH");
  c->add_flag("--json", args->json, "Print as JSON");
  add_plugins_option(*c, args->plugins);
  return [c, args, id] { return describe_node(*c, *id, *args); };
}

Command add_plugins_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* c = app.add_subcommand("plugins", "List loaded plugins and the ones that failed, with reasons");
  c->allow_extras();
  c->add_flag("--json", args->json, "Print as JSON");
  add_plugins_option(*c, args->plugins);
  return [c, args] { return list_plugins(*c, *args); };
}

namespace {

bool is_graph_file(const std::string& arg) {
  const std::filesystem::path p(arg);
  const std::string ext = p.extension().string();
  std::error_code ec;
  return ext == ".yaml" || ext == ".yml" || std::filesystem::is_regular_file(p, ec);
}

// `noisegraph describe GRAPH`: what a user of the graph may set, with current values.
int describe_graph(const std::string& path, const host::PluginRegistry& registry, bool json) {
  host::Graph graph;
  try {
    graph = host::load_graph(path);
  } catch (const host::GraphError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kGraphError;
  }
  const std::size_t node_count = graph.nodes.size();
  const host::PathRoots roots = host::default_path_roots(graph);
  const host::Plan plan = host::make_plan(std::move(graph), registry, roots);
  std::vector<std::string> outputs;
  for (const auto& [nid, n] : plan.graph.nodes)
    if (const host::PlannedNode* pn = plan.find(nid); pn && pn->type && pn->type->spec.is_output_node()) outputs.push_back(nid);
  if (json) {
    ng::json::Array inputs;
    for (const auto& [name, in] : plan.graph.inputs) {
      ng::json::Array to;
      for (const auto& t : in.to) to.push_back(t.node + "." + t.param);
      const auto kind = host::input_kind(plan, name);
      inputs.push_back(ng::json::Object{{"name", name},
                                        {"kind", kind ? ng::kind_name(*kind) : "?"},
                                        {"value", host::input_value_text(plan, name)},
                                        {"describe", in.description},
                                        {"to", to}});
    }
    ng::json::Array outs(outputs.begin(), outputs.end());
    ng::json::Array problems;
    for (const auto& p : plan.problems) problems.push_back(problem_json(p));
    std::printf("%s\n", ng::json::dump(ng::json::Object{{"graph", path}, {"nodes", int64_t(node_count)},
                                                        {"inputs", inputs}, {"outputs", outs}, {"problems", problems}},
                                       true)
                            .c_str());
    return plan.ok() ? kOk : kGraphError;
  }
  std::printf("%s: %zu node(s); output nodes: ", path.c_str(), node_count);
  for (std::size_t i = 0; i < outputs.size(); ++i) std::printf("%s%s", i ? ", " : "", outputs[i].c_str());
  std::printf("%s\n", outputs.empty() ? "none" : "");
  if (plan.graph.inputs.empty()) {
    std::printf("\nno graph inputs; set any parameter with --set NODE.PARAM=VALUE\n");
  } else {
    std::printf("\ninputs (set with NAME=VALUE after the graph):\n");
    for (const auto& [name, in] : plan.graph.inputs) {
      const auto kind = host::input_kind(plan, name);
      std::string targets;
      for (const auto& t : in.to) targets += (targets.empty() ? "" : ", ") + t.node + "." + t.param;
      std::string value = host::input_value_text(plan, name);
      if (kind && (*kind == ng::ParamKind::String || *kind == ng::ParamKind::Path)) value = "\"" + value + "\"";
      std::printf("  %s %s= %s   (sets %s)\n", pad(name, 12).c_str(), pad(kind ? ng::kind_name(*kind) : "?", 7).c_str(),
                  value.c_str(), targets.c_str());
      if (!in.description.empty()) std::printf("      %s\n", in.description.c_str());
    }
  }
  for (const auto& p : plan.problems) std::fprintf(stderr, "%s\n", host::format_problem(p).c_str());
  return plan.ok() ? kOk : kGraphError;
}

int describe_node(const CLI::App& command, const std::string& id, const InfoArgs& args) {
  reject_extras(command);
  host::PluginRegistry registry;
  load_plugins(registry, args.plugins);
  if (!registry.find(id) && is_graph_file(id)) return describe_graph(id, registry, args.json);
  const host::NodeType* t = registry.find(id);
  if (!t) {
    auto close = host::did_you_mean(id, registry.node_type_ids());
    std::string hint;
    for (const auto& c : close) hint += (hint.empty() ? "" : ", ") + c;
    throw UsageError("no node type '" + id + "'" + (hint.empty() ? " ('noisegraph nodes' lists them)" : "; did you mean " + hint + "?"));
  }
  if (args.json) {
    std::printf("%s\n", ng::json::dump(node_type_json(*t), true).c_str());
    return kOk;
  }
  const ng::NodeSpec& s = t->spec;
  std::printf("%s %s - %s\n", s.id().c_str(), version_text(s.version()).c_str(), s.display_name().c_str());
  std::printf("plugin: %s (%s)\n", t->plugin.c_str(), t->file.empty() ? "built in" : t->file.c_str());
  if (!s.category_name().empty()) std::printf("category: %s\n", s.category_name().c_str());
  if (s.is_output_node()) std::printf("output node: runs whenever the graph runs\n");
  if (!s.description().empty()) std::printf("\n%s\n", s.description().c_str());
  auto ports = [](const char* title, const std::vector<ng::PortSpec>& list) {
    if (list.empty()) return;
    std::printf("\n%s:\n", title);
    for (const auto& p : list)
      std::printf("  %s %s%s%s\n", pad(p.variadic ? p.name + "_N" : p.name, 16).c_str(), pad(p.type, 14).c_str(),
                  p.variadic ? "(any number: _1, _2, ...) " : p.optional ? "(optional) " : "", p.description.c_str());
  };
  ports("inputs", s.inputs());
  ports("outputs", s.outputs());
  if (!s.params().empty()) {
    std::printf("\nparams:\n");
    for (const auto& p : s.params()) {
      std::string line = "  " + pad(p.name, 16) + pad(kind_name(p.kind), 7) + "default " + value_text(p.default_value);
      auto num = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return std::string(buf);
      };
      if (p.min && p.max) line += "  range [" + num(*p.min) + ", " + num(*p.max) + "]";
      else if (p.min) line += "  min " + num(*p.min);
      else if (p.max) line += "  max " + num(*p.max);
      if (p.step) line += "  step " + num(*p.step);
      if (!p.choices.empty()) {
        line += "  choices:";
        for (const auto& c : p.choices) line += " " + c;
      }
      if (!p.description.empty()) line += "\n      " + p.description;
      std::printf("%s\n", line.c_str());
    }
  }
  return kOk;
}

int list_plugins(const CLI::App& command, const InfoArgs& args) {
  reject_extras(command);
  host::PluginRegistry registry;
  load_plugins(registry, args.plugins);
  if (args.json) {
    std::printf("%s\n", ng::json::dump(plugins_json(registry), true).c_str());
    return kOk;
  }
  std::printf("search path:\n");
  std::vector<std::filesystem::path> extra;
  for (const auto& d : args.plugins) extra.emplace_back(d);
  for (const auto& d : host::PluginRegistry::default_search_path(extra)) std::printf("  %s\n", d.c_str());
  std::printf("loaded (%zu):\n", registry.plugins().size());
  for (const auto& p : registry.plugins())
    std::printf("  %s %3zu node(s)  %s\n", pad(p.name, 14).c_str(), p.node_count, p.file.c_str());
  if (!registry.failures().empty()) {
    std::printf("failed (%zu):\n", registry.failures().size());
    for (const auto& f : registry.failures()) std::printf("  %s\n      %s\n", f.file.c_str(), f.reason.c_str());
  }
  return kOk;
}

}  // namespace
}  // namespace ng::cli
