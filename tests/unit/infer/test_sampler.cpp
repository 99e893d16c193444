// The sampler against the definitions it implements (HF logits processors, OpenAI penalties).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>

#include "core/error.h"
#include "infer/sampler.h"

namespace {

using swift::infer::Sampler;
using swift::infer::SamplingParams;

at::Tensor logits_of(std::vector<float> v) {
  return torch::tensor(v);
}

TEST(Sampler, GreedyIsArgmaxWithRawLogprob) {
  SamplingParams p;
  p.temperature = 0;
  p.top_logprobs = 2;
  Sampler s(p);
  auto logits = logits_of({0.1f, 2.0f, -1.0f, 1.5f});
  auto t = s.sample(logits, {}, {});
  EXPECT_EQ(t.id, 1);
  float expected = std::log(std::exp(2.0f) /
                            (std::exp(0.1f) + std::exp(2.0f) + std::exp(-1.0f) + std::exp(1.5f)));
  EXPECT_NEAR(t.logprob, expected, 1e-5);
  ASSERT_EQ(t.top.size(), 2u);
  EXPECT_EQ(t.top[0].first, 1);
  EXPECT_EQ(t.top[1].first, 3);
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplingParams p;
  p.temperature = 0.7;
  p.top_k = 1;
  p.seed = 3;
  Sampler s(p);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(logits_of({0.f, 1.f, 3.f, 2.f}), {}, {}).id, 2);
}

TEST(Sampler, TopPKeepsSmallestNucleus) {
  // probs 0.5, 0.3, 0.15, 0.05: top_p 0.7 keeps the first two (0.5 < 0.7, 0.8 >= 0.7).
  SamplingParams p;
  p.top_p = 0.7;
  Sampler s(p);
  auto logits = torch::tensor({0.5, 0.3, 0.15, 0.05}).log().to(torch::kFloat32);
  auto x = s.processed_logits(logits, {}, {});
  EXPECT_TRUE(std::isfinite(x[0].item<float>()));
  EXPECT_TRUE(std::isfinite(x[1].item<float>()));
  EXPECT_TRUE(std::isinf(x[2].item<float>()));
  EXPECT_TRUE(std::isinf(x[3].item<float>()));
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  SamplingParams p;
  p.min_p = 0.2;  // keep p >= 0.2 * 0.5 = 0.1
  Sampler s(p);
  auto logits = torch::tensor({0.5, 0.3, 0.15, 0.05}).log().to(torch::kFloat32);
  auto x = s.processed_logits(logits, {}, {});
  EXPECT_TRUE(std::isfinite(x[2].item<float>()));
  EXPECT_TRUE(std::isinf(x[3].item<float>()));
}

TEST(Sampler, Penalties) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 2.0;
  p.presence_penalty = 0.5;
  p.frequency_penalty = 0.25;
  Sampler s(p);
  auto x =
      s.processed_logits(logits_of({4.f, -2.f, 1.f, 1.f}), /*prompt=*/{0}, /*generated=*/{1, 1});
  EXPECT_FLOAT_EQ(x[0].item<float>(), 2.0f);                 // 4 / 2
  EXPECT_FLOAT_EQ(x[1].item<float>(), -4.0f - 0.5f - 0.5f);  // -2 * 2, - 0.5 - 2 * 0.25
  EXPECT_FLOAT_EQ(x[2].item<float>(), 1.0f);
}

TEST(Sampler, SeededDrawsRepeatAndFollowTheDistribution) {
  SamplingParams p;
  p.seed = 1234;
  auto logits = torch::tensor({0.6, 0.3, 0.1}).log().to(torch::kFloat32);
  Sampler a(p), b(p);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 4000; ++i) {
    int x = a.sample(logits, {}, {}).id;
    EXPECT_EQ(x, b.sample(logits, {}, {}).id);
    ++counts[x];
  }
  EXPECT_NEAR(counts[0] / 4000.0, 0.6, 0.03);
  EXPECT_NEAR(counts[1] / 4000.0, 0.3, 0.03);
  EXPECT_NEAR(counts[2] / 4000.0, 0.1, 0.02);
}

TEST(Sampler, RejectsBadParameters) {
  SamplingParams p;
  p.temperature = -1;
  EXPECT_THROW(Sampler{p}, swift::Error);
  p = SamplingParams();
  p.top_p = 1.5;
  EXPECT_THROW(Sampler{p}, swift::Error);
  p = SamplingParams();
  p.top_logprobs = 21;
  EXPECT_THROW(Sampler{p}, swift::Error);
}

// Hardening: any accepted temperature is numerically safe (1e-40 used to overflow the logits to
// inf - inf = NaN), non-finite logits are an error naming the likely cause, and penalties that
// would push a logit to +inf are refused.
TEST(Sampler, TinyTemperaturesSampleTheArgmax) {
  for (double t : {1e-5, 1e-20, 1e-40, 1e-300, 4.9e-324}) {
    SamplingParams p;
    p.temperature = t;
    p.top_p = 0.9;
    p.top_k = 3;
    p.min_p = 0.01;
    p.seed = 11;
    Sampler s(p);
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(s.sample(logits_of({0.5f, 1.25f, 3.0f, 2.999f, -7.f}), {}, {}).id, 2) << t;
  }
}

TEST(Sampler, NonFiniteLogitsAreAnError) {
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    SamplingParams p;
    p.temperature = 0;
    Sampler s(p);
    try {
      s.sample(logits_of({0.f, bad, 1.f}), {}, {});
      ADD_FAILURE() << "sampled from non-finite logits";
    } catch (const swift::Error& e) {
      EXPECT_NE(std::string(e.what()).find("NaN or Inf logits"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("adapter"), std::string::npos) << e.what();
    }
  }
}

TEST(Sampler, PenaltiesThatOverflowAreRefused) {
  for (auto set : std::vector<std::function<void(SamplingParams&)>>{
           [](SamplingParams& p) { p.repetition_penalty = 1e300; },
           [](SamplingParams& p) { p.repetition_penalty = std::nan(""); },
           [](SamplingParams& p) { p.frequency_penalty = -1e30; },
           [](SamplingParams& p) { p.presence_penalty = std::nan(""); },
           [](SamplingParams& p) { p.temperature = INFINITY; },
       }) {
    SamplingParams p;
    set(p);
    EXPECT_THROW(Sampler{p}, swift::Error);
  }
}

}  // namespace
