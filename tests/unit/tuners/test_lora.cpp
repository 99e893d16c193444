// Adapters: a PEFT adapter saved and loaded again gives bit-identical outputs; a fresh adapter
// (B = 0) leaves the logits unchanged; merging gives the adapted logits; DoRA round-trips too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "tuners/lora.h"

namespace {

namespace stdfs = std::filesystem;
const std::string kData = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/";

at::Tensor ids_of(const std::string& arch) {
  swift::io::SafetensorsFile st(kData + arch + "/golden.safetensors");
  return swift::io::to_tensor(st, *st.find("input_ids"));
}

at::Tensor logits(swift::model::CausalLM& lm,
                  const at::Tensor& ids,
                  swift::nn::AdapterHook* adapter = nullptr) {
  torch::NoGradGuard ng;
  swift::model::ForwardContext ctx;
  ctx.adapters = adapter;
  return lm.forward(swift::model::pack_rows(ids), ctx);
}

class RoundTrip : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(RoundTrip, SaveLoadIsBitIdentical) {
  const auto [arch, sub] = GetParam();
  auto ids = ids_of(arch);
  auto lm = swift::model::load_causal_lm(kData + arch);
  auto ad = swift::tuners::LoraAdapter::load(kData + arch + "/" + sub, *lm);
  auto before = logits(*lm, ids, ad.get());
  auto out = stdfs::path(SWIFT_BINARY_DIR) / "test_tuners_tmp" / (arch + "_" + sub);
  stdfs::remove_all(out);
  ad->save(out.string());
  auto lm2 = swift::model::load_causal_lm(kData + arch);
  auto ad2 = swift::tuners::LoraAdapter::load(out.string(), *lm2);
  auto after = logits(*lm2, ids, ad2.get());
  EXPECT_TRUE(torch::equal(before, after));
  auto p1 = ad->named_parameters(), p2 = ad2->named_parameters();
  ASSERT_EQ(p1.size(), p2.size());
  for (std::size_t i = 0; i < p1.size(); ++i) {
    EXPECT_EQ(p1[i].first, p2[i].first);
    EXPECT_TRUE(torch::equal(p1[i].second, p2[i].second)) << p1[i].first;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Adapters,
    RoundTrip,
    ::testing::Values(std::make_pair(std::string("llama"), std::string("adapter")),
                      std::make_pair(std::string("llama"), std::string("dora")),
                      std::make_pair(std::string("mixtral"), std::string("adapter")),
                      std::make_pair(std::string("phi3"), std::string("adapter"))));

TEST(Lora, FreshAdapterKeepsLogitsAndMergeMatches) {
  auto ids = ids_of("qwen2");
  auto lm = swift::model::load_causal_lm(kData + "qwen2");
  auto base = logits(*lm, ids);
  swift::tuners::LoraOptions o;
  o.r = 4;
  o.alpha = 8;
  auto ad = swift::tuners::LoraAdapter::create(*lm, o);
  EXPECT_TRUE(torch::equal(base, logits(*lm, ids, ad.get())));
  // Give B some values, then compare runtime vs merged.
  for (auto& [name, t] : ad->named_parameters()) {
    torch::NoGradGuard ng;
    if (name.find("lora_B") != std::string::npos) t.copy_(torch::randn(t.sizes()) * 0.1);
  }
  auto adapted = logits(*lm, ids, ad.get());
  EXPECT_GT((adapted - base).abs().max().item<double>(), 1e-3);
  ad->merge_into(*lm);
  EXPECT_LT((logits(*lm, ids) - adapted).abs().max().item<double>(), 1e-4);
}

}  // namespace
