// A micro-batch as the model takes it: samples collated padding-free (train::collate) into one
// packed token stream, as tensors. Shared by the trainer's objectives (sft, rlhf).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "model/causal_lm.h"
#include "train/sample.h"

namespace swift::train {

struct MicroBatch {
  model::PackedBatch batch;
  at::Tensor labels;
  at::Tensor loss_scale;  // undefined: binary
  std::int64_t label_tokens = 0;
  std::int64_t samples = 0;
};

MicroBatch to_micro_batch(const std::vector<const Sample*>& samples);

}  // namespace swift::train
