// Graph files: YAML text <-> Graph. Structure only; meaning is checked in validate.cpp.
#include "noisegraph/host/graph_io.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <fcntl.h>
#include <unistd.h>

#include <noisegraph/io/atomic_write.hpp>

#include "yaml_limits.hpp"

namespace ng::host {

namespace {

namespace fs = std::filesystem;

SourceLocation location_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& code, const std::string& message, SourceLocation where,
                         const std::string& node = {}, const std::string& hint = {}) const {
    throw GraphError(Problem{file_, where.line, where.column, node, code, message, hint});
  }

  Problem problem(const std::string& code, const std::string& message, SourceLocation where,
                  const std::string& node = {}, const std::string& hint = {}) const {
    return Problem{file_, where.line, where.column, node, code, message, hint};
  }

  std::string key_text(const YAML::Node& key) const {
    if (!key.IsScalar()) fail("structure", "expected a plain key, found a " + kind(key), location_of(key));
    return key.Scalar();
  }

  static std::string kind(const YAML::Node& n) {
    if (n.IsMap()) return "mapping";
    if (n.IsSequence()) return "list";
    if (n.IsNull()) return "empty value";
    return "scalar '" + n.Scalar() + "'";
  }

  Scalar scalar(const YAML::Node& n, const std::string& what, const std::string& node) const {
    Scalar s;
    s.location = location_of(n);
    if (n.IsNull()) {
      s.null = true;
      return s;
    }
    if (!n.IsScalar()) fail("structure", what + ": expected a single value, found a " + kind(n), s.location, node);
    s.text = n.Scalar();
    s.quoted = n.Tag() == "!";
    return s;
  }

  GraphNode node(const std::string& id, const YAML::Node& key, const YAML::Node& body, Graph& g) const {
    GraphNode out;
    out.id = id;
    out.location = location_of(key);
    if (!body.IsMap())
      fail("structure", "expected a mapping with 'type', 'inputs' and 'params', found a " + kind(body),
           location_of(body).line ? location_of(body) : out.location, id);
    bool has_type = false;
    for (const auto& kv : body) {
      const std::string k = key_text(kv.first);
      const YAML::Node& v = kv.second;
      if (k == "type") {
        Scalar t = scalar(v, "type", id);
        if (t.text.empty()) fail("structure", "'type' is empty; expected a node type id like 'image.load'", t.location, id);
        out.type = t.text;
        out.type_location = t.location;
        has_type = true;
      } else if (k == "version") {
        Scalar t = scalar(v, "version", id);
        out.version_location = t.location;
        out.version = parse_version(t, id);
      } else if (k == "inputs") {
        if (v.IsNull()) continue;
        if (!v.IsMap()) fail("structure", "'inputs' must map input names to \"node.output\", found a " + kind(v), location_of(v), id);
        for (const auto& in : v) {
          const std::string port = key_text(in.first);
          Scalar t = scalar(in.second, "input '" + port + "'", id);
          auto dot = t.text.find('.');
          if (dot == std::string::npos || dot == 0 || dot + 1 == t.text.size())
            fail("structure", "input '" + port + "': expected \"node.output\", found '" + t.text + "'", t.location, id,
                 "write the upstream node id and its output name separated by a dot, e.g. \"sigmas.sigmas\"");
          if (out.inputs.contains(port))
            g.load_problems.push_back(problem("duplicate_key", "input '" + port + "' is connected twice; the first link is used",
                                              location_of(in.first), id));
          else
            out.inputs.set(port, Link{t.text.substr(0, dot), t.text.substr(dot + 1), t.location});
        }
      } else if (k == "params") {
        if (v.IsNull()) continue;
        if (!v.IsMap()) fail("structure", "'params' must map parameter names to values, found a " + kind(v), location_of(v), id);
        for (const auto& p : v) {
          const std::string name = key_text(p.first);
          Scalar s = scalar(p.second, "parameter '" + name + "'", id);
          if (out.params.contains(name))
            g.load_problems.push_back(problem("duplicate_key", "parameter '" + name + "' is set twice; the first value is used",
                                              location_of(p.first), id));
          else
            out.params.set(name, std::move(s));
        }
      } else {
        g.load_problems.push_back(problem("unknown_key", "unknown key '" + k + "' (expected type, version, inputs, params); it is ignored",
                                          location_of(kv.first), id));
      }
    }
    if (!has_type) fail("structure", "missing 'type' (the node type id, e.g. 'image.load')", out.location, id);
    return out;
  }

