// Block-paged KV cache; see kv_cache.h.
#include "nn/kv_cache.h"

#include <torch/torch.h>

#include "core/error.h"

namespace swift::nn {

PagedKvCache::PagedKvCache(std::int64_t num_layers,
                           std::int64_t kv_heads,
                           std::int64_t k_dim,
                           std::int64_t v_dim,
                           std::int64_t block_size,
                           std::int64_t initial_blocks)
    : num_layers_(num_layers),
      kv_heads_(kv_heads),
      k_dim_(k_dim),
      v_dim_(v_dim),
      block_size_(block_size) {
  k_pool_.resize(num_layers);
  v_pool_.resize(num_layers);
  capacity_blocks_ = 0;
  (void)initial_blocks;
}

std::int64_t PagedKvCache::add_sequence() {
  std::int64_t id = next_seq_++;
  tables_[id] = {};
  lengths_[id] = 0;
  return id;
}

void PagedKvCache::free_sequence(std::int64_t seq) {
  auto it = tables_.find(seq);
  if (it == tables_.end()) return;
  free_blocks_.insert(free_blocks_.end(), it->second.begin(), it->second.end());
  tables_.erase(it);
  lengths_.erase(seq);
}

std::int64_t PagedKvCache::length(std::int64_t seq) const {
  auto it = lengths_.find(seq);
  SWIFT_CHECK(it != lengths_.end(), "[kv_cache] unknown sequence {}", seq);
  return it->second;
}

const std::vector<std::int64_t>& PagedKvCache::block_table(std::int64_t seq) const {
  auto it = tables_.find(seq);
  SWIFT_CHECK(it != tables_.end(), "[kv_cache] unknown sequence {}", seq);
  return it->second;
}

void PagedKvCache::ensure_blocks(std::int64_t seq, std::int64_t tokens) {
  auto& table = tables_.at(seq);
  std::int64_t need = (tokens + block_size_ - 1) / block_size_;
  while (static_cast<std::int64_t>(table.size()) < need) {
    if (free_blocks_.empty()) {
      // Grow every pool by doubling; block ids stay valid.
      std::int64_t grow = std::max<std::int64_t>(capacity_blocks_, 8);
      for (std::int64_t b = capacity_blocks_ + grow - 1; b >= capacity_blocks_; --b)
        free_blocks_.push_back(b);
      capacity_blocks_ += grow;
      for (std::int64_t l = 0; l < num_layers_; ++l) {
        if (!k_pool_[l].defined()) continue;
        auto opts = k_pool_[l].options();
        k_pool_[l] =
            torch::cat({k_pool_[l], torch::zeros({grow * block_size_, kv_heads_, k_dim_}, opts)});
        v_pool_[l] =
            torch::cat({v_pool_[l], torch::zeros({grow * block_size_, kv_heads_, v_dim_}, opts)});
      }
    }
    table.push_back(free_blocks_.back());
    free_blocks_.pop_back();
  }
}

at::Tensor PagedKvCache::slots(std::int64_t seq, std::int64_t begin, std::int64_t end) const {
  const auto& table = tables_.at(seq);
  std::vector<std::int64_t> idx;
  idx.reserve(end - begin);
  for (std::int64_t p = begin; p < end; ++p)
    idx.push_back(table[p / block_size_] * block_size_ + p % block_size_);
  return torch::tensor(idx, torch::kInt64);
}

std::pair<at::Tensor, at::Tensor> PagedKvCache::append_and_gather(std::int64_t layer,
                                                                  std::int64_t seq,
                                                                  const at::Tensor& k,
                                                                  const at::Tensor& v) {
  SWIFT_CHECK(layer >= 0 && layer < num_layers_, "[kv_cache] layer {} out of range", layer);
  std::int64_t len = length(seq);
  std::int64_t n = k.size(0);
  ensure_blocks(seq, len + n);
  if (!k_pool_[layer].defined() || k_pool_[layer].size(0) < capacity_blocks_ * block_size_) {
    auto opts = k.options();
    std::int64_t have = k_pool_[layer].defined() ? k_pool_[layer].size(0) : 0;
    std::int64_t want = capacity_blocks_ * block_size_ - have;
    auto kz = torch::zeros({want, kv_heads_, k_dim_}, opts);
    auto vz = torch::zeros({want, kv_heads_, v_dim_}, v.options());
    k_pool_[layer] = have ? torch::cat({k_pool_[layer], kz}) : kz;
    v_pool_[layer] = have ? torch::cat({v_pool_[layer], vz}) : vz;
  }
  auto dst = slots(seq, len, len + n).to(k.device());
  k_pool_[layer].index_copy_(0, dst, k.detach());
  v_pool_[layer].index_copy_(0, dst, v.detach());
  auto all = slots(seq, 0, len + n).to(k.device());
  return {k_pool_[layer].index_select(0, all), v_pool_[layer].index_select(0, all)};
}

void PagedKvCache::commit(std::int64_t seq, std::int64_t n) {
  lengths_.at(seq) += n;
}

}  // namespace swift::nn
