#pragma once
// Command-line parsing helpers for the noisegraph CLI (on top of CLI11).
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ng::cli {

/// Exit codes (docs/cli.md).
enum Exit : int { kOk = 0, kGraphError = 1, kUsage = 2, kRunFailed = 3, kCancelled = 130 };

/// A mistake on the command line; main prints it with a pointer to --help and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A CLI11 check: the value is an integer in [min, max], with a message that says so.
CLI::Validator integer_in(long long min, long long max);

/// Throws UsageError for what CLI11 left over on `command` (it allows extras so that
/// we can word the message): an unknown option, with the closest known ones, or a
/// surplus argument.
void reject_extras(const CLI::App& command);

/// Options of `command` as written on the command line ("--set", "-h", ...).
std::vector<std::string> option_names(const CLI::App& command);

/// Where the documentation is: <prefix>/share/doc/noisegraph when installed, the
/// source tree's docs/ otherwise; empty when neither exists.
std::filesystem::path docs_dir();

/// "noisegraph 0.1.0 (LibTorch 1.13.0)".
std::string version_line();

}  // namespace ng::cli
