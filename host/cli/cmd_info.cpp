// `noisegraph nodes`, `describe` and `plugins`: what the loaded plugins offer.
#include <cstdio>

#include <noisegraph/host/validate.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace ng::cli {

namespace {

std::string first_sentence(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') return text.substr(0, i);
    if (text[i] == '.' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) return text.substr(0, i + 1);
  }
  return text;
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

}  // namespace

int cmd_nodes(const std::vector<std::string>& argv) {
  OptionSpec spec;
  spec.with_value = {"--plugins"};
  spec.flags = {"--json"};
  const Args args = parse_args("nodes", argv, spec);
  if (!args.positional.empty()) throw UsageError("nodes takes no arguments (did you mean 'describe TYPE'?)");
  host::PluginRegistry registry;
  load_plugins(registry, args);
  const auto types = registry.node_types();
  if (args.flag("--json")) {
    ng::json::Array list;
    for (const auto* t : types) list.push_back(node_type_json(*t));
    std::printf("%s\n", ng::json::dump(list, true).c_str());
    return kOk;
  }
  std::size_t width = 0;
  for (const auto* t : types) width = std::max(width, t->spec.id().size());
  for (const auto* t : types)
    std::printf("%s  %-5s %s\n", pad(t->spec.id(), width).c_str(), version_text(t->spec.version()).c_str(),
                first_sentence(t->spec.description().empty() ? t->spec.display_name() : t->spec.description()).c_str());
  std::fprintf(stderr, "%zu node type(s) from %zu plugin(s)%s\n", types.size(), registry.plugins().size(),
               registry.failures().empty() ? "" : "; some plugins failed to load, see 'noisegraph plugins'");
  return kOk;
}

int cmd_describe(const std::vector<std::string>& argv) {
  OptionSpec spec;
  spec.with_value = {"--plugins"};
  spec.flags = {"--json"};
  const Args args = parse_args("describe", argv, spec);
  if (args.positional.size() != 1) throw UsageError("describe expects one node type id, e.g. 'describe image.load'");
  host::PluginRegistry registry;
  load_plugins(registry, args);
  const std::string id = args.positional.front();
  const host::NodeType* t = registry.find(id);
  if (!t) {
    auto close = host::did_you_mean(id, registry.node_type_ids());
    std::string hint;
    for (const auto& c : close) hint += (hint.empty() ? "" : ", ") + c;
    throw UsageError("no node type '" + id + "'" + (hint.empty() ? " ('noisegraph nodes' lists them)" : "; did you mean " + hint + "?"));
  }
  if (args.flag("--json")) {
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
      std::printf("  %s %s%s%s\n", pad(p.name, 16).c_str(), pad(p.type, 14).c_str(), p.optional ? "(optional) " : "",
                  p.description.c_str());
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

int cmd_plugins(const std::vector<std::string>& argv) {
  OptionSpec spec;
  spec.with_value = {"--plugins"};
  spec.flags = {"--json"};
  const Args args = parse_args("plugins", argv, spec);
  if (!args.positional.empty()) throw UsageError("plugins takes no arguments");
  host::PluginRegistry registry;
  load_plugins(registry, args);
  if (args.flag("--json")) {
    std::printf("%s\n", ng::json::dump(plugins_json(registry), true).c_str());
    return kOk;
  }
  std::printf("search path:\n");
  std::vector<std::filesystem::path> extra;
  for (const auto& d : args.all("--plugins")) extra.emplace_back(d);
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

}  // namespace ng::cli
