#include "infer/sampler.h"

#include <torch/torch.h>

#include <cmath>

#include <limits>
#include <random>
#include <unordered_map>

#include "core/error.h"

namespace swift::infer {

// A per-request generator: std::mt19937_64 seeded from the request's seed (or a random one),
// independent of libtorch's global generator and of other requests.
struct Sampler::Rng {
  std::mt19937_64 engine;
};

Sampler::Sampler(SamplingParams params) : params_(params), rng_(std::make_unique<Rng>()) {
  SWIFT_CHECK(params_.temperature >= 0.0 && std::isfinite(params_.temperature),
              "[sampler] temperature must be >= 0, got {}", params_.temperature);
  SWIFT_CHECK(params_.top_p > 0.0 && params_.top_p <= 1.0,
              "[sampler] top_p must be in (0, 1], got {}", params_.top_p);
  SWIFT_CHECK(params_.min_p >= 0.0 && params_.min_p <= 1.0,
              "[sampler] min_p must be in [0, 1], got {}", params_.min_p);
  // Penalties scale or shift float32 logits: bounded so that no logit becomes +inf or NaN.
  SWIFT_CHECK(params_.repetition_penalty > 0.0 && params_.repetition_penalty <= 1e4,
              "[sampler] repetition_penalty must be in (0, 10000], got {}",
              params_.repetition_penalty);
  SWIFT_CHECK(
      std::fabs(params_.presence_penalty) <= 1e4 && std::fabs(params_.frequency_penalty) <= 1e4,
      "[sampler] presence_penalty and frequency_penalty must be within [-10000, 10000], "
      "got {} and {}",
      params_.presence_penalty, params_.frequency_penalty);
  SWIFT_CHECK(params_.top_logprobs >= 0 && params_.top_logprobs <= 20,
              "[sampler] top_logprobs must be in [0, 20], got {}", params_.top_logprobs);
  rng_->engine.seed(params_.seed ? *params_.seed : std::random_device{}());
}

Sampler::~Sampler() = default;
Sampler::Sampler(Sampler&&) noexcept = default;
Sampler& Sampler::operator=(Sampler&&) noexcept = default;

at::Tensor Sampler::processed_logits(const at::Tensor& logits,
                                     const std::vector<std::int32_t>& prompt,
                                     const std::vector<std::int32_t>& generated) const {
  TORCH_CHECK(logits.dim() == 1, "sampler expects [vocab] logits");
  at::Tensor x = logits.to(torch::kFloat32).clone();  // [vocab]
  const std::int64_t vocab = x.size(0);
  auto* data = x.data_ptr<float>();
  if (params_.repetition_penalty != 1.0) {
    std::vector<bool> seen(static_cast<std::size_t>(vocab), false);
    for (const auto* ids : {&prompt, &generated})
      for (auto id : *ids)
        if (id >= 0 && id < vocab) seen[static_cast<std::size_t>(id)] = true;
    const float p = static_cast<float>(params_.repetition_penalty);
    for (std::int64_t i = 0; i < vocab; ++i)
      if (seen[static_cast<std::size_t>(i)]) data[i] = data[i] > 0 ? data[i] / p : data[i] * p;
  }
  if (params_.presence_penalty != 0.0 || params_.frequency_penalty != 0.0) {
    std::unordered_map<std::int32_t, int> counts;
    for (auto id : generated)
      if (id >= 0 && id < vocab) ++counts[id];
    for (const auto& [id, n] : counts)
      data[id] -= static_cast<float>(params_.presence_penalty + params_.frequency_penalty * n);
  }
  if (params_.temperature == 0.0) return x;  // greedy: the filters cannot change the argmax
  // Shift so the best logit is 0, then divide in float64 (a float32 temperature of 1e-300 would
  // be 0): any accepted temperature, however small, gives finite or -inf values with the best
  // token at 0, never inf - inf = NaN, and tends to greedy as the true limit does.
  x = x.to(torch::kFloat64);
  x = (x - x.max()) / params_.temperature;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  if (params_.top_k > 0 && params_.top_k < vocab) {
    at::Tensor kth = std::get<0>(x.topk(params_.top_k)).min();
    x = x.masked_fill(x < kth, neg_inf);
  }
  if (params_.top_p < 1.0) {
    auto sorted = x.sort(/*dim=*/0, /*descending=*/true);
    at::Tensor probs = std::get<0>(sorted).softmax(0);
    at::Tensor before = probs.cumsum(0) - probs;  // mass of strictly better tokens
    at::Tensor drop_sorted = before >= params_.top_p;
    at::Tensor drop = torch::zeros_like(drop_sorted).scatter(0, std::get<1>(sorted), drop_sorted);
    x = x.masked_fill(drop, neg_inf);
  }
  if (params_.min_p > 0.0) {
    at::Tensor probs = x.softmax(0);
    x = x.masked_fill(probs < probs.max() * params_.min_p, neg_inf);
  }
  return x;
}

SampledToken Sampler::sample(const at::Tensor& logits,
                             const std::vector<std::int32_t>& prompt,
                             const std::vector<std::int32_t>& generated) {
  SWIFT_CHECK(torch::isfinite(logits).all().item<bool>(),
              "[infer] the model produced NaN or Inf logits; likely causes: an adapter with "
              "broken weights (check --adapters), float16 overflow (use --torch_dtype bfloat16 "
              "or float32), or a corrupt checkpoint");
  at::Tensor x = processed_logits(logits, prompt, generated);
  SampledToken out;
  if (params_.temperature == 0.0) {
    out.id = static_cast<std::int32_t>(x.argmax().item<std::int64_t>());
  } else {
    // Inverse-CDF draw with the request's own generator (double precision cumulative sum).
    at::Tensor probs = x.softmax(0).to(torch::kFloat64);
    const double* p = probs.data_ptr<double>();
    const std::int64_t n = probs.size(0);
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_->engine);
    double acc = 0.0;
    out.id = -1;
    std::int64_t last_nonzero = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (p[i] <= 0.0) continue;
      last_nonzero = i;
      acc += p[i];
      if (u < acc) {
        out.id = static_cast<std::int32_t>(i);
        break;
      }
    }
    if (out.id < 0) out.id = static_cast<std::int32_t>(last_nonzero);  // rounding at the tail
  }
  at::Tensor logp = logits.to(torch::kFloat32).log_softmax(0);
  out.logprob = logp[out.id].item<float>();
  if (params_.top_logprobs > 0) {
    auto top = logp.topk(std::min<std::int64_t>(params_.top_logprobs, logp.size(0)));
    auto values = std::get<0>(top);
    auto indices = std::get<1>(top);
    for (std::int64_t i = 0; i < values.size(0); ++i)
      out.top.emplace_back(static_cast<std::int32_t>(indices[i].item<std::int64_t>()),
                           values[i].item<float>());
  }
  return out;
}

}  // namespace swift::infer
