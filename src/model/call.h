// The per-call state of one CausalLM forward (internal to src/model): the caller's context, the
// batch and the rope tables computed for its positions. Lives on the stack of CausalLM::run, so
// nothing a forward computes is kept in the model.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>

#include "model/causal_lm.h"

namespace swift::model {

struct CausalLM::Call {
  const ForwardContext& ctx;
  const PackedBatch& batch;
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> rope;  // layer type -> cos, sin
  nn::AdapterHook* hook() const { return ctx.adapters; }
};

}  // namespace swift::model
