// DPO losses (see dpo.h). Each expression keeps ms-swift's operation order and its Python
// scalars (beta, label_smoothing, ...) as libtorch scalars, so float32 results round as theirs.
#include "rlhf/dpo.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace swift::rlhf {

namespace {

namespace F = torch::nn::functional;

struct NamedType {
  const char* name;
  DpoLossType type;
};

constexpr NamedType kTypes[] = {
    {"sigmoid", DpoLossType::kSigmoid},   {"hinge", DpoLossType::kHinge},
    {"ipo", DpoLossType::kIpo},           {"exo_pair", DpoLossType::kExoPair},
    {"nca_pair", DpoLossType::kNcaPair},  {"robust", DpoLossType::kRobust},
    {"bco_pair", DpoLossType::kBcoPair},  {"sppo_hard", DpoLossType::kSppoHard},
    {"aot", DpoLossType::kAot},           {"aot_unpaired", DpoLossType::kAotUnpaired},
    {"discopop", DpoLossType::kDiscopop}, {"apo_zero", DpoLossType::kApoZero},
    {"apo_down", DpoLossType::kApoDown},  {"sft", DpoLossType::kSft},
};

at::Tensor sorted(const at::Tensor& x) {
  return std::get<0>(x.sort(0));
}

// -logsigmoid(beta * d) * (1 - ls) - logsigmoid(-beta * d) * ls: sigmoid, aot, aot_unpaired
at::Tensor smoothed_sigmoid(const at::Tensor& d, double beta, double ls) {
  return -torch::log_sigmoid(beta * d) * (1 - ls) - torch::log_sigmoid(-beta * d) * ls;
}

}  // namespace

DpoLossType parse_dpo_loss_type(const std::string& name) {
  std::string all;
  for (const auto& t : kTypes) {
    if (name == t.name) return t.type;
    all += all.empty() ? "" : ", ";
    all += t.name;
  }
  SWIFT_CHECK(name != "aot_pair",
              "[rlhf] loss_type aot_pair is called aot_unpaired since TRL 0.29 (the version "
              "ms-swift 4.6 runs); pass --loss_type aot_unpaired");
  SWIFT_FAIL("[rlhf] unknown DPO loss_type '{}'; choose one of {}", name, all);
}

const char* dpo_loss_type_name(DpoLossType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "?";
}

double default_beta(const std::string& rlhf_type) {
  if (rlhf_type == "simpo") return 2.0;
  if (rlhf_type == "grpo") return 0.04;
  if (rlhf_type == "gkd") return 0.5;
  return 0.1;
}

void RunningMoments::update(const at::Tensor& batch_mean) {
  // One value per update, so the batch variance is 0 and the count grows by 1. TRL casts the
  // batch mean to float32 and keeps the mean's steps in float32 tensor arithmetic.
  const double total = count + 1.0;
  const float d = batch_mean.to(torch::kFloat32).item<float>() - static_cast<float>(mean);
  const double delta = d;
  const double step = static_cast<double>(d / static_cast<float>(total));
  const double old_sum = var * count + delta * delta * count / total;
  mean += step;
  const double new_var = old_sum / total;
  std = std::sqrt(new_var * total / (total - 1.0));
  var = new_var;
  count = total;
}

PairLoss dpo_loss(DpoLossType type,
                  const PairLogps& p,
                  const DpoOptions& o,
                  DpoState* state,
                  const at::Tensor& nll_loss) {
  SWIFT_CHECK(
      p.chosen.defined() && p.rejected.defined() && p.ref_chosen.defined() &&
          p.ref_rejected.defined() && p.chosen.sizes() == p.rejected.sizes() &&
          p.chosen.sizes() == p.ref_chosen.sizes() && p.chosen.sizes() == p.ref_rejected.sizes(),
      "[rlhf] DPO needs chosen, rejected and reference log-probs of the same [pairs] shape");
  const double beta = o.beta;
  double ls = o.label_smoothing;
  if (state && state->exo_smoothing_set) ls = 1e-3;
  auto chosen_logratios = p.chosen - p.ref_chosen;        // [P]
  auto rejected_logratios = p.rejected - p.ref_rejected;  // [P]
  // (chosen - rejected) - (ref_chosen - ref_rejected), the DPO logit
  auto logits = (p.chosen - p.rejected) - (p.ref_chosen - p.ref_rejected);
  at::Tensor losses;
  switch (type) {
    case DpoLossType::kSigmoid:
      losses = smoothed_sigmoid(logits, beta, ls);
      break;
    case DpoLossType::kRobust:
      losses = (-torch::log_sigmoid(beta * logits) * (1 - ls) +
                torch::log_sigmoid(-beta * logits) * ls) /
               (1 - 2 * ls);
      break;
    case DpoLossType::kExoPair: {
      if (ls == 0) {
        ls = 1e-3;
        if (state) state->exo_smoothing_set = true;
      }
      losses = (beta * logits).sigmoid() * (torch::log_sigmoid(beta * logits) - std::log(1 - ls)) +
               (-beta * logits).sigmoid() * (torch::log_sigmoid(-beta * logits) - std::log(ls));
      break;
    }
    case DpoLossType::kHinge:
      losses = torch::relu(1 - beta * logits);
      break;
    case DpoLossType::kIpo:
      losses = (logits - 1 / (2 * beta)).pow(2);
      break;
    case DpoLossType::kBcoPair: {
      SWIFT_CHECK(state != nullptr, "[rlhf] bco_pair needs the run's running reward mean");
      auto chosen_rewards = beta * chosen_logratios;
      auto rejected_rewards = beta * rejected_logratios;
      state->running.update(torch::cat({chosen_rewards, rejected_rewards}, 0).mean().detach());
      const double delta = state->running.mean;
      losses = -torch::log_sigmoid(beta * chosen_logratios - delta) -
               torch::log_sigmoid(-(beta * rejected_logratios - delta));
      break;
    }
    case DpoLossType::kSppoHard:
      losses = (chosen_logratios - 0.5 / beta).pow(2) + (rejected_logratios + 0.5 / beta).pow(2);
      break;
    case DpoLossType::kNcaPair: {
      auto chosen_rewards = chosen_logratios * beta;
      auto rejected_rewards = rejected_logratios * beta;
      losses = -torch::log_sigmoid(chosen_rewards) - 0.5 * torch::log_sigmoid(-chosen_rewards) -
               0.5 * torch::log_sigmoid(-rejected_rewards);
      break;
    }
    case DpoLossType::kAotUnpaired:
      losses = smoothed_sigmoid(sorted(chosen_logratios) - sorted(rejected_logratios), beta, ls);
      break;
    case DpoLossType::kAot:
      losses = smoothed_sigmoid(
          sorted(p.chosen - p.rejected) - sorted(p.ref_chosen - p.ref_rejected), beta, ls);
      break;
    case DpoLossType::kApoZero:
      losses =
          (1 - torch::sigmoid(beta * chosen_logratios)) + torch::sigmoid(beta * rejected_logratios);
      break;
    case DpoLossType::kApoDown:
      losses = torch::sigmoid(beta * chosen_logratios) +
               (1 - torch::sigmoid(beta * (chosen_logratios - rejected_logratios)));
      break;
    case DpoLossType::kDiscopop: {
      auto z = logits * beta;
      auto modulation = torch::sigmoid(z / o.discopop_tau);
      losses = -torch::log_sigmoid(z) * (1 - modulation) + torch::exp(-z) * modulation;
      break;
    }
    case DpoLossType::kSft:
      SWIFT_CHECK(nll_loss.defined(), "[rlhf] loss_type sft needs the chosen answers' NLL");
      losses = nll_loss.expand({p.chosen.size(0)});
      break;
  }
  PairLoss out;
  out.losses = losses;
  out.chosen_rewards = beta * chosen_logratios.detach();
  out.rejected_rewards = beta * rejected_logratios.detach();
  return out;
}

