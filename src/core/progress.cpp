#include "core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace swift {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<long long>(seconds);
  long long h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, sec);
  return fmt::format("{:02}:{:02}", m, sec);
}

std::string format_size(double bytes) {
  const char* units[] = {"", "k", "M", "G", "T", "P"};
  int u = 0;
  while (bytes >= 1000.0 && u < 5) {
    bytes /= 1000.0;
    ++u;
  }
  if (u == 0) return fmt::format("{:.0f}", bytes);
  return fmt::format("{:.2f}{}", bytes, units[u]);
}

ProgressBar::ProgressBar(std::string desc, std::uint64_t total, bool bytes)
    : desc_(std::move(desc)), total_(total), bytes_(bytes), tty_(::isatty(STDERR_FILENO) != 0) {
  start_ = std::chrono::steady_clock::now();
  last_draw_ = start_ - std::chrono::hours(1);
}

ProgressBar::~ProgressBar() {
  close();
}

void ProgressBar::set(std::uint64_t current) {
  if (current_ == 0 && start_value_ == 0 && current > 0 && total_ > 0 && current == total_) {
    // Nothing to do: already complete (e.g. a cache hit); still draw once on close.
  }
  current_ = current;
  draw(false);
}

void ProgressBar::close() {
  if (closed_) return;
  closed_ = true;
  draw(true);
  if (tty_) std::fputc('\n', stderr);
}

std::string ProgressBar::render() const {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(current_ - start_value_) / elapsed : 0.0;
  auto count = [&](double v) { return bytes_ ? format_size(v) : fmt::format("{:.0f}", v); };
  std::string rate_s = bytes_ ? format_size(rate) + "B/s" : fmt::format("{:.2f}it/s", rate);
  if (total_ == 0) {
    return fmt::format("{}: {} [{}, {}]", desc_, count(static_cast<double>(current_)),
                       format_duration(elapsed), rate_s);
  }
  double frac = std::min(1.0, static_cast<double>(current_) / static_cast<double>(total_));
  const int width = 20;
  static const char* eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  int full = static_cast<int>(frac * width);
  int part = static_cast<int>((frac * width - full) * 8);
  std::string bar;
  for (int i = 0; i < full; ++i) bar += "█";
  int used = full;
  if (full < width) {
    bar += part > 0 ? eighths[part] : " ";
    ++used;
  }
  for (int i = used; i < width; ++i) bar += " ";
  double remaining =
      rate > 0 ? static_cast<double>(total_ - std::min(total_, current_)) / rate : -1;
  return fmt::format("{}: {:3.0f}%|{}| {}/{} [{}<{}, {}]", desc_, frac * 100.0, bar,
                     count(static_cast<double>(current_)), count(static_cast<double>(total_)),
                     format_duration(elapsed), format_duration(remaining), rate_s);
}

void ProgressBar::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  auto min_gap = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (!force && now - last_draw_ < min_gap) return;
  last_draw_ = now;
  std::string line = render();
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace swift
