// AdamW as torch.optim.AdamW computes it on CPU (the single-tensor path the HF Trainer's
// adamw_torch runs there): decoupled weight decay first, then the bias-corrected Adam update,
// with the bias corrections in double precision as Python computes them. Parameters without
// decay (biases, norms: param_groups.h) sit in a second group, as the HF Trainer builds them.
// Gradient clipping is torch.nn.utils.clip_grad_norm_'s.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace swift::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.95;  // ms-swift's default --adam_beta2
  double eps = 1e-8;
  double weight_decay = 0.1;
};

struct NamedParam {
  std::string name;
  at::Tensor param;  // a leaf with requires_grad
  bool decay = true;
  double lr_ratio = 1.0;  // LoRA+ (--lorap_lr_ratio): lora_B's rate is lr * ratio
};

class AdamW {
 public:
  AdamW(std::vector<NamedParam> params, AdamWOptions options);

  // One update with learning rate `lr` from each parameter's .grad() (a parameter without a
  // gradient is skipped, as torch does).
  void step(double lr);
  void zero_grad();

  const std::vector<NamedParam>& params() const { return params_; }
  const AdamWOptions& options() const { return options_; }
  std::int64_t steps() const { return steps_; }

  // The state for a checkpoint: "<name>.exp_avg", "<name>.exp_avg_sq" (float32), and the step.
  std::vector<std::pair<std::string, at::Tensor>> state_tensors() const;
  // Restores a saved state; every tensor must be there with the parameter's shape.
  void load_state(const std::map<std::string, at::Tensor>& tensors, std::int64_t steps);

 private:
  std::vector<NamedParam> params_;
  AdamWOptions options_;
  std::vector<at::Tensor> exp_avg_, exp_avg_sq_;
  std::int64_t steps_ = 0;
};

// torch.nn.utils.clip_grad_norm_: the total 2-norm of every gradient (float32, before
// clipping); when max_norm > 0 the gradients are scaled by min(1, max_norm / (norm + 1e-6)).
double clip_grad_norm(const std::vector<NamedParam>& params, double max_norm);

}  // namespace swift::train
