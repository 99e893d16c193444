// Collated samples as tensors (micro_batch.h).
#include "train/micro_batch.h"

#include <torch/torch.h>

#include "train/data.h"

namespace swift::train {

MicroBatch to_micro_batch(const std::vector<const Sample*>& samples) {
  Batch b = train::collate(samples);
  MicroBatch mb;
  mb.batch.input_ids = torch::tensor(b.input_ids, torch::kInt64);
  mb.batch.position_ids = torch::tensor(b.position_ids, torch::kInt64);
  mb.batch.cu_seqlens = std::move(b.cu_seqlens);
  mb.labels = torch::tensor(b.labels, torch::kInt64);
  if (!b.loss_scale.empty()) mb.loss_scale = torch::tensor(b.loss_scale, torch::kFloat32);
  mb.label_tokens = b.label_tokens;
  mb.samples = static_cast<std::int64_t>(samples.size());
  return mb;
}

}  // namespace swift::train
