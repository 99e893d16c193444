// The paged KV cache on its own: reference-counted blocks shared by fork_sequence(), copy on
// write of a shared block, blocks_needed() agreeing with what reserve() takes, every block free
// again after the last holder goes, and append_and_attend (attention read from the blocks in
// place) equal to the reference attention over the gathered keys: grouped heads, one and several
// queries, sliding windows, soft-capping, sinks, a value head dim unlike the key's, and tables
// fragmented by interleaved sequences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "nn/attention.h"
#include "nn/kv_cache.h"

namespace {

using swift::nn::AttentionOptions;
using swift::nn::PagedKvCache;

constexpr std::int64_t kLayers = 2, kKvHeads = 2, kDk = 8, kDv = 6, kBlock = 4;

// Appends t tokens of random keys/values to `seq` in every layer, returns layer 0's.
std::pair<at::Tensor, at::Tensor> append(PagedKvCache& c, std::int64_t seq, std::int64_t t) {
  std::pair<at::Tensor, at::Tensor> first;
  for (std::int64_t l = 0; l < kLayers; ++l) {
    auto k = torch::randn({t, kKvHeads, kDk}), v = torch::randn({t, kKvHeads, kDv});
    c.append_and_gather(l, seq, k, v);
    if (l == 0) first = {k, v};
  }
  c.commit(seq, t);
  return first;
}

at::Tensor gather_k(PagedKvCache& c, std::int64_t seq) {  // layer 0, no new token
  return c
      .append_and_gather(0, seq, torch::zeros({0, kKvHeads, kDk}), torch::zeros({0, kKvHeads, kDv}))
      .first;
}

TEST(KvCache, ForkSharesBlocksAndCopiesOnWrite) {
  torch::manual_seed(0);
  PagedKvCache c(kLayers, kKvHeads, kDk, kDv, kBlock);
  auto a = c.add_sequence();
  auto prompt = append(c, a, 6);  // one full block and half of a second
  const auto used = c.num_used_blocks();
  EXPECT_EQ(used, 2);
  auto b = c.fork_sequence(a);
  EXPECT_EQ(c.length(b), 6);
  EXPECT_EQ(c.block_table(b), c.block_table(a));
  EXPECT_EQ(c.num_used_blocks(), used);  // nothing copied yet
  for (auto blk : c.block_table(a)) EXPECT_EQ(c.block_refs(blk), 2);
  // Writing into the shared half block copies it first; the full block stays shared.
  EXPECT_EQ(c.blocks_needed(b, 1), 1);
  EXPECT_EQ(c.blocks_needed(b, 3), 2);  // the copy plus a new block
  c.reserve(b, 1);
  EXPECT_EQ(c.num_used_blocks(), used + 1);
  EXPECT_EQ(c.block_table(b)[0], c.block_table(a)[0]);
  EXPECT_NE(c.block_table(b)[1], c.block_table(a)[1]);
  EXPECT_EQ(c.blocks_needed(b, 1), 0);
  auto tail_b = append(c, b, 1);
  auto tail_a = append(c, a, 1);  // a's half block is its own again: written in place
  EXPECT_EQ(c.num_used_blocks(), used + 1);
  auto ka = gather_k(c, a), kb = gather_k(c, b);
  EXPECT_TRUE(ka.narrow(0, 0, 6).equal(prompt.first));
  EXPECT_TRUE(kb.narrow(0, 0, 6).equal(prompt.first));
  EXPECT_TRUE(ka[6].equal(tail_a.first[0]));
  EXPECT_TRUE(kb[6].equal(tail_b.first[0]));
  // Freeing one holder keeps the shared block; the last one frees everything.
  c.free_sequence(a);
  EXPECT_EQ(c.block_refs(c.block_table(b)[0]), 1);
  EXPECT_TRUE(gather_k(c, b).narrow(0, 0, 6).equal(prompt.first));
  c.free_sequence(b);
  EXPECT_EQ(c.num_free_blocks(), c.num_blocks());
  EXPECT_EQ(c.num_sequences(), 0);
}

TEST(KvCache, ForkAtABlockBoundaryCopiesNothing) {
  PagedKvCache c(kLayers, kKvHeads, kDk, kDv, kBlock);
  auto a = c.add_sequence();
  append(c, a, 8);
  std::vector<std::int64_t> forks;
  for (int i = 0; i < 3; ++i) forks.push_back(c.fork_sequence(a));
  for (auto f : forks) {
    EXPECT_EQ(c.blocks_needed(f, 1), 1);  // a fresh block, no copy
    append(c, f, 1);
  }
  EXPECT_EQ(c.num_used_blocks(), 2 + 3);
  for (auto f : forks) c.free_sequence(f);
  c.free_sequence(a);
  EXPECT_EQ(c.num_free_blocks(), c.num_blocks());
}

void expect_close(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double err = (got - want).abs().max().item<double>();
  EXPECT_LT(err, 1e-5) << what << ": max abs error " << err;
}

TEST(KvCache, AttendReadsTheBlocksInPlace) {
  torch::manual_seed(1);
  const std::int64_t heads = 4;  // two query heads per kv head
  struct Case {
    const char* name;
    std::int64_t window;
    double softcap;
    bool sinks;
  };
  for (const Case& cs : {Case{"plain", 0, 0.0, false}, Case{"window", 5, 0.0, false},
                         Case{"softcap", 0, 30.0, false}, Case{"sinks", 0, 0.0, true},
                         Case{"window+sinks", 3, 0.0, true}}) {
    AttentionOptions opt;
    opt.scale = 0.35;
    opt.window = cs.window;
    opt.softcap = cs.softcap;
    if (cs.sinks) opt.sinks = torch::randn({heads});
    // Two sequences appended in turns so their tables interleave (several runs), one of them
    // forked so a copied block sits in the middle of its table.
    PagedKvCache c(1, kKvHeads, kDk, kDv, kBlock);
    auto a = c.add_sequence(), b = c.add_sequence();
    std::vector<at::Tensor> ka, va, kb, vb;
    auto add = [&](std::int64_t seq, std::int64_t t, std::vector<at::Tensor>& ks,
                   std::vector<at::Tensor>& vs) {
      auto k = torch::randn({t, kKvHeads, kDk}), v = torch::randn({t, kKvHeads, kDv});
      c.append_and_gather(0, seq, k, v);
      c.commit(seq, t);
      ks.push_back(k);
      vs.push_back(v);
    };
    add(a, 7, ka, va);
    add(b, 3, kb, vb);
    auto f = c.fork_sequence(a);
    std::vector<at::Tensor> kf = ka, vf = va;
    for (int round = 0; round < 6; ++round) {
      add(a, 2, ka, va);
      add(b, 3, kb, vb);
      add(f, 1, kf, vf);
    }
    // b's table ends in many one-block runs: the gathered path.
    for (int round = 0; round < 12; ++round) {
      add(b, 4, kb, vb);
      add(a, 4, ka, va);
    }
    for (std::int64_t n : {1, 3}) {
      for (auto [seq, ks, vs] : {std::make_tuple(a, &ka, &va), std::make_tuple(b, &kb, &vb),
                                 std::make_tuple(f, &kf, &vf)}) {
        auto q = torch::randn({n, heads, kDk});
        auto k = torch::randn({n, kKvHeads, kDk}), v = torch::randn({n, kKvHeads, kDv});
        auto all_k = torch::cat({torch::cat(*ks), k}), all_v = torch::cat({torch::cat(*vs), v});
        auto want = swift::nn::attention_reference(q, all_k, all_v, all_k.size(0) - n, opt);
        auto got = c.append_and_attend(0, seq, q, k, v, opt);
        c.commit(seq, n);
        ks->push_back(k);
        vs->push_back(v);
        expect_close(got, want, std::string(cs.name) + " n=" + std::to_string(n));
      }
    }
  }
}

}  // namespace
