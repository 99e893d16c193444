// Forward-path properties against the Hugging Face goldens: logits for the packed batch, the
// same sequences padded / packed together, and paged-KV decoding equal to a full forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "nn/kv_cache.h"
#include "tuners/lora.h"

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
  swift::model::ForwardContext ctx;
  ctx.kv = &kv;
  swift::model::PackedBatch b;
  b.input_ids = ids.narrow(0, 0, 5);
  b.position_ids = torch::arange(5, torch::kInt64);
  b.cu_seqlens = {0, 5};
  std::vector<at::Tensor> rows{lm->forward(b, ctx)};
  for (std::int64_t t = 5; t < S; ++t) {
    b.input_ids = ids.narrow(0, t, 1);
    b.position_ids = torch::tensor({t}, torch::kInt64);
    b.cu_seqlens = {0, 1};
    rows.push_back(lm->forward(b, ctx));
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

// Activation checkpointing recomputes each layer in the backward pass: same loss, same
// gradients (full fine-tuning and LoRA), and the model keeps no state between calls.
TEST(Forward, CheckpointedLayersGiveTheSameGradients) {
  for (const char* arch : {"qwen3", "qwen3_moe"}) {
    auto lm = swift::model::load_causal_lm(kData + arch);
    auto ids = golden(arch, "input_ids");
    auto batch = swift::model::pack_rows(ids);
    auto labels = ids.reshape({-1}).to(torch::kInt64).clone();
    labels.narrow(0, 0, 2).fill_(-100);
    swift::tuners::LoraOptions o;
    o.r = 4;
    o.dropout = 0.3;  // the recomputation must draw the same dropout masks
    auto ad = swift::tuners::LoraAdapter::create(*lm, o);
    for (auto& [n, t] : ad->named_parameters()) {
      torch::NoGradGuard ng;
      if (n.find("lora_B") != std::string::npos) t.copy_(torch::randn(t.sizes()) * 0.05);
    }
    for (bool lora : {false, true}) {
      lm->set_requires_grad(!lora);
      ad->set_requires_grad(lora);
      std::vector<std::pair<std::string, at::Tensor>> params;
      if (lora) {
        params = ad->named_parameters();
      } else {
        for (auto& [n, t] : lm->parameters())
          if (t.requires_grad()) params.emplace_back(n, t);
      }
      std::vector<at::Tensor> grads[2];
      double losses[2];
      for (int ck = 0; ck < 2; ++ck) {
        swift::model::ForwardContext ctx;
        ctx.adapters = lora ? ad.get() : nullptr;
        ctx.checkpoint_layers = ck == 1;
        ctx.training = true;
        torch::manual_seed(7);
        auto out = lm->run(batch, ctx);
        auto ls = swift::model::causal_lm_loss_sum(out.logits, labels, batch.cu_seqlens);
        auto loss = ls.sum / static_cast<double>(ls.tokens);
        loss.backward();
        losses[ck] = loss.item<double>();
        for (auto& [n, t] : params) {
          ASSERT_TRUE(t.grad().defined()) << arch << " " << n;
          grads[ck].push_back(t.grad().clone());
          t.mutable_grad() = at::Tensor();
        }
      }
      EXPECT_EQ(losses[0], losses[1]) << arch;
      if (lora) {  // dropout really is applied in training forwards, and only there
        torch::NoGradGuard ng;
        swift::model::ForwardContext ctx;
        ctx.adapters = ad.get();
        auto eval1 = lm->forward(batch, ctx);
        ctx.training = true;
        auto train1 = lm->forward(batch, ctx);
        EXPECT_GT((eval1 - train1).abs().max().item<double>(), 1e-6) << arch;
        ctx.training = false;
        EXPECT_TRUE(torch::equal(eval1, lm->forward(batch, ctx))) << arch;
      }
      for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_LT((grads[0][i] - grads[1][i]).abs().max().item<double>(),
                  1e-6 * std::max(1.0, grads[0][i].abs().max().item<double>()))
            << arch << (lora ? " lora " : " full ") << params[i].first;
    }
  }
}

// The loss as (sum, count) equals the mean loss; loss_scale weights the shifted targets.
TEST(Forward, LossSumMatchesMeanAndScales) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kData + "llama");
  auto ids = golden("llama", "input_ids");
  auto batch = swift::model::pack_rows(ids);
  auto labels = ids.reshape({-1}).to(torch::kInt64).clone();
  labels.narrow(0, 0, 3).fill_(-100);
  auto logits = lm->forward(batch);
  auto mean = swift::model::causal_lm_loss(logits, labels, batch.cu_seqlens).item<double>();
  auto ls = swift::model::causal_lm_loss_sum(logits, labels, batch.cu_seqlens);
  EXPECT_NEAR(ls.sum.item<double>() / ls.tokens, mean, 1e-6 * std::abs(mean));
  // Each sequence's last token predicts nothing; the first 3 labels are masked.
  const std::int64_t T = labels.numel(), B = ids.size(0);
  EXPECT_EQ(ls.tokens, T - B - 2);
  auto half = torch::full({T}, 0.5, torch::kFloat32);
  auto scaled = swift::model::causal_lm_loss_sum(logits, labels, batch.cu_seqlens, half);
  EXPECT_NEAR(scaled.sum.item<double>(), 0.5 * ls.sum.item<double>(), 1e-5);
}

// Hidden states come out on request, and the logits are their LM-head projection.
TEST(Forward, HiddenStatesOnRequest) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kData + "llama");
  auto ids = golden("llama", "input_ids");
  swift::model::ForwardContext ctx;
  ctx.want_hidden = true;
  ctx.rows = {0, 3};
  auto out = lm->run(swift::model::pack_rows(ids), ctx);
  ASSERT_EQ(out.hidden.size(0), 2);
  EXPECT_EQ(out.hidden.size(1), lm->config().hidden_size);
  const auto& head = lm->parameters().count("lm_head.weight")
                         ? lm->parameter("lm_head.weight")
                         : lm->parameter("model.embed_tokens.weight");
  EXPECT_LT((torch::matmul(out.hidden, head.t()) - out.logits).abs().max().item<double>(), 1e-4);
  ctx.want_logits = false;
  EXPECT_FALSE(lm->run(swift::model::pack_rows(ids), ctx).logits.defined());
}

}  // namespace
