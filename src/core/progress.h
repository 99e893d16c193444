// A tqdm-style progress bar on stderr for downloads, loading and training:
//   "Downloading model.safetensors:  45%|████▌     | 4.50M/10.0M [00:05<00:06, 900kB/s]"
// On a terminal it redraws in place; otherwise it prints a line at most every few seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace swift {

class ProgressBar {
 public:
  // `bytes` formats counts as B/kB/MB; `total` 0 means unknown.
  ProgressBar(std::string desc, std::uint64_t total, bool bytes = false);
  ~ProgressBar();
  void update(std::uint64_t delta) { set(current_ + delta); }
  void set(std::uint64_t current);
  void set_total(std::uint64_t total) { total_ = total; }
  void close();
  // The line as it would be printed now (also used by the tests).
  std::string render() const;

 private:
  void draw(bool force);
  std::string desc_;
  std::uint64_t total_;
  std::uint64_t current_ = 0;
  std::uint64_t start_value_ = 0;
  bool bytes_;
  bool tty_;
  bool closed_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

std::string format_duration(double seconds);  // "01:05", "1:02:03"
std::string format_size(double bytes);        // "4.50M"

}  // namespace swift
