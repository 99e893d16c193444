// What the Trainer optimises: an Objective owns the encoded data and turns a window of
// micro-batches (unit indices chosen by the Trainer's sampler) into a backpropagated loss and
// logged metrics. The Trainer keeps the loop: data order, windows, clipping, AdamW, the
// schedule, logging, evaluation and checkpoints. `swift sft`/`pt` train the causal-LM objective
// (trainer.cpp); `swift rlhf` the preference objectives (src/rlhf/objectives.h).
//
// Metrics come in two kinds, as the HF Trainer and TRL log them:
// - step metrics: one value per optimizer step, averaged over the steps since the last log
//   (loss, and sft's token_acc);
// - stored metrics: one value per micro-batch (TRL's store_metrics), averaged over every
//   micro-batch since the last log.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace swift::model {
struct ForwardContext;
}

namespace swift::train {

// Logged values, in the order they appear in a log record.
using MetricList = std::vector<std::pair<std::string, double>>;

struct WindowResult {
  double loss = 0;                 // the step's loss as the HF Trainer accumulates it (tr_loss)
  MetricList step_metrics;         // one value each for this step (e.g. token_acc)
  std::vector<MetricList> stored;  // one list per micro-batch (TRL's stored metrics)
};

class Objective {
 public:
  virtual ~Objective() = default;

  // Units the sampler orders and batches: samples, packed rows, or preference pairs.
  virtual std::size_t train_units() const = 0;
  virtual bool has_val() const = 0;
  virtual std::size_t val_units() const = 0;

  // Forward and backward over one optimizer step's micro-batches (unit indices into the train
  // set); gradients accumulate into the trainable tensors. Throws swift::Error when the window
  // cannot train (e.g. no label token).
  virtual WindowResult train_window(const std::vector<std::vector<std::size_t>>& micro_batches,
                                    const model::ForwardContext& ctx) = 0;

  // The evaluation loop over the whole validation set without gradients: eval_loss first, then
  // the objective's eval_* metrics.
  virtual MetricList evaluate(std::int64_t eval_batch_size, const model::ForwardContext& ctx) = 0;

  // The stored metrics of one log interval (one list per micro-batch, train or eval) as they
  // are logged. Default: each key's mean over the lists, in first-seen order (TRL's log).
  // KTO overrides it to turn interval sums and counts into means.
  virtual MetricList reduce_stored(const std::vector<MetricList>& stored) const;

  // State that must survive a resume besides the optimizer's (e.g. bco_pair's running mean):
  // saved as objective_state.json in each checkpoint. null: none.
  virtual nlohmann::json state() const { return nullptr; }
  virtual void restore(const nlohmann::json& /*state*/) {}
};

}  // namespace swift::train
