// ORPO (`swift rlhf --rlhf_type orpo`), reference-free: TRL 0.29's experimental ORPOTrainer
// (odds_ratio_loss, get_batch_loss_metrics) with ms-swift's forward, whose labels pass through
// as the NLL targets, so the NLL covers the chosen answers' label tokens only. beta is the
// odds-ratio weight lambda; the log-probs are per-token means.
#pragma once

#include <ATen/core/Tensor.h>

#include "rlhf/logps.h"
#include "rlhf/pair_loss.h"

namespace swift::rlhf {

struct OrpoLoss {
  PairLoss pair;               // losses = beta * log sigmoid(log odds ratio); rewards beta * logps
  at::Tensor log_odds_ratio;   // scalar: mean of log sigmoid(log odds)
  at::Tensor log_odds_chosen;  // scalar: mean log odds
};

// chosen/rejected [P]: per-token mean log-probs (< 0).
OrpoLoss orpo_loss(const at::Tensor& chosen, const at::Tensor& rejected, double beta);

// nll - mean(beta * log sigmoid(log odds)). Metrics (TRL's order): rewards/*, logps/rejected,
// logps/chosen, logits/rejected, logits/chosen, nll_loss, log_odds_ratio, log_odds_chosen.
// logits/* average every position but each sequence's last (TRL: of the padded rows).
StepLoss orpo_step_loss(double beta, const SequenceLogps& forward);

}  // namespace swift::rlhf
