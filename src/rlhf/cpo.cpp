// CPO / SimPO losses (see cpo.h), in TRL's operation order.
#include "rlhf/cpo.h"

#include <torch/torch.h>

#include "core/error.h"

namespace swift::rlhf {

CpoLossType parse_cpo_loss_type(const std::string& name) {
  if (name == "sigmoid") return CpoLossType::kSigmoid;
  if (name == "hinge") return CpoLossType::kHinge;
  if (name == "ipo") return CpoLossType::kIpo;
  if (name == "simpo") return CpoLossType::kSimpo;
  SWIFT_FAIL("[rlhf] unknown CPO loss_type '{}'; choose one of sigmoid, hinge, ipo, simpo", name);
}

bool cpo_uses_mean_logps(CpoLossType type) {
  return type == CpoLossType::kIpo || type == CpoLossType::kSimpo;
}

PairLoss cpo_loss(CpoLossType type,
                  const at::Tensor& chosen,
                  const at::Tensor& rejected,
                  const CpoOptions& o) {
  SWIFT_CHECK(chosen.defined() && rejected.defined() && chosen.sizes() == rejected.sizes(),
              "[rlhf] CPO needs chosen and rejected log-probs of the same [pairs] shape");
  const double beta = o.beta, ls = o.label_smoothing;
  auto logits = chosen - rejected;
  at::Tensor losses;
  switch (type) {
    case CpoLossType::kSimpo:
      logits = logits - o.simpo_gamma / beta;
      [[fallthrough]];
    case CpoLossType::kSigmoid:
      losses =
          -torch::log_sigmoid(beta * logits) * (1 - ls) - torch::log_sigmoid(-beta * logits) * ls;
      break;
    case CpoLossType::kHinge:
      losses = torch::relu(1 - beta * logits);
      break;
    case CpoLossType::kIpo:
      losses = (logits - 1 / (2 * beta)).pow(2);
      break;
  }
  return {losses, beta * chosen.detach(), beta * rejected.detach()};
}

StepLoss cpo_step_loss(CpoLossType type, const CpoOptions& o, const SequenceLogps& forward) {
  auto [chosen, rejected] = pair_logps(forward, cpo_uses_mean_logps(type));
  auto nll = o.cpo_alpha == 0 ? torch::zeros({}, chosen.options()) : chosen_nll(forward);
  auto r = cpo_loss(type, chosen, rejected, o);
  StepLoss out;
  out.loss = r.losses.mean() + o.cpo_alpha * nll;
  append_trl_pair_metrics(out.metrics, r, chosen, rejected, forward, false, nll);
  return out;
}

}  // namespace swift::rlhf
