// Reward-model loss (see rm.h), in ms-swift's operation order.
#include "rlhf/rm.h"

#include <torch/torch.h>

#include "core/error.h"

namespace swift::rlhf {

StepLoss rm_loss(const at::Tensor& chosen,
                 const at::Tensor& rejected,
                 const at::Tensor& margin,
                 const RmOptions& o) {
  SWIFT_CHECK(chosen.defined() && rejected.defined() && chosen.sizes() == rejected.sizes(),
              "[rlhf] RM needs chosen and rejected rewards of the same [pairs] shape");
  StepLoss out;
  auto diff = chosen - rejected;
  if (margin.defined()) {
    SWIFT_CHECK(margin.numel() == chosen.numel(), "[rlhf] expected {} margins, got {}",
                chosen.numel(), margin.numel());
    diff = diff - margin.to(chosen.options().requires_grad(false)).reshape_as(chosen);
  }
  out.loss = -torch::log_sigmoid(diff).mean();
  Metrics& m = out.metrics;
  if (o.center_rewards_coefficient) {
    auto center = *o.center_rewards_coefficient * (chosen + rejected).pow(2).mean();
    out.loss = out.loss + center;
    m.emplace_back("center_rewards_loss", center.detach().item<double>());
  }
  auto c = chosen.detach(), r = rejected.detach();
  m.emplace_back("rewards/chosen", c.mean().item<double>());
  m.emplace_back("rewards/rejected", r.mean().item<double>());
  m.emplace_back("rewards/accuracies", c.gt(r).to(torch::kFloat32).mean().item<double>());
  m.emplace_back("rewards/margins", (c - r).mean().item<double>());
  return out;
}

}  // namespace swift::rlhf
