#include "progress.hpp"

#include <algorithm>
#include <cmath>

namespace ng::cli {

using Clock = std::chrono::steady_clock;

std::string format_duration(double seconds) {
  char buf[48];
  if (!(seconds >= 0)) seconds = 0;
  if (seconds < 1) std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000);
  else if (seconds < 60) std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  else if (seconds < 3600) {
    const long s = std::lround(seconds);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    const long m = std::lround(seconds / 60);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", m / 60, m % 60);
  }
  return buf;
}

std::string format_rate(double steps_per_second) {
  char buf[32];
  if (steps_per_second >= 1) std::snprintf(buf, sizeof buf, "%.2f it/s", steps_per_second);
  else if (steps_per_second > 0) std::snprintf(buf, sizeof buf, "%.2f s/it", 1 / steps_per_second);
  else return "? it/s";
  return buf;
}

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

std::string ProgressPrinter::timing(const std::string& node, double fraction, const std::string& message) const {
  auto start = started_.find(node);
  if (start == started_.end()) return message;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start->second).count();
  std::string text = message;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  auto steps = steps_done_.find(node);
  if (steps != steps_done_.end() && steps->second > 0 && elapsed > 0) add(format_rate(steps->second / elapsed));
  add("elapsed " + format_duration(elapsed));
  // Time left from the mean pace so far: honest for samplers, whose steps cost the same.
  if (fraction > 0 && fraction < 1) add("ETA " + format_duration(elapsed * (1 - fraction) / fraction));
  return text;
}

void ProgressPrinter::draw(const std::string& node, double fraction, const std::string& detail) {
  constexpr int kWidth = 24;
  int filled = int(std::lround(std::clamp(fraction, 0.0, 1.0) * kWidth));
  std::string bar(std::size_t(filled), '#');
  bar += std::string(std::size_t(kWidth - filled), '.');
  std::string text = counter(node) + " " + node + " [" + bar + "] " + std::to_string(int(std::lround(fraction * 100))) + "%";
  if (!detail.empty()) text += " " + detail;
  if (text.size() > 150) text.resize(150);
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
      started_[node] = Clock::now();
      steps_done_.erase(node);
      last_plain_decile_ = -1;
      if (tty_) draw(node, 0.0, "running");
      else line(counter(node) + " running " + node);
      break;
    case NodeState::Cached:
      line(counter(node) + " cached  " + node);
      break;
    case NodeState::Done: {
      const double seconds = std::chrono::duration<double>(Clock::now() - started_[node]).count();
      std::string detail = format_duration(seconds);
      auto steps = steps_done_.find(node);
      if (steps != steps_done_.end() && steps->second > 0 && seconds > 0)
        detail += ", " + std::to_string(steps->second) + " steps at " + format_rate(steps->second / seconds);
      line(counter(node) + " done    " + node + " (" + detail + ")");
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
    draw(node, fraction, timing(node, fraction, message));
    return;
  }
  // Plain output: at most one line per 10 %, so logs stay readable for long samplers.
  int decile = int(std::floor(std::clamp(fraction, 0.0, 1.0) * 10));
  if (decile == last_plain_decile_) return;
  last_plain_decile_ = decile;
  const std::string detail = timing(node, fraction, message);
  line(counter(node) + "   " + node + " " + std::to_string(int(std::lround(fraction * 100))) + "%" +
       (detail.empty() ? "" : " " + detail));
}

void ProgressPrinter::on_step(const std::string& node, int step, int, const at::Tensor&) {
  // The step count gives the rate; the line itself is drawn by the on_progress that follows.
  steps_done_[node] = step;
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
