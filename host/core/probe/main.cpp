// noisegraph-plugin-probe: loads plugin libraries the way the host does, so that one
// which crashes on load takes down this process instead of the host (plugin_probe.hpp).
//
//   noisegraph-plugin-probe --fd N LIBRARY...
//
// For each library it writes "probe<TAB>LIBRARY\n" to descriptor N before touching it and
// "done<TAB>LIBRARY\n" after loading and registering it (or refusing it cleanly). A library
// named in a "probe" line without its "done" line killed the process.
#include <unistd.h>

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
    say(fd, "done", argv[i]);
  }
  // Skip static destructors of libraries we loaded: a verdict is already given.
  std::_Exit(0);
}
