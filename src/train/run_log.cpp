// logging.jsonl records (see run_log.h).
#include "train/run_log.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace swift::train {

std::string format_time(double seconds) {
  const auto total = static_cast<long long>(std::nearbyint(seconds));  // Python round(): half-even
  const long long days = total / (24 * 3600), hours = (total % (24 * 3600)) / 3600,
                  minutes = (total % 3600) / 60, secs = total % 60;
  char buf[96];
  if (days > 0)
    std::snprintf(buf, sizeof buf, "%lldd %lldh %lldm %llds", days, hours, minutes, secs);
  else if (hours > 0)
    std::snprintf(buf, sizeof buf, "%lldh %lldm %llds", hours, minutes, secs);
  else if (minutes > 0)
    std::snprintf(buf, sizeof buf, "%lldm %llds", minutes, secs);
  else
    std::snprintf(buf, sizeof buf, "%llds", secs);
  return buf;
}

double py_round(double x, int ndigits) {
  if (!std::isfinite(x) || x == 0) return x;
  // glibc's printf is exact and rounds half to even on the binary value, as Python's dtoa does.
  char buf[512];
  const int n = std::snprintf(buf, sizeof buf, "%.*f", ndigits, x);
  if (n <= 0 || n >= static_cast<int>(sizeof buf)) return x;  // huge: nothing to round
  return std::strtod(buf, nullptr);
}

void add_train_message(nlohmann::ordered_json& logs, const TrainProgress& p) {
  logs["global_step/max_steps"] = std::to_string(p.global_step) + "/" + std::to_string(p.max_steps);
  logs["elapsed_time"] = format_time(p.elapsed_seconds);
  const std::int64_t n = p.global_step - p.start_step;
  const double speed = n > 0 ? p.elapsed_seconds / static_cast<double>(n) : 0.0;
  logs["remaining_time"] = format_time(static_cast<double>(p.max_steps - p.global_step) * speed);
  for (auto it = logs.begin(); it != logs.end(); ++it)
    if (it->is_number_float()) *it = py_round(it->get<double>(), 8);
  if (p.max_memory_gib > 0) logs["memory(GiB)"] = py_round(p.max_memory_gib, 2);
  logs["train_speed(s/it)"] = py_round(speed, 6);
}

std::string py_json_dumps(const nlohmann::ordered_json& v) {
  if (v.is_object()) {
    std::string out = "{";
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it != v.begin()) out += ", ";
      out += nlohmann::ordered_json(it.key()).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
      out += ": " + py_json_dumps(it.value());
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + py_json_dumps(v[i]);
    return out + "]";
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_jsonl(const std::string& path, const nlohmann::ordered_json& record) {
  const std::string line = py_json_dumps(record) + "\n";
  std::FILE* f = std::fopen(path.c_str(), "ab");
  SWIFT_CHECK(f != nullptr, "[train] cannot open {}: {}", path, std::strerror(errno));
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  const bool closed = std::fclose(f) == 0;
  SWIFT_CHECK(ok && closed, "[train] writing {} failed; check free disk space", path);
}

}  // namespace swift::train
