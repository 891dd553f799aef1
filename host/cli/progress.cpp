#include "progress.hpp"

#include <algorithm>
#include <cmath>

namespace ng::cli {

ProgressPrinter::ProgressPrinter(std::FILE* out, bool tty, bool quiet, bool verbose)
    : out_(out), tty_(tty), quiet_(quiet), verbose_(verbose) {}

ProgressPrinter::~ProgressPrinter() { clear_line(); }

void ProgressPrinter::clear_line() {
  if (live_) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
    live_ = false;
  }
}

void ProgressPrinter::line(const std::string& text) {
  clear_line();
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

std::string ProgressPrinter::counter(const std::string& node) const {
  auto it = index_.find(node);
  int i = it == index_.end() ? 0 : it->second;
  return "[" + std::to_string(i) + "/" + std::to_string(total_) + "]";
}

void ProgressPrinter::draw(const std::string& node, double fraction, const std::string& detail) {
  constexpr int kWidth = 24;
  int filled = int(std::lround(std::clamp(fraction, 0.0, 1.0) * kWidth));
  std::string bar(std::size_t(filled), '#');
  bar += std::string(std::size_t(kWidth - filled), '.');
  std::string text = counter(node) + " " + node + " [" + bar + "] " + std::to_string(int(std::lround(fraction * 100))) + "%";
  if (!detail.empty()) text += " " + detail;
  if (text.size() > 110) text.resize(110);
  std::fputs("\r\033[K", out_);
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  live_ = true;
}

void ProgressPrinter::on_node_state(const std::string& node, host::NodeState state, const std::string& message) {
  using host::NodeState;
  if (state == NodeState::Queued) {
    index_[node] = ++total_;
    return;
  }
  if (state == NodeState::Failed) {
    line(counter(node) + " failed " + node + ": " + message);
    return;
  }
  if (quiet_) return;
  switch (state) {
    case NodeState::Running:
      started_[node] = std::chrono::steady_clock::now();
      last_plain_decile_ = -1;
      if (tty_) draw(node, 0.0, "running");
      else line(counter(node) + " running " + node);
      break;
    case NodeState::Cached:
      line(counter(node) + " cached  " + node);
      break;
    case NodeState::Done: {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_[node]).count();
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f ms", ms);
      line(counter(node) + " done    " + node + " (" + buf + ")");
      break;
    }
    case NodeState::Cancelled:
      line(counter(node) + " cancelled " + node);
      break;
    default:
      break;
  }
}

void ProgressPrinter::on_progress(const std::string& node, double fraction, const std::string& message) {
  if (quiet_) return;
  if (tty_) {
    draw(node, fraction, message);
    return;
  }
  // Plain output: at most one line per 10 %, so logs stay readable for long samplers.
  int decile = int(std::floor(std::clamp(fraction, 0.0, 1.0) * 10));
  if (decile == last_plain_decile_) return;
  last_plain_decile_ = decile;
  line(counter(node) + "   " + node + " " + std::to_string(int(std::lround(fraction * 100))) + "%" +
       (message.empty() ? "" : " " + message));
}

void ProgressPrinter::on_step(const std::string&, int, int, const at::Tensor&) {
  // Steps arrive as on_progress("step i/n") too; nothing to add on a terminal.
}

void ProgressPrinter::on_log(const std::string& node, ng::LogLevel level, const std::string& text) {
  if (level == ng::LogLevel::Debug && !verbose_) return;
  if (level == ng::LogLevel::Info && quiet_) return;
  static const char* names[] = {"debug", "info", "warning", "error"};
  std::string prefix = std::string(names[int(level)]) + ": ";
  if (!node.empty()) prefix += node + ": ";
  line(prefix + text);
}

}  // namespace ng::cli
