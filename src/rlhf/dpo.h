// DPO and its loss_type family, as `swift rlhf --rlhf_type dpo` computes them in ms-swift 4.6
// (its DPOTrainer.dpo_loss and get_batch_loss_metrics, which replace TRL 0.29's inline loss):
// pure functions from per-sequence log-probs of the policy and the reference to per-pair losses,
// rewards, the step's loss and TRL's logged metrics. Checked against the reference stack by
// tests/unit/rlhf/test_dpo_loss.cpp (goldens from tools/reference/make_dpo_loss_goldens.py).
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "rlhf/pair_loss.h"

namespace swift::rlhf {

enum class DpoLossType {
  kSigmoid,
  kHinge,
  kIpo,
  kExoPair,
  kNcaPair,
  kRobust,
  kBcoPair,
  kSppoHard,
  kAot,
  kAotUnpaired,
  kDiscopop,
  kApoZero,
  kApoDown,
  kSft,
};

// TRL's names ("sigmoid", ..., "aot_unpaired", "sft"); an unknown name throws with the list.
DpoLossType parse_dpo_loss_type(const std::string& name);
const char* dpo_loss_type_name(DpoLossType type);

// ms-swift's per-algorithm default when --beta is not given: simpo 2.0, grpo 0.04, gkd 0.5,
// every other rlhf_type 0.1.
double default_beta(const std::string& rlhf_type);

// The running mean of the batch rewards that bco_pair subtracts (TRL's RunningMoments, updated
// once per loss call with the mean of [chosen_rewards, rejected_rewards]). Part of the trainer
// state: a resumed run must restore it.
struct RunningMoments {
  double mean = 0.0;
  double var = 1.0;
  double std = 1.0;
  double count = 1e-24;
  void update(const at::Tensor& batch_mean);  // a scalar
};

// Per-run state the DPO losses carry between calls.
struct DpoState {
  RunningMoments running;  // bco_pair
  // exo_pair with --label_smoothing 0 sets it to 1e-3 for itself and, from then on, for every
  // loss type of the run (ms-swift assigns it on the trainer).
  bool exo_smoothing_set = false;
};

struct DpoOptions {
  double beta = 0.1;
  double label_smoothing = 0.0;
  double discopop_tau = 0.05;
};

// Summed log-probs, each [P] (one per pair); chosen/rejected differentiable, ref_* constants.
struct PairLogps {
  at::Tensor chosen, rejected, ref_chosen, ref_rejected;
};

// One loss_type on one batch; rewards are beta * (chosen - ref_chosen) and likewise rejected.
// nll_loss (a scalar) is needed by kSft only. state may be null unless type is kBcoPair.
PairLoss dpo_loss(DpoLossType type,
                  const PairLogps& logps,
                  const DpoOptions& options,
                  DpoState* state = nullptr,
                  const at::Tensor& nll_loss = {});

// Everything of the policy's forward the step needs (rlhf/logps.h computes it).
struct DpoPolicyOutput {
  at::Tensor chosen_logps, rejected_logps;    // [P]
  at::Tensor chosen_tokens, rejected_tokens;  // [P] completion tokens (ipo's normalisation)
  at::Tensor nll_loss;                        // scalar: mean NLL over the chosen label tokens
  double mean_chosen_logits = 0.0;            // logits/chosen
  double mean_rejected_logits = 0.0;
};

struct DpoConfig {
  std::vector<DpoLossType> loss_types{DpoLossType::kSigmoid};
  std::vector<double> loss_weights;  // empty: 1 each; else one per loss type (MPO)
  DpoOptions options;
  std::optional<double> rpo_alpha;  // adds rpo_alpha * nll_loss
};

// The step of ms-swift's get_batch_loss_metrics: each loss type (ipo on per-token means),
// weighted, summed, plus rpo_alpha * nll; the loss is the mean over pairs. Metrics: rewards/*,
// logps/*, logps_mean/* (with ipo), logits/*, nll_loss (with rpo_alpha or sft).
StepLoss dpo_step_loss(const DpoConfig& config,
                       const DpoPolicyOutput& policy,
                       const at::Tensor& ref_chosen_logps,
                       const at::Tensor& ref_rejected_logps,
                       DpoState* state);

}  // namespace swift::rlhf
