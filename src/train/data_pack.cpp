// --packing and the micro-batch collation: ms-swift's PackingDataset.create_packed_idx +
// calculate_matched_group (binpacking.to_constant_volume for "binpack", next-fit for
// "sequential"), the per-epoch batch order (BatchSamplerShard) and the padding-free flat batch
// every training step runs on.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "train/data.h"

namespace swift::train {

namespace {

using Item = std::pair<std::size_t, std::int64_t>;  // (sample index, length)
using Bins = std::vector<std::vector<Item>>;

// binpacking.to_constant_volume(items, V, weight_pos=1): heaviest first (a stable sort, so
// ties keep their order), each into the least-filled bin it fits ("<= V"; the first such bin
// on ties), else a new bin; the very first item always goes into the one open bin.
Bins to_constant_volume(const std::vector<Item>& items, std::int64_t volume) {
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return items[a].second > items[b].second; });
  Bins bins(1);
  std::vector<std::int64_t> sums(1, 0);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Item& it = items[order[k]];
    std::size_t best = sums.size();
    for (std::size_t b = 0; b < sums.size(); ++b)
      if (sums[b] + it.second <= volume && (best == sums.size() || sums[b] < sums[best])) best = b;
    if (best == sums.size()) {
      if (k == 0) {
        best = 0;
      } else {
        bins.emplace_back();
        sums.push_back(0);
      }
    }
    bins[best].push_back(it);
    sums[best] += it.second;
  }
  return bins;
}

// calculate_matched_group: the packs of `items`; unless finished, the last pack is handed back
// to be packed again with the next batch.
Bins matched_group(const std::vector<Item>& items,
                   std::int64_t volume,
                   bool finished,
                   const std::string& strategy,
                   std::vector<Item>* rest) {
  rest->clear();
  if (items.empty()) return {};
  Bins packs;
  if (strategy == "sequential") {
    std::vector<Item> cur;
    std::int64_t cur_len = 0;
    for (const Item& it : items) {
      if (!cur.empty() && cur_len + it.second > volume) {
        packs.push_back(std::move(cur));
        cur.clear();
        cur_len = 0;
      }
      cur.push_back(it);
      cur_len += it.second;
      if (cur_len >= volume) {
        packs.push_back(std::move(cur));
        cur.clear();
        cur_len = 0;
      }
    }
    if (finished) {
      if (!cur.empty()) packs.push_back(std::move(cur));
    } else {
      *rest = std::move(cur);
    }
    return packs;
  }
  packs = to_constant_volume(items, volume);
  if (!packs.empty() && !finished) {
    *rest = std::move(packs.back());
    packs.pop_back();
  }
  return packs;
}

constexpr std::size_t kPackingBatchSize = 1000;  // PackingDataset.PACKING_BATCH_SIZE

}  // namespace

std::vector<std::vector<std::size_t>> pack_samples(const std::vector<std::int64_t>& lengths,
                                                   std::int64_t max_length,
                                                   const std::string& strategy,
                                                   int num_proc) {
  SWIFT_CHECK(max_length > 0, "[data] --packing needs --max_length (or --packing_length)");
  SWIFT_CHECK(strategy == "binpack" || strategy == "sequential",
              "[data] unknown --packing_strategy '{}'; use binpack or sequential", strategy);
  std::vector<std::vector<std::size_t>> out;
  const std::size_t n = lengths.size();
  if (n == 0) return out;
  // min(packing_num_proc, ceil(n / 1000)) contiguous chunks split as np.linspace(0, n, k + 1).
  const std::size_t chunks = std::max<std::size_t>(
      1, std::min<std::size_t>(static_cast<std::size_t>(std::max(num_proc, 1)),
                               (n + kPackingBatchSize - 1) / kPackingBatchSize));
  std::vector<std::size_t> bounds(chunks + 1);
  const double step = static_cast<double>(n) / static_cast<double>(chunks);
  for (std::size_t i = 0; i <= chunks; ++i)
    bounds[i] = i == chunks ? n : static_cast<std::size_t>(static_cast<double>(i) * step);
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = bounds[c], end = bounds[c + 1];
    std::vector<Item> input, rest;
    for (std::size_t i = begin;; i += kPackingBatchSize) {
      for (std::size_t j = i; j < std::min(end, i + kPackingBatchSize); ++j)
        input.emplace_back(j, lengths[j]);
      if (input.empty()) break;
      const bool finished = i + kPackingBatchSize >= end;
      for (auto& pack : matched_group(input, max_length, finished, strategy, &rest)) {
        std::vector<std::size_t> idx;
        idx.reserve(pack.size());
        for (const Item& it : pack) idx.push_back(it.first);
        out.push_back(std::move(idx));
      }
      input = std::move(rest);
      rest.clear();
      if (finished && input.empty()) break;
    }
  }
  return out;
}

std::vector<std::vector<std::size_t>> epoch_batches(std::size_t total,
                                                    std::size_t batch_size,
                                                    bool shuffle,
                                                    bool drop_last,
                                                    std::uint64_t data_seed,
                                                    std::int64_t epoch) {
  SWIFT_CHECK(batch_size > 0, "[data] the batch size must be positive");
  std::vector<std::int64_t> order;
  if (shuffle) {
    order = torch_randperm(static_cast<std::int64_t>(total),
                           data_seed + static_cast<std::uint64_t>(epoch));
  } else {
    order.resize(total);
    std::iota(order.begin(), order.end(), 0);
  }
  std::vector<std::vector<std::size_t>> batches;
  std::vector<std::size_t> cur;
  for (auto i : order) {
    cur.push_back(static_cast<std::size_t>(i));
    if (cur.size() == batch_size) {
      batches.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!drop_last && !cur.empty()) batches.push_back(std::move(cur));
  return batches;
}

Batch collate(const std::vector<const Sample*>& samples) {
  Batch b;
  bool weighted = false;
  std::size_t total = 0;
  for (const Sample* s : samples) {
    SWIFT_ASSERT(s != nullptr && s->labels.size() == s->input_ids.size());
    SWIFT_ASSERT(s->loss_scale.empty() || s->loss_scale.size() == s->input_ids.size());
    weighted = weighted || !s->loss_scale.empty();
    total += s->input_ids.size();
  }
  b.input_ids.reserve(total);
  b.position_ids.reserve(total);
  b.labels.reserve(total);
  if (weighted) b.loss_scale.reserve(total);
  b.cu_seqlens.reserve(samples.size() + 1);
  b.cu_seqlens.push_back(0);
  for (const Sample* s : samples) {
    const std::size_t n = s->input_ids.size();
    for (std::size_t t = 0; t < n; ++t) {
      b.input_ids.push_back(s->input_ids[t]);
      b.position_ids.push_back(static_cast<std::int64_t>(t));
      b.labels.push_back(s->labels[t]);
      if (weighted)
        b.loss_scale.push_back(!s->loss_scale.empty() ? s->loss_scale[t]
                               : s->labels[t] != -100 ? 1.f
                                                      : 0.f);
      if (t + 1 < n && s->labels[t + 1] != -100) ++b.label_tokens;
    }
    b.cu_seqlens.push_back(b.cu_seqlens.back() + static_cast<std::int64_t>(n));
  }
  return b;
}

}  // namespace swift::train
