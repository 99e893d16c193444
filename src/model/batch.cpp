// Packed-batch helpers at the API edge (padded <-> packed) and the causal-LM loss.
#include <torch/torch.h>

#include "core/error.h"
#include "model/causal_lm.h"

namespace swift::model {

PackedBatch pack_padded(const at::Tensor& input_ids,
                        const at::Tensor& attention_mask,
                        const at::Tensor& position_ids) {
  SWIFT_CHECK(input_ids.dim() == 2 && attention_mask.sizes() == input_ids.sizes(),
              "[model] padded batch needs ids and mask of the same [B, S] shape");
  auto ids = input_ids.to(torch::kCPU).to(torch::kInt64);
  auto mask = attention_mask.to(torch::kCPU).to(torch::kBool);
  at::Tensor pos = position_ids.defined() ? position_ids.to(torch::kCPU).to(torch::kInt64)
                                          : (mask.to(torch::kInt64).cumsum(-1) - 1).clamp_min(0);
  PackedBatch b;
  std::vector<at::Tensor> id_parts, pos_parts;
  b.cu_seqlens.push_back(0);
  for (std::int64_t r = 0; r < ids.size(0); ++r) {
    auto m = mask[r];
    id_parts.push_back(ids[r].masked_select(m));
    pos_parts.push_back(pos[r].masked_select(m));
    b.cu_seqlens.push_back(b.cu_seqlens.back() + id_parts.back().size(0));
  }
  b.input_ids = torch::cat(id_parts);
  b.position_ids = torch::cat(pos_parts);
  return b;
}

PackedBatch pack_rows(const at::Tensor& input_ids) {
  SWIFT_CHECK(input_ids.dim() == 2, "[model] pack_rows needs [B, S] ids");
  const std::int64_t B = input_ids.size(0), S = input_ids.size(1);
  PackedBatch b;
  b.input_ids = input_ids.to(torch::kInt64).reshape({B * S});
  b.position_ids = torch::arange(S, torch::kInt64).repeat({B});
  for (std::int64_t r = 0; r <= B; ++r) b.cu_seqlens.push_back(r * S);
  return b;
}

at::Tensor unpack_padded(const at::Tensor& packed, const at::Tensor& attention_mask) {
  const std::int64_t B = attention_mask.size(0), S = attention_mask.size(1);
  auto flat_mask = attention_mask.to(torch::kCPU).to(torch::kBool).reshape({B * S});
  auto idx = flat_mask.nonzero().squeeze(1).to(packed.device());
  auto out = torch::zeros({B * S, packed.size(-1)}, packed.options());
  out = out.index_copy(0, idx, packed);
  return out.reshape({B, S, packed.size(-1)});
}

at::Tensor shifted_targets(const at::Tensor& labels, const std::vector<std::int64_t>& cu_seqlens) {
  const std::int64_t T = labels.numel();
  SWIFT_CHECK(!cu_seqlens.empty() && cu_seqlens.front() == 0 && cu_seqlens.back() == T,
              "[model] labels: {} labels but cu_seqlens ends at {}", T,
              cu_seqlens.empty() ? -1 : cu_seqlens.back());
  // Token t is scored against label t + 1 of the same sequence; last tokens get -100.
  auto flat = labels.to(torch::kCPU).to(torch::kInt64).reshape({T});
  auto target = torch::full({T}, -100, torch::kInt64);
  for (std::size_t s = 0; s + 1 < cu_seqlens.size(); ++s) {
    const std::int64_t b = cu_seqlens[s], e = cu_seqlens[s + 1];
    if (e - b > 1) target.narrow(0, b, e - b - 1).copy_(flat.narrow(0, b + 1, e - b - 1));
  }
  return target;
}

at::Tensor causal_lm_loss(const at::Tensor& logits,
                          const at::Tensor& labels,
                          const std::vector<std::int64_t>& cu_seqlens) {
  const std::int64_t T = logits.size(0);
  SWIFT_CHECK(labels.numel() == T, "[model] {} labels for {} tokens", labels.numel(), T);
  auto target = shifted_targets(labels, cu_seqlens);
  return torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat32), target.to(logits.device()),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

LossSum causal_lm_loss_sum(const at::Tensor& logits,
                           const at::Tensor& labels,
                           const std::vector<std::int64_t>& cu_seqlens,
                           const at::Tensor& loss_scale) {
  const std::int64_t T = logits.size(0);
  SWIFT_CHECK(labels.numel() == T, "[model] {} labels for {} tokens", labels.numel(), T);
  auto target = shifted_targets(labels, cu_seqlens);
  auto counted = target.ne(-100);
  LossSum out;
  out.tokens = counted.sum().item<std::int64_t>();
  auto idx = counted.nonzero().squeeze(1);
  if (out.tokens == 0) {
    out.sum = (logits.sum() * 0).to(torch::kFloat32);  // keeps the graph for backward
    return out;
  }
  auto dev = logits.device();
  auto rows = logits.index_select(0, idx.to(dev)).to(torch::kFloat32);
  auto ce = torch::nn::functional::cross_entropy(
      rows, target.index_select(0, idx).to(dev),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  if (loss_scale.defined()) {
    SWIFT_CHECK(loss_scale.numel() == T, "[model] {} loss_scale values for {} tokens",
                loss_scale.numel(), T);
    // The weight of target t + 1 goes with the prediction at t, as the labels shift.
    auto flat = loss_scale.to(torch::kCPU).to(torch::kFloat32).reshape({T});
    auto shifted = torch::zeros({T}, torch::kFloat32);
    for (std::size_t s = 0; s + 1 < cu_seqlens.size(); ++s) {
      const std::int64_t b = cu_seqlens[s], e = cu_seqlens[s + 1];
      if (e - b > 1) shifted.narrow(0, b, e - b - 1).copy_(flat.narrow(0, b + 1, e - b - 1));
    }
    ce = ce * shifted.index_select(0, idx).to(dev);
  }
  out.sum = ce.sum();
  return out;
}

}  // namespace swift::model
