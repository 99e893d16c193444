// KTO losses (see kto.h), in TRL's operation order.
#include "rlhf/kto.h"

#include <torch/torch.h>

#include "core/error.h"

namespace swift::rlhf {

KtoLossType parse_kto_loss_type(const std::string& name) {
  if (name == "kto") return KtoLossType::kKto;
  if (name == "apo_zero_unpaired") return KtoLossType::kApoZeroUnpaired;
  SWIFT_FAIL("[rlhf] unknown KTO loss_type '{}'; choose one of kto, apo_zero_unpaired", name);
}

bool kto_uses_kl(KtoLossType type) {
  return type == KtoLossType::kKto;
}

KtoLoss kto_loss(KtoLossType type, const KtoLogps& p, const KtoOptions& o) {
  SWIFT_CHECK(p.chosen.defined() && p.rejected.defined() && p.ref_chosen.defined() &&
                  p.ref_rejected.defined() && p.chosen.sizes() == p.ref_chosen.sizes() &&
                  p.rejected.sizes() == p.ref_rejected.sizes(),
              "[rlhf] KTO needs policy and reference log-probs of the same shapes");
  const double beta = o.beta;
  KtoLoss out;
  if (kto_uses_kl(type)) {
    SWIFT_CHECK(p.kl.defined() && p.ref_kl.defined() && p.kl.sizes() == p.ref_kl.sizes(),
                "[rlhf] KTO loss_type kto needs the KL batch's policy and reference log-probs");
    out.kl = (p.kl - p.ref_kl).mean().detach().clamp_min(0);
  } else {
    out.kl = torch::zeros({}, p.chosen.options().requires_grad(false));
  }
  const auto& kl = out.kl;
  auto chosen_ratio = p.chosen - p.ref_chosen;
  auto rejected_ratio = p.rejected - p.ref_rejected;
  at::Tensor chosen_losses, rejected_losses;
  if (type == KtoLossType::kKto) {
    chosen_losses = 1 - torch::sigmoid(beta * (chosen_ratio - kl));
    rejected_losses = 1 - torch::sigmoid(beta * (kl - rejected_ratio));
  } else {
    chosen_losses = 1 - torch::sigmoid(beta * chosen_ratio);
    rejected_losses = torch::sigmoid(beta * rejected_ratio);
  }
  out.losses =
      torch::cat({o.desirable_weight * chosen_losses, o.undesirable_weight * rejected_losses}, 0);
  out.chosen_rewards = beta * chosen_ratio.detach();
  out.rejected_rewards = beta * rejected_ratio.detach();
  return out;
}

StepLoss kto_step_loss(KtoLossType type,
                       const KtoOptions& o,
                       const KtoLogps& p,
                       const at::Tensor& chosen_logits,
                       const at::Tensor& rejected_logits) {
  auto r = kto_loss(type, p, o);
  StepLoss out;
  out.loss = r.losses.nanmean();
  auto nansum = [](const at::Tensor& x) { return x.detach().nansum().item<double>(); };
  Metrics& m = out.metrics;
  m.emplace_back("kl", r.kl.item<double>());
  const auto nc = p.chosen.numel(), nr = p.rejected.numel();
  if (nc > 0) {
    m.emplace_back("rewards/chosen_sum", nansum(r.chosen_rewards));
    m.emplace_back("logps/chosen_sum", nansum(p.chosen));
    m.emplace_back("logits/chosen_sum", nansum(chosen_logits));
    m.emplace_back("count/chosen", static_cast<double>(nc));
  }
  if (nr > 0) {
    m.emplace_back("rewards/rejected_sum", nansum(r.rejected_rewards));
    m.emplace_back("logps/rejected_sum", nansum(p.rejected));
    m.emplace_back("logits/rejected_sum", nansum(rejected_logits));
    m.emplace_back("count/rejected", static_cast<double>(nr));
  }
  return out;
}

}  // namespace swift::rlhf
