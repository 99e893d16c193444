// The training objectives of `swift rlhf` for the preference algorithms (dpo with every
// loss_type, cpo, simpo, orpo, kto) on the Trainer's loop (train/objective.h), as ms-swift 4.6's
// trainers run them on TRL 0.29.1:
// - a unit is one dataset row: a pair (chosen sample, rejected sample) or a KTO row (completion,
//   KL completion), adjacent in the encoded set (rlhf/pair_encode.h);
// - a micro-batch of P rows is one packed forward of [chosen_0..chosen_{P-1}, rejected_0..
//   rejected_{P-1}] (TRL's concatenated batch, padding-free); log-probs come chunk by chunk
//   (rlhf/logps.h), never a full-vocabulary log-softmax of the whole batch;
// - the reference log-probs come without autograd from the reference: the policy with its
//   adapter switched off (LoRA), the policy with --ref_adapters instead, or a frozen model
//   (full fine-tuning: --ref_model, default --model); reference-free algorithms have none;
// - the step's loss is the mean over pairs of each micro-batch, divided by the micro-batches of
//   the window (the HF Trainer's gradient accumulation); metrics are TRL's, stored per
//   micro-batch and averaged over the log interval (KTO: interval sums over counts).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rlhf/cpo.h"
#include "rlhf/dpo.h"
#include "rlhf/kto.h"
#include "train/objective.h"
#include "train/sample.h"

namespace swift::model {
class CausalLM;
}
namespace swift::nn {
class AdapterHook;
}

namespace swift::rlhf {

struct PreferenceConfig {
  std::string rlhf_type = "dpo";  // dpo | cpo | simpo | orpo | kto
  DpoConfig dpo;
  std::optional<double> ld_alpha;  // dpo: LD-DPO weighting of the policy's log-probs
  CpoLossType cpo_loss = CpoLossType::kSigmoid;
  CpoOptions cpo;
  double orpo_beta = 0.1;
  KtoLossType kto_loss = KtoLossType::kKto;
  KtoOptions kto;
  std::int64_t logps_chunk_rows = 256;
};

// Whether the algorithm compares with a reference model (dpo, kto).
bool uses_reference(const std::string& rlhf_type);

// From the resolved `swift rlhf` arguments' values: rlhf_type, loss_type list, loss_weights,
// beta, label_smoothing, rpo_alpha, ld_alpha, discopop_tau, cpo_alpha, simpo_gamma,
// desirable/undesirable weights. Unknown or unsupported combinations throw naming the argument.
struct PreferenceArgs {
  std::string rlhf_type;
  std::vector<std::string> loss_type;
  std::vector<double> loss_weights;
  double beta = 0.1;
  double label_smoothing = 0.0;
  std::optional<double> rpo_alpha, ld_alpha;
  double discopop_tau = 0.05;
  double cpo_alpha = 1.0, simpo_gamma = 1.0;
  double desirable_weight = 1.0, undesirable_weight = 1.0;
};
PreferenceConfig preference_config(const PreferenceArgs& a);

// Where reference log-probs come from. `model` null: the policy model itself, run with
// `adapters` (null: no adapter, i.e. the LoRA policy with its adapter off).
struct Reference {
  std::shared_ptr<const model::CausalLM> model;
  nn::AdapterHook* adapters = nullptr;
};

// train / val: the encoded rows, two samples each (pair_encode.h). The policy is shared; its
// trainable adapter (if any) comes in each call's context from the Trainer.
std::unique_ptr<train::Objective> make_preference_objective(
    const PreferenceConfig& config,
    std::shared_ptr<const model::CausalLM> policy,
    Reference reference,
    const std::vector<train::Sample>& train,
    const std::vector<train::Sample>& val);

}  // namespace swift::rlhf
