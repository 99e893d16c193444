// Per-sequence log-probabilities of label tokens, the input of every preference loss. Works on
// the packed batch (logits [T, V], labels [T], cu_seqlens) with the causal shift inside each
// sequence (row t scores label t + 1), as TRL/ms-swift's rolled labels do on padded rows.
//
// The log-softmax is never materialised for the whole vocabulary: a custom autograd function
// takes the logsumexp of `chunk_rows` rows at a time and, in the backward pass, recomputes the
// softmax of one chunk at a time from the logits the forward already holds.
//
// Preference batches are laid out as ms-swift's collator does: sequences [chosen_0 ..
// chosen_{P-1}, rejected_0 .. rejected_{P-1}], pair i = (i, P + i), sharing the prompt.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace swift::rlhf {

struct SequenceLogps {
  at::Tensor token_logps;  // [T] log p(label t+1 | <= t), 0 where not counted (differentiable)
  at::Tensor counted;      // [T] bool: row t predicts a label (label t+1 != -100, same sequence)
  at::Tensor logit_means;  // [T] mean over the vocabulary of row t's logits (detached)
  at::Tensor logps;        // [S] summed token_logps per sequence (differentiable)
  at::Tensor tokens;       // [S] int64 counted rows per sequence
  std::vector<std::int64_t> cu_seqlens;
};

// logits [T, V] (any float dtype; computed in float32), labels [T] with -100 for prompt and
// padding tokens, cu_seqlens {0, ..., T}.
SequenceLogps sequence_logps(const at::Tensor& logits,
                             const at::Tensor& labels,
                             const std::vector<std::int64_t>& cu_seqlens,
                             std::int64_t chunk_rows = 256);

// Padded rows: logits [B, S, V], labels [B, S] (-100 on padding); one sequence per row. Equal
// to ms-swift's rolled labels whenever labels[:, 0] is -100 (a prompt token), as it always is.
SequenceLogps sequence_logps_padded(const at::Tensor& logits,
                                    const at::Tensor& labels,
                                    std::int64_t chunk_rows = 256);

// log p(target_n | row idx_n of logits) for each n: [N] float32, differentiable in logits,
// holding at most `chunk_rows` rows of full-vocabulary softmax at a time in forward and backward.
at::Tensor gather_label_logps(const at::Tensor& logits,
                              const at::Tensor& row_index,
                              const at::Tensor& target,
                              std::int64_t chunk_rows = 256);

// Sum of values [T] within each sequence: [S] (differentiable).
at::Tensor segment_sum(const at::Tensor& values, const std::vector<std::int64_t>& cu_seqlens);

// LD-DPO (--ld_alpha) sequence log-probs of a preference batch, as ms-swift's DPO computes them
// for the policy: within each pair the first min(chosen, rejected) counted tokens at weight 1,
// the rest of the longer answer at ld_alpha. [2P], differentiable.
at::Tensor ld_weighted_logps(const SequenceLogps& s, double ld_alpha);

// Scalar summaries over the chosen half (first P sequences) or the rejected half: the mean of
// -token_logps over counted rows (ms-swift's nll_loss, differentiable), and the mean of
// logit_means over counted rows (TRL's logits/chosen|rejected).
at::Tensor chosen_nll(const SequenceLogps& s);
double mean_label_logits(const SequenceLogps& s, bool chosen);
// Mean of logit_means over every row of the chosen or rejected half, or every row but each
// sequence's last (CPO's and ORPO's logits/*).
double mean_row_logits(const SequenceLogps& s, bool chosen, bool drop_last_row);
// Summed (or, with mean, per-token mean) log-probs of the chosen and rejected halves: [P] each.
std::pair<at::Tensor, at::Tensor> pair_logps(const SequenceLogps& s, bool mean);

}  // namespace swift::rlhf
