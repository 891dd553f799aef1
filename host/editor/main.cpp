// noisegraph-editor [GRAPH.yaml|IMAGE.png] [--plugins DIR]... [--output-dir DIR]
//                   [--screenshot OUT.png [--run] [--size WxH]]
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstring>

#include "graph_view.hpp"
#include "main_window.hpp"
#include "noisegraph/abi.hpp"
#include "noisegraph/host/plugin_registry.hpp"
#include "run_controller.hpp"
#include "theme.hpp"

namespace {

struct Options {
  QCommandLineOption plugins{QStringLiteral("plugins"), QStringLiteral("Also load plugins from DIR (repeatable)"),
                             QStringLiteral("DIR")};
  QCommandLineOption screenshot{QStringLiteral("screenshot"),
                                QStringLiteral("Render the window after loading into OUT.png and exit"),
                                QStringLiteral("OUT.png")};
  QCommandLineOption run{QStringLiteral("run"), QStringLiteral("With --screenshot: run the graph first")};
  QCommandLineOption output{QStringLiteral("output-dir"),
                            QStringLiteral("Where runs write images (remembered; default ~/Pictures/NoiseGraph)"),
                            QStringLiteral("DIR")};
  QCommandLineOption size{QStringLiteral("size"), QStringLiteral("Window size for --screenshot (default 1480x920)"),
                          QStringLiteral("WxH"), QStringLiteral("1480x920")};
};

void describe(QCommandLineParser& cli, const Options& o) {
  cli.setApplicationDescription(QStringLiteral("NoiseGraph visual graph editor. Documentation: docs/editor.md"));
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument(QStringLiteral("graph"), QStringLiteral("Graph file (.yaml) or PNG with an embedded graph"));
  cli.addOptions({o.plugins, o.screenshot, o.run, o.output, o.size});
}

void name_application() {
  QCoreApplication::setOrganizationName(QStringLiteral("NoiseGraph"));
  QCoreApplication::setApplicationName(QStringLiteral("noisegraph-editor"));
  QCoreApplication::setApplicationVersion(QStringLiteral(NOISEGRAPH_VERSION " (LibTorch " NOISEGRAPH_TORCH_VERSION ")"));
}

// --help and --version need no window: answer them before QApplication, which aborts
// without a display.
bool asks_for_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    for (const char* flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
      if (std::strcmp(argv[i], flag) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (asks_for_help_or_version(argc, argv)) {
    QCoreApplication core(argc, argv);
    name_application();
    QCommandLineParser cli;
    describe(cli, o);
    cli.process(core);  // prints help or version and exits 0
    return 0;
  }

  QApplication app(argc, argv);
  name_application();
  ng::editor::apply_dark_theme(app);

  QCommandLineParser cli;
  describe(cli, o);
  cli.process(app);
  const auto& [plugins, screenshot, run, output, size] = o;

  std::vector<std::filesystem::path> extra;
  for (const QString& dir : cli.values(plugins)) extra.emplace_back(dir.toStdString());
  ng::host::PluginRegistry registry;
  registry.load_default(extra);
  for (const auto& f : registry.failures())
    std::fprintf(stderr, "noisegraph-editor: plugin not loaded: %s: %s\n", f.file.string().c_str(), f.reason.c_str());

  ng::editor::MainWindow window(registry);
  const QStringList wh = cli.value(size).split('x');
  if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
  if (cli.isSet(output)) window.set_output_dir(cli.value(output), false);
  window.show();

  const bool headless = cli.isSet(screenshot);
  if (!cli.positionalArguments().isEmpty()) {
    QString error;
    if (!window.open_file(cli.positionalArguments().first(), headless ? &error : nullptr, false) && headless) {
      std::fprintf(stderr, "noisegraph-editor: %s\n", qPrintable(error));
      return 1;
    }
  }
  if (!headless) return app.exec();

  // Let docks and the canvas settle at their final size before framing the graph.
  QApplication::processEvents();
  window.view()->fit_to_nodes();
  if (cli.isSet(run)) {
    window.run_graph();
    window.runner()->wait(600000);
  }
  QApplication::processEvents();
  window.view()->fit_to_nodes();
  if (!window.save_screenshot(cli.value(screenshot))) {
    std::fprintf(stderr, "noisegraph-editor: cannot write %s\n", qPrintable(cli.value(screenshot)));
    return 1;
  }
  std::printf("%s\n", qPrintable(cli.value(screenshot)));
  return 0;
}
