// CPO and SimPO (`swift rlhf --rlhf_type cpo|simpo`), reference-free: TRL 0.29's experimental
// CPOTrainer (cpo_loss, get_batch_loss_metrics) with ms-swift's forward. SimPO is CPO with
// loss_type simpo (ms-swift's rlhf_type simpo: beta 2.0, cpo_alpha 1.0 gives CPO-SimPO, 0 pure
// SimPO). ipo and simpo score per-token mean log-probs, sigmoid and hinge summed ones.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "rlhf/logps.h"
#include "rlhf/pair_loss.h"

namespace swift::rlhf {

enum class CpoLossType { kSigmoid, kHinge, kIpo, kSimpo };

CpoLossType parse_cpo_loss_type(const std::string& name);
// ipo and simpo take per-token means of the answers' log-probs.
bool cpo_uses_mean_logps(CpoLossType type);

struct CpoOptions {
  double beta = 0.1;
  double label_smoothing = 0.0;
  double simpo_gamma = 1.0;
  double cpo_alpha = 1.0;  // weight of the chosen answers' NLL
};

// chosen/rejected [P]: summed or mean log-probs (cpo_uses_mean_logps). Rewards beta * logps.
PairLoss cpo_loss(CpoLossType type,
                  const at::Tensor& chosen,
                  const at::Tensor& rejected,
                  const CpoOptions& options);

// The step from the policy's forward over a preference batch: losses.mean() + cpo_alpha * nll.
// Metrics (TRL's order): rewards/*, logps/rejected, logps/chosen, logits/rejected,
// logits/chosen, nll_loss. TRL's logits/* average every position of the padded rows; here every
// position of the packed sequences (the same when the rows are not padded).
StepLoss cpo_step_loss(CpoLossType type, const CpoOptions& options, const SequenceLogps& forward);

}  // namespace swift::rlhf
