// Activation checkpointing of one decoder layer (--gradient_checkpointing, internal to
// src/model): the forward keeps only the layer's input; the backward recomputes the layer with
// gradients on and back-propagates through it (the reentrant scheme of torch.utils.checkpoint).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "model/causal_lm.h"

namespace swift::model {

at::Tensor checkpointed_layer(const CausalLM& model,
                              std::int64_t layer,
                              const at::Tensor& x,
                              const CausalLM::Call& call);

}  // namespace swift::model
