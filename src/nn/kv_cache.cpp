// Block-paged KV cache: block tables, reference counts and copy on write; see kv_cache.h.
// Attention over the blocks is in kv_attention.cpp.
#include "nn/kv_cache.h"

#include <torch/torch.h>

#include "core/error.h"
#include "nn/kv_cache_state.h"

namespace swift::nn {

PagedKvCache::PagedKvCache(std::int64_t num_layers,
                           std::int64_t kv_heads,
                           std::int64_t k_dim,
                           std::int64_t v_dim,
                           std::int64_t block_size,
                           std::int64_t initial_blocks)
    : block_size_(block_size), s_(std::make_unique<State>()) {
  SWIFT_CHECK(block_size > 0, "[kv_cache] block_size must be positive, got {}", block_size);
  s_->num_layers = num_layers;
  s_->kv_heads = kv_heads;
  s_->k_dim = k_dim;
  s_->v_dim = v_dim;
  s_->block_size = block_size;
  s_->k_pool.resize(num_layers);
  s_->v_pool.resize(num_layers);
  (void)initial_blocks;  // pools are created by the first append (its dtype and device)
}

PagedKvCache::~PagedKvCache() = default;
PagedKvCache::PagedKvCache(PagedKvCache&&) noexcept = default;
PagedKvCache& PagedKvCache::operator=(PagedKvCache&&) noexcept = default;

PagedKvCache::State::Seq& PagedKvCache::State::seq(std::int64_t id) {
  auto it = seqs.find(id);
  SWIFT_CHECK(it != seqs.end(), "[kv_cache] unknown sequence {}", id);
  return it->second;
}

const PagedKvCache::State::Seq& PagedKvCache::State::seq(std::int64_t id) const {
  auto it = seqs.find(id);
  SWIFT_CHECK(it != seqs.end(), "[kv_cache] unknown sequence {}", id);
  return it->second;
}

std::int64_t PagedKvCache::add_sequence() {
  std::int64_t id = s_->next_seq++;
  s_->seqs[id] = {};
  return id;
}

std::int64_t PagedKvCache::fork_sequence(std::int64_t seq) {
  State::Seq copy = s_->seq(seq);
  for (auto b : copy.table) ++s_->refs[b];
  std::int64_t id = s_->next_seq++;
  s_->seqs[id] = std::move(copy);
  return id;
}

void PagedKvCache::free_sequence(std::int64_t seq) {
  auto it = s_->seqs.find(seq);
  if (it == s_->seqs.end()) return;
  for (auto b : it->second.table)
    if (--s_->refs[b] == 0) s_->free_blocks.insert(b);
  s_->seqs.erase(it);
}

std::int64_t PagedKvCache::length(std::int64_t seq) const {
  return s_->seq(seq).length;
}

const std::vector<std::int64_t>& PagedKvCache::block_table(std::int64_t seq) const {
  return s_->seq(seq).table;
}

std::int64_t PagedKvCache::block_refs(std::int64_t block) const {
  SWIFT_CHECK(block >= 0 && block < s_->capacity, "[kv_cache] block {} out of range", block);
  return s_->refs[block];
}

std::int64_t PagedKvCache::num_blocks() const {
  return s_->capacity;
}
std::int64_t PagedKvCache::num_free_blocks() const {
  return static_cast<std::int64_t>(s_->free_blocks.size());
}
std::int64_t PagedKvCache::num_sequences() const {
  return static_cast<std::int64_t>(s_->seqs.size());
}

std::int64_t PagedKvCache::State::blocks_needed(const Seq& s, std::int64_t n) const {
  if (n <= 0) return 0;
  const auto have = static_cast<std::int64_t>(s.table.size());
  const std::int64_t first = s.length / block_size;
  const std::int64_t need = (s.length + n + block_size - 1) / block_size;
  std::int64_t out = std::max<std::int64_t>(need - have, 0);
  for (std::int64_t i = first; i < std::min(need, have); ++i) out += refs[s.table[i]] > 1;
  return out;
}

std::int64_t PagedKvCache::blocks_needed(std::int64_t seq, std::int64_t n) const {
  return s_->blocks_needed(s_->seq(seq), n);
}

std::int64_t PagedKvCache::State::take_block(std::int64_t after) {
  if (free_blocks.empty()) {
    // Grow every pool by doubling; block ids stay valid.
    std::int64_t grow = std::max<std::int64_t>(capacity, 8);
    for (std::int64_t b = capacity; b < capacity + grow; ++b)
      free_blocks.insert(free_blocks.end(), b);
    capacity += grow;
    refs.resize(capacity, 0);
    for (std::int64_t l = 0; l < num_layers; ++l) {
      if (!k_pool[l].defined()) continue;
      k_pool[l] = torch::cat(
          {k_pool[l], torch::zeros({grow * block_size, kv_heads, k_dim}, k_pool[l].options())});
      v_pool[l] = torch::cat(
          {v_pool[l], torch::zeros({grow * block_size, kv_heads, v_dim}, v_pool[l].options())});
    }
  }
  auto it = after >= 0 ? free_blocks.find(after + 1) : free_blocks.end();
  if (it == free_blocks.end()) it = free_blocks.begin();
  const std::int64_t b = *it;
  free_blocks.erase(it);
  refs[b] = 1;
  return b;
}

void PagedKvCache::State::reserve(Seq& s, std::int64_t n) {
  if (n <= 0) return;
  const std::int64_t first = s.length / block_size;
  const std::int64_t need = (s.length + n + block_size - 1) / block_size;
  for (std::int64_t i = first; i < std::min<std::int64_t>(need, s.table.size()); ++i) {
    const std::int64_t old = s.table[i];
    if (refs[old] <= 1) continue;
    // Copy on write: the other holders keep the old block.
    const std::int64_t fresh = take_block(i > 0 ? s.table[i - 1] : -1);
    for (std::int64_t l = 0; l < num_layers; ++l) {
      if (!k_pool[l].defined()) continue;
      k_pool[l]
          .narrow(0, fresh * block_size, block_size)
          .copy_(k_pool[l].narrow(0, old * block_size, block_size));
      v_pool[l]
          .narrow(0, fresh * block_size, block_size)
          .copy_(v_pool[l].narrow(0, old * block_size, block_size));
    }
    --refs[old];
    s.table[i] = fresh;
  }
  while (static_cast<std::int64_t>(s.table.size()) < need)
    s.table.push_back(take_block(s.table.empty() ? -1 : s.table.back()));
}

void PagedKvCache::reserve(std::int64_t seq, std::int64_t n) {
  s_->reserve(s_->seq(seq), n);
}

at::Tensor PagedKvCache::State::slots(const Seq& s, std::int64_t begin, std::int64_t end) const {
  std::vector<std::int64_t> idx;
  idx.reserve(end - begin);
  for (std::int64_t p = begin; p < end; ++p)
    idx.push_back(s.table[p / block_size] * block_size + p % block_size);
  return torch::tensor(idx, torch::kInt64);
}

void PagedKvCache::State::ensure_pool(std::int64_t layer,
                                      const at::Tensor& k,
                                      const at::Tensor& v) {
  std::int64_t have = k_pool[layer].defined() ? k_pool[layer].size(0) : 0;
  std::int64_t want = capacity * block_size - have;
  if (want <= 0) return;
  auto kz = torch::zeros({want, kv_heads, k_dim}, k.options());
  auto vz = torch::zeros({want, kv_heads, v_dim}, v.options());
  k_pool[layer] = have ? torch::cat({k_pool[layer], kz}) : kz;
  v_pool[layer] = have ? torch::cat({v_pool[layer], vz}) : vz;
}

void PagedKvCache::State::write(std::int64_t layer,
                                Seq& s,
                                const at::Tensor& k,
                                const at::Tensor& v) {
  SWIFT_CHECK(layer >= 0 && layer < num_layers, "[kv_cache] layer {} out of range", layer);
  const std::int64_t n = k.size(0);
  reserve(s, n);  // a no-op when the scheduler reserved already
  ensure_pool(layer, k, v);
  auto dst = slots(s, s.length, s.length + n).to(k.device());
  k_pool[layer].index_copy_(0, dst, k.detach());
  v_pool[layer].index_copy_(0, dst, v.detach());
}

std::pair<at::Tensor, at::Tensor> PagedKvCache::append_and_gather(std::int64_t layer,
                                                                  std::int64_t seq,
                                                                  const at::Tensor& k,
                                                                  const at::Tensor& v) {
  auto& s = s_->seq(seq);
  s_->write(layer, s, k, v);
  // A fresh sequence attends to exactly what it wrote: no copy back.
  if (s.length == 0) return {k.detach(), v.detach()};
  auto all = s_->slots(s, 0, s.length + k.size(0)).to(k.device());
  return {s_->k_pool[layer].index_select(0, all), s_->v_pool[layer].index_select(0, all)};
}

void PagedKvCache::commit(std::int64_t seq, std::int64_t n) {
  s_->seq(seq).length += n;
}

}  // namespace swift::nn
