// ORPO's odds-ratio loss (see orpo.h), in TRL's operation order.
#include "rlhf/orpo.h"

#include <torch/torch.h>

#include "core/error.h"

namespace swift::rlhf {

namespace {

// log(1 - exp(x)) for x < 0, branching at -ln 2 to avoid cancellation (TRL's log1mexp)
at::Tensor log1mexp(const at::Tensor& x) {
  return torch::where(x < -0.6931471805599453, torch::log1p(-torch::exp(x)),
                      torch::log(-torch::expm1(x)));
}

}  // namespace

OrpoLoss orpo_loss(const at::Tensor& chosen_in, const at::Tensor& rejected_in, double beta) {
  SWIFT_CHECK(
      chosen_in.defined() && rejected_in.defined() && chosen_in.sizes() == rejected_in.sizes(),
      "[rlhf] ORPO needs chosen and rejected log-probs of the same [pairs] shape");
  auto chosen = chosen_in.to(torch::kFloat32);
  auto rejected = rejected_in.to(torch::kFloat32);
  auto log_odds = (chosen - rejected) - (log1mexp(chosen) - log1mexp(rejected));
  auto ratio = torch::log_sigmoid(log_odds);
  OrpoLoss out;
  out.pair = {beta * ratio, beta * chosen.detach(), beta * rejected.detach()};
  out.log_odds_ratio = ratio.mean();
  out.log_odds_chosen = log_odds.mean();
  return out;
}

StepLoss orpo_step_loss(double beta, const SequenceLogps& forward) {
  auto [chosen, rejected] = pair_logps(forward, /*mean=*/true);
  auto nll = chosen_nll(forward);
  auto r = orpo_loss(chosen, rejected, beta);
  StepLoss out;
  out.loss = nll - r.pair.losses.mean();
  append_trl_pair_metrics(out.metrics, r.pair, chosen, rejected, forward, true, nll);
  auto mean = [](const at::Tensor& x) { return x.detach().mean().item<double>(); };
  Metrics& m = out.metrics;
  m.emplace_back("log_odds_ratio", mean(r.log_odds_ratio));
  m.emplace_back("log_odds_chosen", mean(r.log_odds_chosen));
  return out;
}

}  // namespace swift::rlhf
