// logging.jsonl records as ms-swift writes them (swift/trainers/patcher.py add_train_message):
// the HF Trainer's log keys, floats rounded to 8 decimals as Python's round() does, then
// global_step/max_steps, elapsed_time, remaining_time, memory(GiB) and train_speed(s/it).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace swift::train {

// ms-swift's format_time: "12s", "3m 4s", "1h 0m 5s", "2d 3h 4m 5s" (total rounded first).
std::string format_time(double seconds);
// Python's round(x, ndigits) for a double: correctly rounded, ties to even on the exact value.
double py_round(double x, int ndigits);

struct TrainProgress {
  std::int64_t global_step = 0;
  std::int64_t max_steps = 0;
  std::int64_t start_step = 0;  // the step this process started from (resume)
  double elapsed_seconds = 0;   // since this process started training
  double max_memory_gib = 0;    // 0 = not reported (as ms-swift on CPU)
};

// Adds ms-swift's fields to `logs` (an ordered object with the trainer's own keys first).
void add_train_message(nlohmann::ordered_json& logs, const TrainProgress& p);

// json.dumps(v, ensure_ascii=False): Python's ", " / ": " separators and float repr.
std::string py_json_dumps(const nlohmann::ordered_json& v);
// Appends one record as a JSON line (ms-swift's append_to_jsonl: ensure_ascii=False).
void append_jsonl(const std::string& path, const nlohmann::ordered_json& record);

}  // namespace swift::train
