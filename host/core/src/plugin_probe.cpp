// Probing plugin libraries in a child process (noisegraph-plugin-probe) and caching the
// verdicts, so a library that crashes on load takes down the child, never the host.
#include "noisegraph/host/plugin_probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <noisegraph/abi.hpp>
#include <noisegraph/error.hpp>
#include <noisegraph/io/atomic_write.hpp>

#include "noisegraph/host/plugin_registry.hpp"

extern char** environ;

namespace ng::host {

namespace fs = std::filesystem;

namespace {

constexpr const char* kProbeName = "noisegraph-plugin-probe";
// The child writes its protocol lines to this descriptor; its stdout and stderr go to
// /dev/null so a chatty plugin cannot garble them.
constexpr int kProbeFd = 63;

// Identifies this host build: a verdict is only valid for the host that made it.
std::string host_identity() {
  return std::string("noisegraph-plugin-probe-cache 1 abi=") + std::to_string(NOISEGRAPH_SDK_ABI) +
         " compiler=" + NOISEGRAPH_COMPILER_ID + " torch=" + NOISEGRAPH_TORCH_VERSION;
}

struct FileKey {
  std::string path;
  uint64_t size = 0;
  int64_t mtime = 0;
  uint64_t hash = 0;
  bool ok = false;
};

// A 64-bit hash of the contents, 8 bytes a step (plugins are a few MB; this stays cheap).
uint64_t content_hash(const fs::path& file, bool& ok) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ok = false;
    return 0;
  }
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    const std::size_t n = std::size_t(in.gcount());
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, buf.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    for (; i < n; ++i) h = (h ^ uint8_t(buf[i])) * 0x100000001b3ULL;
  }
  ok = true;
  return h;
}

FileKey key_of(const fs::path& file) {
  FileKey k;
  std::error_code ec;
  const fs::path abs = fs::absolute(file, ec).lexically_normal();
  k.path = abs.string();
  if (k.path.find_first_of("\t\n\r") != std::string::npos) return k;  // not cacheable
  k.size = fs::file_size(abs, ec);
  if (ec) return k;
  k.mtime = int64_t(fs::last_write_time(abs, ec).time_since_epoch().count());
  if (ec) return k;
  k.hash = content_hash(abs, k.ok);
  return k;
}

std::string key_text(const FileKey& k) {
  std::ostringstream s;
  s << k.size << '\t' << k.mtime << '\t' << std::hex << k.hash << '\t' << k.path;
  return s.str();
}

// key text -> "passed" or "crashed <signal>".
std::map<std::string, std::string> read_cache(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line != host_identity()) return out;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out[line.substr(tab + 1)] = line.substr(0, tab);
    if (out.size() > 100000) break;  // a runaway cache file is not worth more
  }
  return out;
}

// Merges `updates` into the cache file, written atomically so concurrent hosts never see
// half a file (the last writer wins, which only costs a probe). A cache that cannot be
// written is not an error: the plugins are simply probed again next time.
void write_cache(const fs::path& file, const std::map<std::string, std::string>& updates) {
  if (updates.empty()) return;
  std::map<std::string, std::string> all = read_cache(file);
  for (const auto& [k, v] : updates) all[k] = v;
  try {
    ng::io::write_file_atomic(file, [&](std::ostream& out) {
      out << host_identity() << '\n';
      for (const auto& [k, v] : all) out << v << '\t' << k << '\n';
    });
  } catch (const ng::Error&) {
  }
}

struct ChildRun {
  std::vector<std::string> done;        // files the child finished ("ok" lines)
  std::string crashed_on;               // file it was loading when it died ("" if none)
  int signal = 0;
  bool timed_out = false;
  bool failed_to_start = false;
};

// Runs the probe program over `files` until it finishes, dies or hangs on one of them.
ChildRun run_child(const fs::path& program, const std::vector<std::string>& files,
                   std::chrono::milliseconds timeout) {
  ChildRun run;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    run.failed_to_start = true;
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], kProbeFd);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args{program.string(), "--fd", std::to_string(kProbeFd)};
  args.insert(args.end(), files.begin(), files.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    run.failed_to_start = true;
    return run;
  }

  std::string pending, current;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool eof = false;
  while (!eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, int(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      eof = true;
      break;
    }
    pending.append(buf, std::size_t(got));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.rfind("probe\t", 0) == 0) {
        current = line.substr(6);
        deadline = std::chrono::steady_clock::now() + timeout;  // each library gets the full time
      } else if (line.rfind("done\t", 0) == 0) {
        run.done.push_back(line.substr(5));
        current.clear();
      }
    }
  }
  ::close(fds[0]);
  if (run.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (run.timed_out) {
    run.crashed_on = current;
  } else if (WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
    run.crashed_on = current;
  } else if (!current.empty()) {
    run.crashed_on = current;  // exited in the middle of a library (its code called exit)
    run.signal = 0;
  }
  return run;
}

}  // namespace

