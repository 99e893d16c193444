// trainer_state.json as transformers writes it (TrainerState.save_to_json: every dataclass field,
// json.dumps(indent=2, sort_keys=True) + "\n"), so a checkpoint of ours reads in transformers and
// ms-swift, and theirs reads here. The bytes equal Python's: floats in repr() form ("1e-05",
// "1234567890123456.0", "1e+16"), NaN/Infinity as Python writes them, non-ASCII as \uXXXX.
//
// ms-swift adds nothing to this file: its TrainerState extras (last_model_checkpoint,
// max_memory) are plain attributes that dataclasses.asdict skips. Checked against ms-swift
// 4.6 (swift/trainers/mixin.py, patcher.py) and tests/data/train/trainer_state/.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swift::train {

// json.dumps(value, indent=indent, sort_keys=True) of Python (ensure_ascii, allow_nan); no
// trailing newline. Strings that are not valid UTF-8 are written as Python's surrogateescape
// would (\udcXX per bad byte).
std::string python_json_dumps(const nlohmann::json& value, int indent = 2);
// repr() of a Python float: shortest round-trip digits, fixed notation for 1e-4 <= |v| < 1e16.
std::string python_float_repr(double v);
// JSON as Python's json.loads reads it (NaN, Infinity, -Infinity allowed). `what` names the
// source in the error ("[train] <what> is not valid JSON: ...").
nlohmann::json python_json_loads(std::string_view text, const std::string& what);

// Python's round(x, ndigits) for a float: the correctly rounded decimal (ties to even on the
// exact binary value), read back as a double.
double python_round(double x, int ndigits);

// transformers' speed_metrics(split, ...) for a measured `runtime` in seconds:
// {"<split>_runtime": round(runtime, 4)} and, unless runtime is 0, "<split>_samples_per_second",
// "_steps_per_second", "_tokens_per_second" (round(n / runtime, 3)) for the counts given (< 0:
// not given). Eval logs are the eval metrics + speed_metrics("eval", ...); the last log of a run
// is speed_metrics("train", samples, max_steps) + total_flos + train_loss.
nlohmann::json speed_metrics(const std::string& split,
                             double runtime,
                             std::int64_t num_samples = -1,
                             std::int64_t num_steps = -1,
                             std::int64_t num_tokens = -1);

// TrainerControl.state(): the flags as they are when a checkpoint is saved.
struct TrainerControlFlags {
  bool should_training_stop = false;
  bool should_epoch_stop = false;
  bool should_save = true;
  bool should_evaluate = false;
  bool should_log = false;
};
// {"args": {should_*...}, "attributes": {}}
nlohmann::json trainer_control_state(const TrainerControlFlags& flags);

struct TrainerState {
  double epoch = 0;  // fractional epochs done
  std::int64_t global_step = 0;
  std::int64_t max_steps = 0;
  std::int64_t logging_steps = 500;
  std::int64_t eval_steps = 500;
  std::int64_t save_steps = 500;
  std::optional<std::int64_t> train_batch_size;  // args.train_batch_size: per process
  std::int64_t num_train_epochs = 0;
  std::int64_t num_input_tokens_seen = 0;
  double total_flos = 0;
  // One object per Trainer.log call: the logs plus "epoch" and "step" (record_log adds them).
  // Train: loss, grad_norm, learning_rate (ms-swift: + token_acc/seq_acc); eval: eval_loss,
  // eval_runtime, eval_samples_per_second, eval_steps_per_second (+ eval_token_acc); the end of
  // training: train_runtime, train_samples_per_second, train_steps_per_second, total_flos,
  // train_loss. Values are unrounded (ms-swift rounds only its logging.jsonl copy).
  std::vector<nlohmann::json> log_history;
  std::optional<double> best_metric;
  std::optional<std::int64_t> best_global_step;
  std::optional<std::string> best_model_checkpoint;  // absolute path of checkpoint-<best step>
  bool is_local_process_zero = true;
  bool is_world_process_zero = true;
  bool is_hyper_param_search = false;
  std::optional<std::string> trial_name;
  nlohmann::json trial_params;  // null or an object
  // Class name -> state (or a list of states for several instances). The Trainer's defaults
  // (and ms-swift's: it adds no ExportableState callback) give just TrainerControl.
  nlohmann::json stateful_callbacks = {{"TrainerControl", trainer_control_state({})}};
  // Fields a newer transformers wrote that we do not know; kept so a round trip loses nothing.
  nlohmann::json unknown_fields = nlohmann::json::object();
  // Python keeps int and float apart: an untouched TrainerState() has int 0 here ("0"), a
  // Trainer that has run has floats ("0.75"). read() records which; initial() sets both.
  bool epoch_is_int = false;
  bool total_flos_is_int = false;

  // TrainerState() exactly as Python constructs it (epoch/total_flos int 0, no callbacks).
  static TrainerState initial();

  // Trainer.log: appends {**logs, "epoch": epoch, "step": global_step}.
  void record_log(nlohmann::json logs);
  // Trainer._determine_best_metric for one eval metric value (metric_for_best_model): returns
  // true and records best_metric/best_global_step when it beats the best so far.
  bool update_best_metric(double value, bool greater_is_better);
  // What Trainer._save_checkpoint sets before writing the file: best_model_checkpoint (when
  // best_global_step is set and <run_dir>/checkpoint-<best> exists or is the one being saved,
  // i.e. best_global_step == global_step) and TrainerControl's flags.
  void prepare_save(const std::string& run_dir, const TrainerControlFlags& flags = {});

  std::string to_json() const;                // the file's bytes, "\n" at the end
  void write(const std::string& path) const;  // atomic (tmp + fsync + rename)
  // Validates every field's type; a missing field takes transformers' default (as
  // load_from_json does). Errors: "[train] <path>: field \"<name>\" ...".
  static TrainerState read(const std::string& path);
  static TrainerState parse(std::string_view text, const std::string& what);
};

}  // namespace swift::train
