// The attention backend the model uses agrees with the reference backend. On libtorch >= 2.1 that
// backend is SDPA, and these tests compare it with the reference on causal prefill, chunked
// prefill and decode offsets, sliding windows, grouped heads, a value head dim that differs from
// the key head dim (MLA), longer sequences, and in the backward pass; soft-capping and sinks fall
// back to the reference. On Debian's libtorch 1.13 SDPA is compiled out and the SDPA tests skip.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <string>

#include "nn/attention.h"

namespace {

using swift::nn::AttentionBackend;
using swift::nn::AttentionOptions;

// Float32 on CPU: SDPA's fused kernels reorder the softmax sums, so allow a few ulps of the
// output's scale.
constexpr double kTol = 2e-5;

void expect_close(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double err = (a - b).abs().max().item<double>();
  const double scale = std::max(1.0, b.abs().max().item<double>());
  EXPECT_LT(err, kTol * scale) << what << ": max abs error " << err;
}

bool sdpa_forced_off() {
  const char* v = std::getenv("SWIFT_ATTN_BACKEND");
  return v != nullptr && std::string(v) == "reference";
}

#define SKIP_WITHOUT_SDPA()                                                             \
  if (!swift::nn::sdpa_compiled())                                                      \
    GTEST_SKIP() << "SDPA is compiled out on libtorch " << TORCH_VERSION << " (< 2.1)"; \
  if (sdpa_forced_off()) GTEST_SKIP() << "SWIFT_ATTN_BACKEND=reference"

TEST(Attention, SdpaCompiledFromTorch21) {
  const bool want =
      TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1);
  EXPECT_EQ(swift::nn::sdpa_compiled(), want) << "libtorch " << TORCH_VERSION;
  AttentionOptions opt;
  if (want && !sdpa_forced_off()) {
    EXPECT_EQ(swift::nn::attention_backend(opt), AttentionBackend::kSdpa);
  } else {
    EXPECT_EQ(swift::nn::attention_backend(opt), AttentionBackend::kReference);
  }
  opt.softcap = 5.0;  // SDPA has no soft-capping
  EXPECT_EQ(swift::nn::attention_backend(opt), AttentionBackend::kReference);
  opt.softcap = 0.0;
  opt.sinks = torch::zeros({4});  // nor attention sinks
  EXPECT_EQ(swift::nn::attention_backend(opt), AttentionBackend::kReference);
}

struct Case {
  const char* name;
  std::int64_t lq, lk, heads, kv_heads, dk, dv, window;
};

// q_offset = lk - lq: the queries are the last lq positions (prefill when lq == lk, a chunk of a
// chunked prefill when 1 < lq < lk, decode when lq == 1).
const Case kCases[] = {
    {"prefill mha", 9, 9, 4, 4, 8, 8, 0},
    {"prefill gqa", 7, 7, 4, 2, 8, 8, 0},
    {"prefill gqa 4:1 long", 67, 67, 8, 2, 16, 16, 0},
    {"prefill window", 12, 12, 4, 2, 8, 8, 3},
    {"chunked prefill", 5, 13, 4, 2, 8, 8, 0},
    {"chunked prefill window", 5, 13, 4, 1, 8, 8, 4},
    {"decode", 1, 20, 4, 2, 8, 8, 0},
    {"decode window", 1, 20, 4, 2, 8, 8, 6},
    {"mla dk != dv", 10, 10, 4, 4, 24, 16, 0},
    {"mla decode", 1, 10, 4, 4, 24, 16, 0},
    {"single token", 1, 1, 2, 1, 8, 8, 0},
};

TEST(Attention, SdpaMatchesReferenceForward) {
  SKIP_WITHOUT_SDPA();
  torch::manual_seed(0);
  for (const Case& c : kCases) {
    auto q = torch::randn({c.lq, c.heads, c.dk});
    auto k = torch::randn({c.lk, c.kv_heads, c.dk});
    auto v = torch::randn({c.lk, c.kv_heads, c.dv});
    AttentionOptions opt;
    opt.scale = 1.0 / std::sqrt(static_cast<double>(c.dk));
    opt.window = c.window;
    ASSERT_EQ(swift::nn::attention_backend(opt), AttentionBackend::kSdpa) << c.name;
    const std::int64_t off = c.lk - c.lq;
    auto got = swift::nn::attention(q, k, v, off, opt);
    EXPECT_EQ(got.sizes(), (std::vector<std::int64_t>{c.lq, c.heads, c.dv})) << c.name;
    expect_close(got, swift::nn::attention_reference(q, k, v, off, opt), c.name);
  }
}

TEST(Attention, SdpaMatchesReferenceBackward) {
  SKIP_WITHOUT_SDPA();
  torch::manual_seed(1);
  for (const Case& c : kCases) {
    auto q = torch::randn({c.lq, c.heads, c.dk});
    auto k = torch::randn({c.lk, c.kv_heads, c.dk});
    auto v = torch::randn({c.lk, c.kv_heads, c.dv});
    auto w = torch::randn({c.lq, c.heads, c.dv});  // a random linear loss
    AttentionOptions opt;
    opt.scale = 0.3;
    opt.window = c.window;
    const std::int64_t off = c.lk - c.lq;
    auto grads = [&](bool sdpa) {
      auto q1 = q.clone().requires_grad_(true);
      auto k1 = k.clone().requires_grad_(true);
      auto v1 = v.clone().requires_grad_(true);
      auto out = sdpa ? swift::nn::attention(q1, k1, v1, off, opt)
                      : swift::nn::attention_reference(q1, k1, v1, off, opt);
      (out * w).sum().backward();
      return std::vector<at::Tensor>{q1.grad(), k1.grad(), v1.grad()};
    };
    auto a = grads(true), b = grads(false);
    expect_close(a[0], b[0], std::string(c.name) + " dq");
    expect_close(a[1], b[1], std::string(c.name) + " dk");
    expect_close(a[2], b[2], std::string(c.name) + " dv");
  }
}

TEST(Attention, SdpaMatchesReferenceDouble) {
  SKIP_WITHOUT_SDPA();
  torch::manual_seed(2);
  auto q = torch::randn({11, 4, 8}, torch::kFloat64);
  auto k = torch::randn({11, 2, 8}, torch::kFloat64);
  auto v = torch::randn({11, 2, 8}, torch::kFloat64);
  AttentionOptions opt;
  opt.scale = 0.35;
  auto got = swift::nn::attention(q, k, v, 0, opt);
  auto ref = swift::nn::attention_reference(q, k, v, 0, opt);
  EXPECT_EQ(got.scalar_type(), torch::kFloat64);
  // The reference takes its softmax in float32 (transformers' eager path does), so float64 agrees
  // to float32 rounding only.
  EXPECT_LT((got - ref).abs().max().item<double>(), 1e-6);
}

TEST(Attention, BackendMatchesReferenceWithFallbacks) {
  // Whatever the build: soft-capping and sinks take the reference inside attention().
  torch::manual_seed(3);
  auto q = torch::randn({7, 4, 8});
  auto k = torch::randn({7, 2, 8});
  auto v = torch::randn({7, 2, 8});
  AttentionOptions opt;
  opt.scale = 0.35;
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt), "plain");
  opt.softcap = 5.0;
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt), "softcap");
  opt.softcap = 0.0;
  opt.sinks = torch::randn({4});
  expect_close(swift::nn::attention(q, k, v, 0, opt),
               swift::nn::attention_reference(q, k, v, 0, opt), "sinks");
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
  expect_close(full.narrow(0, 0, 4), changed.narrow(0, 0, 4), "causal");
}

}  // namespace