std::string signal_text(int sig) {
  const char* name = nullptr;
  switch (sig) {
    case SIGSEGV: name = "SIGSEGV"; break;
    case SIGBUS: name = "SIGBUS"; break;
    case SIGABRT: name = "SIGABRT"; break;
    case SIGILL: name = "SIGILL"; break;
    case SIGFPE: name = "SIGFPE"; break;
    case SIGKILL: name = "SIGKILL"; break;
    case SIGTERM: name = "SIGTERM"; break;
    case SIGTRAP: name = "SIGTRAP"; break;
    case SIGSYS: name = "SIGSYS"; break;
    default: break;
  }
  std::string out = name ? name : "signal " + std::to_string(sig);
  if (const char* d = ::strsignal(sig)) out += std::string(" (") + d + ")";
  return out;
}

fs::path default_probe_cache_file() {
  fs::path base;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') base = x;
  else if (const char* h = std::getenv("HOME"); h && *h == '/') base = fs::path(h) / ".cache";
  else return {};
  return base / "noisegraph" / "plugin-probe.tsv";
}

fs::path find_probe_program() {
  std::error_code ec;
  if (const char* env = std::getenv("NOISEGRAPH_PLUGIN_PROBE"); env && *env) {
    const std::string v = env;
    if (v == "off" || v == "0" || v == "no") return {};
    return fs::is_regular_file(v, ec) ? fs::path(v) : fs::path();
  }
  for (const fs::path& dir : {executable_dir(), fs::path(NOISEGRAPH_BUILD_BIN_DIR),
                              executable_dir() / ".." / NOISEGRAPH_INSTALL_BINDIR}) {
    const fs::path p = dir / kProbeName;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.lexically_normal();
  }
  return {};
}

std::vector<ProbeVerdict> probe_plugins(const std::vector<fs::path>& files, const ProbeOptions& options) {
  std::vector<ProbeVerdict> verdicts(files.size());
  const fs::path program = options.probe_program.empty() ? find_probe_program() : options.probe_program;
  if (program.empty() || files.empty()) return verdicts;  // Unprobed: load directly

  const fs::path cache_file = options.cache_file.empty() ? default_probe_cache_file()
                              : options.cache_file == "-" ? fs::path() : options.cache_file;
  const auto cache = cache_file.empty() ? std::map<std::string, std::string>() : read_cache(cache_file);
  std::map<std::string, std::string> updates;

  std::vector<FileKey> keys(files.size());
  std::vector<std::string> pending;
  std::map<std::string, std::size_t> index;  // absolute path -> position in files
  for (std::size_t i = 0; i < files.size(); ++i) {
    keys[i] = key_of(files[i]);
    if (keys[i].ok) {
      auto hit = cache.find(key_text(keys[i]));
      if (hit != cache.end()) {
        verdicts[i].from_cache = true;
        if (hit->second == "passed") {
          verdicts[i].kind = ProbeVerdict::Kind::Passed;
          continue;
        }
        if (hit->second.rfind("crashed ", 0) == 0) {
          verdicts[i].kind = ProbeVerdict::Kind::Crashed;
          verdicts[i].signal = std::atoi(hit->second.c_str() + 8);
          continue;
        }
        verdicts[i].from_cache = false;
      }
    }
    index[keys[i].path] = i;
    pending.push_back(keys[i].path);
  }

  // One child for all the libraries; when one kills it, a new child goes on after it.
  while (!pending.empty()) {
    ChildRun run = run_child(program, pending, options.timeout);
    if (run.failed_to_start) break;  // the rest stay Unprobed
    for (const auto& f : run.done)
      if (auto it = index.find(f); it != index.end()) verdicts[it->second].kind = ProbeVerdict::Kind::Passed;
    std::size_t resume = pending.size();
    if (!run.crashed_on.empty()) {
      auto it = index.find(run.crashed_on);
      if (it != index.end()) {
        ProbeVerdict& v = verdicts[it->second];
        v.kind = run.timed_out ? ProbeVerdict::Kind::TimedOut : ProbeVerdict::Kind::Crashed;
        v.signal = run.signal;
      }
      for (std::size_t i = 0; i < pending.size(); ++i)
        if (pending[i] == run.crashed_on) resume = i + 1;
    } else {
      // The child ended without naming a culprit: whatever it did not finish stays unprobed
      // rather than looping.
      break;
    }
    pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(std::min(resume, pending.size())));
  }

  for (std::size_t i = 0; i < files.size(); ++i) {
    ProbeVerdict& v = verdicts[i];
    if (v.kind == ProbeVerdict::Kind::Crashed)
      v.message = v.signal ? "crashed the probe process with " + signal_text(v.signal) + " while loading; not loaded"
                           : "ended the probe process while loading (it called exit); not loaded";
    else if (v.kind == ProbeVerdict::Kind::TimedOut)
      v.message = "did not finish loading in " + std::to_string(options.timeout.count() / 1000) +
                  " s in the probe process; not loaded";
    if (v.from_cache && !v.message.empty()) v.message += " (cached verdict; rebuild or replace the file to retry)";
    if (!v.from_cache && keys[i].ok) {
      if (v.kind == ProbeVerdict::Kind::Passed) updates[key_text(keys[i])] = "passed";
      else if (v.kind == ProbeVerdict::Kind::Crashed) updates[key_text(keys[i])] = "crashed " + std::to_string(v.signal);
    }
  }
  if (!cache_file.empty()) write_cache(cache_file, updates);
  return verdicts;
}

}  // namespace ng::host
