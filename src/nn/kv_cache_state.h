// The private state of PagedKvCache, shared by its two translation units: kv_cache.cpp (block
// tables, reference counts, copy on write) and kv_attention.cpp (attention over the blocks).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "nn/kv_cache.h"

namespace swift::nn {

struct PagedKvCache::State {
  struct Seq {
    std::vector<std::int64_t> table;  // block ids, position p lives in table[p / block_size]
    std::int64_t length = 0;          // committed tokens
  };
  std::int64_t num_layers = 0, kv_heads = 0, k_dim = 0, v_dim = 0, block_size = 0;
  std::int64_t capacity = 0;               // blocks in every pool
  std::vector<at::Tensor> k_pool, v_pool;  // per layer [capacity * block_size, KVH, D]
  // Sorted so that allocation takes the block after a sequence's last one, else the lowest:
  // tables stay runs of consecutive blocks, which decode attention reads as single views.
  std::set<std::int64_t> free_blocks;
  std::vector<std::int32_t> refs;  // per block: tables holding it
  std::map<std::int64_t, Seq> seqs;
  std::int64_t next_seq = 0;

  Seq& seq(std::int64_t id);
  const Seq& seq(std::int64_t id) const;
  std::int64_t blocks_needed(const Seq& s, std::int64_t n) const;
  void reserve(Seq& s, std::int64_t n);
  std::int64_t take_block(std::int64_t after);  // grows every pool when none is free
  // Pool rows of positions [begin, end) of a sequence: int64 [end - begin].
  at::Tensor slots(const Seq& s, std::int64_t begin, std::int64_t end) const;
  // Creates (or grows) layer `layer`'s pools to `capacity` blocks with the dtype/device of k, v.
  void ensure_pool(std::int64_t layer, const at::Tensor& k, const at::Tensor& v);
  // Writes k, v of one layer at the sequence's next positions (blocks reserved first).
  void write(std::int64_t layer, Seq& s, const at::Tensor& k, const at::Tensor& v);
};

}  // namespace swift::nn
