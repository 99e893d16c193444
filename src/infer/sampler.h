// Next-token choice from logits, per request: repetition / presence / frequency penalties,
// temperature (0 = greedy), top-k, top-p, min-p, then a draw from the request's own seeded
// generator, so a request samples the same tokens whether it runs alone or in a batch.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace swift::infer {

struct SamplingParams {
  double temperature = 1.0;         // 0: greedy
  std::int64_t top_k = -1;          // <= 0: off
  double top_p = 1.0;               // 1: off
  double min_p = 0.0;               // 0: off
  double repetition_penalty = 1.0;  // HF: divide positive logits / multiply negative ones
  double presence_penalty = 0.0;    // OpenAI: minus this once per generated token kind
  double frequency_penalty = 0.0;   // OpenAI: minus this per occurrence in the generation
  std::optional<std::uint64_t> seed;
  int top_logprobs = 0;  // how many alternatives to report (0: none)
};

struct SampledToken {
  std::int32_t id = -1;
  float logprob = 0.0f;  // log-probability under the model's raw distribution
  std::vector<std::pair<std::int32_t, float>> top;  // top_logprobs alternatives, best first
};

class Sampler {
 public:
  explicit Sampler(SamplingParams params);
  ~Sampler();
  Sampler(Sampler&&) noexcept;
  Sampler& operator=(Sampler&&) noexcept;

  // logits: [vocab] float for the next position. prompt / generated: the ids so far (the
  // repetition penalty looks at both, presence/frequency at the generation only).
  SampledToken sample(const at::Tensor& logits,
                      const std::vector<std::int32_t>& prompt,
                      const std::vector<std::int32_t>& generated);
  const SamplingParams& params() const { return params_; }

  // The processed logits before the draw (exposed for tests): penalties, temperature and the
  // top-k / top-p / min-p filters applied, filtered tokens at -inf.
  at::Tensor processed_logits(const at::Tensor& logits,
                              const std::vector<std::int32_t>& prompt,
                              const std::vector<std::int32_t>& generated) const;

 private:
  struct Rng;
  SamplingParams params_;
  std::unique_ptr<Rng> rng_;
};

}  // namespace swift::infer
