// A block-paged KV cache: per layer one pool of fixed-size blocks, per sequence a block table.
// Blocks are reference counted: fork_sequence() gives a new sequence the blocks of another (the
// n choices of one prompt are prefilled once), and a shared block is copied before a sequence
// writes into it (copy on write); a block is free again once no table holds it.
// Decode reads keys/values from the blocks in place (append_and_attend); append_and_gather
// copies a sequence's blocks back into contiguous [len, heads, dim] (the reference path).
// All state lives in the .cpp so the cache can change without rebuilding the model's users.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace swift::nn {

struct AttentionOptions;

class PagedKvCache {
 public:
  PagedKvCache(std::int64_t num_layers,
               std::int64_t kv_heads,
               std::int64_t k_dim,
               std::int64_t v_dim,
               std::int64_t block_size = 16,
               std::int64_t initial_blocks = 16);
  ~PagedKvCache();
  PagedKvCache(PagedKvCache&&) noexcept;
  PagedKvCache& operator=(PagedKvCache&&) noexcept;

  std::int64_t add_sequence();
  // A new sequence with the same length and blocks as `seq` (each block's count goes up).
  std::int64_t fork_sequence(std::int64_t seq);
  // Drops the sequence's references; blocks nobody else holds become free.
  void free_sequence(std::int64_t seq);
  std::int64_t length(std::int64_t seq) const;  // committed tokens

  // Blocks that appending n tokens to `seq` takes from the free list: new blocks past the end of
  // its table plus copies of shared blocks it would write into.
  std::int64_t blocks_needed(std::int64_t seq, std::int64_t n) const;
  // Takes those blocks now (copying shared ones), so a scheduler can account for them before
  // the forward; the append_* calls do it themselves when nobody did.
  void reserve(std::int64_t seq, std::int64_t n);

  // Writes k [L, KVH, Dk] / v [L, KVH, Dv] of layer `layer` at positions length(seq) .. +L
  // (blocks are allocated on demand) and returns all of the sequence's keys/values including the
  // new ones: [length + L, KVH, D].
  std::pair<at::Tensor, at::Tensor> append_and_gather(std::int64_t layer,
                                                      std::int64_t seq,
                                                      const at::Tensor& k,
                                                      const at::Tensor& v);
  // Appends like append_and_gather and returns causal attention of q [L, H, Dk] (queries at
  // positions length .. length + L - 1) over every key of the sequence: [L, H, Dv], equal to
  // nn::attention over the gathered keys. Short queries (decode) read the blocks in place.
  at::Tensor append_and_attend(std::int64_t layer,
                               std::int64_t seq,
                               const at::Tensor& q,
                               const at::Tensor& k,
                               const at::Tensor& v,
                               const AttentionOptions& opt);
  // After every layer has appended: the sequence grows by n tokens.
  void commit(std::int64_t seq, std::int64_t n);

  std::int64_t block_size() const { return block_size_; }
  // Blocks allocated so far (the pools grow on demand), how many are free and how many are held
  // by at least one sequence; when no sequence is alive every block is free.
  std::int64_t num_blocks() const;
  std::int64_t num_free_blocks() const;
  std::int64_t num_used_blocks() const { return num_blocks() - num_free_blocks(); }
  std::int64_t num_sequences() const;
  // Blocks a sequence of `tokens` tokens needs in total.
  std::int64_t blocks_for(std::int64_t tokens) const {
    return (tokens + block_size_ - 1) / block_size_;
  }
  const std::vector<std::int64_t>& block_table(std::int64_t seq) const;
  // How many block tables hold `block` (0: free).
  std::int64_t block_refs(std::int64_t block) const;

 private:
  struct State;
  std::int64_t block_size_;
  std::unique_ptr<State> s_;
};

}  // namespace swift::nn
