// The seam between the decoder (src/model) and the tuners (src/tuners): the model asks the hook
// for every linear module's output and every parameter it reads, so adapters (LoRA, DoRA,
// parameter LoRA on fused experts, modules_to_save copies) apply at runtime without touching the
// base weights.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace swift::nn {

class AdapterHook {
 public:
  virtual ~AdapterHook() = default;
  // Output of linear module `module` (HF module path, e.g. model.layers.0.self_attn.q_proj) for
  // input x [..., in] with the effective weight [out, in] and bias [out] (undefined if none).
  // Returns an undefined tensor when the module has no adapter. `training`: a training forward
  // (LoRA dropout is active; it draws from libtorch's default CPU generator, whose state
  // activation checkpointing restores for the recomputation).
  virtual at::Tensor linear(const std::string& module,
                            const at::Tensor& x,
                            const at::Tensor& weight,
                            const at::Tensor& bias,
                            bool training = false) = 0;
  // Effective value of parameter `name` (e.g. ...mlp.experts.gate_up_proj plus a LoRA delta, or a
  // modules_to_save copy); returns `value` when nothing applies.
  virtual at::Tensor param(const std::string& name, const at::Tensor& value) = 0;
};

}  // namespace swift::nn
