// What every preference loss returns: per-pair losses and rewards, and a step's loss with the
// metrics the trainer logs.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace swift::rlhf {

// Logged values in the order ms-swift inserts them (logging.jsonl keeps that order).
using Metrics = std::vector<std::pair<std::string, double>>;

struct PairLoss {
  at::Tensor losses;            // [P]
  at::Tensor chosen_rewards;    // [P] detached
  at::Tensor rejected_rewards;  // [P] detached
};

struct StepLoss {
  at::Tensor loss;  // scalar, differentiable
  Metrics metrics;
};

struct SequenceLogps;

// The metrics TRL's CPO and ORPO trainers log, in their order: rewards/chosen, rewards/rejected,
// rewards/accuracies, rewards/margins, logps/rejected, logps/chosen, logits/rejected,
// logits/chosen, nll_loss. `drop_last_row`: ORPO's logits means leave out each row's last
// position (mean_row_logits).
void append_trl_pair_metrics(Metrics& m,
                             const PairLoss& r,
                             const at::Tensor& chosen_logps,
                             const at::Tensor& rejected_logps,
                             const SequenceLogps& forward,
                             bool drop_last_row,
                             const at::Tensor& nll);

}  // namespace swift::rlhf
