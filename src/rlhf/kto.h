// KTO (`swift rlhf --rlhf_type kto`): TRL 0.29's experimental KTOTrainer (kto_loss,
// get_batch_loss_metrics), which ms-swift 4.6's KTOTrainer keeps, with ms-swift's forward and its
// calculate_KL (off for apo_zero_unpaired). Pure functions from summed log-probs of the desirable
// (chosen) and undesirable (rejected) completions and of the KL batch (mismatched completions)
// to losses, rewards and TRL's stored metrics. Checked by tests/unit/rlhf/test_kto_rm_loss.cpp.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "rlhf/pair_loss.h"

namespace swift::rlhf {

enum class KtoLossType { kKto, kApoZeroUnpaired };

KtoLossType parse_kto_loss_type(const std::string& name);
// ms-swift computes the KL batch's log-probs only for kto.
bool kto_uses_kl(KtoLossType type);

struct KtoOptions {
  double beta = 0.1;
  double desirable_weight = 1.0;
  double undesirable_weight = 1.0;
};

// Summed log-probs: chosen/ref_chosen [Nc], rejected/ref_rejected [Nr] (either may be empty),
// kl/ref_kl [B] of the KL batch (unused, may be undefined, without kto_uses_kl).
struct KtoLogps {
  at::Tensor chosen, rejected, ref_chosen, ref_rejected, kl, ref_kl;
};

struct KtoLoss {
  at::Tensor losses;            // [Nc + Nr]: weighted chosen losses, then rejected ones
  at::Tensor chosen_rewards;    // [Nc] beta * (chosen - ref_chosen), detached
  at::Tensor rejected_rewards;  // [Nr]
  at::Tensor kl;                // scalar: mean(kl - ref_kl), detached, clamped at 0 (0 if unused)
};

// In one process TRL's gather of the KL estimate is the identity; with data parallelism the
// clamp applies to the mean over the ranks' means, so pass the gathered batch's values.
KtoLoss kto_loss(KtoLossType type, const KtoLogps& logps, const KtoOptions& options);

// The step: losses.nanmean(). chosen_logits/rejected_logits [Nc]/[Nr]: each sequence's logits
// summed over its label positions and the vocabulary (ms-swift's get_batch_logps). Metrics in
// TRL's order: kl, then when there are chosen rows rewards/chosen_sum, logps/chosen_sum,
// logits/chosen_sum, count/chosen, and likewise rejected (TRL's log divides the sums by the
// counts over the logging interval into rewards/chosen, ..., and rewards/margins).
StepLoss kto_step_loss(KtoLossType type,
                       const KtoOptions& options,
                       const KtoLogps& logps,
                       const at::Tensor& chosen_logits,
                       const at::Tensor& rejected_logits);

}  // namespace swift::rlhf
