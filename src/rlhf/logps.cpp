// Chunked label log-probs (see logps.h). The per-row arithmetic is TRL's selective_log_softmax
// for float logits: the label's logit minus the row's logsumexp.
#include "rlhf/logps.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "model/causal_lm.h"

namespace swift::rlhf {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// log_softmax(logits[row_index])[target], one chunk of rows at a time. Saves only what the
// forward was given plus the per-row logsumexp [N]; the backward rebuilds each chunk's softmax.
struct LabelLogProb : public torch::autograd::Function<LabelLogProb> {
  static at::Tensor forward(AutogradContext* ctx,
                            const at::Tensor& logits,     // [T, V]
                            const at::Tensor& row_index,  // [N] int64
                            const at::Tensor& target,     // [N] int64
                            std::int64_t chunk) {
    const std::int64_t n = row_index.size(0);
    auto f32 = logits.options().dtype(torch::kFloat32);
    auto lse = torch::empty({n}, f32);
    auto out = torch::empty({n}, f32);
    for (std::int64_t b = 0; b < n; b += chunk) {
      const std::int64_t len = std::min(chunk, n - b);
      auto idx = row_index.narrow(0, b, len);
      auto rows = logits.index_select(0, idx).to(torch::kFloat32);  // [len, V]
      auto l = rows.logsumexp(-1);
      auto picked = rows.gather(1, target.narrow(0, b, len).unsqueeze(1)).squeeze(1);
      lse.narrow(0, b, len).copy_(l);
      out.narrow(0, b, len).copy_(picked - l);
    }
    ctx->save_for_backward({logits, row_index, target, lse});
    ctx->saved_data["chunk"] = chunk;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& logits = saved[0];
    const auto& row_index = saved[1];
    const auto& target = saved[2];
    const auto& lse = saved[3];
    const std::int64_t chunk = ctx->saved_data["chunk"].toInt();
    auto go = grads[0].to(torch::kFloat32);  // [N]
    auto grad = torch::zeros_like(logits);
    const std::int64_t n = row_index.size(0);
    for (std::int64_t b = 0; b < n; b += chunk) {
      const std::int64_t len = std::min(chunk, n - b);
      auto idx = row_index.narrow(0, b, len);
      auto g = go.narrow(0, b, len).unsqueeze(1);                            // [len, 1]
      auto rows = logits.index_select(0, idx).to(torch::kFloat32);           // [len, V]
      auto d = (rows - lse.narrow(0, b, len).unsqueeze(1)).exp_().mul_(-g);  // -softmax * g
      d.scatter_add_(1, target.narrow(0, b, len).unsqueeze(1), g);
      grad.index_add_(0, idx, d.to(logits.scalar_type()));
    }
    return {grad, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

std::vector<std::int64_t> segment_ids(const std::vector<std::int64_t>& cu_seqlens) {
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(cu_seqlens.back()));
  for (std::size_t s = 0; s + 1 < cu_seqlens.size(); ++s)
    ids.insert(ids.end(), static_cast<std::size_t>(cu_seqlens[s + 1] - cu_seqlens[s]),
               static_cast<std::int64_t>(s));
  return ids;
}

std::int64_t pairs_of(const SequenceLogps& s) {
  const std::int64_t n = static_cast<std::int64_t>(s.cu_seqlens.size()) - 1;
  SWIFT_CHECK(n > 0 && n % 2 == 0,
              "[rlhf] a preference batch holds chosen and rejected sequences in equal numbers; "
              "got {} sequences",
              n);
  return n / 2;
}

}  // namespace

at::Tensor gather_label_logps(const at::Tensor& logits,
                              const at::Tensor& row_index,
                              const at::Tensor& target,
                              std::int64_t chunk_rows) {
  TORCH_CHECK(logits.dim() == 2, "gather_label_logps: logits must be [T, V]");
  TORCH_CHECK(row_index.numel() == target.numel(), "gather_label_logps: one target per row");
  TORCH_CHECK(chunk_rows > 0, "gather_label_logps: chunk_rows must be positive");
  auto dev = logits.device();
  return LabelLogProb::apply(logits, row_index.to(dev).to(torch::kInt64).reshape({-1}),
                             target.to(dev).to(torch::kInt64).reshape({-1}), chunk_rows);
}

at::Tensor segment_sum(const at::Tensor& values, const std::vector<std::int64_t>& cu_seqlens) {
  SWIFT_CHECK(!cu_seqlens.empty() && cu_seqlens.back() == values.size(0),
              "[rlhf] {} values but cu_seqlens ends at {}", values.size(0),
              cu_seqlens.empty() ? -1 : cu_seqlens.back());
  const auto n = static_cast<std::int64_t>(cu_seqlens.size()) - 1;
  auto ids = torch::tensor(segment_ids(cu_seqlens), torch::kInt64).to(values.device());
  return torch::zeros({n}, values.options()).index_add(0, ids, values);
}

SequenceLogps sequence_logps(const at::Tensor& logits,
                             const at::Tensor& labels,
                             const std::vector<std::int64_t>& cu_seqlens,
                             std::int64_t chunk_rows) {
  SWIFT_CHECK(logits.dim() == 2, "[rlhf] logits must be [tokens, vocab]; got {} dims",
              logits.dim());
  const std::int64_t T = logits.size(0);
  SWIFT_CHECK(labels.numel() == T, "[rlhf] {} labels for {} tokens", labels.numel(), T);
  auto dev = logits.device();
  SequenceLogps s;
  s.cu_seqlens = cu_seqlens;
  auto target = model::shifted_targets(labels, cu_seqlens);  // [T] CPU, -100 where not scored
  auto counted = target.ne(-100);
  auto idx = counted.nonzero().squeeze(1);
  s.counted = counted.to(dev);
  auto f32 = logits.options().dtype(torch::kFloat32);
  s.token_logps = torch::zeros({T}, f32);
  if (idx.numel() > 0) {
    auto picked = gather_label_logps(logits, idx, target.index_select(0, idx), chunk_rows);
    s.token_logps = s.token_logps.index_copy(0, idx.to(dev), picked);
  }
  {
    torch::NoGradGuard no_grad;
    s.logit_means = logits.detach().mean(-1).to(torch::kFloat32);
  }
  s.logps = segment_sum(s.token_logps, cu_seqlens);
  s.tokens = segment_sum(counted.to(torch::kInt64), cu_seqlens).to(dev);
  return s;
}

SequenceLogps sequence_logps_padded(const at::Tensor& logits,
                                    const at::Tensor& labels,
                                    std::int64_t chunk_rows) {
  SWIFT_CHECK(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0) &&
                  logits.size(1) == labels.size(1),
              "[rlhf] padded log-probs need logits [B, S, V] and labels [B, S]");
  const std::int64_t B = logits.size(0), S = logits.size(1);
  std::vector<std::int64_t> cu;
  for (std::int64_t r = 0; r <= B; ++r) cu.push_back(r * S);
  return sequence_logps(logits.reshape({B * S, logits.size(2)}), labels.reshape({B * S}), cu,
                        chunk_rows);
}

at::Tensor ld_weighted_logps(const SequenceLogps& s, double ld_alpha) {
  const std::int64_t P = pairs_of(s);
  auto counted = s.counted.to(torch::kCPU);
  auto tokens = s.tokens.to(torch::kCPU);
  const std::int64_t T = counted.numel();
  // front: a counted row among the first min(chosen, rejected) counted rows of its sequence
  auto front = torch::zeros({T}, torch::kBool);
  for (std::int64_t q = 0; q < 2 * P; ++q) {
    const std::int64_t b = s.cu_seqlens[q], e = s.cu_seqlens[q + 1];
    const std::int64_t shared =
        std::min(tokens[q].item<std::int64_t>(), tokens[(q + P) % (2 * P)].item<std::int64_t>());
    auto c = counted.narrow(0, b, e - b);
    auto pos = c.to(torch::kInt64).cumsum(0);  // 1-based position among counted rows
    front.narrow(0, b, e - b).copy_(c & pos.le(shared));
  }
  auto rear = counted & front.logical_not();
  auto dev = s.token_logps.device();
  auto opts = s.token_logps.options();
  auto front_logps = segment_sum(s.token_logps * front.to(dev).to(opts.dtype()), s.cu_seqlens);
  auto rear_logps = segment_sum(s.token_logps * rear.to(dev).to(opts.dtype()), s.cu_seqlens);
  return front_logps + ld_alpha * rear_logps;
}

at::Tensor chosen_nll(const SequenceLogps& s) {
  const std::int64_t P = pairs_of(s);
  const std::int64_t end = s.cu_seqlens[P];
  auto sel = s.token_logps.narrow(0, 0, end).masked_select(s.counted.narrow(0, 0, end));
  return -sel.mean();
}

double mean_label_logits(const SequenceLogps& s, bool chosen) {
  const std::int64_t P = pairs_of(s);
  const std::int64_t b = chosen ? 0 : s.cu_seqlens[P];
  const std::int64_t e = chosen ? s.cu_seqlens[P] : s.cu_seqlens[2 * P];
  auto sel = s.logit_means.narrow(0, b, e - b).masked_select(s.counted.narrow(0, b, e - b));
  return sel.mean().item<double>();
}

double mean_row_logits(const SequenceLogps& s, bool chosen, bool drop_last_row) {
  const std::int64_t P = pairs_of(s);
  const std::int64_t first = chosen ? 0 : P;
  double sum = 0.0;
  std::int64_t rows = 0;
  for (std::int64_t q = first; q < first + P; ++q) {
    const std::int64_t b = s.cu_seqlens[q];
    const std::int64_t n = s.cu_seqlens[q + 1] - b - (drop_last_row ? 1 : 0);
    if (n <= 0) continue;
    sum += s.logit_means.narrow(0, b, n).to(torch::kFloat64).sum().item<double>();
    rows += n;
  }
  return rows ? sum / static_cast<double>(rows) : 0.0;
}

std::pair<at::Tensor, at::Tensor> pair_logps(const SequenceLogps& s, bool mean) {
  const std::int64_t P = pairs_of(s);
  auto logps = s.logps;
  // TRL's average_log_prob divides without a floor: an answer with no label token is NaN
  if (mean) logps = logps / s.tokens.to(logps.options());
  return {logps.narrow(0, 0, P), logps.narrow(0, P, P)};
}

}  // namespace swift::rlhf
