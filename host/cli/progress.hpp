#pragma once
// Progress output of `noisegraph run` on stderr: a live line on a terminal, plain lines
// otherwise (logs, CI). Both show the elapsed time, the rate of sampler steps and an
// estimate of the time left.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <noisegraph/host/executor.hpp>

namespace ng::cli {

/// "350 ms", "12.3 s", "2 min 05 s", "1 h 02 min".
std::string format_duration(double seconds);
/// Steps per second as "3.21 it/s", or "4.50 s/it" when a step takes more than a second.
std::string format_rate(double steps_per_second);

class ProgressPrinter : public host::Observer {
 public:
  /// `tty`: redraw one status line; otherwise print a line per event. `quiet`: only
  /// warnings and errors. `verbose`: also debug logs.
  ProgressPrinter(std::FILE* out, bool tty, bool quiet, bool verbose);
  ~ProgressPrinter() override;

  void on_node_state(const std::string& node, host::NodeState state, const std::string& message) override;
  void on_progress(const std::string& node, double fraction, const std::string& message) override;
  void on_step(const std::string& node, int step, int total, const at::Tensor& preview) override;
  void on_log(const std::string& node, ng::LogLevel level, const std::string& text) override;

  /// Clears the live line (before printing something else on the terminal).
  void clear_line();

 private:
  void draw(const std::string& node, double fraction, const std::string& detail);
  void line(const std::string& text);
  std::string counter(const std::string& node) const;
  /// "step 5/20, 3.2 it/s, elapsed 1.6 s, ETA 4.7 s" for the running node.
  std::string timing(const std::string& node, double fraction, const std::string& message) const;

  std::FILE* out_;
  bool tty_, quiet_, verbose_;
  bool live_ = false;  // a status line is on screen
  int total_ = 0;
  std::map<std::string, int> index_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_;
  std::map<std::string, int> steps_done_;  // last step a node reported (sampler-like nodes)
  int last_plain_decile_ = -1;
};

}  // namespace ng::cli