  // `inputs: {NAME: {to: node.param | [node.param, ...], describe: TEXT}}` or the short
  // form `NAME: node.param`.
  void graph_inputs(const YAML::Node& section, Graph& g) const {
    if (section.IsNull()) return;
    if (!section.IsMap())
      fail("structure", "'inputs' must map input names to {to: node.param, describe: ...}, found a " + kind(section),
           location_of(section));
    for (const auto& kv : section) {
      GraphInput in;
      in.name = key_text(kv.first);
      in.location = location_of(kv.first);
      if (!Graph::is_valid_id(in.name))
        fail("structure", "invalid input name '" + in.name + "': use letters, digits, '_' and '-'", in.location);
      const YAML::Node& body = kv.second;
      YAML::Node to;
      if (body.IsMap()) {
        for (const auto& f : body) {
          const std::string k = key_text(f.first);
          if (k == "to") to = f.second;
          else if (k == "describe") in.description = scalar(f.second, "input '" + in.name + "' describe", {}).text;
          else
            g.load_problems.push_back(problem("unknown_key", "graph input '" + in.name + "': unknown key '" + k +
                                                                 "' (expected to, describe); it is ignored",
                                              location_of(f.first)));
        }
      } else {
        to = body;
      }
      auto add_target = [&](const YAML::Node& n) {
        const Scalar t = scalar(n, "input '" + in.name + "' target", {});
        const auto dot = t.text.find('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == t.text.size())
          fail("structure", "graph input '" + in.name + "': expected \"node.param\", found '" + t.text + "'", t.location, {},
               "name the node id and its parameter separated by a dot, e.g. cond.text");
        in.to.push_back(InputTarget{t.text.substr(0, dot), t.text.substr(dot + 1), t.location});
      };
      if (to.IsSequence()) {
        for (const auto& n : to) add_target(n);
      } else if (to.IsDefined() && !to.IsNull()) {
        add_target(to);
      }
      if (in.to.empty())
        fail("structure", "graph input '" + in.name + "' sets nothing; give it `to: node.param`", in.location);
      if (g.inputs.contains(in.name))
        g.load_problems.push_back(problem("duplicate_key", "graph input '" + in.name + "' is declared twice; the first is used",
                                          in.location));
      else {
        const std::string key = in.name;  // `in` may be moved before set() reads its key
        g.inputs.set(key, std::move(in));
      }
    }
  }

  std::optional<ng::NodeVersion> parse_version(const Scalar& t, const std::string& id) const {
    ng::NodeVersion v;
    const char* b = t.text.data();
    const char* e = b + t.text.size();
    auto r = std::from_chars(b, e, v.major);
    bool ok = r.ec == std::errc() && v.major >= 0;
    if (ok && r.ptr != e) {
      ok = *r.ptr == '.';
      if (ok) {
        auto r2 = std::from_chars(r.ptr + 1, e, v.minor);
        ok = r2.ec == std::errc() && r2.ptr == e && v.minor >= 0;
      }
    } else if (ok) {
      v.minor = 0;
    }
    if (!ok) fail("structure", "version: expected MAJOR.MINOR like 1.0, found '" + t.text + "'", t.location, id);
    return v;
  }

  void editor(const YAML::Node& e, Graph& g) const {
    g.editor.present = true;
    if (e.IsNull()) return;
    if (!e.IsMap()) fail("structure", "'editor' must be a mapping, found a " + kind(e), location_of(e));
    YAML::Node rest(YAML::NodeType::Map);
    bool has_rest = false;
    for (const auto& kv : e) {
      const std::string k = key_text(kv.first);
      if (k == "positions") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap())
          fail("structure", "editor positions: expected a mapping of node id to [x, y], found a " + kind(kv.second),
               location_of(kv.second));
        for (const auto& p : kv.second) {
          const std::string id = key_text(p.first);
          const YAML::Node& xy = p.second;
          Point pt;
          bool ok = xy.IsSequence() && xy.size() == 2 && xy[0].IsScalar() && xy[1].IsScalar();
          if (ok) {
            try {
              pt.x = xy[0].as<double>();
              pt.y = xy[1].as<double>();
              ok = std::isfinite(pt.x) && std::isfinite(pt.y);
            } catch (const YAML::Exception&) {
              ok = false;
            }
          }
          if (!ok) fail("structure", "editor position of '" + id + "': expected [x, y], found a " + kind(xy), location_of(xy));
          g.editor.positions.set(id, pt);
        }
      } else if (k == "seed_modes" && kv.second.IsMap()) {
        // node.param: fixed | increment | random. Anything unreadable is not worth failing a
        // load for (headless runs ignore it): it is reported and dropped.
        for (const auto& m : kv.second) {
          const std::string key = key_text(m.first);
          const auto dot = key.find('.');
          const auto mode = m.second.IsScalar() ? seed_mode_from_name(m.second.Scalar()) : std::nullopt;
          if (dot == std::string::npos || dot == 0 || !mode) {
            g.load_problems.push_back(problem("unknown_key", "editor seed mode '" + key +
                                                                 "' is not NODE.PARAM: fixed|increment|random; it is ignored",
                                              location_of(m.first)));
            continue;
          }
          if (*mode != SeedMode::Fixed) g.editor.seed_modes[key.substr(0, dot)][key.substr(dot + 1)] = *mode;
        }
      } else {
        rest[kv.first] = kv.second;
        has_rest = true;
      }
    }
    if (has_rest) {
      YAML::Emitter out;
      out << rest;
      g.editor.extra_yaml = std::string(out.c_str()) + "\n";
    }
  }

  Graph graph(const std::string& text) const {
    Graph g;
    g.source_file = file_;
    if (text.size() > kMaxGraphFileBytes)
      fail("file_too_large", "graph is " + std::to_string(text.size()) + " bytes; the limit is " +
                                 std::to_string(kMaxGraphFileBytes), {});
    check_yaml_limits(text, file_);  // before building a tree of unknown size
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
      fail("too_deep", "nesting deeper than the YAML reader allows (" + std::to_string(e.depth()) + " levels)",
           {e.mark.line + 1, e.mark.column + 1});
    } catch (const YAML::ParserException& e) {
      fail("yaml_syntax", "YAML syntax error: " + e.msg, {e.mark.line + 1, e.mark.column + 1});
    } catch (const YAML::Exception& e) {
      fail("yaml_syntax", std::string("YAML error: ") + e.msg, {e.mark.line + 1, e.mark.column + 1});
    }
    if (!root.IsMap())
      fail("structure", "expected a mapping with 'noisegraph: 1' and 'nodes', found a " + kind(root), location_of(root).line ? location_of(root) : SourceLocation{1, 1},
           {}, "a graph file starts with 'noisegraph: 1'");
    bool has_version = false;
    for (const auto& kv : root) {
      const std::string k = key_text(kv.first);
      if (k == "noisegraph") {
        has_version = true;
        g.format_location = location_of(kv.second);
        Scalar s = scalar(kv.second, "noisegraph", {});
        int v = 0;
        auto r = std::from_chars(s.text.data(), s.text.data() + s.text.size(), v);
        if (r.ec != std::errc() || r.ptr != s.text.data() + s.text.size() || v < 1)
          fail("format_version", "'noisegraph' must be the format version (1), found '" + s.text + "'", s.location);
        g.format_version = v;
      } else if (k == "nodes") {
        const YAML::Node& nodes = kv.second;
        if (nodes.IsNull()) continue;
        if (!nodes.IsMap()) fail("structure", "'nodes' must map node ids to nodes, found a " + kind(nodes), location_of(nodes));
        for (const auto& n : nodes) {
          const std::string id = key_text(n.first);
          if (!Graph::is_valid_id(id))
            fail("structure", "invalid node id '" + id + "': use letters, digits, '_' and '-' (at most 128)",
                 location_of(n.first), id);
          if (g.nodes.contains(id)) {
            g.load_problems.push_back(problem("duplicate_id", "node id '" + id + "' is used twice; the first one is kept",
                                              location_of(n.first), id, "rename one of them"));
            continue;
          }
          g.nodes.set(id, node(id, n.first, n.second, g));
        }
      } else if (k == "inputs") {
        graph_inputs(kv.second, g);
      } else if (k == "editor") {
        editor(kv.second, g);
      } else {
        g.load_problems.push_back(problem("unknown_key", "unknown top-level key '" + k +
                                                             "' (expected noisegraph, inputs, nodes, editor); it is ignored",
                                          location_of(kv.first)));
      }
    }
    if (!has_version)
      fail("format_version", "missing 'noisegraph: 1' (the graph format version)", {1, 1}, {},
           "add the line 'noisegraph: 1' at the top");
    return g;
  }

 private:
  std::string file_;
};