StepLoss dpo_step_loss(const DpoConfig& config,
                       const DpoPolicyOutput& policy,
                       const at::Tensor& ref_chosen_logps,
                       const at::Tensor& ref_rejected_logps,
                       DpoState* state) {
  const auto& types = config.loss_types;
  SWIFT_CHECK(!types.empty(), "[rlhf] DPO needs at least one loss_type");
  SWIFT_CHECK(config.loss_weights.empty() || config.loss_weights.size() == types.size(),
              "[rlhf] {} loss_weights for {} loss types; pass one weight per --loss_type",
              config.loss_weights.size(), types.size());
  auto per_token = [](const at::Tensor& logps, const at::Tensor& tokens) {
    return logps / tokens.to(logps.options()).clamp_min(1);
  };
  bool has_ipo = false, has_sft = false;
  at::Tensor losses, chosen_rewards, rejected_rewards;
  for (std::size_t i = 0; i < types.size(); ++i) {
    PairLogps p{policy.chosen_logps, policy.rejected_logps, ref_chosen_logps, ref_rejected_logps};
    if (types[i] == DpoLossType::kIpo) {
      // IPO's squared loss on per-token means, the reference's divided by the policy's counts
      has_ipo = true;
      p.chosen = per_token(p.chosen, policy.chosen_tokens);
      p.rejected = per_token(p.rejected, policy.rejected_tokens);
      p.ref_chosen = per_token(p.ref_chosen, policy.chosen_tokens);
      p.ref_rejected = per_token(p.ref_rejected, policy.rejected_tokens);
    }
    has_sft = has_sft || types[i] == DpoLossType::kSft;
    auto r = dpo_loss(types[i], p, config.options, state, policy.nll_loss);
    const double w = config.loss_weights.empty() ? 1.0 : config.loss_weights[i];
    auto l = r.losses * w, c = r.chosen_rewards * w, j = r.rejected_rewards * w;
    losses = losses.defined() ? losses + l : l;
    chosen_rewards = chosen_rewards.defined() ? chosen_rewards + c : c;
    rejected_rewards = rejected_rewards.defined() ? rejected_rewards + j : j;
  }
  auto accuracies = chosen_rewards.gt(rejected_rewards).to(torch::kFloat32);
  if (config.rpo_alpha) losses = losses + *config.rpo_alpha * policy.nll_loss;

  StepLoss out;
  out.loss = losses.mean();
  auto mean = [](const at::Tensor& x) { return x.detach().mean().item<double>(); };
  Metrics& m = out.metrics;
  m.emplace_back("rewards/chosen", mean(chosen_rewards));
  m.emplace_back("rewards/rejected", mean(rejected_rewards));
  m.emplace_back("rewards/accuracies", mean(accuracies));
  m.emplace_back("rewards/margins", mean(chosen_rewards - rejected_rewards));
  m.emplace_back("logps/chosen", mean(policy.chosen_logps));
  m.emplace_back("logps/rejected", mean(policy.rejected_logps));
  if (has_ipo) {
    m.emplace_back("logps_mean/chosen", mean(per_token(policy.chosen_logps, policy.chosen_tokens)));
    m.emplace_back("logps_mean/rejected",
                   mean(per_token(policy.rejected_logps, policy.rejected_tokens)));
  }
  m.emplace_back("logits/chosen", policy.mean_chosen_logits);
  m.emplace_back("logits/rejected", policy.mean_rejected_logits);
  if (config.rpo_alpha || has_sft) m.emplace_back("nll_loss", mean(policy.nll_loss));
  return out;
}

}  // namespace swift::rlhf
