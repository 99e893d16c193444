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

}  // namespace swift::rlhf
