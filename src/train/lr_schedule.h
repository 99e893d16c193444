// Learning-rate schedules with the formulas of transformers' get_scheduler (the HF Trainer that
// ms-swift runs): the factor multiplying the initial learning rate after `step` optimizer steps,
// as LambdaLR applies it. Names and --lr_scheduler_kwargs as ms-swift passes them through.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace swift::train {

struct LrSchedule {
  std::string type = "cosine";  // ms-swift's default --lr_scheduler_type
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 0;
  double initial_lr = 1e-4;
  // Per type (from --lr_scheduler_kwargs): cosine num_cycles, restarts, polynomial lr_end /
  // power, inverse_sqrt timescale, min_lr_rate, warmup_lr_rate, WSD phases and shapes.
  double num_cycles = 0.5;
  double lr_end = 1e-7;
  double power = 1.0;
  std::int64_t timescale = 0;
  double min_lr_rate = 0.0;
  bool has_warmup_lr_rate = false;
  double warmup_lr_rate = 0.0;
  std::int64_t num_decay_steps = 0;
  std::int64_t num_stable_steps = 0;
  std::string warmup_type = "linear";
  std::string decay_type = "cosine";

  // The factor after `step` scheduler steps (lr = initial_lr * factor(step)).
  double factor(std::int64_t step) const;
  double lr(std::int64_t step) const { return initial_lr * factor(step); }
};

// transformers' TrainingArguments.get_warmup_steps: warmup_steps when >= 1, else
// ceil(total * warmup_ratio) (ms-swift's --warmup_ratio).
std::int64_t warmup_steps_for(std::int64_t total_steps, double warmup_steps, double warmup_ratio);

// Builds and checks a schedule; unknown types and kwargs are an error naming them.
LrSchedule make_lr_schedule(const std::string& type,
                            std::int64_t warmup_steps,
                            std::int64_t total_steps,
                            double initial_lr,
                            const nlohmann::json& kwargs = nlohmann::json::object());

// The names make_lr_schedule accepts.
std::vector<std::string> lr_schedule_types();

}  // namespace swift::train
