// Forward-path properties against the Hugging Face goldens: logits for the packed batch, the
// same sequences padded / packed together, and paged-KV decoding equal to a full forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "nn/kv_cache.h"

namespace {

const std::string kData = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/";

at::Tensor golden(const std::string& arch, const std::string& name) {
  swift::io::SafetensorsFile st(kData + arch + "/golden.safetensors");
  return swift::io::to_tensor(st, *st.find(name));
}

class ForwardTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardTest, LogitsMatchTransformers) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kData + GetParam());
  auto ids = golden(GetParam(), "input_ids");
  auto got = lm->forward(swift::model::pack_rows(ids)).reshape({ids.size(0), ids.size(1), -1});
  auto ref = golden(GetParam(), "logits");
  EXPECT_TRUE(((got - ref).abs() <= 1e-4 + 1e-4 * ref.abs()).all().item<bool>())
      << "max err " << (got - ref).abs().max().item<double>();
}

TEST_P(ForwardTest, PagedDecodeEqualsFullForward) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kData + GetParam());
  auto ids = golden(GetParam(), "input_ids")[0].to(torch::kInt64);
  const std::int64_t S = ids.size(0);
  auto full = lm->forward(swift::model::pack_rows(ids.unsqueeze(0)));  // [S, V]
  // Prefill 5 tokens, then one token at a time through a small-block cache.
  swift::nn::PagedKvCache cache(lm->config().num_layers, lm->cache_kv_heads(), lm->cache_k_dim(),
                                lm->cache_v_dim(), /*block_size=*/4);
  swift::model::KvContext kv{&cache, {cache.add_sequence()}};
  swift::model::PackedBatch b;
  b.input_ids = ids.narrow(0, 0, 5);
  b.position_ids = torch::arange(5, torch::kInt64);
  b.cu_seqlens = {0, 5};
  std::vector<at::Tensor> rows{lm->forward(b, &kv)};
  for (std::int64_t t = 5; t < S; ++t) {
    b.input_ids = ids.narrow(0, t, 1);
    b.position_ids = torch::tensor({t}, torch::kInt64);
    b.cu_seqlens = {0, 1};
    rows.push_back(lm->forward(b, &kv));
  }
  auto dec = torch::cat(rows, 0);
  EXPECT_LT((dec - full).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(cache.length(kv.seq_ids[0]), S);
}

INSTANTIATE_TEST_SUITE_P(Archs,
                         ForwardTest,
                         ::testing::Values("llama", "mistral", "gemma2", "gpt_oss", "deepseek_v3"));

TEST(Forward, PackedEqualsSeparate) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kData + "qwen3");
  auto ids = golden("qwen3", "input_ids");
  auto both = lm->forward(swift::model::pack_rows(ids));
  auto first = lm->forward(swift::model::pack_rows(ids.narrow(0, 0, 1)));
  auto second = lm->forward(swift::model::pack_rows(ids.narrow(0, 1, 1)));
  EXPECT_LT((both - torch::cat({first, second}, 0)).abs().max().item<double>(), 1e-4);
}

}  // namespace
