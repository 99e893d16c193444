// The training loop of `swift sft` / `swift pt` (and the base of the alignment trainers): the HF
// Trainer's step as ms-swift runs it. Each optimizer step takes gradient_accumulation_steps
// micro-batches of packed samples; the loss is the token mean over every label token of that
// window; gradients are clipped; AdamW steps with the scheduled rate. Logging, evaluation and
// checkpoints follow the --logging/eval/save strategies, the final step always logged, evaluated
// and saved.
//
// The model is shared, not owned: the trainer passes its adapter (or none, for full fine-tuning)
// in each forward's context. The data order is a pure function of (seed, epoch), so a resumed run
// sees the same batches as one that never stopped.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/objective.h"
#include "train/optimizer.h"
#include "train/sample.h"

namespace swift::model {
class CausalLM;
struct ForwardContext;
}  // namespace swift::model
namespace swift::tuners {
class LoraAdapter;
}

namespace swift::train {

struct TrainerOptions {
  std::int64_t max_steps = -1;  // > 0 overrides num_train_epochs
  double num_train_epochs = 3.0;
  std::int64_t batch_size = 1;
  std::int64_t eval_batch_size = 1;
  std::int64_t grad_accum = 1;
  double learning_rate = 1e-4;
  std::string lr_scheduler_type = "cosine";
  nlohmann::json lr_scheduler_kwargs = nlohmann::json::object();
  double warmup_ratio = 0.0;
  double warmup_steps = 0.0;
  AdamWOptions adam;
  double lorap_lr_ratio = 0.0;  // LoRA+: 0 off
  double max_grad_norm = 1.0;
  bool gradient_checkpointing = true;
  bool shuffle = true;  // the train set's order per epoch (false: dataset order)
  // The order of epoch e is torch.randperm(rows, generator seeded seed + e), as ms-swift's
  // BatchSamplerShard draws it with --data_seed.
  std::uint64_t seed = 42;
  bool drop_last = false;

  std::string logging_strategy = "steps";  // steps | epoch | no
  std::int64_t logging_steps = 5;
  bool logging_first_step = true;
  std::string eval_strategy = "steps";  // steps | epoch | no
  double eval_steps = 500;
  std::string save_strategy = "steps";  // steps | epoch | no
  double save_steps = 500;
  std::optional<std::int64_t> save_total_limit;
  bool save_only_model = false;
  std::string metric_for_best_model = "loss";
  bool greater_is_better = false;

  std::string output_dir;   // "": nothing is written (parity runs)
  bool tensorboard = true;  // --report_to tensorboard: <output_dir>/runs
  std::string logging_dir;  // "": <output_dir>/runs
  bool progress_bar = true;
};

struct StepRecord {
  std::int64_t step = 0;
  double loss = 0;                // token mean over the window
  double grad_norm = 0;           // before clipping
  double lr = 0;                  // the rate this step used
  std::int64_t label_tokens = 0;  // sft / pt
  double token_acc = 0;           // sft / pt
  MetricList metrics;             // the objective's: step metrics, then each micro-batch's
};

struct TrainResult {
  std::vector<StepRecord> steps;  // the steps this call ran
  std::int64_t global_step = 0;
  std::string last_checkpoint;
  std::string best_checkpoint;
  std::optional<double> best_metric;
  double train_loss = 0;  // mean of the step losses of this call
  nlohmann::ordered_json log_history = nlohmann::ordered_json::array();
};

// What a checkpoint holds besides the trainer's own files: the tuner's weights (PEFT folder or a
// full HF folder), args.json, tokenizer files. Called with the staging folder.
using SaveModelFn = std::function<void(const std::string& dir)>;

class Trainer {
 public:
  // adapter null: full fine-tuning of every model parameter that requires grad.
  Trainer(std::shared_ptr<model::CausalLM> model,
          std::shared_ptr<tuners::LoraAdapter> adapter,
          TrainerOptions options);
  ~Trainer();

  void set_save_model(SaveModelFn fn);
  // Called after each optimizer step (after the update) with the global step.
  void set_step_callback(std::function<void(std::int64_t step)> fn);
  // Extra lines for the final summary record (model_parameter_info, dataset statistics).
  void set_summary(nlohmann::ordered_json summary);

  // Total optimizer steps for `num_train` samples (HF: ceil(epochs * steps per epoch)).
  std::int64_t total_steps(std::size_t num_train) const;
  const std::vector<NamedParam>& trainable() const;

  // Trains from step `start_step` (0: the beginning; a resume restores optimizer state first).
  // `train_packs` (--packing): sample indices per packed row; a packed row is then the unit of
  // a batch (per_device_train_batch_size rows), its samples keeping their own boundaries.
  TrainResult train(const std::vector<Sample>& train_set,
                    const std::vector<Sample>& val_set,
                    std::int64_t start_step = 0,
                    const std::vector<std::vector<std::size_t>>& train_packs = {});
  // The same loop over any objective (objective.h); a resumed checkpoint's
  // objective_state.json is restored into it before the first step.
  TrainResult train(Objective& objective, std::int64_t start_step = 0);

  // The causal-LM loss and token accuracy over a data set (no gradients), as the HF evaluation
  // loop averages them: per batch means, weighted by batch size.
  std::pair<double, double> evaluate(const std::vector<Sample>& data) const;

  AdamW& optimizer();
  // The forward context of this run's steps (training) or of evaluation: its adapter, the
  // training flag, gradient checkpointing.
  model::ForwardContext context(bool training) const;

  // --resume_from_checkpoint: the trainable weights of checkpoint `dir` (after checking it is
  // intact), and unless `only_model` (--resume_only_model) the optimizer, RNG and trainer
  // state; returns the step to start from (0 with only_model). ignore_data_skip: the data
  // starts again from the first batch instead of where the checkpoint was.
  std::int64_t resume(const std::string& dir, bool only_model, bool ignore_data_skip);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swift::train
