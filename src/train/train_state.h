// The trainer's checkpoint files: the folder written atomically, trainer_state.json, and our
// resumable optimizer state (safetensors + JSON, never pickles).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace swift::train {

class AdamW;

struct TrainState {
  std::int64_t global_step = 0;
  std::int64_t max_steps = 0;
  double epoch = 0;
  std::int64_t logging_steps = 0;
  std::int64_t eval_steps = 0;
  std::int64_t save_steps = 0;
  std::int64_t train_batch_size = 0;
  std::int64_t num_train_epochs = 0;
  nlohmann::ordered_json log_history = nlohmann::ordered_json::array();
  std::optional<double> best_metric;
  std::string best_model_checkpoint;
};

// Fills a hidden staging folder next to `final_dir` through `fill`, then renames it into place:
// a checkpoint-N folder is either complete or absent.
void write_checkpoint(const std::string& final_dir,
                      const std::function<void(const std::string& staging)>& fill);
void write_trainer_state(const std::string& dir, const TrainState& state);
TrainState read_trainer_state(const std::string& dir);
void write_optimizer_state(const std::string& dir,
                           const AdamW& opt,
                           std::uint64_t seed,
                           std::int64_t step);
// Restores `opt` from a checkpoint folder; returns the checkpoint's global step.
std::int64_t read_optimizer_state(const std::string& dir, AdamW& opt);
// libtorch's default CPU generator (dropout masks) as rng_state.safetensors, so that a resumed
// run draws what the uninterrupted run drew.
void write_rng_state(const std::string& dir);
void read_rng_state(const std::string& dir);

}  // namespace swift::train
