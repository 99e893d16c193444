// A block-paged KV cache: per layer one pool of fixed-size blocks, per sequence a block table.
// The reference decode path gathers a sequence's blocks back into contiguous [len, heads, dim].
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

namespace swift::nn {

class PagedKvCache {
 public:
  PagedKvCache(std::int64_t num_layers,
               std::int64_t kv_heads,
               std::int64_t k_dim,
               std::int64_t v_dim,
               std::int64_t block_size = 16,
               std::int64_t initial_blocks = 16);

  std::int64_t add_sequence();
  void free_sequence(std::int64_t seq);
  std::int64_t length(std::int64_t seq) const;  // committed tokens

  // Writes k [L, KVH, Dk] / v [L, KVH, Dv] of layer `layer` at positions length(seq) .. +L
  // (blocks are allocated on demand) and returns all of the sequence's keys/values including the
  // new ones: [length + L, KVH, D].
  std::pair<at::Tensor, at::Tensor> append_and_gather(std::int64_t layer,
                                                      std::int64_t seq,
                                                      const at::Tensor& k,
                                                      const at::Tensor& v);
  // After every layer has appended: the sequence grows by n tokens.
  void commit(std::int64_t seq, std::int64_t n);

  std::int64_t block_size() const { return block_size_; }
  // Blocks allocated so far (the pools grow on demand) and how many of them are free; when no
  // sequence is alive every block is free.
  std::int64_t num_blocks() const { return capacity_blocks_; }
  std::int64_t num_free_blocks() const { return static_cast<std::int64_t>(free_blocks_.size()); }
  std::int64_t num_sequences() const { return static_cast<std::int64_t>(tables_.size()); }
  // Blocks a sequence of `tokens` tokens needs in total.
  std::int64_t blocks_for(std::int64_t tokens) const {
    return (tokens + block_size_ - 1) / block_size_;
  }
  const std::vector<std::int64_t>& block_table(std::int64_t seq) const;

 private:
  void ensure_blocks(std::int64_t seq, std::int64_t tokens);
  at::Tensor slots(std::int64_t seq, std::int64_t begin, std::int64_t end) const;

  std::int64_t num_layers_, kv_heads_, k_dim_, v_dim_, block_size_;
  std::int64_t capacity_blocks_ = 0;
  std::vector<at::Tensor> k_pool_, v_pool_;  // per layer [blocks * block_size, KVH, D]
  std::vector<std::int64_t> free_blocks_;
  std::map<std::int64_t, std::vector<std::int64_t>> tables_;
  std::map<std::int64_t, std::int64_t> lengths_;
  std::int64_t next_seq_ = 0;
};

}  // namespace swift::nn
