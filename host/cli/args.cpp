#include "args.hpp"

#include <charconv>

namespace ng::cli {

std::string Args::value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::all(const std::string& name) const {
  static const std::vector<std::string> none;
  auto it = values.find(name);
  return it == values.end() ? none : it->second;
}

long long Args::integer(const std::string& name, long long min, long long max) const {
  const std::string text = value(name);
  long long v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty())
    throw UsageError(name + " expects an integer, found '" + text + "'");
  if (v < min || v > max)
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", found " + text);
  return v;
}

Args parse_args(const std::string& command, const std::vector<std::string>& args, const OptionSpec& spec) {
  Args out;
  out.command = command;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string name = a;
    std::string value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.compare(0, 2, "--") == 0) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (spec.with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError(name + " needs a value");
        value = args[++i];
      }
      out.values[name].push_back(value);
    } else if (spec.flags.count(name)) {
      if (inline_value) throw UsageError(name + " takes no value");
      out.flags.insert(name);
    } else {
      std::string known;
      for (const auto& o : spec.with_value) known += " " + o;
      for (const auto& o : spec.flags) known += " " + o;
      throw UsageError("unknown option '" + name + "' for '" + command + "'" +
                       (known.empty() ? std::string(" (it takes no options)") : "; options:" + known));
    }
  }
  return out;
}

}  // namespace ng::cli