void emit_scalar(YAML::Emitter& out, const Scalar& s) {
  if (s.null) out << YAML::Null;
  else if (s.quoted) out << YAML::DoubleQuoted << s.text;
  else out << s.text;
}

std::string format_coordinate(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(int64_t(v));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

Graph load_graph_from_string(const std::string& text, const std::filesystem::path& filename) {
  return Reader(filename.string()).graph(text);
}

Graph load_graph(const std::filesystem::path& path) {
  Reader reader(path.string());
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) reader.fail("io", "cannot open graph file: no such file", {});
  if (fs::is_directory(status)) reader.fail("io", "cannot open graph file: it is a directory", {});
  // Opening a FIFO blocks until a writer comes; a device never ends: regular files only.
  if (!fs::is_regular_file(status))
    reader.fail("io", "cannot open graph file: not a regular file (a FIFO, device or socket)", {});
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxGraphFileBytes)
    reader.fail("file_too_large", "graph file is " + std::to_string(size) + " bytes; the limit is " +
                                      std::to_string(kMaxGraphFileBytes) + " (graph files are small text files)",
                {});
  std::ifstream in(path, std::ios::binary);
  if (!in) reader.fail("io", std::string("cannot open graph file: ") + std::strerror(errno), {});
  // Read at most one byte past the limit, in case the file grew after the size check.
  std::string text;
  text.resize(kMaxGraphFileBytes + 1);
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(std::size_t(in.gcount()));
  if (in.bad()) reader.fail("io", "error reading graph file", {});
  return reader.graph(text);
}

