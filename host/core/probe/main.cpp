// noisegraph-plugin-probe: loads plugin libraries the way the host does, so that one
// which crashes on load takes down this process instead of the host (plugin_probe.hpp).
//
//   noisegraph-plugin-probe --fd N LIBRARY...
//
// For each library it writes "probe<TAB>LIBRARY\n" to descriptor N before touching it and
// "done<TAB>LIBRARY\n" after loading and registering it (or refusing it cleanly) and after
// its teardown ran cleanly too. A library named in a "probe" line without its "done" line
// killed the process.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <noisegraph/host/plugin_registry.hpp>

namespace {

void say(int fd, const std::string& what, const char* file) {
  const std::string line = what + "\t" + file + "\n";
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n <= 0) std::_Exit(3);  // the host went away
    p += n;
    left -= std::size_t(n);
  }
}

// A loaded library's static destructors run only at process exit (C++ libraries with
// unique symbols are never unloaded), where a broken one would take the host down after
// its work is done. So a forked copy of this process exits normally, running them; if it
// dies of a signal, this process dies of the same signal, blaming the library just loaded.
void check_teardown() {
  const pid_t child = ::fork();
  if (child < 0) return;  // cannot tell: judge on loading alone
  if (child == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    std::exit(0);
  }
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    const pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) break;
    if (r < 0 && errno != EINTR) return;
    if (std::chrono::steady_clock::now() > give_up) {  // a hang at exit does not crash anyone
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::raise(WTERMSIG(status));
    std::_Exit(128 + WTERMSIG(status));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], "--fd") != 0) {
    const char usage[] = "usage: noisegraph-plugin-probe --fd N LIBRARY...\n";
    (void)!::write(2, usage, sizeof usage - 1);
    return 2;
  }
  const int fd = std::atoi(argv[2]);
  for (int i = 3; i < argc; ++i) {
    say(fd, "probe", argv[i]);
    ng::host::PluginRegistry registry;  // one per library: each is judged on its own
    registry.set_probing(false);
    registry.load_file(argv[i]);
    check_teardown();
    say(fd, "done", argv[i]);
  }
  // Skip static destructors of libraries we loaded: a verdict is already given.
  std::_Exit(0);
}
