// The attention backend the model uses (SDPA on torch >= 2.1) agrees with the reference on
// causal prefill, decode offsets, sliding windows and grouped heads; with soft-capping or sinks
// it falls back to the reference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn/attention.h"

namespace {

void expect_close(const at::Tensor& a, const at::Tensor& b) {
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-5);
}

TEST(Attention, BackendMatchesReference) {
  torch::manual_seed(0);
  auto q = torch::randn({7, 4, 8});
  auto k = torch::randn({7, 2, 8});
  auto v = torch::randn({7, 2, 8});
  swift::nn::AttentionOptions opt;
  opt.scale = 0.35;
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt));
  opt.window = 3;
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt));
  auto q2 = q.narrow(0, 5, 2);  // decode-style: 2 queries at key positions 5 and 6
  expect_close(swift::nn::attention(q2, k, v, 5, opt),
               swift::nn::attention_reference(q2, k, v, 5, opt));
  opt.window = 0;
  opt.softcap = 5.0;
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt));
}

TEST(Attention, ReferenceIsCausal) {
  torch::manual_seed(1);
  auto q = torch::randn({5, 2, 4});
  auto k = torch::randn({5, 2, 4});
  auto v = torch::randn({5, 2, 4});
  swift::nn::AttentionOptions opt;
  opt.scale = 0.5;
  auto full = swift::nn::attention_reference(q, k, v, 0, opt);
  // Changing the last key/value must not change earlier outputs.
  auto k2 = k.clone(), v2 = v.clone();
  k2[4] += 10;
  v2[4] += 10;
  auto changed = swift::nn::attention_reference(q, k2, v2, 0, opt);
  expect_close(full.narrow(0, 0, 4), changed.narrow(0, 0, 4));
}

}  // namespace