std::string to_yaml(const Graph& graph) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::BeginMap;
  out << YAML::Key << "noisegraph" << YAML::Value << graph.format_version;
  if (!graph.inputs.empty()) {
    out << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, input] : graph.inputs) {
      out << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "to" << YAML::Value;
      if (input.to.size() == 1) {
        out << (input.to[0].node + "." + input.to[0].param);
      } else {
        out << YAML::BeginSeq;
        for (const auto& t : input.to) out << (t.node + "." + t.param);
        out << YAML::EndSeq;
      }
      if (!input.description.empty()) out << YAML::Key << "describe" << YAML::Value << YAML::DoubleQuoted << input.description;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "nodes" << YAML::Value;
  if (graph.nodes.empty()) {
    out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  } else {
    out << YAML::BeginMap;
    for (const auto& [id, node] : graph.nodes) {
      out << YAML::Key << id << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "type" << YAML::Value << node.type;
      if (node.version)
        out << YAML::Key << "version" << YAML::Value
            << (std::to_string(node.version->major) + "." + std::to_string(node.version->minor));
      if (!node.inputs.empty()) {
        out << YAML::Key << "inputs" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [port, link] : node.inputs)
          out << YAML::Key << port << YAML::Value << (link.node + "." + link.output);
        out << YAML::EndMap;
      }
      if (!node.params.empty()) {
        out << YAML::Key << "params" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [name, value] : node.params) {
          out << YAML::Key << name << YAML::Value;
          emit_scalar(out, value);
        }
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  const auto& ed = graph.editor;
  if (ed.present || !ed.positions.empty() || !ed.seed_modes.empty() || !ed.extra_yaml.empty()) {
    out << YAML::Key << "editor" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "positions" << YAML::Value;
    if (ed.positions.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
    } else {
      out << YAML::BeginMap;
      for (const auto& [id, p] : ed.positions)
        out << YAML::Key << id << YAML::Value << YAML::Flow << YAML::BeginSeq << format_coordinate(p.x)
            << format_coordinate(p.y) << YAML::EndSeq;
      out << YAML::EndMap;
    }
    if (!ed.seed_modes.empty()) {
      out << YAML::Key << "seed_modes" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [node, params] : ed.seed_modes)
        for (const auto& [param, mode] : params) out << YAML::Key << (node + "." + param) << YAML::Value << to_string(mode);
      out << YAML::EndMap;
    }
    if (!ed.extra_yaml.empty()) {
      YAML::Node extra;
      try {
        extra = YAML::Load(ed.extra_yaml);
      } catch (const YAML::Exception& e) {
        throw GraphError(Problem{graph.source_file.string(), 0, 0, {}, "structure",
                                 "editor section: extra_yaml is not valid YAML: " + e.msg, {}});
      }
      if (!extra.IsMap() && !extra.IsNull())
        throw GraphError(Problem{graph.source_file.string(), 0, 0, {}, "structure",
                                 "editor section: extra_yaml must be a YAML mapping", {}});
      for (const auto& kv : extra) out << YAML::Key << kv.first << YAML::Value << kv.second;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  if (!out.good()) throw GraphError(Problem{graph.source_file.string(), 0, 0, {}, "io", "cannot write YAML: " + out.GetLastError(), {}});
  return std::string(out.c_str()) + "\n";
}

void save_graph(const Graph& graph, const std::filesystem::path& path) {
  const std::string text = to_yaml(graph);
  std::error_code ec;
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  // Saving into a folder that is not there is a mistake to report, not to paper over.
  if (!fs::is_directory(dir, ec))
    throw GraphError(Problem{path.string(), 0, 0, {}, "io", "cannot save graph: folder '" + dir.string() + "' does not exist", {}});
  try {
    ng::io::write_file_atomic(path, text);
  } catch (const std::exception& e) {
    throw GraphError(Problem{path.string(), 0, 0, {}, "io", std::string("cannot save graph: ") + e.what(), {}});
  }
}

}  // namespace ng::host
