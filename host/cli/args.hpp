#pragma once
// Command-line parsing for the noisegraph CLI.
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ng::cli {

/// Exit codes (docs/cli.md).
enum Exit : int { kOk = 0, kGraphError = 1, kUsage = 2, kRunFailed = 3, kCancelled = 130 };

/// A mistake on the command line; main prints it with a pointer to --help and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  ///< option -> every value given
  std::set<std::string> flags;                             ///< options without a value

  bool flag(const std::string& name) const { return flags.count(name) > 0; }
  /// Last value of an option, or `fallback`.
  std::string value(const std::string& name, const std::string& fallback = {}) const;
  bool has(const std::string& name) const { return values.count(name) > 0; }
  const std::vector<std::string>& all(const std::string& name) const;
  /// The option as an integer in [min, max]; throws UsageError otherwise.
  long long integer(const std::string& name, long long min, long long max) const;
};

struct OptionSpec {
  std::set<std::string> with_value;  ///< e.g. "--set", "--output-dir"
  std::set<std::string> flags;       ///< e.g. "--quiet"
};

/// Parses `args` (after the command name): "--opt value", "--opt=value", flags, and
/// positionals; "--" ends options. Throws UsageError for unknown options.
Args parse_args(const std::string& command, const std::vector<std::string>& args, const OptionSpec& spec);

}  // namespace ng::cli
