// Reward modelling (`swift rlhf --rlhf_type rm`): ms-swift 4.6's RewardTrainer.compute_loss,
// which replaces TRL 0.29's with the same loss and its own metrics:
//   loss = -mean(logsigmoid(r_c - r_r - margin)) + coef * mean((r_c + r_r)^2)
// (the second term only with --center_rewards_coefficient). Checked by
// tests/unit/rlhf/test_kto_rm_loss.cpp against both trainers.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

#include "rlhf/pair_loss.h"

namespace swift::rlhf {

struct RmOptions {
  std::optional<double> center_rewards_coefficient;
};

// chosen/rejected [P]: the reward head's scores; margin [P] or undefined (the dataset's margin
// column). Metrics in ms-swift's order: center_rewards_loss (with the coefficient),
// rewards/chosen, rewards/rejected, rewards/accuracies (chosen > rejected strictly, TRL's
// accuracy), rewards/margins (TRL's margin). ms-swift divides the loss by
// gradient_accumulation_steps when the model takes loss kwargs; the caller applies that.
StepLoss rm_loss(const at::Tensor& chosen,
                 const at::Tensor& rejected,
                 const at::Tensor& margin,
                 const RmOptions& options);

}  // namespace swift::rlhf
