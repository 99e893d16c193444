// The metric block CPO and ORPO share; see pair_loss.h.
#include "rlhf/pair_loss.h"

#include <torch/torch.h>

#include "rlhf/logps.h"

namespace swift::rlhf {

void append_trl_pair_metrics(Metrics& m,
                             const PairLoss& r,
                             const at::Tensor& chosen,
                             const at::Tensor& rejected,
                             const SequenceLogps& forward,
                             bool drop_last_row,
                             const at::Tensor& nll) {
  auto mean = [](const at::Tensor& x) { return x.detach().mean().item<double>(); };
  m.emplace_back("rewards/chosen", mean(r.chosen_rewards));
  m.emplace_back("rewards/rejected", mean(r.rejected_rewards));
  m.emplace_back("rewards/accuracies",
                 mean(r.chosen_rewards.gt(r.rejected_rewards).to(torch::kFloat32)));
  m.emplace_back("rewards/margins", mean(r.chosen_rewards - r.rejected_rewards));
  m.emplace_back("logps/rejected", mean(rejected));
  m.emplace_back("logps/chosen", mean(chosen));
  m.emplace_back("logits/rejected", mean_row_logits(forward, /*chosen=*/false, drop_last_row));
  m.emplace_back("logits/chosen", mean_row_logits(forward, /*chosen=*/true, drop_last_row));
  m.emplace_back("nll_loss", mean(nll));
}

}  // namespace swift::rlhf
