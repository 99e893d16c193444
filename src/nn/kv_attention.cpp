// Attention of a few new queries (decode) over a sequence's cached keys/values, read from the
// paged pools in place: the block table is cut into runs of consecutive blocks, each run is one
// strided view of the pool, the scores of all runs are joined for one softmax (the same order
// of operations as nn::attention_reference) and the values are summed run by run. Grouped-query
// heads share their key/value head through the matmul batch instead of an expanded copy.
// Longer query blocks (chunked prefill) gather the keys for nn::attention (SDPA where built);
// very fragmented tables gather the keys in range once and use the grouped-head math.
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "nn/attention.h"
#include "nn/kv_cache.h"
#include "nn/kv_cache_state.h"

namespace swift::nn {

namespace {

constexpr std::int64_t kMaxPagedQueries = 8;
// A table cut into more runs than this, with runs shorter than kShortRun tokens on average, is
// gathered: one copy beats many small matmuls.
constexpr std::size_t kMaxShortRuns = 8;
constexpr std::int64_t kShortRun = 64;

bool paged_allowed() {
  static const bool allowed = [] {
    const char* v = std::getenv("SWIFT_KV_ATTEND");
    return v == nullptr || std::strcmp(v, "gather") != 0;
  }();
  return allowed;
}

struct Run {
  std::int64_t row, len;  // first pool row, tokens
};

}  // namespace

at::Tensor PagedKvCache::append_and_attend(std::int64_t layer,
                                           std::int64_t seq,
                                           const at::Tensor& q,
                                           const at::Tensor& k,
                                           const at::Tensor& v,
                                           const AttentionOptions& opt) {
  auto& s = s_->seq(seq);
  const std::int64_t n = q.size(0), q_offset = s.length, total = s.length + n;
  if (q_offset == 0 || n > kMaxPagedQueries || !paged_allowed()) {
    auto kv = append_and_gather(layer, seq, k, v);
    return attention(q, kv.first, kv.second, q_offset, opt);
  }
  s_->write(layer, s, k, v);
  const std::int64_t bs = s_->block_size;
  // Keys outside a sliding window get no weight: leave them out.
  const std::int64_t k_begin =
      opt.window > 0 ? std::max<std::int64_t>(0, q_offset - opt.window + 1) : 0;
  const std::int64_t lk = total - k_begin;
  std::vector<Run> runs;
  for (std::int64_t p = k_begin; p < total;) {
    const std::int64_t blk = p / bs, end = std::min(total, (blk + 1) * bs);
    const std::int64_t row = s.table[blk] * bs + p % bs;
    if (!runs.empty() && runs.back().row + runs.back().len == row) {
      runs.back().len += end - p;
    } else {
      runs.push_back({row, end - p});
    }
    p = end;
  }
  at::Tensor kp = s_->k_pool[layer], vp = s_->v_pool[layer];
  if (runs.size() > kMaxShortRuns && lk / static_cast<std::int64_t>(runs.size()) < kShortRun) {
    // Fragmented: one gather of the keys in range, then the same grouped-head math.
    auto rows = s_->slots(s, k_begin, total).to(k.device());
    kp = kp.index_select(0, rows);
    vp = vp.index_select(0, rows);
    runs = {{0, lk}};
  }
  const std::int64_t heads = q.size(1), kv_heads = s_->kv_heads, dk = q.size(2);
  TORCH_CHECK(heads % kv_heads == 0, "attention: heads not a multiple of kv heads");
  const std::int64_t rep = heads / kv_heads, dv = s_->v_dim;
  // Row i * rep + r of kv head g is query i of head g * rep + r.
  auto qg = q.reshape({n, kv_heads, rep, dk})
                .permute({1, 0, 2, 3})
                .reshape({kv_heads, n * rep, dk});  // [KVH, n rep, Dk]
  std::vector<at::Tensor> parts;
  parts.reserve(runs.size());
  for (const auto& r : runs)  // [KVH, n rep, len]
    parts.push_back(at::bmm(qg, kp.narrow(0, r.row, r.len).permute({1, 2, 0})));
  auto scores = (parts.size() == 1 ? parts[0] : torch::cat(parts, -1)) * opt.scale;
  if (opt.softcap > 0) scores = torch::tanh(scores / opt.softcap) * opt.softcap;
  if (n > 1) {  // one query sees every key in range; more need the causal (and window) mask
    auto qi = torch::arange(q_offset, total, torch::kInt64).unsqueeze(1);  // [n, 1]
    auto kj = torch::arange(k_begin, total, torch::kInt64).unsqueeze(0);   // [1, Lk]
    auto allowed = kj <= qi;
    if (opt.window > 0) allowed = allowed.logical_and((qi - kj) < opt.window);
    scores = scores.view({kv_heads, n, rep, lk})
                 .masked_fill(allowed.logical_not().to(scores.device()).view({1, n, 1, lk}),
                              -std::numeric_limits<float>::infinity())
                 .view({kv_heads, n * rep, lk});
  }
  at::Tensor probs;  // [KVH, n rep, Lk]
  if (opt.sinks.defined()) {
    auto sink = opt.sinks.to(scores.scalar_type())
                    .view({kv_heads, 1, rep, 1})
                    .expand({kv_heads, n, rep, 1})
                    .reshape({kv_heads, n * rep, 1});
    auto combined = torch::cat({scores, sink}, -1);
    combined = combined - std::get<0>(combined.max(-1, true));
    probs = torch::softmax(combined, -1).narrow(-1, 0, lk);
  } else {
    probs = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
  }
  at::Tensor out;  // [KVH, n rep, Dv]
  std::int64_t off = 0;
  for (const auto& r : runs) {
    auto o = at::bmm(probs.narrow(-1, off, r.len), vp.narrow(0, r.row, r.len).permute({1, 0, 2}));
    out = out.defined() ? out + o : o;
    off += r.len;
  }
  return out.view({kv_heads, n, rep, dv}).permute({1, 0, 2, 3}).reshape({n, heads, dv});
}

}  // namespace swift::nn
