// AdamW and gradient clipping with torch's operation order, so that float32 training matches the
// Hugging Face Trainer step for step.
#include "train/optimizer.h"

#include <torch/torch.h>

#include <cmath>

#include "core/error.h"

namespace swift::train {

AdamW::AdamW(std::vector<NamedParam> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  SWIFT_CHECK(
      options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1,
      "[train] adam betas must be in [0, 1), got {} and {}", options_.beta1, options_.beta2);
  SWIFT_CHECK(options_.eps >= 0, "[train] adam_epsilon must be >= 0, got {}", options_.eps);
  SWIFT_CHECK(options_.weight_decay >= 0, "[train] weight_decay must be >= 0, got {}",
              options_.weight_decay);
  for (const auto& p : params_) {
    SWIFT_CHECK(p.param.defined(), "[train] parameter {} is undefined", p.name);
    exp_avg_.push_back(torch::zeros_like(p.param, torch::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(torch::zeros_like(p.param, torch::MemoryFormat::Preserve));
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bc1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double bc2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  const double bc2_sqrt = std::sqrt(bc2);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& p = params_[i].param;
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    const double plr = lr * params_[i].lr_ratio;
    const double wd = params_[i].decay ? options_.weight_decay : 0.0;
    if (wd != 0) p.mul_(1.0 - plr * wd);
    exp_avg_[i].lerp_(g, 1.0 - b1);
    exp_avg_sq_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    const double step_size = plr / bc1;
    auto denom = (exp_avg_sq_[i].sqrt() / bc2_sqrt).add_(options_.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.param.mutable_grad() = at::Tensor();  // set_to_none, as torch 2
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state_tensors() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back(params_[i].name + ".exp_avg", exp_avg_[i]);
    out.emplace_back(params_[i].name + ".exp_avg_sq", exp_avg_sq_[i]);
  }
  return out;
}

void AdamW::load_state(const std::map<std::string, at::Tensor>& tensors, std::int64_t steps) {
  SWIFT_CHECK(steps >= 0, "[train] optimizer state: negative step count {}", steps);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      const std::string key = params_[i].name + (k == 0 ? ".exp_avg" : ".exp_avg_sq");
      auto it = tensors.find(key);
      SWIFT_CHECK(it != tensors.end(),
                  "[train] optimizer state has no {}: the checkpoint was made for other "
                  "trainable parameters; use --resume_only_model true to load weights only",
                  key);
      SWIFT_CHECK(it->second.sizes() == params_[i].param.sizes(),
                  "[train] optimizer state {}: shape does not match the parameter", key);
      (k == 0 ? exp_avg_[i] : exp_avg_sq_[i]) =
          it->second.to(params_[i].param.scalar_type()).contiguous().clone();
    }
  }
  steps_ = steps;
}

double clip_grad_norm(const std::vector<NamedParam>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads, norms;
  for (const auto& p : params)
    if (p.param.grad().defined()) grads.push_back(p.param.grad());
  if (grads.empty()) return 0.0;
  for (const auto& g : grads) norms.push_back(torch::linalg_vector_norm(g, 2, c10::nullopt));
  auto total = torch::linalg_vector_norm(torch::stack(norms), 2, c10::nullopt);
  if (max_norm > 0) {
    auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (auto& g : grads) g.mul_(coef);
  }
  return total.item<double>();
}

}  // namespace swift::train
