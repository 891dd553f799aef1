#include "args.hpp"

#include <charconv>
#include <cstdlib>

#include <noisegraph/abi.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

namespace ng::cli {

namespace fs = std::filesystem;

CLI::Validator integer_in(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        long long v = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || r.ec == std::errc::invalid_argument || r.ptr != text.data() + text.size())
          return "expects an integer, found '" + text + "'";
        if (r.ec != std::errc() || v < min || v > max)
          return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", found " + text;
        return {};
      },
      "");
}

std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* o : command.get_options()) {
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

void reject_extras(const CLI::App& command) {
  const auto extras = command.remaining();
  const std::string name = command.get_name();
  for (const auto& e : extras) {
    if (e.size() < 2 || e[0] != '-') continue;
    const std::string option = e.substr(0, e.find('='));
    auto close = host::did_you_mean(option, option_names(command));
    throw UsageError("unknown option '" + option + "' for '" + name + "'" +
                     (close.empty() ? std::string() : "; did you mean '" + close.front() + "'?"));
  }
  if (!extras.empty()) throw UsageError("unexpected argument '" + extras.front() + "' for '" + name + "'");
}

fs::path docs_dir() {
  // Set when man pages are generated at build time, so they name the installed folder.
  if (const char* shown = std::getenv("NOISEGRAPH_HELP_DOC_DIR"); shown && *shown) return shown;
  std::error_code ec;
  const fs::path installed = (host::executable_dir() / ".." / NOISEGRAPH_INSTALL_DOCDIR).lexically_normal();
  if (fs::is_directory(installed, ec)) return installed;
  if (fs::is_directory(NOISEGRAPH_SOURCE_DOCS_DIR, ec)) return NOISEGRAPH_SOURCE_DOCS_DIR;
  return {};
}

std::string version_line() {
  return std::string("noisegraph ") + NOISEGRAPH_VERSION + " (LibTorch " + NOISEGRAPH_TORCH_VERSION + ")";
}

}  // namespace ng::cli
