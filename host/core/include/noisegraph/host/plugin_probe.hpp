#pragma once
/// @file plugin_probe.hpp
/// Trying plugin libraries in a child process before the host loads them, the way audio
/// plugin hosts scan plugins: a truncated library (SIGBUS on dlopen), a constructor that
/// aborts, or an info symbol that is data rather than a function (SIGSEGV when called)
/// kills the child, not the host.
///
/// The child is the small program `noisegraph-plugin-probe`, found next to the running
/// executable (or in the build's bin/ folder). It loads each library with the ordinary
/// registry checks (dlopen, info, register) and says how far it got. A library that kills
/// it is reported with the signal and never loaded in-process; the others load as before
/// (and are refused in-process for the same reasons as in the child, which is safe).
///
/// Verdicts are cached per file (absolute path, size, modification time and a hash of
/// the contents) in $XDG_CACHE_HOME/noisegraph/plugin-probe.tsv (~/.cache when unset),
/// so an unchanged plugin folder costs one read of each file and no child. The cache is
/// tied to the host's SDK ABI, compiler and LibTorch version. Timeouts are not cached (a
/// busy machine is no verdict).
///
/// NOISEGRAPH_PLUGIN_PROBE=off turns probing off (libraries then load directly, as a
/// debugger user may want); NOISEGRAPH_PLUGIN_PROBE=<file> names the probe program.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ng::host {

struct ProbeVerdict {
  enum class Kind {
    Passed,    ///< the child loaded it (or refused it cleanly): safe to load in-process
    Crashed,   ///< the child died with `signal` while loading it
    TimedOut,  ///< the child did not finish loading it in time
    Unprobed,  ///< no probe program found or probing is off: load directly
  };
  Kind kind = Kind::Unprobed;
  int signal = 0;
  bool from_cache = false;
  /// For Crashed/TimedOut: "crashed the probe process with SIGBUS (bus error) while
  /// loading; not loaded". Empty otherwise.
  std::string message;
};

struct ProbeOptions {
  /// Time one library may take to load in the child before it is killed.
  std::chrono::milliseconds timeout{60000};
  /// Cache file; "" = the default under $XDG_CACHE_HOME. "-" = no cache.
  std::filesystem::path cache_file;
  /// Probe program; "" = found as described above.
  std::filesystem::path probe_program;
};

/// One verdict per file, in the order given. Never throws.
std::vector<ProbeVerdict> probe_plugins(const std::vector<std::filesystem::path>& files,
                                        const ProbeOptions& options = {});

/// The default cache file ($XDG_CACHE_HOME/noisegraph/plugin-probe.tsv).
std::filesystem::path default_probe_cache_file();

/// The probe program that probe_plugins() would use; "" when none (or probing is off).
std::filesystem::path find_probe_program();

/// "SIGSEGV (segmentation fault)" and the like.
std::string signal_text(int signal);

}  // namespace ng::host
