// Small shared building blocks of the decoder layers: norms, activations, soft-capping.
#pragma once

#include <ATen/core/Tensor.h>

#include "nn/act.h"

namespace swift::nn {

// RMSNorm over the last dim, computed in float32 like transformers: w * x_hat, or (1 + w) * x_hat
// for Gemma's variant. Returns the input dtype.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma_style);

at::Tensor activation(const at::Tensor& x, Act act);

// tanh(x / cap) * cap
at::Tensor soft_cap(const at::Tensor& x, double cap);

}  // namespace swift::nn
