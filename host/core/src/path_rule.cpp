// The single rule for Path parameters: reads resolve against the graph and model folders
// and must be regular files (or folders), writes stay inside the output folder.
#include "noisegraph/host/path_rule.hpp"

#include <algorithm>
#include <cstdio>

namespace ng::host {

namespace fs = std::filesystem;

bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// `path` after resolving every symlink of its existing part ("" when that fails).
fs::path real(const fs::path& path) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path() : r;
}

bool is_within(const fs::path& inner, const fs::path& root) {
  if (inner.empty() || root.empty()) return false;
  auto i = inner.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++i) {
    if (r->empty()) continue;  // trailing separator
    if (i == inner.end() || *i != *r) return false;
  }
  return true;
}

const char* kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::directory: return "a folder";
    default: return "not a regular file";
  }
}

PathVerdict refuse(fs::path resolved, std::string code, std::string message, std::string hint = {}) {
  return PathVerdict{std::move(resolved), std::move(code), std::move(message), std::move(hint)};
}

PathVerdict check_write(const std::string& value, const ng::ParamSpec& spec, const PathRoots& roots) {
  const std::string what = "parameter '" + spec.name + "' names a file to write";
  const fs::path rel(value);
  if (rel.is_absolute() || rel.has_root_name())
    return refuse(rel, "path_absolute", what + " and must be relative to the output folder, found '" + value + "'",
                  "write a name inside the output folder, e.g. '" + rel.filename().string() +
                      "'; choose the folder itself with --output-dir");
  for (const auto& part : rel)
    if (part == "..")
      return refuse(rel, "path_escapes", what + " and must not leave the output folder ('..' in '" + value + "')",
                    "write a name inside the output folder; choose the folder itself with --output-dir");
  const fs::path target = roots.output_dir / rel;
  const fs::path real_root = real(roots.output_dir);
  const fs::path real_target = real(target);
  if (real_root.empty() || real_target.empty() || !is_within(real_target, real_root))
    return refuse(target, "path_escapes",
                  what + ": '" + value + "' leads out of the output folder through a symlink (to '" +
                      real_target.string() + "')");
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  if (!ec && fs::exists(st)) {
    if (spec.names_folder() && !fs::is_directory(st))
      return refuse(target, "path_not_folder", "parameter '" + spec.name + "' names a folder to write, but '" +
                                                   target.string() + "' is " + kind_of(st.type()));
    if (!spec.names_folder() && !fs::is_directory(st) && !fs::is_regular_file(st))
      return refuse(target, "path_not_regular", what + ", but '" + target.string() + "' is " + kind_of(st.type()));
  }
  return PathVerdict{target, {}, {}, {}};
}

PathVerdict check_read(const std::string& value, const ng::ParamSpec& spec, const PathRoots& roots) {
  const fs::path p(value);
  std::vector<fs::path> candidates;
  if (p.is_absolute()) {
    candidates.push_back(p);
  } else {
    candidates.push_back(roots.graph_dir / p);
    for (const auto& d : roots.model_dirs) candidates.push_back(d / p);
  }
  const char* noun = spec.path_role == ng::PathRole::ReadFolder ? "folder" : "file";
  fs::path found;
  fs::file_status st;
  for (const auto& c : candidates) {
    std::error_code ec;
    st = fs::status(c, ec);  // follows symlinks; never opens the file, so a FIFO cannot block
    if (!ec && fs::exists(st)) {
      found = c;
      break;
    }
  }
  if (found.empty()) {
    std::string where = p.is_absolute() ? std::string() : " (looked in the graph's folder '" + roots.graph_dir.string() + "'";
    if (!p.is_absolute()) {
      for (const auto& d : roots.model_dirs) where += ", '" + d.string() + "'";
      where += ")";
    }
    return refuse(candidates.front(), "path_not_found",
                  "parameter '" + spec.name + "': " + noun + " '" + value + "' does not exist" + where,
                  "relative paths resolve against the graph file's folder, then the model folders (--models)");
  }
  switch (spec.path_role) {
    case ng::PathRole::ReadFolder:
      if (!fs::is_directory(st))
        return refuse(found, "path_not_folder", "parameter '" + spec.name + "' names a folder to read, but '" +
                                                    found.string() + "' is " + kind_of(st.type()));
      break;
    case ng::PathRole::ReadFileOrFolder:
      if (!fs::is_directory(st) && !fs::is_regular_file(st))
        return refuse(found, "path_not_regular", "parameter '" + spec.name + "' names a file or folder to read, but '" +
                                                     found.string() + "' is " + kind_of(st.type()));
      break;
    default:
      if (fs::is_directory(st))
        return refuse(found, "path_is_folder", "parameter '" + spec.name + "' names a file to read, but '" +
                                                   found.string() + "' is a folder");
      if (!fs::is_regular_file(st))
        return refuse(found, "path_not_regular", "parameter '" + spec.name + "' names a file to read, but '" +
                                                     found.string() + "' is " + kind_of(st.type()),
                      "only regular files can be read (a FIFO or device would block or never end)");
  }
  if (roots.confine_reads) {
    const fs::path r = real(found);
    std::vector<fs::path> allowed{roots.graph_dir};
    allowed.insert(allowed.end(), roots.model_dirs.begin(), roots.model_dirs.end());
    allowed.insert(allowed.end(), roots.read_roots.begin(), roots.read_roots.end());
    const bool inside = std::any_of(allowed.begin(), allowed.end(), [&](const fs::path& a) {
      return is_within(r, real(a));
    });
    if (!inside)
      return refuse(found, "path_outside_roots",
                    "parameter '" + spec.name + "': '" + value + "' is outside the folders this graph may read");
  }
  return PathVerdict{found, {}, {}, {}};
}

}  // namespace

PathVerdict check_path_param(const std::string& value, const ng::ParamSpec& spec, const PathRoots& roots) {
  if (has_control_char(value))
    return refuse(fs::path(), "path_control_char",
                  "parameter '" + spec.name + "' contains a control character: '" + printable(value) + "'",
                  "file names may not contain control characters (NUL, newline, escape, ...)");
  if (value.empty()) return {};
  return spec.writes() ? check_write(value, spec, roots) : check_read(value, spec, roots);
}

}  // namespace ng::host
